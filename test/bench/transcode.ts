/**
 * Transcoding cost: CPU time per second of audio for MP3 → Opus and Opus → Opus with volume, with
 * each encoder backend this install can load, measured inline (one thread) so the number is the
 * work itself; then how many real-time streams one core sustains (1 / CPU share per stream), and a
 * pool run (worker threads) checking that N streams deliver their packets in time.
 *
 * The encoder part: the Opus encoder alone (each backend this install loads), CPU µs per 20 ms
 * frame of the sample's music at 128 kbit/s, complexity 10, with one encoder and with
 * BENCH_ENCODERS encoders live in the thread, encoding in turn (a pool worker holding that many
 * streams: every state in the one WebAssembly memory).
 *
 * Then the players phase: BENCH_PASSTHROUGH passthrough players in push mode on the real clock
 * (`new Node({ providers: defaultProviders({ local: { roots } }) })`, `node.createPlayer()`, each looping fixtures/media/sample.webm
 * gaplessly with `preload()` on `trackStart`), plus N transcoding players for each N of
 * BENCH_TRANSCODERS (alternately the Opus sample at volume 0.5 and fixtures/media/tone-44k.mp3,
 * both looped the same way; BENCH_TRANSCODE_KIND=opus|mp3 for one kind only). The passthrough
 * players run once for the whole phase; each N adds its transcoding players, warms up, measures
 * BENCH_SECONDS and destroys them. Per N: lateness (`sentAt - deadline` of the `frame` event)
 * p50/p99/max of both groups, underruns, CPU of the main thread (/proc/self/task/<pid>/stat) and of
 * the other threads (process.cpuUsage() less the main thread: the pool's workers, plus V8's GC
 * helpers), the main thread's event-loop utilisation, the workers' own busy reports, and the
 * machine's CPU pressure (/proc/pressure/cpu "some": the share of the window other tasks waited).
 *
 *   node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/transcode.ts
 *   BENCH_SECONDS=20 BENCH_TRANSCODERS=0,4,8,16,24,32 BENCH_PARTS=players node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/transcode.ts
 *
 * BENCH_SECONDS (audio seconds per inline case and measured seconds per players row, default 5),
 * BENCH_PARTS (default "inline,pool,players"; "encoder" too), BENCH_ENCODERS (default 300), BENCH_POOL_STREAMS (default "4,16"),
 * BENCH_PASSTHROUGH (default 1000), BENCH_TRANSCODERS (default "0,2,4,8,16"),
 * BENCH_TRANSCODE_KIND (default "mix"), BENCH_WORKERS (pool workers, default cores − 1).
 */
import { readFileSync } from 'node:fs';
import { performance as nodePerformance } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { Node } from '../../src/node.js';
import { defaultProviders } from '../../src/default-providers.js';
import { RealClock } from '../../src/player/clock.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';
import { WebmDemuxer } from '../../src/demux/index.js';
import { Transcoder, TranscodePool, createDecoder, createEncoder, detectEncoders, TranscodePipeline, type EncoderBackendName, type TranscodeInput } from '../../src/transcode/index.js';
import { FRAME_SAMPLES, toInt16Interleaved } from '../../src/transcode/pcm.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const parts = new Set((process.env.BENCH_PARTS ?? 'inline,pool,players').split(','));
const media = (name: string): string => new URL(`../../fixtures/media/${name}`, import.meta.url).pathname;
const mp3 = readFileSync(media('tone-44k.mp3')); // 3 s
const demuxer = new WebmDemuxer();
const opusPackets = [...demuxer.push(readFileSync(media('sample.webm'))), ...demuxer.end()].map((p) => p.data); // 10 s

type Case = { name: string; input: TranscodeInput; feed: (push: (b: Uint8Array) => void, audioSeconds: number) => void; volume: number };
const cases: Case[] = [
  {
    name: 'MP3 44.1k → Opus', input: { codec: 'mp3' }, volume: 1,
    feed: (push, s) => { for (let k = 0; k < Math.ceil(s / 3); k++) push(mp3); },
  },
  {
    name: 'Opus → Opus, volume 0.5', input: { codec: 'opus', channels: 2 }, volume: 0.5,
    feed: (push, s) => { for (let k = 0; k < Math.ceil(s / 10); k++) for (const p of opusPackets) push(p); },
  },
];

async function inlineCost(c: Case, backend: EncoderBackendName): Promise<{ cpuMsPerSecond: number; wallMsPerSecond: number }> {
  // Warm-up run (WebAssembly compilation, JIT), then the measured one.
  let result = { cpuMsPerSecond: 0, wallMsPerSecond: 0 };
  for (const audio of [2, seconds]) {
    const pipeline = new TranscodePipeline(await createDecoder(c.input), createEncoder({ backend }), { volume: c.volume });
    c.feed((b) => pipeline.push(b), audio);
    pipeline.end();
    const cpu0 = cpuUsage();
    const t0 = performance.now();
    let frames = 0;
    while (pipeline.readFrame()) frames++;
    const wall = performance.now() - t0;
    const cpu = cpuUsage(cpu0);
    pipeline.destroy();
    const audioSeconds = frames / 50;
    result = { cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / audioSeconds, wallMsPerSecond: wall / audioSeconds };
  }
  return result;
}

/**
 * N streams in a worker pool, each read on a 20 ms clock by the main thread as a player would:
 * returns how many reads found no packet ready (underruns) and the main thread's busy time per read
 * (event-loop utilisation: process.cpuUsage() would count the workers' threads too).
 */
export async function poolRun(streams: number, workers: number, durationMs: number, leadFrames: number): Promise<{ underruns: number; reads: number; mainUsPerRead: number }> {
  const pool = new TranscodePool({ workers });
  const ts = await Promise.all(Array.from({ length: streams }, () => Transcoder.create({ codec: 'mp3' }, { pool, leadFrames })));
  for (const t of ts) cases[0]!.feed((b) => t.push(b), durationMs / 1000 + 3);
  // Let every stream fill its lead once (the player's prebuffer does the same).
  await new Promise((r) => setTimeout(r, 300));
  let underruns = 0;
  let reads = 0;
  const elu0 = nodePerformance.eventLoopUtilization();
  const start = performance.now();
  for (let tick = 1; tick * 20 <= durationMs; tick++) {
    const due = start + tick * 20;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    for (const t of ts) {
      reads++;
      if (!t.read()) underruns++;
    }
  }
  const elu = nodePerformance.eventLoopUtilization(elu0);
  for (const t of ts) t.destroy();
  await pool.close();
  return { underruns, reads, mainUsPerRead: (elu.active * 1000) / reads };
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

async function inlinePart(): Promise<void> {
  const rows: string[][] = [];
  for (const info of detectEncoders()) {
    if (!info.available) {
      rows.push(['(all)', info.name, 'not installed', '', '']);
      continue;
    }
    for (const c of cases) {
      const r = await inlineCost(c, info.name);
      rows.push([c.name, info.name, r.cpuMsPerSecond.toFixed(1), (r.cpuMsPerSecond / 10).toFixed(2) + ' %', Math.floor(1000 / r.cpuMsPerSecond).toString()]);
    }
  }
  console.log(`\nInline (one thread, ${seconds} s of audio per case, Node ${process.version})\n`);
  table(['case', 'encoder', 'CPU ms / s audio', 'CPU share / stream', 'streams / core'], rows);
}

/** The sample's first `count` 20 ms frames as 16-bit interleaved stereo (music, what the encoder sees). */
async function musicFrames(count: number): Promise<Int16Array[]> {
  const decoder = await createDecoder({ codec: 'opus', channels: 2 });
  const frames: Int16Array[] = [];
  for (const packet of opusPackets) {
    const block = decoder.decode(packet);
    for (let at = 0; at + FRAME_SAMPLES <= block.length && frames.length < count; at += FRAME_SAMPLES) {
      const pcm = new Int16Array(FRAME_SAMPLES * 2);
      toInt16Interleaved(block.left.subarray(at), block.right.subarray(at), FRAME_SAMPLES, pcm);
      frames.push(pcm);
    }
  }
  decoder.free();
  return frames;
}

/** CPU µs per frame of `encode` over `frames` for `encoders` live encoders taking frames in turn. */
function encodeCost(backend: EncoderBackendName, frames: Int16Array[], encoders: number, total: number): number {
  const live = Array.from({ length: encoders }, () => createEncoder({ backend }));
  // Warm-up: the WebAssembly tiers up (Liftoff, then TurboFan) over the first frames.
  for (let i = 0; i < Math.max(encoders, 250); i++) live[i % encoders]!.encode(frames[i % frames.length]!);
  const cpu0 = cpuUsage();
  for (let i = 0; i < total; i++) live[i % encoders]!.encode(frames[i % frames.length]!);
  const cpu = cpuUsage(cpu0);
  for (const e of live) e.free();
  return (cpu.user + cpu.system) / total;
}

async function encoderPart(): Promise<void> {
  const many = Number(process.env.BENCH_ENCODERS ?? 300);
  const frames = await musicFrames(500);
  const total = Math.max(many, seconds * 50);
  const rows: string[][] = [];
  for (const info of detectEncoders().filter((b) => b.available)) {
    for (const count of [1, many]) {
      const us = encodeCost(info.name, frames, count, total);
      rows.push([info.name, String(count), us.toFixed(0), (us / 20).toFixed(1)]);
    }
  }
  console.log(`\nEncoder alone (${total} frames of the sample at 128 kbit/s, complexity 10, Node ${process.version})\n`);
  table(['encoder', 'encoders live', 'CPU µs / frame', 'CPU ms / s audio'], rows);
}

async function poolPart(): Promise<void> {
  const counts = (process.env.BENCH_POOL_STREAMS ?? '4,16').split(',').map(Number);
  console.log(`\nPool (MP3 → Opus, read every 20 ms on the main thread, 5 s; load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores)\n`);
  console.log('| streams | workers | lead | reads | underruns | main-thread busy µs / read |');
  console.log('|---------|---------|------|-------|-----------|----------------------------|');
  for (const n of counts) {
    for (const lead of [3, 10]) {
      const workers = Math.max(1, availableParallelism() - 1);
      const r = await poolRun(n, workers, 5000, lead);
      console.log(`| ${n} | ${workers} | ${lead} | ${r.reads} | ${r.underruns} | ${r.mainUsPerRead.toFixed(1)} |`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Players: passthrough players keeping their deadlines beside transcoding ones.

const LATE_MS = 2;

/** Lateness histogram in 10 µs buckets up to 1 s (as in scheduler.ts). */
class Histogram {
  readonly buckets = new Uint32Array(100_001);
  count = 0;
  max = 0;
  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    this.count++;
    if (v > this.max) this.max = v;
    this.buckets[Math.min(100_000, Math.floor(v * 100))]!++;
  }
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const target = Math.ceil(this.count * p);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= target) return i / 100;
    }
    return this.max;
  }
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

/** CPU ms of this process's main thread (utime + stime of /proc/self/task/<pid>/stat), or NaN. */
const TICK_MS = 10; // USER_HZ is 100 on Linux
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Group {
  hist: Histogram;
  underruns: number;
  failures: number;
}
const group = (): Group => ({ hist: new Histogram(), underruns: 0, failures: 0 });

async function playersPart(): Promise<void> {
  const passthroughCount = Number(process.env.BENCH_PASSTHROUGH ?? 1000);
  const transcoderCounts = (process.env.BENCH_TRANSCODERS ?? '0,2,4,8,16').split(',').map(Number);
  const kind = process.env.BENCH_TRANSCODE_KIND ?? 'mix';
  const workers = Number(process.env.BENCH_WORKERS ?? Math.max(1, availableParallelism() - 1));
  const webm = media('sample.webm');
  const mp3File = media('tone-44k.mp3');
  const node = new Node({ providers: defaultProviders({ local: { roots: [dirname(webm)] } }), clock: new RealClock(), transcode: { workers } });
  const resolveTrack = async (file: string): Promise<Track> => {
    const r = await node.resolve(file);
    if (r.type !== 'track') throw new Error(`${file} did not resolve to a track`);
    return r.track;
  };
  const opusTrack = await resolveTrack(webm);
  const mp3Track = await resolveTrack(mp3File);

  let measuring = false;
  let current: { pass: Group; trans: Group } = { pass: group(), trans: group() };
  /** A player that loops `track` gaplessly, counting into `which` group of the current window. */
  const start = (track: Track, which: 'pass' | 'trans', volume: number): { player: Player; loaded: Promise<void> } => {
    const p = node.createPlayer({ silenceFrames: 5 });
    if (volume !== 1) p.setVolume(volume);
    p.on('frame', (f) => {
      if (measuring) current[which].hist.add(f.sentAt - f.deadline);
    });
    p.on('trackStart', () => void p.preload(track).catch(() => {}));
    p.on('underrun', () => {
      if (measuring) current[which].underruns++;
    });
    p.on('trackEnd', (_t, reason) => {
      if (reason !== 'finished' && reason !== 'cleanup') current[which].failures++;
    });
    return { player: p, loaded: p.load(track) };
  };

  // The passthrough players, started spread over one 20 ms frame as players of many guilds would be.
  const passthrough: Player[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const loads: Promise<void>[] = [];
    for (let i = batch; i < passthroughCount; i += 20) {
      const { player, loaded } = start(opusTrack, 'pass', 1);
      passthrough.push(player);
      loads.push(loaded);
    }
    await Promise.all(loads);
    await sleep(1);
  }
  await sleep(1000);

  const rows: string[][] = [];
  const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
  let largestOk = -1;
  for (const n of transcoderCounts) {
    current = { pass: group(), trans: group() };
    const transcoding: Player[] = [];
    const loads: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const mp3 = kind === 'mp3' || (kind === 'mix' && i % 2 === 1);
      const { player, loaded } = mp3 ? start(mp3Track, 'trans', 1) : start(opusTrack, 'trans', 0.5);
      transcoding.push(player);
      loads.push(loaded);
      await sleep(20 / Math.max(1, n)); // spread over one frame
    }
    await Promise.all(loads);
    await sleep(1500); // warm-up: workers started, WebAssembly compiled, leads filled
    const stillTranscoding = transcoding.filter((p) => p.transcoding).length;
    const skipped0 = node.scheduler.stats.skippedFrames;
    const psi0 = pressureTotal();
    const cpu0 = cpuUsage();
    const main0 = mainThreadCpuMs();
    const elu0 = nodePerformance.eventLoopUtilization();
    const t0 = performance.now();
    measuring = true;
    const busy: number[] = [];
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      const pool = (node as unknown as { pool?: TranscodePool }).pool;
      if (pool) busy.push(Math.max(...pool.loads().map((l) => l.busy)));
    }
    measuring = false;
    const wall = performance.now() - t0;
    const elu = nodePerformance.eventLoopUtilization(elu0);
    const mainMs = mainThreadCpuMs() - main0;
    const cpu = cpuUsage(cpu0);
    const psi = (pressureTotal() - psi0) / 1000 / wall;
    const rebased = node.scheduler.stats.skippedFrames - skipped0;
    for (const p of transcoding) p.destroy();
    const { pass, trans } = current;
    const totalMs = (cpu.user + cpu.system) / 1000;
    const ok = pass.hist.percentile(0.99) <= LATE_MS && (n === 0 || (trans.hist.percentile(0.99) <= LATE_MS && trans.underruns === 0 && trans.failures === 0 && stillTranscoding === n));
    if (ok) largestOk = Math.max(largestOk, n);
    rows.push([
      String(n),
      fmt(pass.hist.percentile(0.5)), fmt(pass.hist.percentile(0.99)), fmt(pass.hist.max, 1), String(pass.underruns),
      n === 0 ? '—' : fmt(trans.hist.percentile(0.5)), n === 0 ? '—' : fmt(trans.hist.percentile(0.99)), n === 0 ? '—' : fmt(trans.hist.max, 1),
      n === 0 ? '—' : `${trans.underruns}${trans.failures ? ` (${trans.failures} failed)` : ''}`,
      `${((mainMs / wall) * 100).toFixed(0)} %`, `${(elu.utilization * 100).toFixed(0)} %`,
      `${(((totalMs - mainMs) / wall) * 100).toFixed(0)} %`,
      busy.length ? `${(Math.max(...busy) * 100).toFixed(0)} %` : '—',
      String(rebased),
      `${(psi * 100).toFixed(0)} %`,
      ok ? 'yes' : 'no',
    ]);
    await sleep(500); // let the destroyed players' silence frames and closes settle
  }
  for (const p of passthrough) p.destroy();
  await node.close();

  console.log(`\nPlayers (${passthroughCount} passthrough + N transcoding [${kind}], ${seconds} s per row, ${workers} worker(s), ${availableParallelism()} cores, Node ${process.version})\n`);
  table(
    ['N', 'pass p50 ms', 'pass p99', 'pass max', 'pass underruns', 'trans p50', 'trans p99', 'trans max', 'trans underruns', 'main CPU', 'main ELU', 'other threads CPU', 'worker busy (max)', 'rebased slots', 'CPU pressure', `p99 ≤ ${LATE_MS} ms`],
    rows,
  );
  console.log(`\nLargest N with both groups at p99 ≤ ${LATE_MS} ms and no transcoding underrun: ${largestOk < 0 ? 'none' : largestOk}`);
  console.log('CPU columns: share of one core over the window; "other threads" is process CPU less the main thread (pool workers and V8 helper threads); rebased slots: frame slots skipped by the stall policy (lateness > 60 ms); CPU pressure: share of the window some task on the machine waited for a CPU.');
}

if (parts.has('encoder')) await encoderPart();
if (parts.has('inline')) await inlinePart();
if (parts.has('pool')) await poolPart();
if (parts.has('players')) await playersPart();
