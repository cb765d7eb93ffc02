/**
 * `loadtracks` as Lavalink answers it, over `node.resolve()`: an identifier no enabled source
 * recognises is `empty` (Lavalink does not search plain text: clients prefix searches with
 * `ytsearch:`, `ytmsearch:`, `scsearch:`); a bare YouTube video id is the video, as Lavalink's
 * YouTube source takes it; a search whose prefix the config turned off is `empty`; failures are
 * `error` with Lavalink's Exception. Results can be shared by a fleet through a {@link LoadCache}.
 *
 * @module
 */

import { isSpenceError } from '../errors.js';
import type { Node } from '../node.js';
import { redactText } from '../redact.js';
import { parseInput } from '../resolve/resolver.js';
import type { ServerConfig } from './config.js';
import { HttpError } from './http-error.js';
import { loadErrorJson, loadResultJson } from './load-results.js';
import type { LoadResultJson } from './protocol.js';
import { fromEncoded } from './tracks.js';
import type { ServerTrack } from './tracks.js';

/** A shared store of load results (Redis, see redis-store.ts); in-process caching is the node's own. */
export interface LoadCache {
  /** The cached result for an identifier, or undefined. Errors count as a miss. */
  get(identifier: string): Promise<LoadResultJson | undefined>;
  /** Stores a result for `ttlMs`. */
  set(identifier: string, result: LoadResultJson, ttlMs: number): Promise<void>;
}

/** What a load needs. */
export interface TrackLoaderOptions {
  node: Node;
  config: ServerConfig;
  /** A shared result cache, when configured. */
  cache?: LoadCache;
  /** How long shared results are kept. Default 10 minutes (the node cache's default). */
  cacheTtlMs?: number;
}

const YOUTUBE_VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const DEFAULT_TTL_MS = 10 * 60_000;

/** Resolves identifiers the way Lavalink's `loadtracks` does. */
export class TrackLoader {
  readonly #options: TrackLoaderOptions;

  constructor(options: TrackLoaderOptions) {
    this.#options = options;
  }

  /** `GET /v4/loadtracks?identifier=`: never throws; a failure is `loadType: error`. */
  async load(identifier: string, signal: AbortSignal): Promise<LoadResultJson> {
    const input = this.#normalise(identifier);
    if (input === null) return { loadType: 'empty', data: {} };
    const { cache } = this.#options;
    if (cache) {
      const hit = await cache.get(input).catch(() => undefined);
      if (hit !== undefined) return hit;
    }
    let result: LoadResultJson;
    try {
      result = loadResultJson(await this.#options.node.resolve(input, { signal }));
    } catch (error) {
      // Lavalink's "no matches": nothing recognised the input, or the item does not exist.
      if (isSpenceError(error, 'UNSUPPORTED_INPUT') || isSpenceError(error, 'NOT_FOUND')) return { loadType: 'empty', data: {} };
      return loadErrorJson(error);
    }
    if (cache && result.loadType !== 'error') await cache.set(input, result, this.#options.cacheTtlMs ?? DEFAULT_TTL_MS).catch(() => {});
    return result;
  }

  /**
   * A player's `track.identifier`: one track, as Lavalink requires.
   *
   * @throws {HttpError} 400 for a playlist, a search or nothing; 500 when loading failed.
   */
  async loadOne(identifier: string, signal: AbortSignal): Promise<ServerTrack> {
    const result = await this.load(identifier, signal);
    switch (result.loadType) {
      case 'track':
        return fromEncoded(result.data.encoded);
      case 'error':
        throw new HttpError(500, result.data.message ?? 'Loading the track failed');
      case 'empty':
        throw new HttpError(400, `No track found for identifier ${redactText(identifier)}`);
      default:
        throw new HttpError(400, `Cannot play a ${result.loadType === 'playlist' ? 'playlist' : 'search result'}: identifier must name one track`);
    }
  }

  /** The input spence resolves for an identifier, or null when no enabled source takes it. */
  #normalise(raw: string): string | null {
    const identifier = raw.trim();
    if (identifier === '') return null;
    const { node, config } = this.#options;
    const prefixed = /^([a-z][a-z0-9]*):/i.exec(identifier);
    const prefix = prefixed?.[1]?.toLowerCase();
    if (prefix !== undefined && node.providers.some((p) => p.searchPrefixes?.some((s) => s.toLowerCase() === prefix))) {
      if ((prefix === 'ytsearch' || prefix === 'ytmsearch') && !config.youtubeSearch) return null;
      if (prefix === 'scsearch' && !config.soundcloudSearch) return null;
      return identifier;
    }
    if (config.sources.youtube && YOUTUBE_VIDEO_ID.test(identifier)) return `https://www.youtube.com/watch?v=${identifier}`;
    const input = parseInput(identifier);
    return node.providers.some((p) => p.canResolve(input)) ? identifier : null;
  }
}
