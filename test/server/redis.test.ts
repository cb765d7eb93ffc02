/**
 * State shared by a fleet through a real redis-server (started here on a Unix socket in a
 * temporary directory): two spence serve nodes share the mirror's pins and matches (a metadata
 * track is searched once for the fleet) and loadtracks results (a provider is asked once), the
 * Redis stores keep TTLs, and a Redis that goes away costs misses, never a failed request.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrack } from '../../src/resolve/track-codec.js';
import type { CandidateSource } from '../../src/resolve/mirror/types.js';
import type { LoadResult, Provider } from '../../src/resolve/provider.js';
import type { MirrorCandidate } from '../../src/resolve/mirror/types.js';
import { RedisStores } from '../../src/server/redis-store.js';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

let dir: string;
let redis: ChildProcess;
let url: string;

async function startRedis(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');
  }
  dir = await mkdtemp(path.join(tmpdir(), 'spence-redis-'));
  const socket = path.join(dir, 'redis.sock');
  redis = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 500 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!existsSync(socket)) throw new Error('redis-server did not start');
  url = `unix:${socket}`;
}

beforeAll(startRedis);
afterAll(async () => {
  redis?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const spotifyTrack = createTrack({
  source: 'spotify',
  identifier: '4uLU6hMCjMI75M1A2tKUQC',
  uri: 'https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC',
  title: 'Never Gonna Give You Up',
  author: 'Rick Astley',
  artists: ['Rick Astley'],
  durationMs: 213_573,
  isStream: false,
  isSeekable: true,
  isrc: 'GBARL9300135',
});

/** A metadata-only provider with the one track above. */
const spotify: Provider = {
  name: 'spotify',
  metadataOnly: true,
  canResolve: (input) => input.raw === spotifyTrack.uri,
  resolve: async (): Promise<LoadResult> => ({ type: 'track', track: spotifyTrack }),
};

/** Candidate searches that count themselves: the YouTube Music song of the recording. */
function countingSource(): CandidateSource & { searches: number } {
  const song: MirrorCandidate = { source: 'youtube', identifier: 'dQw4w9WgXcQ', title: 'Never Gonna Give You Up', author: 'Rick Astley', artists: ['Rick Astley'], durationMs: 213_000, kind: 'song' };
  const source = {
    searches: 0,
    async searchSongs() {
      source.searches++;
      return [song];
    },
    async searchVideos() {
      return [];
    },
  };
  return source;
}

describe('Redis stores', () => {
  it('keep mirror entries with their TTL (pins without one), and delete them', async () => {
    const stores = new RedisStores({ url, prefix: 'test1:' });
    const raw = createClient({ socket: { path: url.slice('unix:'.length), tls: false } });
    await raw.connect();
    try {
      await stores.mirror.set('track:spotify:a', { target: { source: 'youtube', identifier: 'dQw4w9WgXcQ' }, at: 1 }, 60_000);
      await stores.mirror.set('track:spotify:b', { target: { source: 'youtube', identifier: 'aaaaaaaaaaa' }, pinned: true, at: 2 });
      expect(await stores.mirror.get('track:spotify:a')).toEqual({ target: { source: 'youtube', identifier: 'dQw4w9WgXcQ' }, at: 1 });
      expect(await stores.mirror.get('track:spotify:b')).toEqual({ target: { source: 'youtube', identifier: 'aaaaaaaaaaa' }, pinned: true, at: 2 });
      const ttl = await raw.pTTL('test1:mirror:track:spotify:a');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await raw.pTTL('test1:mirror:track:spotify:b')).toBe(-1);
      await stores.mirror.delete!('track:spotify:b');
      expect(await stores.mirror.get('track:spotify:b')).toBeUndefined();
    } finally {
      raw.destroy();
      await stores.close();
    }
  });

  it('fail fast, as misses, when Redis is unreachable', async () => {
    const errors: Error[] = [];
    const stores = new RedisStores({ url: `unix:${path.join(dir, 'nothing.sock')}`, onError: (e) => errors.push(e), firstConnectWaitMs: 0 });
    try {
      await expect(stores.loads.get('x')).rejects.toThrow();
      await expect(stores.mirror.set('k', { target: null, at: 0 })).rejects.toThrow();
    } finally {
      await stores.close();
    }
  });
});

describe('a fleet of two nodes on one Redis', () => {
  let a: TestServer;
  let b: TestServer;
  let sourceA: ReturnType<typeof countingSource>;
  let sourceB: ReturnType<typeof countingSource>;

  beforeAll(async () => {
    sourceA = countingSource();
    sourceB = countingSource();
    a = await startTestServer({ config: { redisUrl: url, redisPrefix: 'fleet:' }, extraProviders: [spotify], mirrorSource: sourceA });
    b = await startTestServer({ config: { redisUrl: url, redisPrefix: 'fleet:' }, extraProviders: [spotify], mirrorSource: sourceB });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('matches a Spotify track once for the fleet', async () => {
    const first = await a.server.node.mirror(spotifyTrack);
    expect(first).toMatchObject({ target: { source: 'youtube', identifier: 'dQw4w9WgXcQ' }, cached: false });
    const second = await b.server.node.mirror(spotifyTrack);
    expect(second).toMatchObject({ target: { source: 'youtube', identifier: 'dQw4w9WgXcQ' }, cached: true });
    expect([sourceA.searches, sourceB.searches]).toEqual([1, 0]);
  });

  it('shares pins', async () => {
    const other = createTrack({ ...spotifyTrack, identifier: '0000000000000000000000', isrc: undefined } as never);
    await a.server.node.pinMirror(other, { source: 'youtube', identifier: 'bbbbbbbbbbb' });
    expect(await b.server.node.mirror(other)).toMatchObject({ target: { source: 'youtube', identifier: 'bbbbbbbbbbb' }, pinned: true, cached: true });
  });

  it('resolves a loadtracks identifier once for the fleet', async () => {
    const calls = { count: 0 };
    const counted: Provider = { ...spotify, resolve: async () => (calls.count++, { type: 'track', track: spotifyTrack }) };
    a.server.node.registerProvider(counted);
    b.server.node.registerProvider(counted);
    const fromA = await a.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(spotifyTrack.uri)}`);
    const fromB = await b.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(spotifyTrack.uri)}`);
    expect((fromA.json as { loadType: string }).loadType).toBe('track');
    expect(fromB.json).toEqual(fromA.json);
    expect(calls.count).toBe(1);
  });
});
