/**
 * Demux benchmark: ours against prism-media and mediabunny, in one process, on a 60-minute WebM
 * and a 60-minute Ogg Opus stream built here from fixture packets.
 *
 *   node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/demux.ts
 *
 * - Source packets: ../shared/media/opusenc.opus when present (30 s, ~107 kb/s), else
 *   fixtures/media/opusenc-stereo.opus; looped to 60 minutes.
 * - Ogg: written with our OggOpusWriter. WebM: a minimal muxer below (EBML header, Segment, Info,
 *   Tracks with A_OPUS + CodecPrivate, 5 s Clusters of SimpleBlocks, and a final BlockGroup, so
 *   prism-media's loss of a last packet in a BlockGroup shows in its count).
 * - Ours and prism-media are fed the same 64 KiB chunks. mediabunny reads the whole buffer through
 *   a BufferSource with an EncodedPacketSink (it does not take pushed chunks).
 * - packets/s and MB/s: median of several timed rounds after a warm-up run; each round runs every
 *   demuxer once, with no GC forced before it (BENCH_FORCED_GC=1 forces one; see measure()).
 *   mediabunny is timed after those rounds (its garbage would slow whichever runner followed it).
 *   "ours/peer" is the median over rounds of the per-round time ratio, so both sides of a ratio ran
 *   under the same machine load. BENCH_RUNS (15), BENCH_SLOW_RUNS (3) and BENCH_ONLY (webm or ogg)
 *   tune a run.
 * - "alloc B/pkt": JS-heap bytes allocated per packet, in 3 untimed runs each after a forced full
 *   GC (median), measured as the heap growth over the run
 *   plus every byte the garbage collector reclaimed during it (v8.GCProfiler). ArrayBuffer backing
 *   stores outside the V8 heap (packet payload copies, Buffer.concat results) are not included.
 * - Ogg shows ours through push() and feed(), each with the CRC checked and with `verifyCrc:
 *   false` (pages that follow a good page back to back are not CRC-checked): prism-media checks no
 *   CRC at all. Below the table, each of those four rows' packets/s over prism-media's (issue 16's
 *   goal: >= 2x with the CRC checked), from CPU time (process.cpuUsage, every thread of the
 *   process, so GC helpers count): the median over rounds of prism-media's CPU time over ours in
 *   the same round, then the wall-clock ratio of the medians. On a shared machine the CPU-time
 *   ratio is the steadier one: a round's wall time grows with whatever else the machine runs.
 * - "feed" rows: ours through `feed(chunk, sink)` (PushDemuxer.feed) with a sink that sums the
 *   packet lengths: the same packets handed out in place, with no packet objects nor packet storage
 *   (how a player's read-ahead ring takes them). Their "same as ours" run copies each packet.
 * - "demux()" rows: the public pull API over an async iterable of the same chunks, iterated per
 *   packet (`for await (const packet of demux(input))`: a promise per packet) and by batches
 *   (`demux(input).batches()`: a promise per chunk). Ogg has both with CRCs checked (the default)
 *   and with `verifyCrc: false`.
 * - "floor" rows: `for await` over as many packets as the stream has, pre-made (one object, handed
 *   out again and again), through an iterator as cheap as demux()'s (a resolved promise per
 *   packet): what any per-packet async iteration costs before a byte is demuxed. Below the table,
 *   the floor plus our feed() (the demuxing itself, no packet objects) bounds what demux() per
 *   packet can reach against prism-media in JavaScript.
 * - "x prism CPU" and "x prism wall": prism-media's CPU time (process.cpuUsage, every thread of
 *   the process, so GC helpers count) and wall time over ours in the same round, median over
 *   rounds (>1: ours is faster; issue 16's goal is >= 2x through demux() per packet with CRCs
 *   checked). On a shared machine the CPU-time ratio is the steadier one: a round's wall time grows
 *   with whatever else the machine runs. Read either as indicative unless the machine was quiet.
 * - "same as ours": an untimed run whose packet count and bytes are compared with ours, after every
 *   timed and allocation run of both containers (it holds an hour of packets, which would shape
 *   the heap the timed runs see; see sameAsOurs()).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { GCProfiler } from 'node:v8';
import { BufferSource, EncodedPacketSink, Input, ALL_FORMATS } from 'mediabunny';
import prism from 'prism-media';
import { demux, type DemuxOptions } from '../../src/demux/demux.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import type { OpusPacket, PacketSink } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';

const MINUTES = 60;
const CHUNK = 64 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** `BENCH_ONLY=webm` or `BENCH_ONLY=ogg` runs one container. */
const ONLY = (process.env.BENCH_ONLY ?? '').toLowerCase();
const ALLOC_RUNS = 3;
const FORCED_GC = process.env.BENCH_FORCED_GC === '1';
const SLOW_RUNS = Number(process.env.BENCH_SLOW_RUNS ?? 3);

const root = join(import.meta.dirname, '..', '..');

// ---------------------------------------------------------------- source packets
function sourcePackets(): { packets: Uint8Array[]; opusHead: Uint8Array; source: string } {
  const shared = join(root, '..', 'shared', 'media', 'opusenc.opus');
  const path = existsSync(shared) ? shared : join(root, 'fixtures', 'media', 'opusenc-stereo.opus');
  const demuxer = new OggDemuxer();
  const bytes = new Uint8Array(readFileSync(path));
  const packets = [...demuxer.push(bytes), ...demuxer.end()].map((p) => p.data);
  return { packets, opusHead: demuxer.info!.opusHead!, source: path.slice(root.length - 4) };
}

function loopPackets(packets: Uint8Array[], minutes: number): { data: Uint8Array; durationMs: number }[] {
  const out: { data: Uint8Array; durationMs: number }[] = [];
  let total = 0;
  const target = minutes * 60_000;
  for (let i = 0; total < target; i = (i + 1) % packets.length) {
    const data = packets[i]!;
    const toc = data[0]!;
    // 20 ms for the usual CELT/SILK configs; computed exactly by the writer and demuxers anyway.
    const durationMs = frameMs(toc) * frames(data);
    out.push({ data, durationMs });
    total += durationMs;
  }
  return out;
}

function frameMs(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [10, 20, 40, 60][config % 4]!;
  if (config < 16) return [10, 20][config % 2]!;
  return [2.5, 5, 10, 20][config % 4]!;
}
function frames(p: Uint8Array): number {
  const code = p[0]! & 3;
  return code === 0 ? 1 : code === 3 ? p[1]! & 0x3f : 2;
}

// ---------------------------------------------------------------- Ogg (our writer)
function buildOgg(packets: { data: Uint8Array }[], opusHead: Uint8Array): Uint8Array {
  const writer = new OggOpusWriter(opusHead, { serial: 0x5eed, comments: { TITLE: 'bench' } });
  const pages: Uint8Array[] = writer.headers();
  for (const p of packets) for (const page of writer.write(p.data)) pages.push(page);
  pages.push(...writer.end());
  return Buffer.concat(pages);
}

// ---------------------------------------------------------------- WebM (minimal muxer)
function vintSize(n: number): Uint8Array {
  if (n < 0x7f) return Uint8Array.of(0x80 | n);
  if (n < 0x3fff) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  if (n < 0x1fffff) return Uint8Array.of(0x20 | (n >> 16), (n >> 8) & 0xff, n & 0xff);
  if (n < 0xfffffff) return Uint8Array.of(0x10 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  const out = new Uint8Array(8);
  out[0] = 0x01;
  let v = n;
  for (let i = 7; i >= 1; i--) { out[i] = v % 256; v = Math.floor(v / 256); }
  return out;
}
function idBytes(id: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.from(bytes);
}
function el(id: number, ...children: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(children);
  return Buffer.concat([idBytes(id), vintSize(body.length), body]);
}
function uint(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return el(id, Uint8Array.from(bytes));
}
function float(id: number, value: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return el(id, b);
}
const str = (id: number, s: string): Uint8Array => el(id, Buffer.from(s, 'ascii'));

function block(trackTime: number, clusterTime: number, data: Uint8Array, flags: number): Uint8Array {
  const header = Buffer.alloc(4);
  header[0] = 0x81; // track number 1 as a 1-byte EBML vint
  header.writeInt16BE(trackTime - clusterTime, 1);
  header[3] = flags;
  return Buffer.concat([header, data]);
}

function buildWebm(packets: { data: Uint8Array; durationMs: number }[], opusHead: Uint8Array): Uint8Array {
  const preSkip = opusHead[10]! | (opusHead[11]! << 8);
  const channels = opusHead[9]!;
  const header = el(0x1a45dfa3, uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), str(0x4282, 'webm'), uint(0x4287, 4), uint(0x4285, 2));
  let totalMs = 0;
  for (const p of packets) totalMs += p.durationMs;
  const info = el(0x1549a966, uint(0x2ad7b1, 1_000_000), float(0x4489, totalMs), str(0x4d80, 'spence-bench'), str(0x5741, 'spence-bench'));
  const tracks = el(
    0x1654ae6b,
    el(0xae, uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 2), str(0x86, 'A_OPUS'), el(0x63a2, opusHead),
      uint(0x56aa, Math.round((preSkip * 1e9) / 48000)), uint(0x56bb, 80_000_000),
      el(0xe1, float(0xb5, 48000), uint(0x9f, channels))),
  );
  const clusters: Uint8Array[] = [];
  let blocks: Uint8Array[] = [];
  let clusterTime = 0;
  let time = 0;
  const flush = (): void => {
    if (blocks.length) clusters.push(el(0x1f43b675, uint(0xe7, clusterTime), ...blocks));
    blocks = [];
  };
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i]!;
    const t = Math.round(time);
    if (t - clusterTime >= 5000) { flush(); clusterTime = t; }
    if (i === packets.length - 1) {
      // The last packet in a BlockGroup (Block + BlockDuration), as ffmpeg writes it.
      blocks.push(el(0xa0, el(0xa1, block(t, clusterTime, p.data, 0)), uint(0x9b, Math.round(p.durationMs))));
    } else {
      blocks.push(el(0xa3, block(t, clusterTime, p.data, 0x80)));
    }
    time += p.durationMs;
  }
  flush();
  const segment = el(0x18538067, info, tracks, ...clusters);
  return Buffer.concat([header, segment]);
}

// ---------------------------------------------------------------- runners
interface RunResult { packets: number; bytes: number }
type Runner = { name: string; slow?: boolean; ours?: boolean; prism?: boolean; floor?: boolean; run: () => Promise<RunResult>; collect: () => Promise<Uint8Array[]> };

function chunksOf(buffer: Uint8Array): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += CHUNK) chunks.push(Buffer.from(buffer.buffer, buffer.byteOffset + i, Math.min(CHUNK, buffer.length - i)));
  return chunks;
}

function oursRunner(name: string, make: () => { push(c: Uint8Array): OpusPacket[]; end(): OpusPacket[] }, chunks: Buffer[]): Runner {
  const go = (keep: Uint8Array[] | null): RunResult => {
    const demuxer = make();
    let packets = 0;
    let bytes = 0;
    for (const chunk of chunks) {
      const out = demuxer.push(chunk);
      packets += out.length;
      for (let i = 0; i < out.length; i++) { bytes += out[i]!.data.length; if (keep) keep.push(out[i]!.data); }
    }
    const last = demuxer.end();
    packets += last.length;
    for (const p of last) { bytes += p.data.length; if (keep) keep.push(p.data); }
    return { packets, bytes };
  };
  return { name, ours: true, run: async () => go(null), collect: async () => { const keep: Uint8Array[] = []; go(keep); return keep; } };
}

type Feedable = { feed(c: Uint8Array, sink: PacketSink): void; end(): OpusPacket[] };

/** Ours through feed(): a sink that counts packets and sums their lengths (or copies them, to compare). */
function feedRunner(name: string, make: () => Feedable, chunks: Buffer[]): Runner {
  const go = (keep: Uint8Array[] | null): RunResult => {
    const demuxer = make();
    const sink = {
      packets: 0,
      bytes: 0,
      packet(bytes: Uint8Array, start: number, end: number): void {
        this.packets++;
        this.bytes += end - start;
        if (keep) keep.push(bytes.slice(start, end));
      },
    };
    for (const chunk of chunks) demuxer.feed(chunk, sink);
    for (const p of demuxer.end()) sink.packet(p.data, 0, p.data.length);
    return { packets: sink.packets, bytes: sink.bytes };
  };
  return { name, ours: true, run: async () => go(null), collect: async () => { const keep: Uint8Array[] = []; go(keep); return keep; } };
}

/** The chunks as an input stream would give them: an async iterable, one promise per chunk. */
async function* chunkSource(chunks: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Ours through demux(): per packet (`for await` over the stream) or by batches. */
function demuxRunner(name: string, chunks: Buffer[], options: DemuxOptions & { mp3?: false }, batches: boolean): Runner {
  const go = async (keep: Uint8Array[] | null): Promise<RunResult> => {
    const stream = demux(chunkSource(chunks), options);
    let packets = 0;
    let bytes = 0;
    if (batches) {
      for await (const batch of stream.batches()) {
        packets += batch.length;
        for (let i = 0; i < batch.length; i++) { bytes += batch[i]!.data.length; if (keep) keep.push(batch[i]!.data); }
      }
    } else {
      for await (const packet of stream) { packets++; bytes += packet.data.length; if (keep) keep.push(packet.data); }
    }
    return { packets, bytes };
  };
  return { name, ours: true, run: () => go(null), collect: async () => { const keep: Uint8Array[] = []; await go(keep); return keep; } };
}

/**
 * The floor of per-packet async iteration: `for await` over `count` packets that cost nothing to
 * make (one object, handed out `count` times), through a hand-written iterator that returns a
 * resolved promise per packet, as demux()'s does for a packet it has read.
 */
function floorRunner(name: string, count: number): Runner {
  const packet: OpusPacket = { data: new Uint8Array(1), timestampMs: 0, durationMs: 20 };
  const done: IteratorResult<OpusPacket> = { done: true, value: undefined };
  const go = async (): Promise<RunResult> => {
    let i = 0;
    const iterator: AsyncIterator<OpusPacket> = { next: () => Promise.resolve(i++ < count ? { done: false, value: packet } : done) };
    let packets = 0;
    let bytes = 0;
    for await (const p of { [Symbol.asyncIterator]: () => iterator }) { packets++; bytes += p.data.length; }
    return { packets, bytes };
  };
  return { name, floor: true, run: go, collect: async () => [] };
}

function prismRunner(name: string, make: () => NodeJS.ReadWriteStream, chunks: Buffer[]): Runner {
  const go = (keep: Uint8Array[] | null): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const demuxer = make();
      let packets = 0;
      let bytes = 0;
      demuxer.on('data', (p: Buffer) => { packets++; bytes += p.length; if (keep) keep.push(p); });
      demuxer.on('error', reject);
      demuxer.on('end', () => resolve({ packets, bytes }));
      for (const chunk of chunks) demuxer.write(chunk);
      demuxer.end();
    });
  return { name, prism: true, run: () => go(null), collect: async () => { const keep: Uint8Array[] = []; await go(keep); return keep; } };
}

function mediabunnyRunner(name: string, buffer: Uint8Array): Runner {
  const go = async (keep: Uint8Array[] | null): Promise<RunResult> => {
    const input = new Input({ source: new BufferSource(buffer), formats: ALL_FORMATS });
    const track = await input.getPrimaryAudioTrack();
    if (!track) throw new Error('mediabunny found no audio track');
    const sink = new EncodedPacketSink(track);
    let packets = 0;
    let bytes = 0;
    for await (const p of sink.packets()) { packets++; bytes += p.data.length; if (keep) keep.push(p.data); }
    return { packets, bytes };
  };
  return { name, slow: true, run: () => go(null), collect: async () => { const keep: Uint8Array[] = []; await go(keep); return keep; } };
}

/**
 * The digest of a runner's packets. In a function of its own so that the collected packets (an
 * hour of them) are garbage once it returns: kept in an async caller's frame, they would sit in
 * the heap through the timed rounds and make every full GC there longer.
 */
async function digestOf(runner: Runner): Promise<string> {
  return digest(await runner.collect());
}

function digest(packets: Uint8Array[]): string {
  const h = createHash('sha1');
  for (const p of packets) { h.update(String(p.length)); h.update(p); }
  return `${packets.length}:${h.digest('hex')}`;
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

interface Row { container: string; name: string; pps: number; mbps: number; alloc: number; packets: number; same: string; ratio: string; prismWall: number; prismCpu: number; cpuMs: number; ours: boolean; floor: boolean }

/**
 * "same as ours" for each runner: its packets' digest against the first runner's. Run after every
 * timed round of the bench (see main()): each digest holds an hour of packets at once, and a heap
 * that has done that is one no streaming process is in (V8 grows the young generation to its
 * largest, so slab memory waits longer to be reused): the allocating runners ran ~40 % slower
 * after it (ours more than prism-media, whose packets are views into the input).
 */
async function sameAsOurs(runners: Runner[]): Promise<string[]> {
  const reference = await digestOf(runners[0]!);
  const same: string[] = [];
  for (const runner of runners) {
    if (runner.floor) {
      same.push('-');
    } else {
      const collected = await digestOf(runner);
      same.push(collected === reference ? 'yes' : `no (${collected.split(':')[0]})`);
    }
  }
  return same;
}

async function measure(container: string, size: number, runners: Runner[]): Promise<Row[]> {
  // Time: rounds with every runner once per round, so ours and each peer are timed under the same
  // machine load; a peer's ratio is the median over rounds of (peer time / our time) in the same
  // round, steadier on a shared machine than a ratio of medians. No GC is forced before a timed run
  // (nor before the rounds: the allocation runs come after them): after a forced full GC, V8 runs
  // the demuxers that copy every packet into new backing stores (ours, mediabunny) 2-4x slower for
  // many runs, a state no streaming process is in. BENCH_FORCED_GC=1 forces one before each timed run.
  const times: number[][] = runners.map(() => []);
  const cpuMs: number[][] = runners.map(() => []);
  const results: RunResult[] = runners.map(() => ({ packets: 0, bytes: 0 }));
  const timed = async (r: number): Promise<number> => {
    if (FORCED_GC) (globalThis as { gc?: () => void }).gc?.();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    results[r] = await runners[r]!.run();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    times[r]!.push(seconds);
    cpuMs[r]!.push((cpu.user + cpu.system) / 1000);
    return seconds;
  };
  // The slow peers (mediabunny) are warmed up and timed after the others: the gigabytes of garbage
  // a run of theirs leaves are still being collected through the next runs, which they slowed by
  // half or more (ours through push() with CRCs: 44-55 ms of CPU without mediabunny in the rounds,
  // 79-86 ms with it, on the same machine).
  const fast = runners.flatMap((runner, r) => (runner.slow ? [] : [r]));
  const slow = runners.flatMap((runner, r) => (runner.slow ? [r] : []));
  for (const r of fast) await runners[r]!.run(); // warm-up
  // Each round starts one runner further on, so that none always runs right after the same one:
  // the GC work that a runner's allocations leave behind lands on whoever runs next.
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < fast.length; k++) await timed(fast[(round + k) % fast.length]!);
  }
  // A slow peer's "ours/peer": its time over the first runner's, timed just before it in each of its rounds.
  const slowRatios: number[][] = runners.map(() => []);
  for (const r of slow) await runners[r]!.run(); // warm-up
  for (let round = 0; round < SLOW_RUNS && slow.length > 0; round++) {
    const t0 = process.hrtime.bigint();
    await runners[0]!.run();
    const first = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const r of slow) slowRatios[r]!.push((await timed(r)) / first);
  }
  // Allocation: untimed runs after the timed rounds, each after a forced full GC, with the GC profiler on.
  const allocs: number[][] = runners.map(() => []);
  for (let r = 0; r < runners.length; r++) {
    for (let i = 0; i < ALLOC_RUNS; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      const profiler = new GCProfiler();
      profiler.start();
      const before = process.memoryUsage().heapUsed;
      const result = await runners[r]!.run();
      const after = process.memoryUsage().heapUsed;
      const stats = profiler.stop();
      let reclaimed = 0;
      for (const gc of stats?.statistics ?? []) reclaimed += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize);
      allocs[r]!.push((after - before + reclaimed) / result.packets);
    }
  }
  const prismIndex = runners.findIndex((runner) => runner.prism === true);
  // A runner's ratio to prism-media: the median over the rounds both ran of prism's cost over its own.
  const againstPrism = (costs: number[][], r: number): number =>
    prismIndex < 0 ? Number.NaN : median(costs[r]!.map((c, round) => costs[prismIndex]![round]! / c).filter((x) => Number.isFinite(x)));
  return runners.map((runner, r) => {
    const seconds = median(times[r]!);
    const ratios = runner.slow ? slowRatios[r]! : times[r]!.map((t, round) => t / times[0]![round]!);
    return {
      container,
      name: runner.name,
      pps: results[r]!.packets / seconds,
      mbps: size / 1e6 / seconds,
      alloc: median(allocs[r]!),
      packets: results[r]!.packets,
      same: '',
      ratio: runner.ours || runner.floor ? '-' : `${median(ratios).toFixed(2)}x`,
      prismWall: againstPrism(times, r),
      prismCpu: againstPrism(cpuMs, r),
      cpuMs: median(cpuMs[r]!),
      ours: runner.ours === true,
      floor: runner.floor === true,
    };
  });
}

/** The two 60-minute streams; the packets they are built from are garbage once it returns. */
function buildStreams(): { ogg: Uint8Array; webm: Uint8Array; packets: number } {
  const { packets, opusHead, source } = sourcePackets();
  const looped = loopPackets(packets, MINUTES);
  console.log(`source ${source}: ${packets.length} packets looped to ${looped.length} packets (${MINUTES} min)`);
  return { ogg: buildOgg(looped, opusHead), webm: buildWebm(looped, opusHead), packets: looped.length };
}

/**
 * What the floor says: demux() per packet costs at least the demuxing (feed(), which makes no packet
 * objects) plus the iteration (the floor row), so it can reach at most prism-media's CPU time over
 * that sum; and it costs about what batches() costs (the demuxing, the copies, the packet objects)
 * plus that floor.
 */
function floorLine(rows: Row[], feedName: string, perPacketName: string, batchesName: string): string {
  const prism = rows.find((r) => r.name.startsWith('prism-media'))!;
  const floor = rows.find((r) => r.floor)!;
  const feed = rows.find((r) => r.name === feedName)!;
  const perPacket = rows.find((r) => r.name === perPacketName)!;
  const batches = rows.find((r) => r.name === batchesName)!;
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  return `${prism.container}: feed() ${ms(feed.cpuMs)} + for-await floor ${ms(floor.cpuMs)} = ${ms(feed.cpuMs + floor.cpuMs)} against prism-media's ${ms(prism.cpuMs)}: ` +
    `demux() per packet can reach at most ${(prism.cpuMs / (feed.cpuMs + floor.cpuMs)).toFixed(2)}x prism-media before it copies a byte or makes a packet object. ` +
    `batches() ${ms(batches.cpuMs)} + floor = ${ms(batches.cpuMs + floor.cpuMs)} (${(prism.cpuMs / (batches.cpuMs + floor.cpuMs)).toFixed(2)}x); demux() per packet measured ${ms(perPacket.cpuMs)} (${(prism.cpuMs / perPacket.cpuMs).toFixed(2)}x)`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const { ogg, webm, packets } = buildStreams();
  console.log(`Ogg ${(ogg.length / 1e6).toFixed(1)} MB, WebM ${(webm.length / 1e6).toFixed(1)} MB, ${CHUNK / 1024} KiB chunks, median of ${RUNS} rounds (${SLOW_RUNS} for mediabunny)`);
  if (!(globalThis as { gc?: () => void }).gc) console.log('(run with node --expose-gc --import ./test/bench/_ts-register.mjs for steadier allocation numbers)');

  const rows: Row[] = [];
  const floors: string[] = [];
  const checks: { rows: Row[]; runners: Runner[] }[] = [];
  if (ONLY !== 'ogg') {
    const chunks = chunksOf(webm);
    const webmRunners = [
      oursRunner('spence WebmDemuxer push', () => new WebmDemuxer(), chunks),
      feedRunner('spence WebmDemuxer feed', () => new WebmDemuxer(), chunks),
      demuxRunner('spence demux() per packet', chunks, {}, false),
      demuxRunner('spence demux().batches()', chunks, {}, true),
      floorRunner('floor: for await, pre-made packets', packets),
      prismRunner('prism-media opus.WebmDemuxer', () => new prism.opus.WebmDemuxer(), chunks),
      mediabunnyRunner('mediabunny EncodedPacketSink', webm),
    ];
    const webmRows = await measure('WebM', webm.length, webmRunners);
    rows.push(...webmRows);
    checks.push({ rows: webmRows, runners: webmRunners });
    floors.push(floorLine(webmRows, 'spence WebmDemuxer feed', 'spence demux() per packet', 'spence demux().batches()'));
  }
  if (ONLY !== 'webm') {
    const oggChunks = chunksOf(ogg);
    const oggRunners = [
      oursRunner('spence OggDemuxer push (CRC)', () => new OggDemuxer(), oggChunks),
      oursRunner('spence OggDemuxer push verifyCrc:false', () => new OggDemuxer({ verifyCrc: false }), oggChunks),
      feedRunner('spence OggDemuxer feed (CRC)', () => new OggDemuxer(), oggChunks),
      feedRunner('spence OggDemuxer feed verifyCrc:false', () => new OggDemuxer({ verifyCrc: false }), oggChunks),
      demuxRunner('spence demux() per packet (CRC)', oggChunks, {}, false),
      demuxRunner('spence demux().batches() (CRC)', oggChunks, {}, true),
      demuxRunner('spence demux() per packet verifyCrc:false', oggChunks, { verifyCrc: false }, false),
      demuxRunner('spence demux().batches() verifyCrc:false', oggChunks, { verifyCrc: false }, true),
      floorRunner('floor: for await, pre-made packets', packets),
      prismRunner('prism-media opus.OggDemuxer', () => new prism.opus.OggDemuxer(), oggChunks),
      mediabunnyRunner('mediabunny EncodedPacketSink', ogg),
    ];
    const oggRows = await measure('Ogg', ogg.length, oggRunners);
    rows.push(...oggRows);
    checks.push({ rows: oggRows, runners: oggRunners });
    floors.push(floorLine(oggRows, 'spence OggDemuxer feed (CRC)', 'spence demux() per packet (CRC)', 'spence demux().batches() (CRC)'));
  }
  // The packets compared once every container has been timed (see sameAsOurs).
  for (const { rows: checked, runners } of checks) {
    const same = await sameAsOurs(runners);
    checked.forEach((row, r) => { row.same = same[r]!; });
  }

  const header = ['container', 'demuxer', 'packets/s', 'MB/s', 'CPU ms', 'x prism CPU', 'x prism wall', 'alloc B/pkt', 'packets', 'same as ours', 'ours/peer'];
  const ratio = (r: Row, x: number): string => (r.ours || r.floor) && Number.isFinite(x) ? `${x.toFixed(2)}x` : '-';
  const table = rows.map((r) => [
    r.container, r.name, `${(r.pps / 1e6).toFixed(2)} M`, r.mbps.toFixed(0), r.cpuMs.toFixed(1), ratio(r, r.prismCpu), ratio(r, r.prismWall),
    r.alloc.toFixed(0), String(r.packets), r.same, r.ratio,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log();
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log(`\nThe floor of demux() per packet (medians of CPU time; CRCs checked):\n  ${floors.join('\n  ')}`);
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s; ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
}

await main();
