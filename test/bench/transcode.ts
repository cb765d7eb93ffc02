/**
 * Transcoding cost: CPU time per second of audio for MP3 → Opus and Opus → Opus with volume, with
 * each encoder backend this install can load, measured inline (one thread) so the number is the
 * work itself; then how many real-time streams one core sustains (1 / CPU share per stream), and a
 * pool run (worker threads) checking that N streams deliver their packets in time.
 *
 * Extension point: `poolRun()` takes the stream count and returns per-read lateness; the scenario
 * "while 1000 passthrough players keep their deadlines" adds the players on the main thread and
 * reads both from the scheduler once the transcoder is wired into the player.
 *
 * BENCH_SECONDS (audio seconds per case, default 10), BENCH_POOL_STREAMS (default "4,16").
 */
import { readFileSync } from 'node:fs';
import { performance as nodePerformance } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import { WebmDemuxer } from '../../src/demux/index.js';
import { Transcoder, TranscodePool, createDecoder, createEncoder, detectEncoders, TranscodePipeline, type EncoderBackendName, type TranscodeInput } from '../../src/transcode/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
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
const header = ['case', 'encoder', 'CPU ms / s audio', 'CPU share / stream', 'streams / core'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\nInline (one thread, ${seconds} s of audio per case, Node ${process.version})\n`);
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

const counts = (process.env.BENCH_POOL_STREAMS ?? '4,16').split(',').map(Number);
const { loadavg, availableParallelism } = await import('node:os');
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
