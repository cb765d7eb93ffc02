/**
 * Lavalink v4's REST routes (docs/api/rest.md): track loading and decoding, sessions and their
 * players, info, version, stats and the route planner.
 *
 * @module
 */

import type { ServerConfig, FilterName } from './config.js';
import { HttpError } from './http-error.js';
import type { ResolvedPlayerUpdate } from './lavalink-player.js';
import type { PlayerHost } from './player-host.js';
import type { StatsJson } from './protocol.js';
import type { Session, Sessions } from './session.js';
import type { TrackLoader } from './track-loader.js';
import { fromEncoded, toTrackJson } from './tracks.js';
import type { ServerTrack } from './tracks.js';
import { validateEncodedList, validatePlayerUpdate, validateSessionUpdate } from './validate.js';

/** Lavalink's Info Response. */
export interface InfoJson {
  version: { semver: string; major: number; minor: number; patch: number; preRelease: string | null; build: string | null };
  buildTime: number;
  git: { branch: string; commit: string; commitTime: number };
  jvm: string;
  lavaplayer: string;
  sourceManagers: string[];
  filters: string[];
  plugins: { name: string; version: string }[];
}

/** What the routes need of the server. */
export interface RestContext {
  config: ServerConfig;
  sessions: Sessions;
  loader: TrackLoader;
  /** The host a new player goes to. */
  pickHost(): PlayerHost;
  stats(withFrames: boolean): Promise<StatsJson>;
  info(): InfoJson;
  /** The text `GET /version` answers. */
  version: string;
}

/** A request as a route sees it. */
export interface RestRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The body as JSON (bounded; 400/413 otherwise). */
  body(): Promise<unknown>;
  /** Fires when the client goes away. */
  signal: AbortSignal;
}

/** A route's answer: JSON, text, or nothing (204). */
export type RestAnswer = { status: number; json: unknown } | { status: number; text: string } | { status: 204 };

/** One route. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/v4/sessions/:sessionId/players/:guildId` */
  path: string;
  handler(req: RestRequest): Promise<RestAnswer>;
}

const SNOWFLAKE = /^\d{1,20}$/;

function sessionOf(ctx: RestContext, id: string): Session {
  const session = ctx.sessions.get(id);
  if (session === undefined) throw new HttpError(404, 'Session not found');
  return session;
}

function guildOf(id: string): string {
  if (!SNOWFLAKE.test(id)) throw new HttpError(400, `Invalid guild id: ${JSON.stringify(id.slice(0, 40))} is not a Discord snowflake`);
  return id;
}

function decode(encoded: string): ServerTrack {
  try {
    return fromEncoded(encoded);
  } catch (error) {
    throw new HttpError(400, (error as Error).message, { cause: error });
  }
}

/** The routes, in Lavalink's paths. */
export function restRoutes(ctx: RestContext): Route[] {
  const disabledFilters = new Set((Object.keys(ctx.config.filters) as FilterName[]).filter((f) => !ctx.config.filters[f]));
  return [
    {
      method: 'GET',
      path: '/v4/loadtracks',
      async handler(req) {
        const identifier = req.query.get('identifier');
        if (identifier === null) throw new HttpError(400, "Required parameter 'identifier' is not present");
        return { status: 200, json: await ctx.loader.load(identifier, req.signal) };
      },
    },
    {
      method: 'GET',
      path: '/v4/decodetrack',
      async handler(req) {
        // `encodedTrack` is the documented name; Lavalink also takes `track` (Shoukaku sends that).
        const encoded = req.query.get('encodedTrack') ?? req.query.get('track');
        if (encoded === null || encoded === '') throw new HttpError(400, 'No track to decode provided');
        const st = decode(encoded);
        return { status: 200, json: toTrackJson(st, st.position) };
      },
    },
    {
      method: 'POST',
      path: '/v4/decodetracks',
      async handler(req) {
        const list = validateEncodedList(await req.body());
        return { status: 200, json: list.map((encoded) => decode(encoded)).map((st) => toTrackJson(st, st.position)) };
      },
    },
    {
      method: 'GET',
      path: '/v4/sessions/:sessionId/players',
      async handler(req) {
        const session = sessionOf(ctx, req.params.sessionId!);
        const players = await Promise.all([...session.players].map(([guildId, host]) => host.get(session.key(guildId))));
        return { status: 200, json: players.filter((p) => p !== null) };
      },
    },
    {
      method: 'GET',
      path: '/v4/sessions/:sessionId/players/:guildId',
      async handler(req) {
        const session = sessionOf(ctx, req.params.sessionId!);
        const guildId = guildOf(req.params.guildId!);
        const player = await session.players.get(guildId)?.get(session.key(guildId));
        if (player === undefined || player === null) throw new HttpError(404, 'Player not found');
        return { status: 200, json: player };
      },
    },
    {
      method: 'PATCH',
      path: '/v4/sessions/:sessionId/players/:guildId',
      async handler(req) {
        const body = validatePlayerUpdate(await req.body(), disabledFilters);
        const session = sessionOf(ctx, req.params.sessionId!);
        const guildId = guildOf(req.params.guildId!);
        const noReplace = req.query.get('noReplace') === 'true';
        const key = session.key(guildId);
        const existing = session.players.get(guildId);
        const { track, ...rest } = body;
        let update: ResolvedPlayerUpdate = rest;
        if (track !== undefined) {
          if ('encoded' in track) {
            update = { ...rest, track: track.encoded === null ? null : decode(track.encoded) };
          } else if (noReplace && existing !== undefined && (await existing.get(key))?.track) {
            // Lavalink answers early here, having applied only what does not go with a new track.
            const { paused: _p, position: _pos, endTime: _e, userData: _u, ...kept } = rest;
            update = kept;
          } else {
            update = { ...rest, track: await ctx.loader.loadOne(track.identifier, req.signal) };
          }
        }
        // Looked up again after the awaits: a concurrent request may have made the player meanwhile.
        let host = session.players.get(guildId);
        if (host === undefined) {
          host = ctx.pickHost();
          session.players.set(guildId, host);
        }
        return { status: 200, json: await host.update(key, update, noReplace) };
      },
    },
    {
      method: 'DELETE',
      path: '/v4/sessions/:sessionId/players/:guildId',
      async handler(req) {
        const session = sessionOf(ctx, req.params.sessionId!);
        const guildId = guildOf(req.params.guildId!);
        const host = session.players.get(guildId);
        if (host !== undefined) {
          session.players.delete(guildId);
          await host.destroy(session.key(guildId));
        }
        return { status: 204 };
      },
    },
    {
      method: 'PATCH',
      path: '/v4/sessions/:sessionId',
      async handler(req) {
        const update = validateSessionUpdate(await req.body());
        const session = sessionOf(ctx, req.params.sessionId!);
        if (update.resuming !== undefined) session.resuming = update.resuming;
        if (update.timeout !== undefined) session.timeout = update.timeout;
        return { status: 200, json: { resuming: session.resuming, timeout: session.timeout } };
      },
    },
    { method: 'GET', path: '/v4/info', handler: async () => ({ status: 200, json: ctx.info() }) },
    { method: 'GET', path: '/version', handler: async () => ({ status: 200, text: ctx.version }) },
    // `frameStats` is always missing here (rest.md); the WebSocket's stats op has it.
    { method: 'GET', path: '/v4/stats', handler: async () => ({ status: 200, json: await ctx.stats(false) }) },
    // spence has no route planner (IP rotation): Lavalink answers 204 when none is configured.
    { method: 'GET', path: '/v4/routeplanner/status', handler: async () => ({ status: 204 }) },
    { method: 'POST', path: '/v4/routeplanner/free/address', handler: async () => ({ status: 204 }) },
    { method: 'POST', path: '/v4/routeplanner/free/all', handler: async () => ({ status: 204 }) },
  ];
}

/** The route for a request: the route and its parameters, `'method'` when only the method is wrong, or null. */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | null {
  const segments = path.split('/');
  let pathMatched = false;
  for (const route of routes) {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i]!;
      if (p.startsWith(':')) {
        const value = segments[i]!;
        if (value === '') ok = false;
        else {
          try {
            params[p.slice(1)] = decodeURIComponent(value);
          } catch {
            ok = false;
          }
        }
      } else if (p !== segments[i]) ok = false;
    }
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched ? 'method' : null;
}
