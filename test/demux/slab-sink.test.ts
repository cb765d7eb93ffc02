/**
 * The packet sink behind push() and demux() (src/demux/slab-sink.ts): packets copied once into
 * slab memory, runs of them in as few copies as slabs they fill, the bytes between a run's packets
 * zeroed, and objects made only when taken.
 */
import { describe, expect, it } from 'vitest';
import { PacketRunSink } from '../../src/demux/slab-sink.js';
import type { OpusPacket } from '../../src/demux/types.js';

/** `length` bytes counting up from `seed` (never 0, so a zeroed byte shows). */
function bytesOf(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => 1 + ((seed + i) % 250));
}

/** Packets laid out in one buffer with `gap` bytes of 0xee between them, as blocks in a WebM chunk. */
function laidOut(sizes: number[], gap: number): { input: Uint8Array; ranges: [number, number][] } {
  const total = sizes.reduce((a, b) => a + b + gap, gap);
  const input = new Uint8Array(total).fill(0xee);
  const ranges: [number, number][] = [];
  let at = gap;
  sizes.forEach((size, i) => {
    input.set(bytesOf(size, i * 7), at);
    ranges.push([at, at + size]);
    at += size + gap;
  });
  return { input, ranges };
}

/** Every byte between two of `packets` that share a buffer is zero. */
function expectGapsZeroed(packets: OpusPacket[]): void {
  const byBuffer = new Map<ArrayBufferLike, Uint8Array[]>();
  for (const { data } of packets) byBuffer.set(data.buffer, [...(byBuffer.get(data.buffer) ?? []), data]);
  for (const [buffer, views] of byBuffer) {
    views.sort((a, b) => a.byteOffset - b.byteOffset);
    const memory = new Uint8Array(buffer);
    for (let k = 1; k < views.length; k++) {
      const gap = memory.subarray(views[k - 1]!.byteOffset + views[k - 1]!.length, views[k]!.byteOffset);
      expect(gap.every((b) => b === 0), `bytes between packets ${k - 1} and ${k}`).toBe(true);
    }
  }
}

describe('PacketRunSink', () => {
  it('a run copies its packets at closeRun: their bytes, never the input memory, and zeros where the input had other bytes', () => {
    const { input, ranges } = laidOut(Array.from({ length: 200 }, (_, i) => 20 + ((i * 53) % 400)), 6);
    const sink = new PacketRunSink();
    sink.openRun(input);
    ranges.forEach(([start, end], i) => sink.packet(input, start, end, i * 20, 20));
    sink.closeRun();
    input.fill(0x55); // the input may be reused once the run is closed
    const packets = sink.finish();
    expect(packets).toHaveLength(200);
    packets.forEach((p, i) => {
      expect(p.data.buffer).not.toBe(input.buffer);
      expect(Buffer.from(p.data).equals(Buffer.from(bytesOf(ranges[i]![1] - ranges[i]![0], i * 7)))).toBe(true);
      expect(p.timestampMs).toBe(i * 20);
      expect(p.durationMs).toBe(20);
      expect(p.data.buffer.byteLength).toBeLessThanOrEqual(16 * 1024); // it pins one slab
    });
    expectGapsZeroed(packets);
    // ~45 KB of packets: a few slabs, not one per packet.
    expect(new Set(packets.map((p) => p.data.buffer)).size).toBeLessThanOrEqual(5);
  });

  it('packets from another buffer in the middle of a run are copied as they come, in order', () => {
    const { input, ranges } = laidOut([100, 200, 300, 400], 4);
    const gathered = bytesOf(50, 99);
    const sink = new PacketRunSink();
    sink.openRun(input);
    sink.packet(gathered, 0, 50, 0, 20); // a packet gathered across pages: not in the run's buffer
    gathered.fill(0); // valid only during the call
    ranges.forEach(([start, end], i) => sink.packet(input, start, end, 20 * (i + 1), 20));
    sink.closeRun();
    const packets = sink.finish();
    expect(packets.map((p) => p.data.length)).toEqual([50, 100, 200, 300, 400]);
    expect(Buffer.from(packets[0]!.data).equals(Buffer.from(bytesOf(50, 99)))).toBe(true);
    expect(packets.map((p) => p.timestampMs)).toEqual([0, 20, 40, 60, 80]);
  });

  it('a packet larger than a slab gets memory of its own; take() makes one packet; begin() forgets', () => {
    const { input, ranges } = laidOut([10, 20_000, 10], 3);
    const sink = new PacketRunSink();
    sink.openRun(input);
    for (const [start, end] of ranges) sink.packet(input, start, end, 0, 20);
    sink.closeRun();
    expect(sink.count).toBe(3);
    const big = sink.take(1);
    expect(big.data.length).toBe(20_000);
    expect(big.data.buffer.byteLength).toBe(20_000);
    expect(sink.finish(2).map((p) => p.data.length)).toEqual([10]);
    expect(sink.count).toBe(0);
    sink.packet(input, ranges[0]![0], ranges[0]![1], 0, 20);
    sink.begin();
    expect(sink.finish()).toEqual([]);
  });
});
