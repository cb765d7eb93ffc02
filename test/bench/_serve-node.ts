/**
 * The serve bench's server process (started by serve.ts with an IPC channel): spence serve on a
 * free loopback port with the local source on the bench's directory, players on
 * BENCH_WORKERS worker threads (0: the main thread), their voice links (to the voice server whose
 * CA is BENCH_VOICE_CA, or none) tapped by _serve-setup.ts.
 * Answers the bench's IPC messages: `rss` (after a GC), `reset` and `report` (the frame figures
 * of every player thread, CPU and RSS).
 */
import { BroadcastChannel } from 'node:worker_threads';
import { LavalinkServer, resolveServerConfig } from '../../src/server/index.js';
import type { VoiceCensus } from './_serve-census.js';
import { CHANNEL, voiceLinks } from './_serve-setup.js';
import type { PlayerTimeline } from './_serve-setup.js';

const root = process.env.BENCH_ROOT!;
const voiceCa = process.env.BENCH_VOICE_CA;
const workers = Number(process.env.BENCH_WORKERS ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;

const config = {
  ...resolveServerConfig({ lavalink: { server: { password: 'bench', sources: { local: true, youtube: false, soundcloud: false }, playerUpdateInterval: 5, ...(process.env.BENCH_STUCK_MS ? { trackStuckThresholdMs: Number(process.env.BENCH_STUCK_MS) } : {}) } } }, {}),
  port: 0,
  address: '127.0.0.1',
  localRoots: [root],
  workers,
  sources: { youtube: false, soundcloud: false, http: false, local: true, spotify: false, applemusic: false, deezer: false },
};
const setup = new URL('./_serve-setup.ts', import.meta.url);
const server = new LavalinkServer({
  config,
  ...(workers === 0 ? { voiceLinks: voiceLinks(null, { ...(voiceCa ? { voiceCa } : {}) }) } : {}),
  workerSetup: { module: setup, data: { ...(voiceCa ? { voiceCa } : {}) } },
});
const address = await server.listen();

const channel = new BroadcastChannel(CHANNEL);
let cpuAt = process.cpuUsage();
let wallAt = performance.now();

/**
 * The threads that answer the channel: each player worker's setup module, and this thread's own
 * import of it (its players with no workers; none, and empty answers, with workers).
 */
const playerThreads = workers + 1;

/**
 * Waits until every player thread has answered (`count()` of them), 5 s at most: a thread whose
 * loop is saturated, or waiting for a CPU on a loaded machine, answers late, and a fixed wait
 * missed it (the census read no connection).
 */
async function answers(count: () => number): Promise<void> {
  const until = performance.now() + 5000;
  while (count() < playerThreads && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Sums what every player thread reports (see {@link answers}). */
async function collect(): Promise<{ buckets: Uint32Array; frames: number; late: number; lost: number; max: number }> {
  const sum = { buckets: new Uint32Array(100_001), frames: 0, late: 0, lost: 0, max: 0 };
  let threads = 0;
  const listener = (event: unknown): void => {
    const m = (event as { data: { t: string; buckets: Uint32Array; frames: number; late: number; lost: number; max: number } }).data;
    if (m.t !== 'figures') return;
    for (let i = 0; i < sum.buckets.length; i++) sum.buckets[i]! += m.buckets[i]!;
    sum.frames += m.frames;
    sum.late += m.late;
    sum.lost += m.lost;
    sum.max = Math.max(sum.max, m.max);
    threads++;
  };
  channel.onmessage = listener;
  channel.postMessage({ t: 'collect' });
  await answers(() => threads);
  channel.onmessage = () => {};
  return sum;
}

/** The voice census of every player thread (see {@link answers}), with each thread's event loop utilisation since its last census. */
async function censuses(): Promise<{ censuses: VoiceCensus[]; elu: number[] }> {
  const all: VoiceCensus[] = [];
  const elu: number[] = [];
  channel.onmessage = (event: unknown) => {
    const m = (event as { data: { t: string; census: VoiceCensus; elu: number } }).data;
    if (m.t !== 'census') return;
    all.push(m.census);
    elu.push(m.elu);
  };
  channel.postMessage({ t: 'take-census' });
  await answers(() => all.length);
  channel.onmessage = () => {};
  return { censuses: all, elu };
}

/** The start timelines of every player thread's players (see {@link answers}). */
async function timelines(): Promise<PlayerTimeline[]> {
  const all: PlayerTimeline[] = [];
  let threads = 0;
  channel.onmessage = (event: unknown) => {
    const m = (event as { data: { t: string; timelines: PlayerTimeline[] } }).data;
    if (m.t !== 'timelines') return;
    all.push(...m.timelines);
    threads++;
  };
  channel.postMessage({ t: 'take-timelines' });
  await answers(() => threads);
  channel.onmessage = () => {};
  return all;
}

process.on('message', (message: { t: string }) => {
  void (async () => {
    if (message.t === 'rss') {
      gc?.();
      process.send!({ t: 'rss', rss: process.memoryUsage().rss });
    } else if (message.t === 'reset') {
      channel.postMessage({ t: 'reset' });
      cpuAt = process.cpuUsage();
      wallAt = performance.now();
      process.send!({ t: 'reset' });
    } else if (message.t === 'report') {
      const cpu = process.cpuUsage(cpuAt);
      const wallMs = performance.now() - wallAt;
      const figures = await collect();
      gc?.();
      process.send!({ t: 'report', ...figures, buckets: [...figures.buckets], cpuShare: (cpu.user + cpu.system) / 1000 / wallMs, rss: process.memoryUsage().rss });
    } else if (message.t === 'census') {
      process.send!({ t: 'census', ...(await censuses()), cpu: process.cpuUsage() });
    } else if (message.t === 'timelines') {
      process.send!({ t: 'timelines', timelines: await timelines() });
    } else if (message.t === 'close') {
      await server.close();
      channel.close();
      process.exit(0);
    }
  })();
});

process.send!({ t: 'listening', port: address.port });
