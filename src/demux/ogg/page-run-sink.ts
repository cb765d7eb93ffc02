/**
 * The {@link PacketSink} behind {@link OggDemuxer.push}: packet objects whose bytes are copied out
 * of the input once. The packets that lie whole on one page sit back to back in its body, so they
 * are copied as one run into slab memory that holds nothing but packet bytes and is shared with
 * the next pages' packets (`reserveSlab`, the allocator every packet object's bytes come from): one
 * copy per page rather than per packet, and a packet pins at most one slab, never a pushed chunk.
 * A packet gathered across pages gets a buffer of its own.
 *
 * @module
 */

import { reserveSlab } from '../slab-sink.js';
import type { OpusPacket, PacketSink } from '../types.js';

const EMPTY = new Uint8Array(0);

/** Collects packets as objects into {@link out}; see the module notes. @internal */
export class PageRunSink implements PacketSink {
  /** Where packets go; set by the demuxer around each push. */
  out: OpusPacket[] | null = null;
  private slabBuffer: ArrayBufferLike = EMPTY.buffer;
  /** The current run: `runBytes[runStart, runEnd)`, copied to the slab at `runStart + runDelta`. */
  private runBytes: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDelta = 0;

  /** The page's next packets lie in `bytes[start, end)`: copies that run once. Ends the previous run. */
  run(bytes: Uint8Array, start: number, end: number): void {
    // Zeroed memory, not Buffer.allocUnsafeSlow: a packet's `data.buffer` must show no stale memory.
    const region = reserveSlab(end - start);
    region.set(bytes.subarray(start, end));
    this.slabBuffer = region.buffer;
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
    const data = bytes === this.runBytes && start >= this.runStart && end <= this.runEnd
      ? new Uint8Array(this.slabBuffer, start + this.runDelta, end - start)
      : bytes.slice(start, end);
    (this.out as OpusPacket[]).push({ data, timestampMs, durationMs });
  }
}
