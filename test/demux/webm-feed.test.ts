/**
 * WebmDemuxer.feed(): the same packets as push() (bytes, times, durations, order) handed to a sink,
 * for every WebM/Matroska fixture (and ../shared/media when present), in any chunking, with the
 * caller reusing one buffer for every chunk (the chunk is only borrowed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OpusPacket, PacketSink } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { isSpenceError } from '../../src/errors.js';
import { mulberry32Uint } from '../helpers/prng.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs = [path.join(repoRoot, 'fixtures/media'), path.resolve(repoRoot, '../shared/media')];

function webmFiles(): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) if (/\.(webm|mkv|mka)$/.test(name)) out.push(path.join(dir, name));
  }
  return out;
}

/** A sink that copies each packet out (what a ring does). */
class CopySink implements PacketSink {
  readonly packets: OpusPacket[] = [];
  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    expect(end).toBeGreaterThan(start);
    this.packets.push({ data: Uint8Array.prototype.slice.call(bytes, start, end), timestampMs, durationMs });
  }
}

function viaPush(bytes: Uint8Array): OpusPacket[] {
  const d = new WebmDemuxer();
  return [...d.push(bytes), ...d.end()];
}

/** Deterministic chunk sizes, 1 to `max`. */
function sizes(seed: number, max: number): () => number {
  const next = mulberry32Uint(seed);
  return () => 1 + (next() % max);
}

/** Feeds `bytes` through one reused buffer, scribbled over after every feed. */
function viaFeed(bytes: Uint8Array, next: () => number): OpusPacket[] {
  const d = new WebmDemuxer();
  const sink = new CopySink();
  const scratch = new Uint8Array(70_000);
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(next(), bytes.length - at, scratch.length);
    scratch.set(bytes.subarray(at, at + n));
    d.feed(scratch.subarray(0, n), sink);
    scratch.fill(0xa3); // a SimpleBlock ID everywhere: any retained view would go wrong loudly
    at += n;
  }
  d.end();
  return sink.packets;
}

function same(actual: OpusPacket[], expected: OpusPacket[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a.timestampMs !== e.timestampMs || a.durationMs !== e.durationMs || Buffer.compare(a.data, e.data) !== 0) {
      expect.fail(`packet ${i}: ${a.data.length} B @${a.timestampMs} (${a.durationMs} ms), push gives ${e.data.length} B @${e.timestampMs} (${e.durationMs} ms)`);
    }
  }
}

describe('WebmDemuxer.feed', () => {
  const files = webmFiles();
  it('has fixtures', () => expect(files.length).toBeGreaterThan(3));
  for (const file of files) {
    describe(path.relative(repoRoot, file), () => {
      const bytes = new Uint8Array(readFileSync(file));
      const expected = viaPush(bytes);
      for (const chunk of [1, 7, 4093, 65_536]) {
        it(`${chunk}-byte chunks, one reused buffer`, () => same(viaFeed(bytes, () => chunk), expected));
      }
      it('random chunk sizes', () => {
        for (let seed = 1; seed <= 5; seed++) same(viaFeed(bytes, sizes(seed, 20_000)), expected);
      });
    });
  }

  it('throws DEMUX after delivering the packets before a fault, and stays failed', () => {
    const file = files.find((f) => f.endsWith('sample.webm'))!;
    const bytes = new Uint8Array(readFileSync(file));
    const all = viaPush(bytes);
    // The second Cluster (ID 1F 43 B6 75, RFC 9559 §5.1.3) becomes a Void of unknown size, which
    // only Segment and Cluster may have (RFC 8794 §6.2).
    const clusterId = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
    const first = Buffer.from(bytes).indexOf(clusterId);
    const cut = Buffer.from(bytes).indexOf(clusterId, first + 4);
    expect(cut).toBeGreaterThan(first);
    const bad = bytes.slice();
    bad.set([0xec, 0xff], cut);
    const d = new WebmDemuxer();
    const sink = new CopySink();
    let error: unknown;
    try {
      d.feed(bad, sink);
    } catch (e) {
      error = e;
    }
    expect(isSpenceError(error, 'DEMUX')).toBe(true);
    expect(sink.packets.length).toBeGreaterThan(0);
    expect(sink.packets.length).toBeLessThan(all.length);
    same(sink.packets, all.slice(0, sink.packets.length));
    expect(() => d.feed(new Uint8Array(4), sink)).toThrow();
  });

  it('never throws anything but DEMUX on mutated input', () => {
    const file = files.find((f) => f.endsWith('sample.webm'))!;
    const bytes = new Uint8Array(readFileSync(file));
    const next = sizes(99, 5000);
    for (let round = 0; round < 200; round++) {
      const bad = bytes.slice();
      for (let k = 0; k < 8; k++) bad[next() * 37 % bad.length] = next() & 0xff;
      try {
        viaFeed(bad, () => next());
      } catch (e) {
        expect(isSpenceError(e, 'DEMUX'), String(e)).toBe(true);
      }
    }
  });
});
