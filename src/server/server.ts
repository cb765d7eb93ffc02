/**
 * `LavalinkServer`: a Lavalink v4 node over spence. One `node:http` server carries the REST API
 * and the WebSocket (as Lavalink serves both on `server.port`); a spence {@link Node} resolves;
 * players live on a {@link PlayerHost} (this thread's node, or worker threads).
 *
 * `node:http` with the small router in rest.ts rather than a framework: the API is fourteen
 * routes with JSON bodies, and what a framework would add (body parsing, error pages) has to match
 * Lavalink's own shapes anyway.
 *
 * @module
 */

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, isSpenceError } from '../errors.js';
import { Node } from '../node.js';
import type { NodeOptions } from '../node/node.js';
import { packageVersion } from '../package-version.js';
import { passwordChecker } from './auth.js';
import { FILTER_NAMES } from './config.js';
import type { ServerConfig } from './config.js';
import { HttpError, errorBody } from './http-error.js';
import { readJson, sendEmpty, sendJson, sendText } from './http-io.js';
import { nodeOptionsFromConfig, playerOptionsFromConfig, voiceLinkOptionsFromConfig } from './node-options.js';
import { LocalPlayerHost } from './player-host.js';
import type { HostMessage, PlayerHost } from './player-host.js';
import type { StatsJson } from './protocol.js';
import { matchRoute, restRoutes } from './rest.js';
import type { InfoJson, Route } from './rest.js';
import { redisStoresFromConfig } from './redis-store.js';
import type { RedisStores } from './redis-store.js';
import { Sessions } from './session.js';
import { StatsCollector } from './stats.js';
import { TrackLoader } from './track-loader.js';
import type { LoadCache } from './track-loader.js';
import { discordVoiceLinks } from './discord-voice-link.js';
import type { VoiceLinkFactory } from './voice-link.js';
import { attachWebSocket } from './websocket.js';
import { WorkerPlayerHost } from './worker-host.js';
import type { PlayerWorkerData } from './worker-protocol.js';

/** spence errors that mean the request was wrong (a 400), whoever found it. */
const CLIENT_ERRORS = new Set<string>([ErrorCodes.INVALID_ARGUMENT, ErrorCodes.INVALID_TRACK]);

/** The Lavalink version whose protocol this server speaks. */
export const LAVALINK_PROTOCOL_VERSION = '4.2.0';

/** Options for {@link LavalinkServer}. */
export interface LavalinkServerOptions {
  /** The configuration (see `loadServerConfig` / `resolveServerConfig`). */
  config: ServerConfig;
  /**
   * Node options laid over those the config gives (its providers replace the config's whole):
   * custom providers, a `clock` (tests drive playback on a `ManualClock`), a mirror store.
   */
  nodeOptions?: NodeOptions;
  /** Makes each guild's voice connection. Default: @discordjs/voice connections (`discordVoiceLinks`). */
  voiceLinks?: VoiceLinkFactory;
  /** A load cache shared by a fleet; default Redis's when `spence.redis.url` is set, else none. */
  loadCache?: LoadCache;
  /** Where the server reports what it does (default: nowhere). */
  log?(line: string): void;
  /** Unix time in ms, for the Player State's `time`. Default `Date.now`. */
  now?(): number;
  /**
   * With `spence.workers` > 0: a module (URL, see `WorkerSetupModule`) whose `nodeOptions(config,
   * data)` and `voiceLinks(config, data)` give each player worker's node options and voice links
   * (`nodeOptions` and `voiceLinks` above cannot cross threads, as they hold functions).
   */
  workerSetup?: { module: string | URL; data?: unknown };
}

/** A Lavalink v4 node. */
export class LavalinkServer {
  /** The configuration it runs with. */
  readonly config: ServerConfig;
  /** The node that resolves tracks (and, without worker threads, plays them). */
  readonly node: Node;
  readonly #options: LavalinkServerOptions;
  readonly #http: Server;
  readonly #sessions: Sessions;
  readonly #hosts: PlayerHost[];
  readonly #routes: Route[];
  readonly #authorized: (given: string | string[] | undefined) => boolean;
  readonly #stats = new StatsCollector();
  readonly #closeWebSocket: () => Promise<void>;
  readonly #redis: RedisStores | null;
  #closing: Promise<void> | null = null;

  constructor(options: LavalinkServerOptions) {
    const { config } = options;
    this.config = config;
    this.#options = options;
    this.#redis = redisStoresFromConfig(config, options.log);
    const shared: Pick<NodeOptions, 'mirror'> = this.#redis ? { mirror: { store: this.#redis.mirror } } : {};
    const mirror = { ...shared.mirror, ...options.nodeOptions?.mirror };
    this.node = new Node({ ...nodeOptionsFromConfig(config), ...options.nodeOptions, mirror });
    this.#authorized = passwordChecker(config.password);
    const clock = this.node.scheduler.clock;
    this.#sessions = new Sessions({
      clock,
      maxResumeQueue: config.maxResumeQueue,
      stats: () => this.stats(true),
      ...(options.log ? { log: options.log } : {}),
    });
    const onMessage = (sessionId: string, message: HostMessage): void => this.#sessions.send(sessionId, message);
    if (config.workers > 0) {
      const setup = options.workerSetup;
      const data: PlayerWorkerData = { config, ...(setup ? { setup: { module: String(setup.module), data: setup.data } } : {}) };
      this.#hosts = Array.from({ length: config.workers }, () => new WorkerPlayerHost({ data, onMessage, ...(options.log ? { log: options.log } : {}) }));
    } else {
      this.#hosts = [
        new LocalPlayerHost({
          node: this.node,
          voiceLinks: options.voiceLinks ?? discordVoiceLinks({ ...voiceLinkOptionsFromConfig(config), ...(options.log ? { log: options.log } : {}) }),
          updateIntervalMs: config.playerUpdateInterval * 1000,
          playerOptions: playerOptionsFromConfig(config),
          ...(options.now ? { now: options.now } : {}),
          onMessage,
        }),
      ];
    }
    const loadCache = options.loadCache ?? this.#redis?.loads;
    const loader = new TrackLoader({ node: this.node, config, ...(loadCache ? { cache: loadCache } : {}) });
    this.#routes = restRoutes({
      config,
      sessions: this.#sessions,
      loader,
      // The host with fewest players (the first, of equals).
      pickHost: () => this.#hosts.reduce((best, host) => (host.size < best.size ? host : best)),
      stats: (withFrames) => this.stats(withFrames),
      info: () => this.info(),
      version: `${LAVALINK_PROTOCOL_VERSION}+spence.${packageVersion()}`,
    });
    this.#http = createServer({ headersTimeout: 20_000, requestTimeout: 60_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
      void this.#handle(req, res);
    });
    this.#closeWebSocket = attachWebSocket(this.#http, {
      sessions: this.#sessions,
      authorized: this.#authorized,
      maxBufferedBytes: config.maxWebSocketBufferBytes,
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Starts the player workers, if any, then listens on `server.port` and `server.address` (port 0 picks a free one). */
  async listen(): Promise<AddressInfo> {
    await Promise.all(this.#hosts.map((h) => (h instanceof WorkerPlayerHost ? h.start() : undefined)));
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.config.port, this.config.address, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const address = this.#http.address() as AddressInfo;
    this.#options.log?.(`spence serve: Lavalink v4 API on http://${address.address}:${address.port} (WebSocket /v4/websocket)`);
    return address;
  }

  /** The address it listens on, once listening. */
  get address(): AddressInfo | null {
    return (this.#http.address() as AddressInfo | null) ?? null;
  }

  /** The sessions: id, the client's `Client-Name` (null when it sent none), whether a WebSocket is connected, resuming, and how many players. */
  get sessions(): { id: string; clientName: string | null; connected: boolean; resuming: boolean; players: number }[] {
    return [...this.#sessions.all()].map((s) => ({ id: s.id, clientName: s.clientName, connected: s.socket !== null, resuming: s.resuming, players: s.players.size }));
  }

  /** Where the players are: the main thread, or each worker thread, with how many. */
  get hosts(): { thread: 'main' | 'worker'; players: number }[] {
    return this.#hosts.map((h) => ({ thread: h instanceof WorkerPlayerHost ? 'worker' : 'main', players: h.size }));
  }

  /** Lavalink's Stats object; `frameStats` for the WebSocket's `stats` op. */
  async stats(withFrames: boolean): Promise<StatsJson> {
    const hosts = await Promise.all(this.#hosts.map((h) => h.stats()));
    return this.#stats.collect(hosts, withFrames);
  }

  /** Lavalink's Info object. */
  info(): InfoJson {
    const [major, minor, patch] = LAVALINK_PROTOCOL_VERSION.split('.').map(Number) as [number, number, number];
    const version = packageVersion();
    return {
      version: { semver: `${LAVALINK_PROTOCOL_VERSION}+spence.${version}`, major, minor, patch, preRelease: null, build: `spence.${version}` },
      buildTime: 0,
      git: { branch: 'unknown', commit: 'unknown', commitTime: 0 },
      jvm: `Node.js ${process.version} (spence, no JVM)`,
      lavaplayer: `spence ${version}`,
      sourceManagers: this.node.providers.map((p) => p.name),
      filters: FILTER_NAMES.filter((f) => this.config.filters[f]),
      plugins: [],
    };
  }

  /** Stops listening, closes every session (their players are destroyed) and the node. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#closeWebSocket();
      await this.#sessions.close();
      await Promise.allSettled(this.#hosts.map((h) => h.close()));
      await new Promise<void>((resolve) => {
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
      await this.node.destroy();
      await this.#redis?.close();
    })();
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const trace = url.searchParams.get('trace') === 'true';
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (!this.#authorized(req.headers.authorization)) throw new HttpError(401, 'Unauthorized');
      const match = matchRoute(this.#routes, req.method ?? 'GET', url.pathname);
      if (match === null) throw new HttpError(404, 'Not Found');
      if (match === 'method') throw new HttpError(405, `Request method '${req.method}' is not supported`);
      const answer = await match.route.handler({
        params: match.params,
        query: url.searchParams,
        body: () => readJson(req, this.config.maxRequestBytes),
        signal: controller.signal,
      });
      if ('json' in answer) sendJson(res, answer.status, answer.json);
      else if ('text' in answer) sendText(res, answer.status, answer.text);
      else sendEmpty(res, answer.status);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : isSpenceError(error) && CLIENT_ERRORS.has(error.code) ? 400 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (status === 500) this.#options.log?.(`${req.method} ${url.pathname}: ${message}`);
      sendJson(res, status, errorBody(status, message, url.pathname, trace, error));
      // A body left unread would keep the connection busy.
      if (!req.readableEnded) req.resume();
    }
  }
}
