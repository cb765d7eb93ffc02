/**
 * The {@link PacketSink} behind {@link OggDemuxer.push}: packet objects whose bytes are copied out
 * of the input once. The packets that lie whole on one page sit back to back in its body, so they
 * are copied as one run into slab memory (`reserveSlab`, the one allocator every packet object's
 * bytes come from: it holds nothing but packet bytes and zeros) shared with the next pages'
 * packets: one copy per page rather than per packet, and a packet pins at most one slab, never a
 * pushed chunk. A packet gathered across pages gets a buffer of its own.
 *
 * Costs, per push: the packets are noted in typed arrays while the pages are read and made into
 * objects at its end, in one loop over a preallocated array (an `Array#push` per packet, on an
 * array that starts each push typed for small integers, was never inlined).
 *
 * @module
 */

import { reserveSlab } from '../slab-sink.js';
import type { OpusPacket, PacketSink } from '../types.js';

/** Packets noted per push before the note arrays grow; they shrink back after a push that needed many more. */
const NOTES = 512;
const KEEP_NOTES = 16 * 1024;
/** Collects packets as objects; see the module notes. @internal */
export class PageRunSink implements PacketSink {
  /** The slab memory of the push's latest run, whose index in {@link buffers} is {@link slabIndex}. */
  private slabBuffer: ArrayBufferLike | null = null;
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

  /** Starts a push. */
  begin(): void {
    this.count = 0;
    this.slabIndex = -1;
    this.slabBuffer = null;
  }

  /** Ends the push and returns its packets. */
  finish(): OpusPacket[] {
    const n = this.count;
    const out: OpusPacket[] = new Array(n);
    const { buffers, buffer, offset, length, timestamp, duration } = this;
    for (let i = 0; i < n; i++) {
      out[i] = { data: new Uint8Array(buffers[buffer[i]!]!, offset[i], length[i]), timestampMs: timestamp[i]!, durationMs: duration[i]! };
    }
    buffers.length = 0;
    this.count = 0;
    this.slabBuffer = null;
    if (buffer.length > KEEP_NOTES) this.resize(NOTES);
    return out;
  }

  /** The page's next packets lie in `bytes[start, end)`: copies that run once. Ends the previous run. */
  run(bytes: Uint8Array, start: number, end: number): void {
    const region = reserveSlab(end - start);
    region.set(bytes.subarray(start, end));
    if (region.buffer !== this.slabBuffer) {
      this.slabBuffer = region.buffer;
      this.slabIndex = this.buffers.push(region.buffer) - 1;
    }
    this.runBytes = bytes;
    this.runStart = start;
    this.runEnd = end;
    this.runDelta = region.byteOffset - start;
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
