/**
 * End to end under injected faults: fixture media served by a real loopback server that drops
 * connections mid-body, stalls, answers 5xx bursts and wrong ranges, and expires its tokenised
 * URLs; read through `createHttpMedia` (small chunks, so chunk boundaries and the prefetch are
 * crossed many times) and the players' track opener. The packets played must equal ffprobe's
 * packet list for the file exactly: nothing lost, nothing repeated. Over all scenarios at least
 * 100 faults are injected (counted by the server, only when a fault really cut a response short).
 *
 * Then through the node, on a manual clock that drives the server's trickles and the client's
 * budgets alike (no real waits): drops during resolve's probe, servers that trickle one byte a
 * second or stall mid-body for good. Nothing lost, nothing repeated, no hang.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaAgent } from '../../src/http/agent.js';
import { createHttpMedia } from '../../src/http/http-media.js';
import type { HttpMedia, HttpMediaOptions } from '../../src/http/http-media.js';
import { httpSettings } from '../../src/http/budgets.js';
import { Node } from '../../src/node.js';
import { openMediaAsTrack, type MediaTrack } from '../../src/open/media-track.js';
import { ManualClock } from '../../src/player/clock.js';
import type { SpenceError } from '../../src/errors.js';
import { drive } from '../helpers/drive.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { FaultAction, Faults, InjectedCounts, MediaServer, RequestInfo } from '../helpers/media-server.js';
import { mulberry32 as random } from '../helpers/prng.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KiB = 1024;

interface Media {
  name: string;
  bytes: Uint8Array;
  md5s: string[];
}

function load(dir: string, name: string): Media {
  const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
  const packets = JSON.parse(readFileSync(path.join(dir, `${name}.packets.json`), 'utf8')) as { md5: string }[];
  return { name, bytes, md5s: packets.map((p) => p.md5) };
}

const fixtures = path.join(root, 'fixtures/media');
const webm = load(fixtures, 'sample.webm');
const ogg = load(fixtures, 'opusenc-stereo.opus');
const oggTags = load(fixtures, 'big-tags.opus');
const sharedDir = path.resolve(root, '../shared/media');
const shared = ['cues-front.webm', 'opusenc.opus'].filter((n) => existsSync(path.join(sharedDir, n))).map((n) => load(sharedDir, n));
const all = [webm, ogg, oggTags, ...shared];


let server: MediaServer;
let agent: Agent;
const totals: InjectedCounts = { drop: 0, stall: 0, trickle: 0, status: 0, reset: 0, 'wrong-range': 0, 'ignore-range': 0, redirect: 0, expire: 0 };

beforeAll(async () => {
  server = await startMediaServer(Object.fromEntries(all.map((m) => [`/${m.name}`, { body: m.bytes }])));
  agent = createMediaAgent({ allowPrivateAddresses: true });
});
afterAll(async () => {
  await agent.close();
  await server.close();
});

/** Runs one scenario: serves `media` with `faults`, plays it through the opener, returns the md5s played and what was injected. */
async function play(
  media: Media,
  faults: Faults,
  options: Partial<HttpMediaOptions> & { startMs?: number; tokens?: boolean } = {},
): Promise<{ md5s: string[]; injected: number; http: HttpMedia }> {
  const before = { ...server.injected };
  server.faults = faults;
  const path = `/${media.name}`;
  const http = createHttpMedia(options.tokens ? server.mint(path) : server.url(path), {
    dispatcher: agent,
    chunkSize: 16 * KiB,
    backoffMs: 1,
    maxBackoffMs: 10,
    bodyTimeoutMs: 40,
    maxRetries: 8,
    ...(options.tokens ? { refreshUrl: async () => server.mint(path) } : {}),
    ...options,
  });
  const signal = AbortSignal.timeout(15_000);
  const track = await openMediaAsTrack(http, { signal, ...(options.startMs ? { startMs: options.startMs } : {}) });
  const md5s: string[] = [];
  try {
    for (;;) {
      const step = await track.packets.next();
      if (step.done) break;
      md5s.push(createHash('md5').update(step.value.data).digest('hex'));
    }
  } finally {
    track.close();
    server.faults = {};
  }
  let injected = 0;
  for (const kind of Object.keys(totals) as (keyof InjectedCounts)[]) {
    const n = server.injected[kind] - before[kind];
    totals[kind] += n;
    injected += n;
  }
  return { md5s, injected, http };
}

/** Compares packet lists with a readable failure: the first index that differs. */
function expectSamePackets(played: string[], expected: string[], label: string): void {
  const first = played.findIndex((md5, i) => md5 !== expected[i]);
  if (first !== -1 || played.length !== expected.length) {
    expect.fail(`${label}: ${played.length} packets played, ${expected.length} expected; first difference at packet ${first === -1 ? Math.min(played.length, expected.length) : first}`);
  }
}

describe('playback through createHttpMedia + the track opener, under injected faults', () => {
  it('with no faults (the baseline)', async () => {
    for (const media of all) {
      const { md5s, http } = await play(media, {});
      expectSamePackets(md5s, media.md5s, media.name);
      expect(http.stats.prefetchHits).toBeGreaterThanOrEqual(Math.floor(media.bytes.length / (16 * KiB)) - 1);
    }
  });

  it('drops mid-body every N KiB of every response', async () => {
    for (const [media, every] of [[webm, 5], [webm, 7], [ogg, 1], [oggTags, 3]] as const) {
      const { md5s, injected, http } = await play(media, { dropEveryBytes: every * KiB });
      expectSamePackets(md5s, media.md5s, `${media.name}, drop every ${every} KiB`);
      // Each 16 KiB response is cut every N KiB until its remainder fits; more when a drop also loses
      // bytes undici had buffered but not yet handed over (they are fetched again, from the exact byte).
      let cuts = 0;
      for (let at = 0; at < media.bytes.length; at += 16 * KiB) cuts += Math.ceil(Math.min(16 * KiB, media.bytes.length - at) / (every * KiB)) - 1;
      expect(injected).toBeGreaterThanOrEqual(cuts);
      expect(http.stats.resumes).toBeGreaterThan(0);
    }
  });

  it('403 for tokens used more than K times: the provider mints a fresh URL, reading goes on at the offset', async () => {
    for (const [media, uses] of [[webm, 1], [webm, 2], [ogg, 1], [oggTags, 2]] as const) {
      const { md5s, injected, http } = await play(media, { expireAfterRequests: uses }, { tokens: true, chunkSize: 8 * KiB });
      expectSamePackets(md5s, media.md5s, `${media.name}, tokens good for ${uses}`);
      expect(injected).toBeGreaterThan(0);
      expect(http.stats.refreshes).toBeGreaterThan(0);
    }
  });

  it('403 after T ms, with a consumer at a pace that outlives the token', async () => {
    // The tokens expire on a ManualClock, which the consumer moves on 15 ms every 25 packets.
    const clock = new ManualClock();
    const timed = await startMediaServer({ [`/${webm.name}`]: { body: webm.bytes } }, { expireAfterMs: 25 }, { clock });
    try {
      const http = createHttpMedia(timed.mint(`/${webm.name}`), {
        dispatcher: agent,
        chunkSize: 16 * KiB,
        backoffMs: 1,
        refreshUrl: async () => timed.mint(`/${webm.name}`),
      });
      const track = await openMediaAsTrack(http, { signal: AbortSignal.timeout(15_000) });
      const md5s: string[] = [];
      for (;;) {
        const step = await track.packets.next();
        if (step.done) break;
        md5s.push(createHash('md5').update(step.value.data).digest('hex'));
        if (md5s.length % 25 === 0) await clock.advance(15);
      }
      track.close();
      totals.expire += timed.injected.expire;
      expectSamePackets(md5s, webm.md5s, 'sample.webm, tokens good for 25 ms');
      expect(http.stats.refreshes).toBeGreaterThanOrEqual(1);
    } finally {
      await timed.close();
    }
  });

  it('stalls mid-body (no bytes for bodyTimeoutMs) resume as drops', async () => {
    for (const media of [webm, oggTags]) {
      const rng = random(7);
      const plan = (r: RequestInfo): FaultAction | undefined =>
        rng() < 0.4 ? { kind: 'stall', afterBytes: Math.floor(rng() * ((r.end ?? 0) - (r.start ?? 0))) } : undefined;
      const { md5s, injected, http } = await play(media, { plan });
      expectSamePackets(md5s, media.md5s, `${media.name}, stalls`);
      expect(injected).toBeGreaterThan(0);
      expect(http.stats.failures.stall).toBeGreaterThan(0);
    }
  });

  it('5xx bursts back off and recover', async () => {
    for (const media of [webm, ogg]) {
      let burst = 0;
      const rng = random(11);
      const plan = (): FaultAction | undefined => {
        if (burst === 0 && rng() < 0.3) burst = 1 + Math.floor(rng() * 4);
        if (burst === 0) return undefined;
        burst--;
        return { kind: 'status', status: rng() < 0.5 ? 503 : 500 };
      };
      const { md5s, injected } = await play(media, { plan }, { chunkSize: 2 * KiB });
      expectSamePackets(md5s, media.md5s, `${media.name}, 5xx bursts`);
      expect(injected).toBeGreaterThan(0);
    }
  });

  it('a seeded mix of every fault, on every fixture, seeking too', async () => {
    for (const [i, media] of all.entries()) {
      for (const seed of [1, 2, 3]) {
        const rng = random(seed * 100 + i);
        const plan = (r: RequestInfo): FaultAction | undefined => {
          const span = Math.max(1, (r.end ?? 0) - (r.start ?? 0));
          const x = rng();
          if (x < 0.15) return { kind: 'drop', afterBytes: Math.floor(rng() * span) };
          if (x < 0.2) return { kind: 'stall', afterBytes: Math.floor(rng() * span) };
          if (x < 0.27) return { kind: 'status', status: 503 };
          if (x < 0.32) return { kind: 'reset' };
          if (x < 0.36) return { kind: 'wrong-range', shift: 1 + Math.floor(rng() * 100) };
          if (x < 0.38) return { kind: 'ignore-range' };
          return undefined;
        };
        const { md5s } = await play(media, { plan, expireAfterRequests: 3 }, { tokens: true, chunkSize: (4 + seed * 8) * KiB });
        expectSamePackets(md5s, media.md5s, `${media.name}, mixed faults, seed ${seed}`);
      }
    }
    // Seeking (WebM Cues: the opener reads from the cue's cluster) under the same faults.
    const rng = random(42);
    const plan = (r: RequestInfo): FaultAction | undefined =>
      rng() < 0.3 ? { kind: 'drop', afterBytes: Math.floor(rng() * Math.max(1, (r.end ?? 0) - (r.start ?? 0))) } : undefined;
    const { md5s } = await play(webm, { plan }, { startMs: 6000 });
    const from = webm.md5s.indexOf(md5s[0] ?? '');
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(6000 / 20);
    expectSamePackets(md5s, webm.md5s.slice(from), 'sample.webm from 6 s');
  });

  it('injected at least 100 faults in all', () => {
    const sum = Object.values(totals).reduce((a, b) => a + b, 0);
    console.info(`resilience: ${sum} faults injected (${Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(', ')}), every packet list exact`);
    expect(sum).toBeGreaterThanOrEqual(100);
  });
});

/** The md5s of every packet of an opened track. */
async function packetsOf(track: MediaTrack): Promise<string[]> {
  const md5s: string[] = [];
  try {
    for (;;) {
      const step = await track.packets.next();
      if (step.done) return md5s;
      md5s.push(createHash('md5').update(step.value.data).digest('hex'));
    }
  } finally {
    track.close();
  }
}

describe('resolve and play through the node under drops, trickles and stalls, on the clock (issue 15 items 9 and 10)', () => {
  let clock: ManualClock;
  let slow: MediaServer;
  let node: Node;
  /** A node whose request budget outlasts the many 10 s windows a seeded plan can put in one probe. */
  let patient: Node;
  beforeAll(async () => {
    clock = new ManualClock();
    slow = await startMediaServer(Object.fromEntries(all.map((m) => [`/${m.name}`, { body: m.bytes }])), {}, { clock });
    node = new Node({ clock, http: { allowPrivateAddresses: true } });
    patient = new Node({ clock, http: { allowPrivateAddresses: true, requestTimeoutMs: 600_000 } });
  });
  afterAll(async () => {
    await node.close();
    await patient.close();
    await slow.close();
  });

  /** Resolves and plays `media` through the node with `faults`, driving the clock; the md5s played, and the ranges playback asked for. */
  async function throughNode(media: Media, faults: Faults): Promise<{ md5s: string[]; playbackRanges: string[]; durationMs: number | null }> {
    slow.faults = faults;
    patient.clearCache();
    try {
      const resolved = await drive(clock, patient.resolve(slow.url(`/${media.name}`)), { limitMs: clock.now() + 600_000 });
      if (!resolved.settled || 'error' in resolved) throw new Error(`${media.name}: resolve did not succeed: ${String((resolved as { error?: unknown }).error)}`);
      const result = resolved.value;
      if (result.type !== 'track') throw new Error(`${media.name}: ${result.type}`);
      const before = slow.requests.length;
      const opened = await patient.openTrack(result.track, { signal: new AbortController().signal });
      const played = await drive(clock, packetsOf(opened), { limitMs: clock.now() + 600_000 });
      if (!played.settled || 'error' in played) throw new Error(`${media.name}: playback did not finish: ${String((played as { error?: unknown }).error)}`);
      return { md5s: played.value, playbackRanges: slow.requests.slice(before).map((r) => r.split(' ').pop() ?? ''), durationMs: result.track.durationMs };
    } finally {
      slow.faults = {};
    }
  }

  it('a CDN that drops every response after 40 KB: resolve succeeds, every packet plays, the probe\'s bytes are not fetched again', async () => {
    for (const media of all.filter((m) => m.bytes.length > 40 * KiB)) {
      const before = slow.injected.drop;
      const { md5s, playbackRanges, durationMs } = await throughNode(media, { dropEveryBytes: 40 * KiB });
      expectSamePackets(md5s, media.md5s, `${media.name}, drops during resolve and playback`);
      expect(durationMs, media.name).toBeGreaterThan(0);
      expect(slow.injected.drop - before, media.name).toBeGreaterThan(0);
      // The probe read the first 256 KiB: playback starts where it stopped (or asks nothing at all).
      if (media.bytes.length <= 256 * KiB) expect(playbackRanges, media.name).toEqual([]);
      else expect(playbackRanges.some((r) => r.startsWith('bytes=0-')), media.name).toBe(false);
    }
  });

  it('responses that trickle at 1 byte/s mid-body, during resolve and playback: resumed, every packet exact', async () => {
    for (const [i, media] of all.entries()) {
      const rng = random(500 + i);
      const plan = (r: RequestInfo): FaultAction | undefined =>
        rng() < 0.35 ? { kind: 'trickle', afterBytes: Math.floor(rng() * Math.max(1, (r.end ?? 0) - (r.start ?? 0))), everyMs: 1000 } : undefined;
      const before = slow.injected.trickle;
      const { md5s } = await throughNode(media, { plan });
      expectSamePackets(md5s, media.md5s, `${media.name}, trickles`);
      totals.trickle += slow.injected.trickle - before;
    }
    expect(totals.trickle).toBeGreaterThan(0);
  });

  it('stalls mid-body that never end, during resolve and playback: resumed after the idle budget, every packet exact', async () => {
    for (const [i, media] of all.entries()) {
      const rng = random(700 + i);
      const plan = (r: RequestInfo): FaultAction | undefined =>
        rng() < 0.35 ? { kind: 'stall', afterBytes: Math.floor(rng() * Math.max(1, (r.end ?? 0) - (r.start ?? 0))) } : undefined;
      const { md5s } = await throughNode(media, { plan });
      expectSamePackets(md5s, media.md5s, `${media.name}, endless stalls`);
    }
  });

  it('a server that sends 1 byte a second: a resolve without a signal settles with NETWORK within the request budget', async () => {
    slow.faults = { trickle: { everyMs: 1000 } };
    node.clearCache();
    const start = clock.now();
    const driven = await drive(clock, node.resolve(slow.url(`/${webm.name}`)), { limitMs: start + 120_000 });
    slow.faults = {};
    expect(driven.settled).toBe(true);
    const error = (driven as { error: SpenceError }).error;
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect(error.message).toMatch(/took longer than the 30000 ms request budget/);
    expect(error.message).not.toContain('?');
    expect(driven.at - start).toBeLessThanOrEqual(30_000 + 100);
  });

  it('a host that refuses connections: a resolve is NETWORK after one quick retry, not the playback retry budget', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/a.webm?token=SECRET`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const start = clock.now();
    const driven = await drive(clock, node.resolve(url), { limitMs: start + 120_000, stepMs: 50 });
    expect(driven.settled).toBe(true);
    const error = (driven as { error: SpenceError }).error;
    expect(error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/^Could not connect to http:\/\/127\.0\.0\.1:\d+\/a\.webm, whose host has never answered, in 2 attempts: .*ECONNREFUSED/) });
    expect(error.message).not.toContain('SECRET');
    // One backoff of 250 ms ± 25 %, and the steps' granularity.
    expect(driven.at - start).toBeLessThanOrEqual(250 * 1.25 + 50);
  });

  it('a source that slows to 1 byte a second while playing: the read ends in NETWORK (no hang), reported starved meanwhile', async () => {
    const http = createHttpMedia(slow.url(`/${webm.name}`), {
      dispatcher: agent,
      chunkSize: 16 * KiB,
      maxRetries: 2,
      http: httpSettings({}, clock),
    });
    const opened = await openMediaAsTrack(http, { signal: new AbortController().signal });
    slow.faults = { trickle: { everyMs: 1000 } };
    let starvedFor = 0;
    const driven = await drive(clock, packetsOf(opened), {
      limitMs: clock.now() + 120_000,
      onStep: () => {
        if (http.waitingSince !== null) starvedFor = Math.max(starvedFor, clock.now() - http.waitingSince);
      },
    });
    slow.faults = {};
    expect(driven.settled).toBe(true);
    expect((driven as { error: SpenceError }).error).toMatchObject({ code: 'NETWORK' });
    expect(starvedFor).toBeGreaterThanOrEqual(10_000);
  });
});

