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

/**
 * `bytes` (a WebM whose Segment has an 8-octet size, as ffmpeg writes it) with a Void of `size`
 * bytes appended inside its Tracks element, so that Tracks (read whole) spans that many chunks.
 */
function padTracks(bytes: Uint8Array, size: number): Uint8Array {
  const tracksId = Buffer.from([0x16, 0x54, 0xae, 0x6b]); // Tracks (RFC 9559 §5.1.4)
  // The first occurrence is the SeekHead's SeekID naming it; the second, the element.
  const at = Buffer.from(bytes).indexOf(tracksId, Buffer.from(bytes).indexOf(tracksId) + 4);
  const sizeOctet = bytes[at + 4]!;
  expect(sizeOctet & 0x80).toBe(0x80); // a 1-octet size in the sample
  const tracksSize = sizeOctet & 0x7f;
  const voidElement = Buffer.alloc(1 + 8 + size);
  voidElement[0] = 0xec; // Void (RFC 8794 §11.3.2), 8-octet size
  voidElement.writeUInt8(0x01, 1);
  voidElement.writeUIntBE(size, 3, 6);
  const tracks = Buffer.alloc(4 + 8);
  tracksId.copy(tracks);
  tracks[4] = 0x01;
  tracks.writeUIntBE(tracksSize + voidElement.length, 6, 6);
  const out = Buffer.concat([bytes.subarray(0, at), tracks, bytes.subarray(at + 5, at + 5 + tracksSize), voidElement, bytes.subarray(at + 5 + tracksSize)]);
  // The Segment's 8-octet size (after its 4-octet ID) grows by what was added.
  const segment = out.indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
  expect(out[segment + 4]).toBe(0x01);
  out.writeUIntBE(out.readUIntBE(segment + 6, 6) + tracks.length - 5 + voidElement.length, segment + 6, 6);
  return new Uint8Array(out);
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
    const d = new WebmDemuxer({ resync: false }); // (by default the damage is skipped to the next Cluster)
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

  it('is linear in the chunks an element spans: a 1 MiB Void inside Tracks, a byte at a time, through feed() and push()', () => {
    const file = files.find((f) => f.endsWith('sample.webm'))!;
    const bytes = padTracks(new Uint8Array(readFileSync(file)), 1 << 20);
    const expected = viaPush(bytes);
    expect(expected.length).toBeGreaterThan(400);
    const fed = new WebmDemuxer();
    const sink = new CopySink();
    const one = new Uint8Array(1);
    for (let at = 0; at < bytes.length; at++) {
      one[0] = bytes[at]!;
      fed.feed(one, sink);
    }
    fed.end();
    same(sink.packets, expected);
    const pushed = new WebmDemuxer();
    const packets: OpusPacket[] = [];
    for (let at = 0; at < bytes.length; at++) packets.push(...pushed.push(bytes.subarray(at, at + 1)));
    packets.push(...pushed.end());
    same(packets, expected);
    // Work (steps, chunk walks, copies) within a small factor of the bytes: 6.2 s and 13 s of CPU
    // were the quadratic cost of 100 KB and 2 MiB elements before.
    expect(fed.work).toBeLessThan(8 * bytes.length);
    expect(pushed.work).toBeLessThan(8 * bytes.length);
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
