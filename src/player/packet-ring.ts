/**
 * A player's read-ahead: packets kept as bytes in one reusable buffer, with their times in typed
 * arrays. No object per buffered packet.
 *
 * Why: at thousands of players, the read-ahead (about 3 s each) is most of the live packets, and
 * every one of them outlives a young-generation collection. Kept as objects (a packet and its
 * byte view each), they were the scavenges' survivors: 5–10 ms pauses and most of the CPU. Kept
 * here, the read-ahead is a few long-lived buffers; a packet object exists only from the moment it
 * leaves ({@link PacketRing.shift}) and dies young.
 *
 * The byte buffer is used as a ring of contiguous records: a packet is written after the newest
 * one, or at the front when it does not fit at the end and the front is free; when neither, the
 * buffer doubles (the read-ahead is bounded by duration, so it stops growing at the bound's bytes).
 *
 * @module
 */

import type { OpusPacket, PacketSink } from '../demux/types.js';
import { copyToPool } from './frame-pool.js';

const INITIAL_BYTES = 16 * 1024;
const INITIAL_SLOTS = 64;
const EMPTY = new Uint8Array(0);

/** Pacing duration in integer µs; a malformed 0 ms packet paces as 20 ms. @internal */
export function micros(durationMs: number): number {
  return durationMs > 0 && Number.isFinite(durationMs) ? Math.round(durationMs * 1000) : 20_000;
}

/** @internal */
export class PacketRing implements PacketSink {
  #bytes: Uint8Array = new Uint8Array(INITIAL_BYTES);
  /** Where the next packet's bytes go when they fit there. */
  #tail = 0;
  // Per slot (a ring of `#mask + 1` slots from `#head`): byte offset and length, time, duration.
  #at = new Int32Array(INITIAL_SLOTS);
  #len = new Int32Array(INITIAL_SLOTS);
  #ts = new Float64Array(INITIAL_SLOTS);
  #dur = new Float64Array(INITIAL_SLOTS);
  #us = new Int32Array(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #head = 0;
  /** Packets held. */
  count = 0;
  /** Their total pacing duration, µs. */
  bufferedUs = 0;
  /** The pacing duration (µs) of the packet the last {@link shift} returned. */
  lastMicros = 20_000;

  /** Appends a packet (its bytes are copied). The {@link PacketSink} side: a demuxer feeds it. */
  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    const length = end - start;
    if (this.count > this.#mask) this.#growSlots();
    const at = this.#place(length);
    this.#bytes.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length), at);
    this.#tail = at + length;
    const i = (this.#head + this.count) & this.#mask;
    this.#at[i] = at;
    this.#len[i] = length;
    this.#ts[i] = timestampMs;
    this.#dur[i] = durationMs;
    const us = micros(durationMs);
    this.#us[i] = us;
    this.count++;
    this.bufferedUs += us;
  }

  /** Appends a packet object's bytes and times. */
  push(packet: OpusPacket): void {
    this.packet(packet.data, 0, packet.data.length, packet.timestampMs, packet.durationMs);
  }

  /** Removes the oldest packet and returns it with bytes of its own (see `frame-pool.ts`). */
  shift(): OpusPacket | undefined {
    if (this.count === 0) return undefined;
    const i = this.#head;
    const packet = this.#packetAt(i);
    const us = this.#us[i]!;
    this.#head = (i + 1) & this.#mask;
    this.count--;
    this.bufferedUs -= us;
    this.lastMicros = us;
    if (this.count === 0) this.#tail = 0;
    return packet;
  }

  /** The packet `k` places after the oldest (0 ≤ k < count), as an object with bytes of its own. */
  at(k: number): OpusPacket {
    return this.#packetAt((this.#head + k) & this.#mask);
  }

  /** The oldest packet's timestamp, or undefined when empty. */
  get headTimestampMs(): number | undefined {
    return this.count === 0 ? undefined : this.#ts[this.#head];
  }

  /** Forgets every packet, keeping the buffers. */
  clear(): void {
    this.#head = 0;
    this.count = 0;
    this.bufferedUs = 0;
    this.#tail = 0;
  }

  /** Forgets every packet and lets the buffers go (a closed source holds no memory). */
  release(): void {
    this.clear();
    this.#bytes = EMPTY;
  }

  #packetAt(i: number): OpusPacket {
    return { data: copyToPool(this.#bytes, this.#at[i]!, this.#len[i]!), timestampMs: this.#ts[i]!, durationMs: this.#dur[i]! };
  }

  /** The byte offset for `length` more bytes, growing the buffer when no free run is long enough. */
  #place(length: number): number {
    const tail = this.#tail;
    if (this.count === 0) {
      if (length <= this.#bytes.length) return 0;
    } else {
      const oldest = this.#at[this.#head]!;
      if (tail > oldest) {
        // Unwrapped: used bytes are [oldest, tail). Free: after tail, and before oldest.
        if (tail + length <= this.#bytes.length) return tail;
        // Strictly less: a wrapped tail must stay below the oldest packet's start.
        if (length < oldest) return 0;
      } else if (tail + length < oldest) {
        // Wrapped: used bytes are [oldest, end of the newest run) and [0, tail).
        return tail;
      }
    }
    return this.#grow(length);
  }

  /** Doubles the byte buffer (or more, for `length`), moving the packets to its front in order. */
  #grow(length: number): number {
    const old = this.#bytes;
    const bytes = new Uint8Array(Math.max(2 * old.length, INITIAL_BYTES, 2 * length + this.#usedBytes()));
    let w = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (this.#head + k) & this.#mask;
      const at = this.#at[i]!;
      const len = this.#len[i]!;
      bytes.set(old.subarray(at, at + len), w);
      this.#at[i] = w;
      w += len;
    }
    this.#bytes = bytes;
    this.#tail = w;
    return w;
  }

  #usedBytes(): number {
    let total = 0;
    for (let k = 0; k < this.count; k++) total += this.#len[(this.#head + k) & this.#mask]!;
    return total;
  }

  #growSlots(): void {
    const n = this.#mask + 1;
    const at = new Int32Array(2 * n);
    const len = new Int32Array(2 * n);
    const ts = new Float64Array(2 * n);
    const dur = new Float64Array(2 * n);
    const us = new Int32Array(2 * n);
    for (let k = 0; k < this.count; k++) {
      const i = (this.#head + k) & this.#mask;
      at[k] = this.#at[i]!;
      len[k] = this.#len[i]!;
      ts[k] = this.#ts[i]!;
      dur[k] = this.#dur[i]!;
      us[k] = this.#us[i]!;
    }
    this.#at = at;
    this.#len = len;
    this.#ts = ts;
    this.#dur = dur;
    this.#us = us;
    this.#mask = 2 * n - 1;
    this.#head = 0;
  }
}
