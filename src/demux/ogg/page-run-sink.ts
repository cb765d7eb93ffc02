/**
 * The {@link PacketSink} behind {@link OggDemuxer.push}: packet objects whose bytes are copied out
 * of the input once. The packets that lie whole on one page sit back to back in its body, so they
 * are copied as one run into a slab of at most 64 KiB that holds nothing but packet bytes and is
 * shared with the next pages' packets: one copy per page rather than per packet, and a packet pins
 * at most one slab, never a pushed chunk. A packet gathered across pages gets a buffer of its own.
 *
 * Costs, per push: the packets are noted in typed arrays while the pages are read and made into
 * objects at its end, in one loop over a preallocated array. A slab is sized to what the push can
 * still complete (so a push of 64 KiB fills about one), taken uninitialised where the platform
 * allows (`Buffer.allocUnsafeSlow`), and the part of it no packet filled is zeroed before the
 * push returns: a packet's `data.buffer` shows packet bytes and zeros, never stale memory.
 *
 * @module
 */

import type { OpusPacket, PacketSink } from '../types.js';

/** The largest slab: a run larger than this (a page's body is at most 65,025 bytes) gets a slab of its own. */
const SLAB_SIZE = 64 * 1024;
/** The smallest slab: small pushes share one rather than each taking a tiny one. */
const MIN_SLAB_SIZE = 16 * 1024;
/** Packets noted per push before the note arrays grow; they shrink back after a push that needed many more. */
const NOTES = 512;
const KEEP_NOTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/** Uninitialised bytes (Node's `Buffer.allocUnsafeSlow`, never from its shared pool), else zeroed ones. */
const allocate: (size: number) => Uint8Array = typeof Buffer === 'function' && typeof Buffer.allocUnsafeSlow === 'function'
  ? (size) => Buffer.allocUnsafeSlow(size)
  : (size) => new Uint8Array(size);

/** Collects packets as objects; see the module notes. @internal */
export class PageRunSink implements PacketSink {
  private slab: Uint8Array = EMPTY;
  /** Packet bytes fill `slab[0, slabOffset)`; `slab[slabOffset, dirtyEnd)` may hold stale memory, the rest is zero. */
  private slabOffset = 0;
  private dirtyEnd = 0;
  /** Packet bytes the current push may still complete (an upper bound): sizes the next slab. */
  private budget = 0;
  /** The current run: `runBytes[runStart, runEnd)`, copied to the slab at `runStart + runDelta`. */
  private runBytes: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDelta = 0;
  /** The push's packets: `buffers[buffer[i]]` at `[offset[i], offset[i] + length[i])`, with their times. */
  private count = 0;
  private readonly buffers: ArrayBufferLike[] = [];
  /** The slab's index in {@link buffers}, or -1 before the push's first run in it. */
  private slabIndex = -1;
  private buffer = new Int32Array(NOTES);
  private offset = new Int32Array(NOTES);
  private length = new Int32Array(NOTES);
  private timestamp = new Float64Array(NOTES);
  private duration = new Float64Array(NOTES);

  /** Starts a push that can complete at most `bound` bytes of packets (the bytes carried and pushed). */
  begin(bound: number): void {
    this.budget = bound;
    this.count = 0;
    this.slabIndex = -1;
  }

  /** Ends the push: zeroes the slab's unfilled part, and returns the push's packets. */
  finish(): OpusPacket[] {
    this.zeroTail();
    const n = this.count;
    const out: OpusPacket[] = new Array(n);
    const { buffers, buffer, offset, length, timestamp, duration } = this;
    for (let i = 0; i < n; i++) {
      out[i] = { data: new Uint8Array(buffers[buffer[i]!]!, offset[i], length[i]), timestampMs: timestamp[i]!, durationMs: duration[i]! };
    }
    buffers.length = 0;
    this.count = 0;
    if (buffer.length > KEEP_NOTES) this.resize(NOTES);
    return out;
  }

  /** The page's next packets lie in `bytes[start, end)`: copies that run once. Ends the previous run. */
  run(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    let offset = this.slabOffset;
    if (offset + length > this.slab.length) {
      this.zeroTail();
      const size = Math.max(length, Math.min(SLAB_SIZE, Math.max(this.budget, MIN_SLAB_SIZE)));
      this.slab = allocate(size);
      this.dirtyEnd = size;
      this.slabIndex = -1;
      offset = 0;
    }
    if (this.slabIndex === -1) this.slabIndex = this.buffers.push(this.slab.buffer) - 1;
    this.slab.set(bytes.subarray(start, end), offset);
    this.slabOffset = offset + length;
    this.budget -= length;
    this.runBytes = bytes;
    this.runStart = start;
    this.runEnd = end;
    this.runDelta = offset - start;
  }

  /** Forgets the run (its bytes may be overwritten next). */
  endRun(): void {
    this.runBytes = null;
  }

  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    const i = this.count;
    if (i === this.buffer.length) this.resize(2 * i);
    if (bytes === this.runBytes && start >= this.runStart && end <= this.runEnd) {
      this.buffer[i] = this.slabIndex;
      this.offset[i] = start + this.runDelta;
    } else {
      this.buffer[i] = this.buffers.push(bytes.slice(start, end).buffer) - 1;
      this.offset[i] = 0;
    }
    this.length[i] = end - start;
    this.timestamp[i] = timestampMs;
    this.duration[i] = durationMs;
    this.count = i + 1;
  }

  /** Zeroes the slab's bytes that may hold stale memory (packets are about to see it, or it is being left). */
  private zeroTail(): void {
    if (this.slabOffset < this.dirtyEnd) this.slab.fill(0, this.slabOffset, this.dirtyEnd);
    this.dirtyEnd = this.slabOffset;
  }

  private resize(size: number): void {
    const n = this.count;
    const grow = <T extends Int32Array | Float64Array>(from: T, to: T): T => {
      to.set(from.subarray(0, n));
      return to;
    };
    this.buffer = grow(this.buffer, new Int32Array(size));
    this.offset = grow(this.offset, new Int32Array(size));
    this.length = grow(this.length, new Int32Array(size));
    this.timestamp = grow(this.timestamp, new Float64Array(size));
    this.duration = grow(this.duration, new Float64Array(size));
  }
}
