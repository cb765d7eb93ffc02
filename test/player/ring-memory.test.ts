/**
 * The read-ahead's memory is shared memory, which V8 does not count towards its full collections
 * (issue 16: 5000 players started at once set off a mark-compact for every 64 MB of read-ahead),
 * and the shared memory rings drop waits for a collection within a bound.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { CarryMemory } from '../../src/demux/ogg/page-reader.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { MediaTrack } from '../../src/open/media-track.js';
import type { TrackMedia } from '../../src/resolve/provider.js';
import { PacketRing } from '../../src/player/packet-ring.js';
import { dropRingMemory, newRingMemory, ringMemoryStats, sharedCarryMemory } from '../../src/player/ring-memory.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

function borrowed(): OpusPacket {
  return { data: new Uint8Array(0), timestampMs: 0, durationMs: 0 };
}

/** Collects until the dropped shared memory is freed (the registry's callbacks run in a later task). */
async function collectDropped(): Promise<void> {
  for (let k = 0; k < 100 && ringMemoryStats().uncollectedBytes > 0; k++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('read-ahead memory', () => {
  it("holds a ring's packets and its read area in a SharedArrayBuffer, bytes unchanged", () => {
    const ring = new PacketRing();
    const bytes = Uint8Array.from({ length: 300 }, (_, k) => k & 0xff);
    ring.packet(bytes, 0, 300, 0, 20);
    const read = ring.readBuffer();
    expect(read.buffer).toBeInstanceOf(SharedArrayBuffer);
    read.set([1, 2, 3]);
    ring.packet(read, 0, 3, 20, 20);
    const first = ring.shift(borrowed())!;
    expect(first.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(first.data)).toEqual(Array.from(bytes));
    // Without a borrowed packet, the bytes are the packet's own, in ordinary memory.
    const second = ring.shift()!;
    expect(second.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(second.data)).toEqual([1, 2, 3]);
  });

  it("places a packet's bytes at its source's offset modulo 8 (copied word by word into shared memory), bytes unchanged, the skipped bytes given back", () => {
    const ring = new PacketRing();
    const source = Uint8Array.from({ length: 4096 }, (_, k) => (k * 7) & 0xff);
    const starts: number[] = [];
    for (let k = 0; k < 200; k++) {
      const start = (k * 13) % 3000;
      const length = 37 + ((k * 29) % 400);
      starts.push(start);
      ring.packet(source, start, start + length, k * 20, 20);
      // From the ring's own read area too (moved within the buffer).
      const read = ring.readBuffer();
      read.set(source.subarray(start, start + length), k % 8);
      ring.packet(read, k % 8, (k % 8) + length, k * 20 + 10, 10);
      for (const [offset, from] of [[start, source], [k % 8, read]] as const) {
        const packet = ring.shift(borrowed())!;
        expect(packet.data.byteOffset % 8).toBe((from.byteOffset + offset) % 8);
        expect(Array.from(packet.data)).toEqual(Array.from(source.subarray(start, start + length)));
      }
    }
    expect(ring.count).toBe(0);
    // 100 packets held while thousands pass, each with bytes skipped: the ring never grows.
    const capacity = ring.readBuffer().buffer.byteLength;
    for (let k = 0; k < 100; k++) ring.packet(source, 3, 403, k * 20, 20);
    for (let k = 100; k < 50_000; k++) {
      ring.packet(source, k % 8, (k % 8) + 400, k * 20, 20);
      ring.shift(borrowed());
      expect(ring.readBuffer().length).toBeGreaterThan(0);
    }
    expect(ring.readBuffer().buffer.byteLength).toBe(capacity);
  });

  it('counts the memory of a ring released with a read in flight as waiting for a collection, until it is collected', async () => {
    await collectDropped();
    const before = ringMemoryStats().uncollectedBytes;
    let ring: PacketRing | null = new PacketRing();
    ring.packet(new Uint8Array(100), 0, 100, 0, 20);
    const size = ring.readBuffer().buffer.byteLength;
    ring.release(false);
    expect(ringMemoryStats().uncollectedBytes).toBe(before + size);
    ring = null;
    await collectDropped();
    expect(ringMemoryStats().uncollectedBytes).toBe(0);
  });

  it('makes new memory an ArrayBuffer while over 64 MiB of dropped shared memory waits for a collection, and shared again once it is collected', async () => {
    await collectDropped();
    expect(newRingMemory(1024)).toBeInstanceOf(SharedArrayBuffer);
    for (let k = 0; k < 5; k++) dropRingMemory(newRingMemory(16 * MiB));
    expect(ringMemoryStats().uncollectedBytes).toBeGreaterThanOrEqual(64 * MiB);
    const counted = newRingMemory(1024);
    expect(counted).toBeInstanceOf(ArrayBuffer);
    expect(counted).not.toBeInstanceOf(SharedArrayBuffer);
    // An ArrayBuffer dropped is V8's to count: nothing added.
    const waiting = ringMemoryStats().uncollectedBytes;
    dropRingMemory(counted);
    expect(ringMemoryStats().uncollectedBytes).toBe(waiting);
    await collectDropped();
    expect(ringMemoryStats().uncollectedBytes).toBe(0);
    expect(newRingMemory(1024)).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe("an Ogg track's carry (a page cut by a read)", () => {
  const ogg = new Uint8Array(readFileSync(new URL('../../fixtures/media/opusenc-stereo.opus', import.meta.url)));
  const key = (p: OpusPacket): string => `${p.timestampMs}:${Buffer.from(p.data).toString('hex')}`;

  /** Every packet of `bytes` pushed in `size`-byte chunks. */
  function demuxed(demuxer: OggDemuxer, size: number): string[] {
    const out: string[] = [];
    for (let at = 0; at < ogg.length; at += size) for (const p of demuxer.push(ogg.subarray(at, at + size))) out.push(key(p));
    for (const p of demuxer.end()) out.push(key(p));
    return out;
  }

  it('is taken from the carry memory given, each buffer dropped when the carry grows or is released, packets unchanged', () => {
    const live = new Set<ArrayBufferLike>();
    const dropped: ArrayBufferLike[] = [];
    const memory: CarryMemory = {
      allocate: (bytes) => {
        const buffer = new SharedArrayBuffer(bytes);
        live.add(buffer);
        return buffer;
      },
      drop: (buffer) => {
        expect(live.delete(buffer)).toBe(true);
        dropped.push(buffer);
      },
    };
    const expected = demuxed(new OggDemuxer(), ogg.length);
    const demuxer = new OggDemuxer({ carryMemory: memory });
    expect(demuxed(demuxer, 777)).toEqual(expected);
    expect(live.size).toBe(1); // the carry in use: every earlier one was dropped as it grew
    demuxer.release();
    expect(live.size).toBe(0);
    expect(dropped.length).toBeGreaterThan(0);
  });

  it("is shared memory in a player's track, counted as waiting for a collection once the track is closed", async () => {
    await collectDropped();
    const media: TrackMedia = {
      contentLength: ogg.length,
      async *read(start: number) {
        for (let at = start; at < ogg.length; at += 1000) yield ogg.slice(at, at + 1000);
      },
      close() {},
    };
    const track = await MediaTrack.open(media, { signal: new AbortController().signal });
    const packets: string[] = [];
    for (let step = await track.packets.next(); step.done !== true; step = await track.packets.next()) packets.push(key(step.value));
    expect(packets).toEqual(demuxed(new OggDemuxer(), ogg.length));
    const held = (): number => ringMemoryStats().uncollectedBytes + ringMemoryStats().freeCarryBytes;
    const before = held();
    track.close();
    expect(held() - before).toBeGreaterThanOrEqual(4096);
  });

  it("keeps a cut page at its source's offset modulo 8 (word-by-word copies out of shared memory), packets unchanged, from any offset and read size", () => {
    const expected = demuxed(new OggDemuxer(), ogg.length);
    for (const [offset, size] of [[0, 4096], [3, 4096], [5, 2048], [6, 1024], [1, 1000]] as const) {
      const demuxer = new OggDemuxer({ carryMemory: sharedCarryMemory });
      const area = new Uint8Array(new SharedArrayBuffer(size + 16), offset, size); // a player's read area
      // The reader's own fields (private in TypeScript only): where the carried bytes sit.
      const reader = (demuxer as unknown as { reader: { carry: Uint8Array; carryStart: number; carryEnd: number; carryOffset: number } }).reader;
      const out: string[] = [];
      let aligned = 0;
      for (let at = 0; at < ogg.length; at += size) {
        const n = Math.min(size, ogg.length - at);
        area.set(ogg.subarray(at, at + n));
        for (const p of demuxer.push(area.subarray(0, n))) out.push(key(p));
        if (reader.carryEnd > reader.carryStart) {
          // The first carried byte (stream offset carryOffset) was read into the area at offset
          // carryOffset % size: with reads a multiple of 8 long, it sits in the carry alike modulo 8.
          const sourceOffset = area.byteOffset + (reader.carryOffset % size);
          if (size % 8 === 0) expect((reader.carry.byteOffset + reader.carryStart) % 8, `${offset}/${size} at ${at}`).toBe(sourceOffset % 8);
          aligned++;
        }
      }
      for (const p of demuxer.end()) out.push(key(p));
      expect(out, `${offset}/${size}`).toEqual(expected);
      expect(aligned).toBeGreaterThan(0);
      demuxer.release();
    }
  });

  it('takes carries in multiples of 4 KiB, and gives a dropped one to the next carry of its size', () => {
    const a = sharedCarryMemory.allocate(5000);
    expect(a).toBeInstanceOf(SharedArrayBuffer);
    expect(a.byteLength).toBe(8192);
    expect(sharedCarryMemory.allocate(1).byteLength).toBe(4096);
    expect(sharedCarryMemory.allocate(20_000).byteLength).toBe(20_480);
    expect(sharedCarryMemory.allocate(65_307 * 2).byteLength).toBe(131_072);
    sharedCarryMemory.drop(a);
    expect(sharedCarryMemory.allocate(8000)).toBe(a);
    expect(sharedCarryMemory.allocate(8000)).not.toBe(a);
  });

  it('keeps at most 16 MiB of free carries; the rest wait for a collection as dropped shared memory', () => {
    const buffers = Array.from({ length: 600 }, () => sharedCarryMemory.allocate(32_768));
    const before = ringMemoryStats();
    for (const buffer of buffers) sharedCarryMemory.drop(buffer);
    const after = ringMemoryStats();
    expect(after.freeCarryBytes).toBeLessThanOrEqual(16 * MiB);
    expect(after.freeCarryBytes).toBeGreaterThan(16 * MiB - 32_768);
    expect(after.uncollectedBytes - before.uncollectedBytes + after.freeCarryBytes - before.freeCarryBytes).toBe(600 * 32_768);
  });
});

