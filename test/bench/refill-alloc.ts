/**
 * Bytes allocated per packet on a playing player's refill path, per layout (issue 16): the opener
 * (`openMediaAsTrack`: positional reads into the read-ahead's read area) → the sniffing demuxer →
 * the read-ahead ring (`PacketRing`), a whole track played through as a player does (filled to a
 * 3 s bound, played down 500 ms, filled again), with each packet shifted out as the scheduler does.
 *
 *   npm run bench -- refill-alloc
 *   BENCH_LAYOUTS=mkvmerge BENCH_SITES=10 npm run bench -- refill-alloc
 *
 * Deterministic, unlike the scheduler bench's timings on a shared machine: V8's sampling heap
 * profiler counts every allocation, the collected ones included (BENCH_SAMPLING bytes apart,
 * default 64), over BENCH_ROUNDS plays of the track after two to warm up. The media is read from
 * memory (no fs request objects), so the figures are the player's and the demuxer's own. The
 * shift's view of each packet's bytes (what a `frame` event carries, ~83 B) is in every row.
 *
 * Environment: BENCH_LAYOUTS (default "youtube,ffmpeg,mkvmerge,opusenc"), BENCH_TRACK_SECONDS
 * (180), BENCH_CACHE (as the scheduler bench's), BENCH_SITES (the top allocation sites per layout
 * to print, default 0).
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { LAYOUT_NAMES, layoutFile, type LayoutName } from './_layouts.js';
import { openMediaAsTrack } from '../../src/open/media-track.js';
import { PacketRing } from '../../src/player/packet-ring.js';
import type { FillTarget } from '../../src/player/types.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { TrackMedia } from '../../src/resolve/provider.js';

const LAYOUTS = (process.env.BENCH_LAYOUTS ?? LAYOUT_NAMES.join(',')).split(',') as LayoutName[];
const TRACK_SECONDS = Number(process.env.BENCH_TRACK_SECONDS ?? 180);
const CACHE = process.env.BENCH_CACHE ?? path.join(os.tmpdir(), 'spence-bench-layouts');
const SAMPLING = Number(process.env.BENCH_SAMPLING ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SITES = Number(process.env.BENCH_SITES ?? 0);
const BOUND_US = 3_000_000;
const REFILL_US = 2_500_000;

/** The file's bytes as media with positional reads, as the local provider's. */
function memoryMedia(bytes: Uint8Array): TrackMedia {
  return {
    contentLength: bytes.length,
    async *read(start: number) {
      yield bytes.subarray(start);
    },
    readAt(position: number, target: Uint8Array) {
      const n = Math.max(0, Math.min(target.length, bytes.length - position));
      target.set(bytes.subarray(position, position + n));
      return Promise.resolve(n);
    },
    close() {},
  };
}

/** Plays the track through; returns its packets and fills. */
async function play(bytes: Uint8Array): Promise<{ packets: number; fills: number }> {
  const track = await openMediaAsTrack(memoryMedia(bytes), { signal: new AbortController().signal });
  const ring = new PacketRing();
  ring.expect(bytes.length / (track.info.durationMs ?? TRACK_SECONDS * 1000), BOUND_US / 1000);
  let packets = 0;
  const sink: FillTarget = {
    packet(data, start, end, timestampMs, durationMs) {
      packets++;
      ring.packet(data, start, end, timestampMs, durationMs);
    },
    readBuffer: (pending) => ring.readBuffer(pending),
  };
  const borrow: OpusPacket = { data: new Uint8Array(0), timestampMs: 0, durationMs: 0 };
  let fills = 0;
  for (;;) {
    while (ring.bufferedUs < BOUND_US) {
      fills++;
      if (!(await track.fill(sink))) {
        track.close();
        return { packets, fills };
      }
    }
    while (ring.bufferedUs > REFILL_US) ring.shift(borrow);
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children: ProfileNode[];
}

/** Bytes by allocation site (the innermost frames), and their total. */
function sites(head: ProfileNode, samples: { nodeId: number; size: number }[]): { total: number; bySite: Map<string, number> } {
  const bytesOf = new Map<number, number>();
  for (const s of samples) bytesOf.set(s.nodeId, (bytesOf.get(s.nodeId) ?? 0) + s.size);
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, stack: string[]): void => {
    const name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(src|test)\//, '$1/')}`.trim();
    const here = [...stack, name];
    const bytes = bytesOf.get(node.id) ?? 0;
    if (bytes > 0) {
      total += bytes;
      const key = here.slice(-3).join(' < ');
      bySite.set(key, (bySite.get(key) ?? 0) + bytes);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(head, []);
  return { total, bySite };
}

async function main(): Promise<void> {
  const session = new Session();
  session.connect();
  console.log(`refill allocation bench: ${TRACK_SECONDS} s tracks, ${ROUNDS} plays each, sampling every ${SAMPLING} B, node ${process.version}`);
  const rows: string[][] = [];
  for (const layout of LAYOUTS) {
    const bytes = new Uint8Array(readFileSync(layoutFile(layout, TRACK_SECONDS, CACHE)));
    await play(bytes); // warm-up: the JIT's tiers
    await play(bytes);
    await session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    let packets = 0;
    let fills = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const played = await play(bytes);
      packets += played.packets;
      fills += played.fills;
    }
    // Node's typings of the profile lack the samples (and the nodes' ids) that V8 sends.
    const { profile } = (await session.post('HeapProfiler.getSamplingProfile')) as unknown as { profile: { head: ProfileNode; samples: { nodeId: number; size: number }[] } };
    await session.post('HeapProfiler.stopSampling');
    const { total, bySite } = sites(profile.head, profile.samples);
    rows.push([layout, String(packets / ROUNDS), String(Math.round(fills / ROUNDS)), ((bytes.length / fills) * ROUNDS / 1024).toFixed(1), (total / packets).toFixed(1), (total / fills).toFixed(0)]);
    if (SITES > 0) {
      console.log(`${layout}: the top allocation sites, bytes per packet`);
      for (const [site, b] of [...bySite].sort((x, y) => y[1] - x[1]).slice(0, SITES)) console.log(`  ${(b / packets).toFixed(1).padStart(6)}  ${site}`);
    }
  }
  session.disconnect();
  const header = ['layout', 'packets/track', 'fills/track', 'KiB/fill', 'B allocated/packet', 'B allocated/fill'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

await main();
