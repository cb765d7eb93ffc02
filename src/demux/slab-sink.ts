/**
 * Where packet bytes that leave a demuxer or a player as objects get their memory: views carved
 * from shared 16 KiB slabs that hold nothing but packet bytes, as Node's `Buffer.allocUnsafe()`
 * carves small Buffers from its pool. The one allocator for packet bytes: the demuxers' `push()`
 * (through {@link SlabPacketSink}, and the Ogg demuxer's page runs) and the players' pulled and
 * streamed packets use it.
 *
 * Why: one ArrayBuffer per packet costs more than all the parsing around it; a slab is one per
 * ~80 packets, which dies young unless a consumer keeps its packets. Carved memory is never
 * written again (a new slab replaces a full one), so a packet's bytes are its own and it pins at
 * most one slab, never an input chunk or a player's ring.
 *
 * @module
 */

import type { OpusPacket, PacketSink } from './types.js';

const SLAB_BYTES = 16 * 1024;
/** A larger packet (rare: an Opus packet is at most 1275 bytes per frame) gets memory of its own. */
const MAX_CARVED = 2 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/**
 * `length` bytes of fresh, zeroed memory that nothing else is given: carved from the current slab,
 * or a buffer of its own when longer than a slab. For a caller that copies a run of packets at once
 * (the packets an Ogg page holds whole) and hands out views into it; `buffer` and `byteOffset`
 * locate it.
 */
export function reserveSlab(length: number): Uint8Array {
  if (length > SLAB_BYTES) return new Uint8Array(length);
  if (used + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const at = used;
  // 8-byte aligned, as Node's pool is, so that a consumer's wider typed view of a packet can work.
  used = (at + length + 7) & ~7;
  return new Uint8Array(slab.buffer, at, length);
}

/** A copy of one packet's bytes, `bytes[start, start + length)`, in slab memory (above 2 KiB, its own). */
export function copyToSlab(bytes: Uint8Array, start: number, length: number): Uint8Array {
  const data = length > MAX_CARVED ? new Uint8Array(length) : reserveSlab(length);
  // A plain view of the source: Buffer#subarray would build a Buffer, which costs more.
  data.set(new Uint8Array(bytes.buffer, bytes.byteOffset + start, length));
  return data;
}

/**
 * The {@link PacketSink} behind the demuxers' `push()` (and the packet pull over an opener's
 * `fill()`): each packet becomes an {@link OpusPacket} whose bytes are copied once into slab memory.
 * @internal
 */
export class SlabPacketSink implements PacketSink {
  /** Where packets go; set by the caller around each feed. */
  out: OpusPacket[] | null = null;

  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    (this.out as OpusPacket[]).push({ data: copyToSlab(bytes, start, end - start), timestampMs, durationMs });
  }
}
