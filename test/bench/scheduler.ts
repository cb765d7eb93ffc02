/**
 * Frame scheduler benchmark: N spence players in push mode vs N @discordjs/voice AudioPlayers,
 * in the same process, one after the other, on the real clock.
 *
 *   node --expose-gc --import tsx test/bench/scheduler.ts
 *
 * Environment: BENCH_SECONDS (default 20, per phase), BENCH_COUNTS (default "1,100,1000,5000"),
 * BENCH_SPIN_MS (RealClock spinMs, default 0), BENCH_FILE (default fixtures/media/sample.webm).
 *
 * Packet source: the Opus packets of BENCH_FILE, demuxed once with prism-media's demuxer and held in
 * memory; each player's opener loops them with continuous timestamps and *copies* every packet's
 * bytes as it is pulled (as a demuxer does), so the read-ahead's memory is real.
 *
 * Measured per phase: send lateness (sentAt - deadline) p50/p99/max; frames late (> 2 ms);
 * frames lost (deadlines in the window with no frame sent: expected - sent); rebases (stall
 * policy); CPU share of one core (process.cpuUsage over wall time); RSS growth per player
 * (after gc, players running, minus before).
 *
 * @discordjs/voice: its AudioPlayer has no deadline per player; its global cycle dispatches every
 * player at t0 + 20k ms (Date.now() grid). We wrap AudioPlayer.prototype._stepDispatch and compare
 * each call's time with that grid, and count resource.read() misses as lost frames.
 */

import { createReadStream, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Readable } from 'node:stream';
import prism from 'prism-media';
import {
  AudioPlayer,
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  createAudioPlayer,
  createAudioResource,
} from '@discordjs/voice';
import { opusPacketDurationMs } from '../../src/demux/opus.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Track } from '../../src/resolve/track.js';
import { RealClock } from '../../src/player/clock.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { Player } from '../../src/player/player.js';
import type { FrameEvent, TrackOpener } from '../../src/player/types.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const COUNTS = (process.env.BENCH_COUNTS ?? '1,100,1000,5000').split(',').map(Number);
const SPIN_MS = Number(process.env.BENCH_SPIN_MS ?? 0);
const FILE = process.env.BENCH_FILE ?? 'fixtures/media/sample.webm';
const LATE_MS = 2;

const gc = (globalThis as { gc?: () => void }).gc;

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
  lib: string;
  players: number;
  frames: number;
  p50: number;
  p99: number;
  max: number;
  late: number;
  lost: number;
  rebases: number | string;
  cpu: number;
  rssKB: number;
}

async function loadPackets(file: string): Promise<{ packets: Uint8Array[]; source: string }> {
  if (!existsSync(file)) {
    const packets = Array.from({ length: 500 }, (_, i) => Uint8Array.of(0xfc, i & 0xff, ...new Uint8Array(158).fill(0x55)));
    return { packets, source: `synthetic 20 ms packets (${file} not found)` };
  }
  const demuxer = file.endsWith('.webm') ? new prism.opus.WebmDemuxer() : new prism.opus.OggDemuxer();
  const packets: Uint8Array[] = [];
  createReadStream(file).pipe(demuxer);
  for await (const chunk of demuxer as AsyncIterable<Buffer>) packets.push(new Uint8Array(chunk));
  return { packets, source: `${file} (${packets.length} packets, demuxed by prism-media)` };
}

function loopOpener(packets: readonly Uint8Array[]): TrackOpener {
  return async (_track, { signal }) => {
    let i = 0;
    let ts = 0;
    return {
      info: { container: 'webm', channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, channelMappingFamily: 0 },
      packets: {
        next: async () => {
          if (signal.aborted) return { done: true, value: undefined };
          const src = packets[i++ % packets.length]!;
          const durationMs = opusPacketDurationMs(src) || 20;
          const packet: OpusPacket = { data: src.slice(), timestampMs: ts, durationMs };
          ts += durationMs;
          return { done: false, value: packet };
        },
      },
      close: () => {},
    };
  };
}

const track: Track = {
  encoded: 'bench', source: 'bench', identifier: 'bench', uri: 'bench:', title: 'bench', author: 'bench',
  durationMs: null, isStream: false, isSeekable: true,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rss(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}

async function benchSpence(n: number, packets: readonly Uint8Array[]): Promise<Row> {
  const scheduler = new FrameScheduler({ clock: new RealClock({ spinMs: SPIN_MS }) });
  const openTrack = loopOpener(packets);
  const hist = new Histogram();
  const rssBefore = rss();
  const players: Player[] = [];
  let measuring = false;
  let sent = 0;
  const onFrame = (f: FrameEvent): void => {
    if (!measuring) return;
    sent++;
    hist.add(f.sentAt - f.deadline);
  };
  // Start the players spread over one 20 ms frame, as players of many guilds would be.
  for (let batch = 0; batch < 20; batch++) {
    const loads: Promise<void>[] = [];
    for (let i = batch; i < n; i += 20) {
      const p = new Player({ scheduler, openTrack, silenceFrames: 5 });
      p.on('frame', onFrame);
      players.push(p);
      loads.push(p.load(track));
    }
    await Promise.all(loads);
    await sleep(1);
  }
  await sleep(1000); // warm-up
  const stallsBefore = scheduler.stats.skippedFrames;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = rss();
  const expected = Math.round((wall / 20) * n);
  for (const p of players) p.destroy();
  scheduler.destroy();
  return {
    lib: 'spence',
    players: n,
    frames: sent,
    p50: hist.percentile(0.5),
    p99: hist.percentile(0.99),
    max: hist.max,
    late: hist.late,
    lost: Math.max(0, expected - sent - n), // ±1 frame per player at the window's edges
    rebases: scheduler.stats.skippedFrames - stallsBefore,
    cpu: (cpu.user + cpu.system) / 1000 / wall,
    rssKB: (rssAfter - rssBefore) / 1024 / n,
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
  lastCheck: number;
}

const dstate: DispatchState = { t0: 0, offset: 0, measuring: false, hist: new Histogram(), dispatched: 0, misses: 0, cycle: -1, lastCheck: -Infinity };

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
// Each discord cycle starts with checkPlayable() on every player, back to back; cycles are at
// least the length of a prepare chain apart. A call more than 2 ms after the previous one opens
// the next cycle.
proto.checkPlayable = function (this: AudioPlayer) {
  const now = performance.now();
  if (now - dstate.lastCheck > 2) dstate.cycle++;
  dstate.lastCheck = now;
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

async function benchDiscord(n: number, packets: readonly Uint8Array[]): Promise<Row> {
  dstate.hist = new Histogram();
  dstate.dispatched = 0;
  dstate.misses = 0;
  const rssBefore = rss();
  const players: AudioPlayer[] = [];
  dstate.offset = dateOffset();
  dstate.cycle = -1;
  dstate.lastCheck = -Infinity;
  for (let i = 0; i < n; i++) {
    const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play, maxMissedFrames: 1e9 } });
    const resource = createAudioResource(packetStream(packets), { inputType: StreamType.Opus });
    const read = resource.read.bind(resource);
    resource.read = () => {
      const packet = read();
      if (packet === null && dstate.measuring) dstate.misses++;
      return packet;
    };
    player.on('error', () => {});
    player.play(resource);
    // Discord's cycle starts at Date.now() when its first player is added (in play()): t0 of its 20 ms grid.
    if (i === 0) dstate.t0 = Date.now();
    players.push(player);
  }
  await sleep(1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  dstate.measuring = true;
  await sleep(SECONDS * 1000);
  dstate.measuring = false;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = rss();
  const expected = Math.round((wall / 20) * n);
  for (const p of players) p.stop(true);
  await sleep(200);
  return {
    lib: '@discordjs/voice',
    players: n,
    frames: dstate.dispatched,
    p50: dstate.hist.percentile(0.5),
    p99: dstate.hist.percentile(0.99),
    max: dstate.hist.max,
    late: dstate.hist.late,
    lost: Math.max(0, expected - dstate.dispatched - n) + dstate.misses,
    rebases: 'n/a',
    cpu: (cpu.user + cpu.system) / 1000 / wall,
    rssKB: (rssAfter - rssBefore) / 1024 / n,
  };
}

function printTable(rows: Row[]): void {
  const header = ['lib', 'players', 'frames', 'p50 ms', 'p99 ms', 'max ms', `late>${LATE_MS}ms`, 'lost', 'rebased', 'CPU', 'RSS/player'];
  const lines = rows.map((r) => [
    r.lib,
    String(r.players),
    String(r.frames),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    r.max.toFixed(2),
    `${r.late} (${((r.late / Math.max(1, r.frames)) * 100).toFixed(2)}%)`,
    String(r.lost),
    String(r.rebases),
    `${(r.cpu * 100).toFixed(1)}%`,
    `${r.rssKB.toFixed(1)} KB`,
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

async function main(): Promise<void> {
  const { packets, source } = await loadPackets(FILE);
  console.log(`scheduler bench: ${SECONDS} s per phase, players ${COUNTS.join(', ')}, RealClock spinMs ${SPIN_MS}, node ${process.version}`);
  console.log(`packets: ${source}; gc: ${gc ? 'yes' : 'no (run with --expose-gc for RSS)'}`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${cpuPressure()}`);
  const rows: Row[] = [];
  for (const n of COUNTS) {
    rows.push(await benchSpence(n, packets));
    console.log(`  spence ${n} done`);
    rows.push(await benchDiscord(n, packets));
    console.log(`  @discordjs/voice ${n} done`);
  }
  printTable(rows);
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${cpuPressure()}`);
  process.exit(0);
}

void main();
