/**
 * The {@link PacketSink} behind {@link OggDemuxer.push}: packet objects whose bytes are copied out
 * of the input once. The packets that lie whole on one page sit back to back in its body, so they
 * are copied as one run into a 64 KiB slab that holds nothing but packet bytes and is shared with
 * the next pages' packets: one copy per page rather than per packet, and a packet pins at most
 * one slab, never a pushed chunk. A packet gathered across pages gets a buffer of its own.
 *
 * @module
 */

import type { OpusPacket, PacketSink } from '../types.js';

/** Slab size: a run larger than this (a page's body is at most 65,025 bytes) gets a slab of its own. */
const SLAB_SIZE = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** Collects packets as objects into {@link out}; see the module notes. @internal */
export class PageRunSink implements PacketSink {
  /** Where packets go; set by the demuxer around each push. */
  out: OpusPacket[] | null = null;
  private slab = EMPTY;
  private slabBuffer: ArrayBufferLike = EMPTY.buffer;
  private slabOffset = 0;
  /** The current run: `runBytes[runStart, runEnd)`, copied to the slab at `runStart + runDelta`. */
  private runBytes: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;
  private runDelta = 0;

  /** The page's next packets lie in `bytes[start, end)`: copies that run once. Ends the previous run. */
  run(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    let offset = this.slabOffset;
    if (offset + length > this.slab.length) {
      // Zero-filled, not Buffer.allocUnsafeSlow: a packet's `data.buffer` must show no stale memory.
      this.slab = new Uint8Array(length > SLAB_SIZE ? length : SLAB_SIZE);
      this.slabBuffer = this.slab.buffer;
      offset = 0;
    }
    this.slab.set(bytes.subarray(start, end), offset);
    this.slabOffset = offset + length;
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
    const data = bytes === this.runBytes && start >= this.runStart && end <= this.runEnd
      ? new Uint8Array(this.slabBuffer, start + this.runDelta, end - start)
      : bytes.slice(start, end);
    (this.out as OpusPacket[]).push({ data, timestampMs, durationMs });
  }
}
