/**
 * A spence serve on loopback for the server's tests: real HTTP and WebSocket, media from the
 * loopback media server, playback paced on a ManualClock the test advances (so events and
 * positions come without real-time waits), and a `loopback` provider with a search prefix and a
 * playlist URL so searches and playlists load from local files too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { httpProvider } from '../../providers/http/index.js';
import { ManualClock } from '../../src/player/clock.js';
import { createHttpMedia } from '../../src/http/http-media.js';
import type { CandidateSource } from '../../src/resolve/mirror/types.js';
import type { LoadResult, Provider, ProviderContext } from '../../src/resolve/provider.js';
import type { Track } from '../../src/resolve/track.js';
import { LavalinkServer, detachedVoiceLinks, resolveServerConfig } from '../../src/server/index.js';
import type { LavalinkServerOptions, ServerConfig, ServerMessage, VoiceLinkFactory } from '../../src/server/index.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { MediaServer } from '../helpers/media-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The loopback files: a 10 s WebM, two 2 s files (WebM and Ogg). */
export const FILES = {
  'sample.webm': { title: 'Sample', author: 'spence', durationMs: 10_008 },
  'short.webm': { title: 'Short WebM', author: 'mkvmerge', durationMs: 2_006 },
  'short.opus': { title: 'Short Ogg', author: 'opusenc', durationMs: 2_006 },
} as const;
const SOURCES: Record<keyof typeof FILES, string> = {
  'sample.webm': 'fixtures/media/sample.webm',
  'short.webm': 'fixtures/media/mkvmerge-cbr.webm',
  'short.opus': 'fixtures/media/opusenc-stereo.opus',
};

export const PASSWORD = 'youshallnotpass';
export const USER_ID = '170939974227541168';

/**
 * A provider over the loopback files: `lbsearch:<text>` finds the files whose title contains the
 * text, `<media>/playlist` is all of them (the second selected), and its tracks open from the
 * media server.
 */
export function loopbackProvider(media: Pick<MediaServer, 'url'>): Provider {
  const track = (context: ProviderContext, file: keyof typeof FILES): Track =>
    context.createTrack({ source: 'loopback', identifier: file, uri: media.url(`/${file}`), ...FILES[file], isStream: false, isSeekable: true });
  const all = Object.keys(FILES) as (keyof typeof FILES)[];
  return {
    name: 'loopback',
    searchPrefixes: ['lbsearch'],
    canResolve: (input) => input.raw === media.url('/playlist'),
    async resolve(_input, context): Promise<LoadResult> {
      return { type: 'playlist', playlist: { name: 'Loopback', uri: media.url('/playlist'), tracks: all.map((f) => track(context, f)), selectedIndex: 1 } };
    },
    async search(query, context): Promise<LoadResult> {
      const found = all.filter((f) => FILES[f].title.toLowerCase().includes(query.toLowerCase()));
      return found.length === 0 ? { type: 'empty' } : { type: 'search', tracks: found.map((f) => track(context, f)) };
    },
    async open(t, context) {
      return createHttpMedia(media.url(`/${t.identifier}`), { dispatcher: context.dispatcher });
    },
  };
}

/** A running test server. */
export interface TestServer {
  server: LavalinkServer;
  clock: ManualClock;
  media: MediaServer;
  /** `http://127.0.0.1:port` */
  base: string;
  host: string;
  port: number;
  /** REST call with the password (or `headers` over it). */
  rest(method: string, pathAndQuery: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
  /** Opens the WebSocket. */
  connect(headers?: Record<string, string>): Promise<WsClient>;
  /** Yields to I/O (real event-loop turns, manual time still) until `done()`; for what the server does on a socket event. */
  settle(done: () => boolean): Promise<void>;
  /** Plays `ms` of manual time in 20 ms steps, yielding to I/O between them. */
  run(ms: number): Promise<void>;
  /** Advances the manual clock in 20 ms steps, yielding to I/O, until `done()` or `maxMs`. */
  drive(done: () => boolean, maxMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions {
  config?: Partial<ServerConfig>;
  voiceLinks?: VoiceLinkFactory;
  options?: Partial<LavalinkServerOptions>;
  /** Providers besides the loopback and http ones. */
  extraProviders?: Provider[];
  /** Where the mirror's candidates come from (default: the node's searches). */
  mirrorSource?: CandidateSource;
}

/** The module player workers load for the loopback provider (see worker-setup.ts). */
export const WORKER_SETUP = new URL('./worker-setup.ts', import.meta.url);

/** Starts a server on a free loopback port with the http source (private addresses allowed) and the loopback provider. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const media = await startMediaServer({
    ...Object.fromEntries(Object.entries(SOURCES).map(([name, file]) => [`/${name}`, { body: new Uint8Array(readFileSync(path.join(root, file))) }])),
    // Bytes that are no audio container: loading it fails.
    '/not-media.bin': { body: new TextEncoder().encode('plain text, not audio. '.repeat(400)), type: 'application/octet-stream' },
  });
  const clock = new ManualClock(1_000);
  const config: ServerConfig = {
    ...resolveServerConfig({ lavalink: { server: { password: PASSWORD, sources: { http: true } } } }, {}),
    port: 0,
    address: '127.0.0.1',
    allowPrivateAddresses: true,
    ...options.config,
  };
  const server = new LavalinkServer({
    config,
    nodeOptions: {
      clock,
      providers: [loopbackProvider(media), ...(options.extraProviders ?? []), ...(config.sources.http ? [httpProvider()] : [])],
      http: { allowPrivateAddresses: true },
      ...(options.mirrorSource ? { mirror: { source: options.mirrorSource } } : {}),
    },
    // No voice connection unless the test brings one (the voice tests bring the test voice server).
    voiceLinks: options.voiceLinks ?? detachedVoiceLinks,
    workerSetup: { module: WORKER_SETUP, data: { media: media.url('') } },
    ...options.options,
  });
  const address = await server.listen();
  const base = `http://127.0.0.1:${address.port}`;
  const clients: WsClient[] = [];
  // Each 20 ms of manual time gets at least a real millisecond, so work off the clock (fetches,
  // transcoding workers starting up) keeps up with the manual time; 30 s of real time at most.
  const step = async (): Promise<void> => {
    await clock.advance(20);
    await new Promise((resolve) => setTimeout(resolve, 1));
  };
  const drive = async (done: () => boolean, maxMs = 120_000): Promise<void> => {
    const deadline = performance.now() + 30_000;
    for (let t = 0; t < maxMs && !done() && performance.now() < deadline; t += 20) await step();
    if (!done()) throw new Error(`still waiting after ${maxMs} ms of manual time`);
  };
  return {
    server,
    clock,
    media,
    base,
    host: '127.0.0.1',
    port: address.port,
    drive,
    async run(ms) {
      for (let t = 0; t < ms; t += 20) await step();
    },
    async settle(done) {
      const deadline = performance.now() + 30_000;
      while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
      if (!done()) throw new Error('the server did not get there');
    },
    async rest(method, pathAndQuery, body, headers = {}) {
      const res = await fetch(`${base}${pathAndQuery}`, {
        method,
        headers: { Authorization: PASSWORD, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: unknown = undefined;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {}
      return { status: res.status, headers: res.headers, json, text };
    },
    async connect(headers = {}) {
      const client = await connectWs(`ws://127.0.0.1:${address.port}/v4/websocket`, { Authorization: PASSWORD, 'User-Id': USER_ID, 'Client-Name': 'spence-tests/1.0', ...headers }, drive);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.ws.terminate();
      await server.close();
      await media.close();
    },
  };
}

/** A WebSocket client that keeps every message. */
export interface WsClient {
  ws: WebSocket;
  /** The handshake answer's headers. */
  upgradeHeaders: Record<string, string | string[] | undefined>;
  messages: ServerMessage[];
  /** The first message (from `from` on) that matches, driving the clock until it comes. */
  next<M extends ServerMessage = ServerMessage>(match: (m: ServerMessage) => boolean, from?: number): Promise<M>;
  /** Closes and waits for the close. */
  close(): Promise<void>;
}

async function connectWs(url: string, headers: Record<string, string>, drive: TestServer['drive']): Promise<WsClient> {
  const ws = new WebSocket(url, { headers });
  const messages: ServerMessage[] = [];
  let upgradeHeaders: WsClient['upgradeHeaders'] = {};
  ws.on('upgrade', (res) => (upgradeHeaders = res.headers));
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as ServerMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
  });
  return {
    ws,
    get upgradeHeaders() {
      return upgradeHeaders;
    },
    messages,
    async next<M extends ServerMessage>(match: (m: ServerMessage) => boolean, from = 0): Promise<M> {
      const find = (): M | undefined => messages.slice(from).find(match) as M | undefined;
      await drive(() => find() !== undefined);
      return find()!;
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
}

/** The status a WebSocket handshake is refused with. */
export async function handshakeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  return new Promise<number>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the handshake was accepted'));
    });
    ws.once('error', () => {});
  });
}
