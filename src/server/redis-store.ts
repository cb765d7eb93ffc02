/**
 * State a fleet of spence nodes shares through Redis: the mirror's matches and pins (a
 * {@link MirrorStore}: a Spotify track is matched to its YouTube recording once for the whole
 * fleet) and `loadtracks` results (a {@link LoadCache}). The default stays in-process; this is
 * used only when `spence.redis.url` is set.
 *
 * The client is node-redis (`@redis/client`, an optional peer dependency loaded on first use):
 * Redis's own client, maintained by Redis, where ioredis is in maintenance and points new
 * projects to it. Commands fail fast while Redis is unreachable (no offline queue), and a failure
 * is a miss: playback never waits for the cache.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { ErrorCodes, SpenceError } from '../errors.js';
import type { MirrorEntry, MirrorStore } from '../resolve/mirror/types.js';
import type { ServerConfig } from './config.js';
import type { LoadResultJson } from './protocol.js';
import type { LoadCache } from './track-loader.js';

/** What this module uses of a node-redis client. */
interface RedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: { PX?: number }): Promise<unknown>;
  del(key: string): Promise<number>;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Options for {@link RedisStores}. */
export interface RedisStoresOptions {
  /** `redis://[user:password@]host:port[/db]`, `rediss://...`, or `unix:/path/to/redis.sock`. */
  url: string;
  /** Prefix of every key. Default `spence:`. */
  prefix?: string;
  /** Reports connection errors (they are otherwise only misses). */
  onError?(error: Error): void;
  /** How long the first commands wait for the first connection, in ms. Default 2000. */
  firstConnectWaitMs?: number;
}

/** How long the first commands wait for the first connection. */
const FIRST_CONNECT_WAIT_MS = 2_000;
/** Commands waiting for an answer at most; beyond, they fail (a miss) rather than queue. */
const MAX_QUEUED_COMMANDS = 10_000;

/** The mirror store and the load cache on one Redis connection. */
export class RedisStores {
  /** The mirror's matches and pins (`mirror:<key>`). */
  readonly mirror: MirrorStore;
  /** `loadtracks` results (`load:<sha-256 of the identifier>`). */
  readonly loads: LoadCache;
  readonly #options: RedisStoresOptions;
  #client: Promise<RedisClient> | null = null;
  #closed = false;

  constructor(options: RedisStoresOptions) {
    this.#options = options;
    const client = (): Promise<RedisClient> => this.#connect();
    const prefix = options.prefix ?? 'spence:';
    const mirrorKey = (key: string): string => `${prefix}mirror:${key}`;
    this.mirror = {
      async get(key) {
        const text = await (await client()).get(mirrorKey(key));
        return text === null ? undefined : (JSON.parse(text) as MirrorEntry);
      },
      async set(key, value, ttlMs) {
        await (await client()).set(mirrorKey(key), JSON.stringify(value), ttlMs !== undefined && ttlMs > 0 ? { PX: Math.ceil(ttlMs) } : undefined);
      },
      async delete(key) {
        await (await client()).del(mirrorKey(key));
      },
    };
    const loadKey = (identifier: string): string => `${prefix}load:${createHash('sha256').update(identifier).digest('base64url')}`;
    this.loads = {
      async get(identifier) {
        const text = await (await client()).get(loadKey(identifier));
        return text === null ? undefined : (JSON.parse(text) as LoadResultJson);
      },
      async set(identifier, result, ttlMs) {
        await (await client()).set(loadKey(identifier), JSON.stringify(result), { PX: Math.max(1, Math.ceil(ttlMs)) });
      },
    };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => null);
    client?.destroy();
  }

  #connect(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new SpenceError(ErrorCodes.INVALID_STATE, 'The Redis stores are closed', { source: 'redis' }));
    this.#client ??= (async () => {
      let module: { createClient(options: object): RedisClient };
      try {
        module = (await import('@redis/client')) as unknown as typeof module;
      } catch (error) {
        throw new SpenceError(ErrorCodes.UNAVAILABLE, 'spence.redis.url needs the @redis/client package: npm install @redis/client', { cause: error, source: 'redis' });
      }
      const { url } = this.#options;
      const socket = { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 3_000) };
      const client = module.createClient({
        ...(url.startsWith('unix:') ? { socket: { ...socket, path: new URL(url).pathname, tls: false } } : { url, socket }),
        disableOfflineQueue: true,
        commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
      });
      client.on('error', (error) => this.#options.onError?.(error));
      // The first commands wait for the first connection (a little); after that, commands made
      // while Redis is unreachable fail at once (misses) while the client reconnects.
      const connected = client.connect().then(() => true, (error: Error) => (this.#options.onError?.(error), false));
      await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, this.#options.firstConnectWaitMs ?? FIRST_CONNECT_WAIT_MS).unref())]);
      return client;
    })();
    return this.#client;
  }
}

/**
 * The stores for a server's config (`spence.redis.url`, `spence.redis.prefix`), or null without a
 * URL. Connection errors are reported to `log` at most every 30 s: a Redis that is down fails
 * every reconnect.
 */
export function redisStoresFromConfig(config: ServerConfig, log?: (line: string) => void): RedisStores | null {
  if (config.redisUrl === undefined) return null;
  let reported = 0;
  return new RedisStores({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    onError: (error) => {
      if (Date.now() - reported < 30_000) return;
      reported = Date.now();
      log?.(`redis: ${error.message} (until it is back, this node searches mirrors and resolves loads itself)`);
    },
  });
}
