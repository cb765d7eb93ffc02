/**
 * Frame scheduler benchmark: N spence players in push mode vs N @discordjs/voice AudioPlayers,
 * in the same process, one after the other, on the real clock, on the files the world's muxers
 * write (issue 16).
 *
 *   npm run bench -- scheduler                    (the whole table: ~15 min)
 *   BENCH_SECONDS=5 BENCH_COUNTS=1000 BENCH_LAYOUTS=ffmpeg BENCH_STARTS=burst npm run bench -- scheduler
 *
 * By default: four layouts (see `_layouts.ts`: YouTube's WebM, ffmpeg's WebM, mkvmerge's WebM,
 * opusenc's Ogg, each made BENCH_TRACK_SECONDS long by the muxer that wrote it, so players reopen
 * every 3 minutes as with real songs), 1000 and 5000 players, both start patterns, and
 * @discordjs/voice on the same files in the same run. One row per layout, library, start pattern
 * and count.
 *
 * Start patterns (BENCH_STARTS):
 * - `spread`: the players loaded in 20 batches a millisecond apart, each batch awaited, as players
 *   of many guilds would start; measured from a second after the last one started.
 * - `burst`: every player loaded in the same moment (one synchronous loop: a restart restoring
 *   every player, a shard that reconnects); measured from that moment, so the window holds the
 *   opens and prebuffers of the players still starting while the first ones play. "ready" is the
 *   time from the burst until the last player sent its first frame.
 * @discordjs/voice has no start pattern of its own (one global cycle): its players are created
 * at once, its row is shown once per count.
 *
 * Environment: BENCH_SECONDS (default 20, per phase), BENCH_COUNTS (default "1000,5000"),
 * BENCH_START_STEPS (the scheduler's `startStepsPerMs`, the start gate's pace; default its own),
 * BENCH_LAYOUTS (default "youtube,ffmpeg,mkvmerge,opusenc"; also "bench": the bench's own WebM
 * of the earlier rounds), BENCH_STARTS (default "spread,burst"), BENCH_LIBS (default
 * "spence,discord"), BENCH_SOURCE ("file", "memory" or both; default "file"), BENCH_FILE (one
 * file to play instead of the layouts), BENCH_TRACK_SECONDS (180), BENCH_CACHE (where the layouts'
 * files are kept between runs; default $TMPDIR/spence-bench-layouts), BENCH_SPIN_MS (RealClock
 * spinMs, default 0), BENCH_READ_WORKER=auto|always|never (the local provider's `readWorker`),
 * BENCH_CLOCK=manual (spence on a manual clock driven as fast as it goes: µs/frame, GC and the
 * loop's CPU without the real clock's idle time; lateness is meaningless there),
 * BENCH_PRELOAD_AT_START=1 (preload the next copy at trackStart rather than 10 s before the end),
 * BENCH_LATE_CAUSES=1 (after each spence phase: how many late frames had a GC pause between their
 * deadline and their sending, and how evenly the deadlines fall over the milliseconds of a frame),
 * BENCH_HEAP_PROFILE=file.heapprofile (a sampling heap profile of each spence phase's window).
 * CPU profiles: `node --cpu-prof --cpu-prof-dir=prof --expose-gc --import ./test/bench/_ts-register.mjs test/bench/scheduler.ts`
 * with BENCH_CLOCK=manual and one layout (the profile covers the whole process).
 *
 * Packet source, the same work on both sides:
 * - `file`: every track is read from the file on disk and demuxed as it plays. spence: a `local`
 *   track resolved by `new Node({ providers: defaultProviders({ local: { roots } }) })`, players
 *   from `node.createPlayer()` (the node's opener: the local provider's positional reads, the
 *   sniffing demuxer); each player loops the file gaplessly with `preload()` 10 s before the end.
 *   @discordjs/voice: an object-mode stream that reads the file with `createReadStream` through
 *   prism-media's demuxer again and again (what `createAudioResource(file, { inputType:
 *   StreamType.WebmOpus })` does, without the gap between resources), given to
 *   `createAudioResource(…, { inputType: StreamType.Opus })`. prism-media does not unlace
 *   Matroska blocks: on mkvmerge's layout it hands out each laced block (3 to 8 packets) as one
 *   packet, so that row sends a fifth of the packets, and garbage.
 * - `memory`: the file's bytes held in memory. spence: the same opener and demuxer over an
 *   in-memory `TrackMedia` (16 KiB chunks, like the local provider's reads). @discordjs/voice: the
 *   file's packets demuxed once by prism-media, looped, each packet's bytes copied as it is read.
 *
 * Measured per phase: send lateness (sentAt - deadline) p50/p99/max; frames late (> 2 ms);
 * frames lost (spence: 20 ms slots in the window a player sent nothing for, i.e. a frame due later
 * than right after the one before it, as after a stall rebase or an underrun; the frames counted
 * are those due in the window, whenever sent, so a frame due in it and sent after it is late, not
 * lost: the count waits 250 ms past the window; @discordjs/voice: see below); rebased frame slots
 * (stall policy) and underruns; CPU share of one core (process.cpuUsage over wall time: every
 * thread) and of the event loop's thread alone ("loop CPU", Linux /proc: the goal's "one core"),
 * and CPU µs per frame; RSS growth per player (after gc, players running, minus before); the
 * longest event-loop block (monitorEventLoopDelay's max: how long the loop was kept from a 1 ms
 * timer); the machine's CPU pressure (/proc/pressure/cpu "some", the share of the phase other
 * tasks waited for a CPU).
 *
 * @discordjs/voice: its AudioPlayer has no deadline per player; its global cycle dispatches every
 * player at t0 + 20k ms (Date.now() grid). We wrap AudioPlayer.prototype._stepDispatch and compare
 * each call's time with that grid, and count resource.read() misses as lost frames.
 */

import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import prism from 'prism-media';
import {
  AudioPlayer,
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  createAudioPlayer,
  createAudioResource,
} from '@discordjs/voice';
import { Node } from '../../src/node.js';
import { defaultProviders } from '../../src/default-providers.js';
import { LAYOUT_DESCRIPTIONS, LAYOUT_NAMES, layoutFile, type LayoutName } from './_layouts.js';
import { openMediaAsTrack } from '../../src/open/media-track.js';
import type { TrackMedia } from '../../src/resolve/provider.js';
import type { Track } from '../../src/resolve/track.js';
import { ManualClock, RealClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import type { FrameEvent, TrackOpener } from '../../src/player/types.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const COUNTS = (process.env.BENCH_COUNTS ?? '1000,5000').split(',').map(Number);
const SOURCES = (process.env.BENCH_SOURCE ?? 'file').split(',') as ('file' | 'memory')[];
const LIBS = (process.env.BENCH_LIBS ?? 'spence,discord').split(',');
const LAYOUTS = (process.env.BENCH_LAYOUTS ?? LAYOUT_NAMES.join(',')).split(',') as LayoutName[];
type Start = 'spread' | 'burst';
const STARTS = (process.env.BENCH_STARTS ?? 'spread,burst').split(',') as Start[];
const SPIN_MS = Number(process.env.BENCH_SPIN_MS ?? 0);
/** BENCH_START_STEPS: the scheduler's `startStepsPerMs` (default: the scheduler's own). */
const START_STEPS = process.env.BENCH_START_STEPS === undefined ? undefined : Number(process.env.BENCH_START_STEPS);
const TRACK_SECONDS = Number(process.env.BENCH_TRACK_SECONDS ?? 180);
const CACHE = process.env.BENCH_CACHE ?? path.join(os.tmpdir(), 'spence-bench-layouts');
/** The file the running phase plays (a layout's, or BENCH_FILE). */
let FILE = '';
const LATE_MS = 2;
const MEMORY_CHUNK = 16 * 1024;
/**
 * BENCH_CLOCK=manual: spence only, on a manual clock advanced 20 ms at a time as fast as the
 * process goes (the fs reads still real): lateness means nothing there, but µs/frame and GC per
 * frame are the process's own cost, far less swayed by other tasks of a shared machine.
 */
const MANUAL = process.env.BENCH_CLOCK === 'manual';
const PRELOAD_AT_START = process.env.BENCH_PRELOAD_AT_START === '1';
/** BENCH_READ_WORKER=auto|always|never: the local provider's `readWorker` (default: its own, 'auto'). */
const READ_WORKER = process.env.BENCH_READ_WORKER as 'auto' | 'always' | 'never' | undefined;
/** How long before a track's end the next copy is preloaded (more than the 3 s read-ahead). */
const PRELOAD_LEAD_MS = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
/** Every spence frame sent so far, for profilers attached to the process (`globalThis.benchFrames()`). */
let framesSent = 0;
(globalThis as { benchFrames?: () => number }).benchFrames = () => framesSent;

/** Lateness histogram in 10 µs buckets up to 1 s. */
class Histogram {
  readonly buckets = new Uint32Array(100_001);
  count = 0;
  max = 0;
  late = 0;
  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.count++;
    if (v > this.max) this.max = v;
    if (v > LATE_MS) this.late++;
    this.buckets[Math.min(100_000, Math.floor(v * 100))]!++;
  }
  percentile(p: number): number {
    const target = Math.ceil(this.count * p);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= target) return i / 100;
    }
    return this.max;
  }
}

interface Row {
  layout: string;
  lib: string;
  source: string;
  start: string;
  /** Burst: ms from the burst until the last player sent its first frame (NaN: not all did in the window). */
  readyMs: number;
  /** The longest event-loop block in the window (monitorEventLoopDelay max), ms. */
  blockMs: number;
  players: number;
  frames: number;
  p50: number;
  p99: number;
  max: number;
  late: number;
  lost: number;
  rebases: number | string;
  underruns: number | string;
  cpu: number;
  /** The event loop's thread alone (the goal's "one core"): no thread pool, read worker or GC helpers. */
  loopCpu: number;
  usPerFrame: number;
  rssKB: number;
  /** Of which: the JS heap, and ArrayBuffers (outside the heap), per player. */
  heapKB: number;
  buffersKB: number;
  pressure: number;
  /** The machine's 1-minute load average at the end of the window (other tasks included). */
  load1: number;
  /** GC pause ms per second of the window: minor/incremental/major. */
  gc: string;
  /** Longest single GC pause in the window, ms. */
  gcMax: number;
}


/**
 * BENCH_LATE_CAUSES=1: after each spence phase, prints how many late frames (> 2 ms) had a GC
 * pause between their deadline and their sending, and the lateness percentiles of the others.
 */
const LATE_CAUSES = process.env.BENCH_LATE_CAUSES === '1';
const gcPauses: number[] = [];
const lateFrames: number[] = [];
/** Frames sent per millisecond of the 20 ms frame (deadline modulo 20), with BENCH_LATE_CAUSES. */
const phases = new Float64Array(20);

function reportLateCauses(): void {
  let withGc = 0;
  const others: number[] = [];
  for (let i = 0; i < lateFrames.length; i += 2) {
    const deadline = lateFrames[i]!;
    const sentAt = lateFrames[i + 1]!;
    let hit = false;
    for (let k = 0; k < gcPauses.length; k += 2) if (gcPauses[k]! < sentAt && gcPauses[k + 1]! > deadline - 1) { hit = true; break; }
    if (hit) withGc++;
    else others.push(sentAt - deadline);
  }
  others.sort((a, b) => a - b);
  const q = (p: number) => (others.length === 0 ? 0 : others[Math.floor(p * (others.length - 1))]!.toFixed(2));
  console.log(`  late > 2 ms: ${lateFrames.length / 2}, with a GC pause in between: ${withGc}; others: ${others.length} (median ${q(0.5)} ms, p90 ${q(0.9)}, max ${q(1)})`);
  const total = phases.reduce((a, b) => a + b, 0);
  const share = (v: number) => ((v / Math.max(1, total)) * 100).toFixed(1);
  console.log(`  deadlines per millisecond of the 20 ms frame: ${share(Math.min(...phases))}% to ${share(Math.max(...phases))}% (even: 5.0%)`);
  phases.fill(0);
  lateFrames.length = 0;
  gcPauses.length = 0;
}

const HEAP_PROFILE = process.env.BENCH_HEAP_PROFILE;
/** BENCH_CPU_PROFILE=file.cpuprofile: a CPU profile of each spence phase's window alone. */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE;

/** Starts V8's CPU profiler; the returned function stops it, and the function that returns writes the profile. */
async function startCpuProfile(): Promise<() => Promise<(file: string) => void>> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async () => {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    session.disconnect();
    return (file) => {
      writeFileSync(file, JSON.stringify(profile));
      console.log(`  CPU profile: ${file}`);
    };
  };
}

/** Starts V8's sampling heap profiler; the returned function writes the profile to a file and stops it. */
async function startHeapProfile(): Promise<(file: string) => Promise<void>> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async (file) => {
    const { profile } = await post<{ profile: unknown }>('HeapProfiler.getSamplingProfile');
    await post('HeapProfiler.stopSampling');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    console.log(`  heap profile: ${file}`);
  };
}

/** GC pause time by kind (PerformanceObserver 'gc' entries), in ms, and counts. */
const gcTotals = { minor: 0, major: 0, incremental: 0, weak: 0, count: 0, maxPause: 0 };
function observeGc(): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      const d = entry.duration;
      if (LATE_CAUSES) gcPauses.push(entry.startTime, entry.startTime + d);
      gcTotals.count++;
      if (d > gcTotals.maxPause) gcTotals.maxPause = d;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gcTotals.minor += d;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcTotals.major += d;
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL) gcTotals.incremental += d;
      else gcTotals.weak += d;
    }
  }).observe({ entryTypes: ['gc'] });
}
function gcSnapshot(): typeof gcTotals {
  return { ...gcTotals };
}
/** GC pause per second of the window, by kind: "minor/incremental/major ms/s, max pause ms". */
function gcSummary(before: typeof gcTotals, after: typeof gcTotals, wallMs: number): string {
  const per = (k: 'minor' | 'major' | 'incremental') => ((after[k] - before[k]) / (wallMs / 1000)).toFixed(1);
  return `${per('minor')}/${per('incremental')}/${per('major')}`;
}

/** The file's Opus packets, demuxed once by prism-media (the @discordjs/voice `memory` source). */
async function loadPackets(file: string): Promise<Uint8Array[]> {
  const demuxer = isWebm(file) ? new prism.opus.WebmDemuxer() : new prism.opus.OggDemuxer();
  const packets: Uint8Array[] = [];
  createReadStream(file).pipe(demuxer);
  for await (const chunk of demuxer as AsyncIterable<Buffer>) packets.push(new Uint8Array(chunk));
  return packets;
}

function isWebm(file: string): boolean {
  return /\.(webm|mkv|mka)$/i.test(file);
}

/** A TrackMedia over bytes in memory, read in chunks the size of the local provider's fs reads. */
function memoryMedia(bytes: Uint8Array): TrackMedia {
  return {
    contentLength: bytes.length,
    async *read(start: number) {
      for (let at = start; at < bytes.length; at += MEMORY_CHUNK) yield bytes.subarray(at, Math.min(bytes.length, at + MEMORY_CHUNK));
    },
    close() {},
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Memory after two forced collections. */
function memory(): NodeJS.MemoryUsage {
  gc?.();
  gc?.();
  return process.memoryUsage();
}

/** Per player, KB: RSS, the JS heap, and ArrayBuffer memory (outside the heap), from `before` to `after`. */
function perPlayer(before: NodeJS.MemoryUsage, after: NodeJS.MemoryUsage, n: number): Pick<Row, 'rssKB' | 'heapKB' | 'buffersKB'> {
  return {
    rssKB: (after.rss - before.rss) / 1024 / n,
    heapKB: (after.heapUsed - before.heapUsed) / 1024 / n,
    buffersKB: (after.arrayBuffers - before.arrayBuffers) / 1024 / n,
  };
}

/** The "some" total of /proc/pressure/cpu in µs, or NaN where there is no PSI. */
function pressureTotal(): number {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    return Number(/total=(\d+)/.exec(line)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * CPU ms of the event loop's thread (the main thread: its task id is the pid), from
 * /proc/self/task/PID/stat (utime + stime, in 10 ms clock ticks: fine over a 20 s window); NaN
 * where there is no /proc.
 */
function loopCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14 and 15 of stat(5)
  } catch {
    return Number.NaN;
  }
}

/** The longest event-loop block (ms) from `start()` to `stop()`: how long the loop was kept from a 1 ms timer. */
function loopBlocks(): { stop(): number } {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  return {
    stop() {
      h.disable();
      return h.max / 1e6;
    },
  };
}

async function benchSpence(n: number, source: 'file' | 'memory', start: Start): Promise<Row> {
  const manual = MANUAL ? new ManualClock(performance.now()) : null;
  const local = { roots: [path.dirname(FILE)], ...(READ_WORKER !== undefined && { readWorker: READ_WORKER }) };
  const node = new Node({
    providers: defaultProviders({ local }),
    clock: manual ?? new RealClock({ spinMs: SPIN_MS }),
    ...(START_STEPS !== undefined && { scheduler: { startStepsPerMs: START_STEPS } }),
  });
  /** Real time, or `ms` of manual time in 20 ms steps with the event loop (fs callbacks) run between. */
  const wait = async (ms: number): Promise<void> => {
    if (manual === null) return sleep(ms);
    for (let t = 0; t < ms; t += 20) {
      await manual.advance(20);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  /**
   * Waits for `work`; on the manual clock, moving the clock a millisecond at a time meanwhile: the
   * loads wait for turns at the start gate, which only the clock's time gives.
   */
  const settle = async (work: Promise<unknown>): Promise<void> => {
    if (manual === null) {
      await work;
      return;
    }
    let done = false;
    void work.finally(() => {
      done = true;
    }).catch(() => {});
    while (!done) {
      await manual.advance(1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await work;
  };
  const scheduler = node.scheduler;
  const resolved = await node.resolve(FILE);
  if (resolved.type !== 'track') throw new Error(`${FILE} did not resolve to a track`);
  const track: Track = resolved.track;
  const bytes = new Uint8Array(readFileSync(FILE));
  const memoryOpener: TrackOpener = (_t, options) => openMediaAsTrack(memoryMedia(bytes), options);
  const create = (): Player =>
    source === 'file' ? node.createPlayer({ silenceFrames: 5 }) : new Player({ scheduler, openTrack: memoryOpener, silenceFrames: 5 });
  const hist = new Histogram();
  const memBefore = memory();
  const players: Player[] = [];
  let measuring = false;
  /** The frames measured are those due in [windowStart, windowEnd), whenever they are sent. */
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.NEGATIVE_INFINITY;
  let sent = 0;
  let underruns = 0;
  let failures = 0;
  /** Players that sent a frame, and when the last of them sent its first (clock time). */
  let started = 0;
  let lastFirstFrame = Number.NaN;
  /** Per player: when its next frame is due if none is skipped (the last one's deadline + duration). */
  const nextDue = new Float64Array(n).fill(Number.NaN);
  /** Frame slots in the window with no frame: a frame due later than right after the previous one. */
  let gapSlots = 0;
  const onFrameOf =
    (i: number) =>
    (f: FrameEvent): void => {
      framesSent++;
      const due = nextDue[i]!;
      if (Number.isNaN(due) && ++started === n) lastFirstFrame = f.sentAt;
      if (f.deadline < windowStart || f.deadline >= windowEnd) {
        nextDue[i] = f.deadline + f.packet.durationMs;
        return;
      }
      sent++;
      if (f.deadline > due + 0.5) gapSlots += Math.round((f.deadline - due) / 20);
      nextDue[i] = f.deadline + f.packet.durationMs;
      hist.add(f.sentAt - f.deadline);
      if (LATE_CAUSES) {
        phases[Math.floor(f.deadline) % 20]!++;
        if (f.sentAt - f.deadline > LATE_MS) lateFrames.push(f.deadline, f.sentAt);
      }
    };
  const add = (): Promise<void> => {
    const p = create();
    p.on('frame', onFrameOf(players.length));
    // Loop the file gaplessly: the next copy is readied near the end of this one, as a bot
    // preloads its queue's next track (BENCH_PRELOAD_AT_START=1: at once, two sources per player).
    p.on('trackStart', () => {
      const lead = PRELOAD_AT_START ? 0 : Math.max(0, (track.durationMs ?? 0) - PRELOAD_LEAD_MS);
      if (lead === 0) void p.preload(track).catch(() => {});
      else scheduler.clock.setTimer(scheduler.clock.now() + lead, () => void p.preload(track).catch(() => {}));
    });
    p.on('underrun', () => {
      if (measuring) underruns++;
    });
    p.on('trackEnd', (_t, reason) => {
      if (reason !== 'finished' && reason !== 'cleanup') failures++;
    });
    players.push(p);
    return p.load(track);
  };
  const heapProfileOf = async (): Promise<((file: string) => Promise<void>) | null> => (HEAP_PROFILE ? startHeapProfile() : null);
  let cpuProfile: (() => Promise<(file: string) => void>) | null = null;
  let gc0 = gcSnapshot();
  let cpu0 = process.cpuUsage();
  let loop0 = loopCpuMs();
  let psi0 = pressureTotal();
  let t0 = performance.now();
  let blocks = loopBlocks();
  let heapProfile: ((file: string) => Promise<void>) | null = null;
  const open = async (): Promise<void> => {
    if (CPU_PROFILE !== undefined) cpuProfile = await startCpuProfile();
    gcPauses.length = 0;
    gc0 = gcSnapshot();
    gcTotals.maxPause = 0;
    cpu0 = process.cpuUsage();
    loop0 = loopCpuMs();
    psi0 = pressureTotal();
    t0 = performance.now();
    blocks = loopBlocks();
    measuring = true;
    windowStart = scheduler.clock.now();
    windowEnd = windowStart + SECONDS * 1000;
  };
  let stallsBefore = scheduler.stats.skippedFrames;
  if (start === 'spread') {
    // Spread over one 20 ms frame, as players of many guilds would start.
    for (let batch = 0; batch < 20; batch++) {
      const loads: Promise<void>[] = [];
      for (let i = batch; i < n; i += 20) loads.push(add());
      await settle(Promise.all(loads));
      await sleep(1);
    }
    await wait(1000); // warm-up
    stallsBefore = scheduler.stats.skippedFrames;
    heapProfile = await heapProfileOf();
    await open();
  } else {
    // Every player loaded in the same moment; the window opens with the loads.
    heapProfile = await heapProfileOf();
    await open();
    for (let i = 0; i < n; i++) void add().catch(() => {});
  }
  await wait(SECONDS * 1000);
  const tEnd = performance.now();
  const blockMs = blocks.stop();
  const writeCpuProfile = cpuProfile === null ? null : await (cpuProfile as () => Promise<(file: string) => void>)();
  // CPU share, GC ms/s and pressure are per real second (on the manual clock too).
  const realWall = tEnd - t0;
  const psi = pressureTotal() - psi0;
  const cpu = process.cpuUsage(cpu0);
  const loopMs = loopCpuMs() - loop0;
  const gc1 = gcSnapshot();
  // Frames due in the window but not sent yet are late, not lost: give them time (before memory(),
  // whose forced collection would stall them and rebase every player).
  await wait(250);
  measuring = false;
  windowEnd = Number.NEGATIVE_INFINITY;
  const rebases = scheduler.stats.skippedFrames - stallsBefore;
  const memAfter = memory();
  const layout = path.basename(FILE).replace(/\.[^.]*$/, '');
  if (heapProfile !== null) await heapProfile(`${HEAP_PROFILE!.replace(/\.heapprofile$/, '')}-${layout}-${start}-${source}-${n}.heapprofile`);
  if (writeCpuProfile !== null) writeCpuProfile(`${CPU_PROFILE!.replace(/\.cpuprofile$/, '')}-${layout}-${start}-${source}-${n}.cpuprofile`);
  if (LATE_CAUSES) reportLateCauses();
  const gate = scheduler.starts;
  console.log(`  start gate (${gate.stepsPerMs} steps/ms): ${gate.stats.steps} steps, ${gate.stats.waited} waited, at most ${gate.stats.maxWaiting} waiting`);
  for (const p of players) p.destroy();
  await node.close();
  if (failures > 0) console.log(`  spence ${source} ${n}: ${failures} tracks failed`);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    layout: '',
    lib: 'spence',
    source,
    start,
    readyMs: start === 'burst' && started === n ? lastFirstFrame - windowStart : Number.NaN,
    blockMs,
    players: n,
    frames: sent,
    p50: hist.percentile(0.5),
    p99: hist.percentile(0.99),
    max: hist.max,
    late: hist.late,
    lost: gapSlots,
    rebases,
    underruns,
    cpu: cpuMs / realWall,
    loopCpu: loopMs / realWall,
    usPerFrame: (cpuMs * 1000) / Math.max(1, sent),
    ...perPlayer(memBefore, memAfter, n),
    pressure: psi / 1000 / realWall,
    load1: os.loadavg()[0]!,
    gc: gcSummary(gc0, gc1, realWall),
    gcMax: gc1.maxPause,
  };
}

interface DispatchState {
  t0: number;
  offset: number;
  measuring: boolean;
  hist: Histogram;
  dispatched: number;
  misses: number;
  /** Discord's cycle index: its cycle k is due at t0 + 20k and it never skips one. */
  cycle: number;
  /** The first AudioPlayer in discord's list: its checkPlayable() opens each cycle. */
  first: AudioPlayer | null;
}

const dstate: DispatchState = { t0: 0, offset: 0, measuring: false, hist: new Histogram(), dispatched: 0, misses: 0, cycle: -1, first: null };

/** Date.now() - (performance.timeOrigin + performance.now()), to sub-ms: the two clocks drift apart. */
function dateOffset(): number {
  const start = Date.now();
  let d: number;
  while ((d = Date.now()) === start);
  return d - (performance.timeOrigin + performance.now());
}

const proto = AudioPlayer.prototype as unknown as { _stepDispatch: () => void; checkPlayable: () => boolean };
const originalDispatch = proto._stepDispatch;
const originalCheck = proto.checkPlayable;
// Each discord cycle (audioCycleStep) starts with checkPlayable() on every player in its list, in
// order, and it is the only caller: the call on the list's first player opens the next cycle.
// (Counting by gaps between calls miscounts when a late cycle runs right before an on-time one.)
proto.checkPlayable = function (this: AudioPlayer) {
  if ((this as AudioPlayer) === dstate.first) dstate.cycle++;
  return originalCheck.call(this);
};
proto._stepDispatch = function (this: AudioPlayer) {
  if (dstate.measuring && this.state.status === AudioPlayerStatus.Playing) {
    // Cycle k dispatches every player, due at t0 + 20k (t0 = Date.now() when the first player was added).
    const now = performance.timeOrigin + performance.now() + dstate.offset;
    dstate.hist.add(now - (dstate.t0 + 20 * dstate.cycle));
    dstate.dispatched++;
  }
  originalDispatch.call(this);
};

/** The `memory` source: the file's packets demuxed once, looped, each packet's bytes copied as it is read. */
function packetStream(packets: readonly Uint8Array[]): Readable {
  let i = 0;
  return new Readable({
    objectMode: true,
    highWaterMark: 150, // ~3 s of read-ahead, like spence's default
    read() {
      for (;;) {
        const src = packets[i++ % packets.length]!;
        if (!this.push(Buffer.from(src))) break;
      }
    },
  });
}

/**
 * The `file` source: the file read from disk and demuxed by prism-media, again and again, as one
 * object-mode stream of packets (backpressure pauses the demuxer).
 */
function fileLoopStream(file: string): Readable {
  let demuxer: prism.opus.WebmDemuxer | prism.opus.OggDemuxer | null = null;
  const out = new Readable({
    objectMode: true,
    highWaterMark: 150, // ~3 s of read-ahead, like spence's default
    read() {
      if (demuxer === null) start();
      else demuxer.resume();
    },
    destroy(error, callback) {
      demuxer?.destroy();
      callback(error);
    },
  });
  const start = (): void => {
    const d = isWebm(file) ? new prism.opus.WebmDemuxer() : new prism.opus.OggDemuxer();
    demuxer = d;
    createReadStream(file).pipe(d);
    d.on('data', (packet: Buffer) => {
      if (!out.push(packet)) d.pause();
    });
    d.once('end', () => {
      if (demuxer === d && !out.destroyed) start();
    });
  };
  return out;
}

async function benchDiscord(n: number, source: 'file' | 'memory', packets: readonly Uint8Array[]): Promise<Row> {
  dstate.hist = new Histogram();
  dstate.dispatched = 0;
  dstate.misses = 0;
  const memBefore = memory();
  const players: AudioPlayer[] = [];
  dstate.offset = dateOffset();
  dstate.cycle = -1;
  dstate.first = null;
  for (let i = 0; i < n; i++) {
    const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play, maxMissedFrames: 1e9 } });
    const stream = source === 'file' ? fileLoopStream(FILE) : packetStream(packets);
    const resource = createAudioResource(stream, { inputType: StreamType.Opus });
    const read = resource.read.bind(resource);
    resource.read = () => {
      const packet = read();
      if (packet === null && dstate.measuring) dstate.misses++;
      return packet;
    };
    player.on('error', () => {});
    player.play(resource);
    // Discord's cycle starts at Date.now() when its first player is added (in play()): t0 of its 20 ms grid.
    if (i === 0) {
      dstate.t0 = Date.now();
      dstate.first = player;
    }
    players.push(player);
  }
  await sleep(1000);
  const gc0 = gcSnapshot();
  gcTotals.maxPause = 0;
  const cpu0 = process.cpuUsage();
  const loop0 = loopCpuMs();
  const psi0 = pressureTotal();
  const t0 = performance.now();
  const blocks = loopBlocks();
  dstate.measuring = true;
  await sleep(SECONDS * 1000);
  dstate.measuring = false;
  const blockMs = blocks.stop();
  const wall = performance.now() - t0;
  const psi = pressureTotal() - psi0;
  const cpu = process.cpuUsage(cpu0);
  const loopMs = loopCpuMs() - loop0;
  const gc1 = gcSnapshot();
  const memAfter = memory();
  const expected = Math.round((wall / 20) * n);
  for (const p of players) p.stop(true);
  await sleep(200);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    layout: '',
    lib: '@discordjs/voice',
    source,
    start: 'burst',
    readyMs: Number.NaN,
    blockMs,
    players: n,
    frames: dstate.dispatched,
    p50: dstate.hist.percentile(0.5),
    p99: dstate.hist.percentile(0.99),
    max: dstate.hist.max,
    late: dstate.hist.late,
    lost: Math.max(0, expected - dstate.dispatched - n) + dstate.misses,
    rebases: 'n/a',
    underruns: 'n/a',
    cpu: cpuMs / wall,
    loopCpu: loopMs / wall,
    usPerFrame: (cpuMs * 1000) / Math.max(1, dstate.dispatched),
    ...perPlayer(memBefore, memAfter, n),
    pressure: psi / 1000 / wall,
    load1: os.loadavg()[0]!,
    gc: gcSummary(gc0, gc1, wall),
    gcMax: gc1.maxPause,
  };
}

/**
 * `r` against @discordjs/voice's row on the same layout, count and source: its µs/frame and RSS per
 * player divided by `r`'s (above 1: `r` costs less), or '—' when the run has no such row.
 */
function versusDiscord(rows: readonly Row[], r: Row): [string, string] {
  const d = rows.find((o) => o.lib === '@discordjs/voice' && o.layout === r.layout && o.players === r.players && o.source === r.source);
  if (d === undefined) return ['—', '—'];
  const ratio = (a: number, b: number): string => (b > 0 && a > 0 ? `${(a / b).toFixed(2)}×` : '—');
  return [ratio(d.usPerFrame, r.usPerFrame), ratio(d.rssKB, r.rssKB)];
}

function printTable(rows: Row[]): void {
  const header = ['layout', 'lib', 'start', 'players', 'p50 ms', 'p99 ms', 'max ms', `late>${LATE_MS}ms`, 'lost', 'rebased', 'underruns', 'ready ms', 'block ms', 'CPU', 'loop CPU', 'µs/frame', 'RSS/player', 'heap+buf KB', 'GC ms/s min/inc/maj', 'GC max ms', 'CPU pressure', 'load 1m', 'discord÷ µs/frame', 'discord÷ RSS'];
  const lines = rows.map((r) => [
    r.layout,
    r.lib === 'spence' && r.source !== 'file' ? `spence ${r.source}` : r.lib,
    r.lib === 'spence' ? r.start : '—',
    String(r.players),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(2),
    `${(r.late / Math.max(1, r.frames) * 100).toFixed(2)} %`,
    String(r.lost),
    String(r.rebases),
    String(r.underruns),
    Number.isNaN(r.readyMs) ? '—' : r.readyMs.toFixed(0),
    r.blockMs.toFixed(1),
    `${(r.cpu * 100).toFixed(1)} %`,
    Number.isNaN(r.loopCpu) ? '—' : `${(r.loopCpu * 100).toFixed(1)} %`,
    r.usPerFrame.toFixed(2),
    `${r.rssKB.toFixed(1)} KB`,
    `${r.heapKB.toFixed(0)}+${r.buffersKB.toFixed(0)}`,
    r.gc,
    r.gcMax.toFixed(1),
    Number.isNaN(r.pressure) ? '—' : `${(r.pressure * 100).toFixed(1)} %`,
    r.load1.toFixed(2),
    ...versusDiscord(rows, r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

/** Linux CPU pressure (PSI): the share of time runnable tasks waited for a CPU. Lateness means little when high. */
function cpuPressure(): string {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0] ?? '';
    return `; CPU pressure ${line}`;
  } catch {
    return '';
  }
}

/** The files to play: BENCH_FILE, or each layout's (built or found in BENCH_CACHE). */
function files(): { layout: string; file: string }[] {
  if (process.env.BENCH_FILE !== undefined) {
    const file = path.resolve(process.env.BENCH_FILE);
    if (!existsSync(file)) throw new Error(`${file} not found (BENCH_FILE)`);
    return [{ layout: path.basename(file), file }];
  }
  return LAYOUTS.map((layout) => {
    if (!(layout in LAYOUT_DESCRIPTIONS)) throw new Error(`BENCH_LAYOUTS: no layout ${layout} (${Object.keys(LAYOUT_DESCRIPTIONS).join(', ')})`);
    return { layout, file: layoutFile(layout, TRACK_SECONDS, CACHE) };
  });
}

/** One phase of the bench: what a child process runs (BENCH_PHASE). */
interface Phase {
  layout: string;
  file: string;
  lib: 'spence' | 'discord';
  n: number;
  source: 'file' | 'memory';
  start: Start;
}

/** In a child process: runs one phase and prints its row. */
async function runPhase(phase: Phase): Promise<void> {
  FILE = phase.file;
  observeGc();
  const row = phase.lib === 'spence' ? await benchSpence(phase.n, phase.source, phase.start) : await benchDiscord(phase.n, phase.source, await loadPackets(FILE));
  process.stdout.write(`\nBENCH_ROW ${JSON.stringify({ ...row, layout: phase.layout })}\n`);
}

/**
 * Each phase runs in a process of its own (this file again, with BENCH_PHASE): RSS is a process's
 * and does not go back to the system when a phase ends, so in one process every phase after the
 * first showed less memory per player than it takes; nor does one phase's heap, JIT state or
 * worker thread sway the next one's.
 */
function spawnPhase(phase: Phase): Row | null {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, [...process.execArgv, script], {
    env: { ...process.env, BENCH_PHASE: JSON.stringify(phase) },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = result.stdout.toString();
  for (const line of out.split('\n')) {
    // NaN (nothing measured) goes through JSON as null.
    if (line.startsWith('BENCH_ROW ')) return JSON.parse(line.slice('BENCH_ROW '.length), (_k, v: unknown) => (v === null ? Number.NaN : v)) as Row;
    if (line.trim() !== '') console.log(line);
  }
  console.log(`  ${phase.lib} ${phase.layout} ${phase.start} ${phase.n}: the phase failed (exit ${result.status ?? result.signal})`);
  return null;
}

async function main(): Promise<void> {
  const phaseEnv = process.env.BENCH_PHASE;
  if (phaseEnv !== undefined) {
    await runPhase(JSON.parse(phaseEnv) as Phase);
    process.exit(0);
  }
  const plays = files();
  console.log(`scheduler bench${MANUAL ? ' (manual clock: lateness meaningless, per-second figures per real second)' : ''}: ${SECONDS} s per phase, players ${COUNTS.join(', ')}, starts ${STARTS.join(', ')}, sources ${SOURCES.join(', ')}, RealClock spinMs ${SPIN_MS}, node ${process.version}; gc: ${gc ? 'yes' : 'no (run with --expose-gc for RSS)'}`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${cpuPressure()}`);
  const rows: Row[] = [];
  const add = (row: Row | null): void => {
    if (row === null) return;
    rows.push(row);
    console.log(`  ${row.layout} ${row.lib} ${row.lib === 'spence' ? row.start : ''} ${row.players}: p99 ${row.p99.toFixed(2)} ms, lost ${row.lost}, loop CPU ${(row.loopCpu * 100).toFixed(1)} %, ${row.usPerFrame.toFixed(2)} µs/frame, ${row.rssKB.toFixed(0)} KB/player, CPU pressure ${(row.pressure * 100).toFixed(1)} %`);
  };
  for (const { layout, file } of plays) {
    const packets = await loadPackets(file);
    const description = (LAYOUT_DESCRIPTIONS as Record<string, string>)[layout] ?? 'BENCH_FILE';
    console.log(`${layout}: ${description}: ${file} (prism-media reads ${packets.length} packets)`);
    for (const n of COUNTS) {
      for (const source of SOURCES) {
        if (LIBS.includes('spence')) for (const start of STARTS) add(spawnPhase({ layout, file, lib: 'spence', n, source, start }));
        if (LIBS.includes('discord') && !MANUAL) add(spawnPhase({ layout, file, lib: 'discord', n, source, start: 'burst' }));
      }
    }
  }
  printTable(rows);
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${cpuPressure()}`);
  process.exit(0);
}

void main();
