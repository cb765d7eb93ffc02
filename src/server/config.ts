/**
 * The server's configuration, read from a file in Lavalink's `application.yml` layout (the parts
 * that apply to spence), with environment overrides bound as Spring Boot binds them ("relaxed
 * binding"): `server.port` is `SERVER_PORT`, `lavalink.server.password` is
 * `LAVALINK_SERVER_PASSWORD`, `lavalink.server.playerUpdateInterval` is
 * `LAVALINK_SERVER_PLAYERUPDATEINTERVAL`. Keys match in any of Spring's forms (`playerUpdateInterval`,
 * `player-update-interval`, `player_update_interval`), and a file's other keys (plugins spence does
 * not have, logging, metrics) are ignored, so an existing deployment's file works as it is.
 *
 * spence's own settings live under `spence:` (worker threads, Redis, limits, private addresses
 * for the http source, local roots).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ErrorCodes, SpenceError } from '../errors.js';

/** Lavalink's filter names, as `lavalink.server.filters` turns them on and off. */
export const FILTER_NAMES = ['volume', 'equalizer', 'karaoke', 'timescale', 'tremolo', 'vibrato', 'distortion', 'rotation', 'channelMix', 'lowPass'] as const;
/** A Lavalink filter name. */
export type FilterName = (typeof FILTER_NAMES)[number];

/** The sources spence has, by their Lavalink names. */
export const SOURCE_NAMES = ['youtube', 'soundcloud', 'http', 'local', 'spotify', 'applemusic', 'deezer'] as const;
/** A source name. */
export type SourceName = (typeof SOURCE_NAMES)[number];

/** The server's settings; see {@link loadServerConfig} and {@link resolveServerConfig}. */
export interface ServerConfig {
  /** `server.port`. Default 2333. */
  port: number;
  /** `server.address`. Default `0.0.0.0`, as Lavalink. */
  address: string;
  /** `lavalink.server.password`. Required. */
  password: string;
  /**
   * Which sources are on. `youtube`, `soundcloud` default on (`lavalink.server.sources`; YouTube
   * also through `plugins.youtube.enabled`); `http` and `local` default **off** (they let a client
   * make the server fetch any URL or read any file); `spotify`, `applemusic`, `deezer` default on
   * (built in here; LavaSrc's `plugins.lavasrc.sources` turns them off).
   */
  sources: Record<SourceName, boolean>;
  /** `lavalink.server.youtubeSearchEnabled` (`ytsearch:`, `ytmsearch:`). Default true. */
  youtubeSearch: boolean;
  /** `lavalink.server.soundcloudSearchEnabled` (`scsearch:`). Default true. */
  soundcloudSearch: boolean;
  /** `lavalink.server.filters.*`: all on by default. */
  filters: Record<FilterName, boolean>;
  /** `lavalink.server.playerUpdateInterval`, in seconds. Default 5. */
  playerUpdateInterval: number;
  /** `lavalink.server.trackStuckThresholdMs`. Default 10000. */
  trackStuckThresholdMs: number;
  /** `lavalink.server.frameBufferDurationMs`: the players' read-ahead. Default: spence's (3000). */
  frameBufferDurationMs?: number;
  /** `lavalink.server.opusEncodingQuality` (0-10): the encoder's complexity when transcoding. */
  opusEncodingQuality?: number;
  /** LavaSrc's `plugins.lavasrc.spotify` (`clientId`, `clientSecret`, `countryCode`). */
  spotify: { clientId?: string; clientSecret?: string; countryCode?: string };
  /** LavaSrc's `plugins.lavasrc.applemusic` (`mediaAPIToken`, `countryCode`). */
  applemusic: { mediaAPIToken?: string; countryCode?: string };
  /** `spence.local.roots`: the directories local files may come from. Default `/` (any file, as Lavalink's). */
  localRoots: string[];
  /** `spence.http.allowPrivateAddresses`: let the http source fetch loopback and private addresses. Default false. */
  allowPrivateAddresses: boolean;
  /** `spence.workers`: player worker threads; 0 plays on the main thread. Default 0. */
  workers: number;
  /** `spence.redis.url`: share the mirror and the load cache through Redis. Default none (in-process). */
  redisUrl?: string;
  /** `spence.redis.prefix`: prefix of every Redis key. Default `spence:`. */
  redisPrefix: string;
  /** `spence.voice.concurrentJoins`: voice connections of a worker (or of the main thread) that handshake at once. Default 32. */
  voiceConcurrentJoins?: number;
  /** `spence.voice.stepTimeoutMs`: the longest a step of a voice handshake may take before the connection is made anew. Default 15000. */
  voiceStepTimeoutMs?: number;
  /** `spence.voice.retries`: times a voice connection is made anew before the link gives up. Default 3. */
  voiceRetries?: number;
  /** `spence.limits.requestBytes`: the largest request body. Default 1 MiB. */
  maxRequestBytes: number;
  /** `spence.limits.websocketBufferBytes`: bytes queued to a slow WebSocket client before it is disconnected. Default 4 MiB. */
  maxWebSocketBufferBytes: number;
  /** `spence.limits.resumeQueue`: events kept for a session waiting to resume; beyond, the session is closed. Default 10000. */
  maxResumeQueue: number;
}

/** A plain JSON value as YAML gives it. */
type Yaml = unknown;

type Kind = 'int' | 'number' | 'bool' | 'string' | 'list';

/** One bound property: its Spring path and how it lands in the config. */
interface Property {
  path: string;
  kind: Kind;
  set(config: ServerConfig, value: never): void;
  /** Smallest and largest allowed numbers. */
  min?: number;
  max?: number;
}

function prop<K extends Kind>(path: string, kind: K, set: (config: ServerConfig, value: KindValue<K>) => void, range: { min?: number; max?: number } = {}): Property {
  return { path, kind, set: set as Property['set'], ...range };
}
type KindValue<K extends Kind> = K extends 'int' | 'number' ? number : K extends 'bool' ? boolean : K extends 'list' ? string[] : string;

/** Every property read, in the order they apply (later ones win over earlier ones). */
const PROPERTIES: Property[] = [
  prop('server.port', 'int', (c, v) => (c.port = v), { min: 0, max: 65535 }),
  prop('server.address', 'string', (c, v) => (c.address = v)),
  prop('lavalink.server.password', 'string', (c, v) => (c.password = v)),
  ...(['youtube', 'soundcloud', 'http', 'local'] as const).map((s) => prop(`lavalink.server.sources.${s}`, 'bool', (c, v) => (c.sources[s] = v))),
  // Lavalink 4 setups turn the deprecated built-in YouTube source off and the youtube-source plugin on.
  prop('plugins.youtube.enabled', 'bool', (c, v) => (c.sources.youtube ||= v)),
  ...(['spotify', 'applemusic', 'deezer'] as const).map((s) => prop(`plugins.lavasrc.sources.${s}`, 'bool', (c, v) => (c.sources[s] = v))),
  ...FILTER_NAMES.map((f) => prop(`lavalink.server.filters.${f}`, 'bool', (c, v) => (c.filters[f] = v))),
  prop('lavalink.server.youtubeSearchEnabled', 'bool', (c, v) => (c.youtubeSearch = v)),
  prop('lavalink.server.soundcloudSearchEnabled', 'bool', (c, v) => (c.soundcloudSearch = v)),
  prop('lavalink.server.playerUpdateInterval', 'int', (c, v) => (c.playerUpdateInterval = v), { min: 1, max: 86_400 }),
  prop('lavalink.server.trackStuckThresholdMs', 'int', (c, v) => (c.trackStuckThresholdMs = v), { min: 1 }),
  prop('lavalink.server.frameBufferDurationMs', 'int', (c, v) => (c.frameBufferDurationMs = v), { min: 200, max: 60_000 }),
  prop('lavalink.server.opusEncodingQuality', 'int', (c, v) => (c.opusEncodingQuality = v), { min: 0, max: 10 }),
  prop('plugins.lavasrc.spotify.clientId', 'string', (c, v) => (c.spotify.clientId = v)),
  prop('plugins.lavasrc.spotify.clientSecret', 'string', (c, v) => (c.spotify.clientSecret = v)),
  prop('plugins.lavasrc.spotify.countryCode', 'string', (c, v) => (c.spotify.countryCode = v)),
  prop('plugins.lavasrc.applemusic.mediaAPIToken', 'string', (c, v) => (c.applemusic.mediaAPIToken = v)),
  prop('plugins.lavasrc.applemusic.countryCode', 'string', (c, v) => (c.applemusic.countryCode = v)),
  prop('spence.local.roots', 'list', (c, v) => (c.localRoots = v)),
  prop('spence.http.allowPrivateAddresses', 'bool', (c, v) => (c.allowPrivateAddresses = v)),
  prop('spence.workers', 'int', (c, v) => (c.workers = v), { min: 0, max: 256 }),
  prop('spence.redis.url', 'string', (c, v) => (c.redisUrl = v)),
  prop('spence.redis.prefix', 'string', (c, v) => (c.redisPrefix = v)),
  prop('spence.voice.concurrentJoins', 'int', (c, v) => (c.voiceConcurrentJoins = v), { min: 1, max: 10_000 }),
  prop('spence.voice.stepTimeoutMs', 'int', (c, v) => (c.voiceStepTimeoutMs = v), { min: 1000, max: 600_000 }),
  prop('spence.voice.retries', 'int', (c, v) => (c.voiceRetries = v), { min: 0, max: 100 }),
  prop('spence.limits.requestBytes', 'int', (c, v) => (c.maxRequestBytes = v), { min: 1024 }),
  prop('spence.limits.websocketBufferBytes', 'int', (c, v) => (c.maxWebSocketBufferBytes = v), { min: 64 * 1024 }),
  prop('spence.limits.resumeQueue', 'int', (c, v) => (c.maxResumeQueue = v), { min: 1 }),
];

/** The defaults, before any file or environment. */
export function defaultServerConfig(): ServerConfig {
  return {
    port: 2333,
    address: '0.0.0.0',
    password: '',
    sources: { youtube: true, soundcloud: true, http: false, local: false, spotify: true, applemusic: true, deezer: true },
    youtubeSearch: true,
    soundcloudSearch: true,
    filters: Object.fromEntries(FILTER_NAMES.map((f) => [f, true])) as Record<FilterName, boolean>,
    playerUpdateInterval: 5,
    trackStuckThresholdMs: 10_000,
    spotify: {},
    applemusic: {},
    localRoots: ['/'],
    allowPrivateAddresses: false,
    workers: 0,
    redisPrefix: 'spence:',
    maxRequestBytes: 1024 * 1024,
    maxWebSocketBufferBytes: 4 * 1024 * 1024,
    maxResumeQueue: 10_000,
  };
}

function invalid(message: string, cause?: unknown): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_ARGUMENT, message, { cause, source: 'config' });
}

/** Spring's canonical form of one name: lowercase, without `-` and `_`. */
const canonical = (name: string): string => name.replace(/[-_]/g, '').toLowerCase();

/** The YAML tree with every key in canonical form, dotted keys (`lavalink.server.password: x`) split. */
function canonicalTree(node: Yaml): Yaml {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
  const out: Record<string, Yaml> = {};
  for (const [key, value] of Object.entries(node)) {
    const parts = key.split('.').map(canonical);
    let target = out;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      target = (target[part] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, Yaml>;
    }
    const last = parts[parts.length - 1]!;
    target[last] = merge(target[last], canonicalTree(value));
  }
  return out;
}

/** `b` over `a`, mappings merged at every depth (a dotted key and its parent's mapping both count). */
function merge(a: Yaml, b: Yaml): Yaml {
  if (!isPlainObject(a) || !isPlainObject(b)) return b;
  const out: Record<string, Yaml> = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = merge(out[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, Yaml> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lookup(tree: Yaml, path: string): Yaml {
  let node = tree;
  for (const part of path.split('.').map(canonical)) {
    if (!isPlainObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

/** The environment variable Spring binds to a property: `lavalink.server.playerUpdateInterval` is `LAVALINK_SERVER_PLAYERUPDATEINTERVAL`. */
export function environmentName(path: string): string {
  return path.split('.').map((part) => part.replace(/-/g, '').toUpperCase()).join('_');
}

function convert(property: Property, value: Yaml, where: string): unknown {
  const name = `${property.path} (${where})`;
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (property.kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (text === 'true' || text === 'false') return text === 'true';
      throw invalid(`${name} must be true or false, got ${JSON.stringify(value)}`);
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : text !== undefined && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n) || (property.kind === 'int' && !Number.isInteger(n))) throw invalid(`${name} must be ${property.kind === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`);
      if ((property.min !== undefined && n < property.min) || (property.max !== undefined && n > property.max)) {
        throw invalid(`${name} must be between ${property.min ?? '-∞'} and ${property.max ?? '∞'}, got ${n}`);
      }
      return n;
    }
    case 'string':
      if (typeof value === 'string' || typeof value === 'number') return String(value);
      throw invalid(`${name} must be a string, got ${JSON.stringify(value)}`);
    case 'list':
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
      if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter(Boolean);
      throw invalid(`${name} must be a list of strings, got ${JSON.stringify(value)}`);
  }
}

/**
 * Builds the configuration from a parsed `application.yml` (or `{}`) and the environment.
 * The environment wins over the file, as in Spring Boot.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` naming the property when a value has the wrong type or
 * range, or when no password is set.
 */
export function resolveServerConfig(file: Yaml = {}, env: Record<string, string | undefined> = process.env): ServerConfig {
  const config = defaultServerConfig();
  const tree = canonicalTree(file ?? {});
  for (const property of PROPERTIES) {
    const envValue = env[environmentName(property.path)];
    const value = envValue ?? lookup(tree, property.path);
    if (value === undefined || value === null) continue;
    property.set(config, convert(property, value, envValue !== undefined ? `environment ${environmentName(property.path)}` : 'application.yml') as never);
  }
  if (config.password === '') {
    throw invalid('lavalink.server.password is not set: set it in application.yml or LAVALINK_SERVER_PASSWORD (clients must send it as Authorization)');
  }
  return config;
}

/**
 * Reads `application.yml` (Lavalink's layout) and applies the environment; see {@link resolveServerConfig}.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` when the file cannot be read or parsed, or a value is wrong.
 */
export async function loadServerConfig(path: string, env: Record<string, string | undefined> = process.env): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(`Cannot read the configuration file ${path}: ${(error as Error).message}`, error);
  }
  let parsed: Yaml;
  try {
    parsed = parse(text) ?? {};
  } catch (error) {
    throw invalid(`${path} is not valid YAML: ${(error as Error).message}`, error);
  }
  if (!isPlainObject(parsed)) throw invalid(`${path} must hold a YAML mapping (server:, lavalink:, ...)`);
  return resolveServerConfig(parsed, env);
}
