/**
 * The {@link PacketSink} behind the demuxers' `push()`: each packet becomes an {@link OpusPacket}
 * whose bytes are copied once into packet-only slabs.
 *
 * @module
 */

import type { OpusPacket, PacketSink } from './types.js';

/** Packet storage slabs: 16 KiB, for packets up to 2 KiB (larger ones get their own buffer). */
const SLAB_SIZE = 16 * 1024;
const SLAB_MAX_PACKET = 2 * 1024;
const EMPTY_SLAB = new Uint8Array(0);

/**
 * Collects packets as objects into {@link out}. Small packets are carved from a slab that holds
 * nothing but packet bytes and is never reused (as Node's Buffer pool does): one ArrayBuffer per
 * packet would cost more than all the parsing, and a packet never pins an input chunk.
 * @internal
 */
export class SlabPacketSink implements PacketSink {
  /** Where packets go; set by the demuxer around each push. */
  out: OpusPacket[] | null = null;
  #slab = EMPTY_SLAB;
  #slabBuffer: ArrayBufferLike = EMPTY_SLAB.buffer;
  #slabOffset = 0;

  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    const length = end - start;
    // A plain view of the source: Buffer#subarray would build a Buffer, which costs more.
    const source = new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
    let data: Uint8Array;
    if (length <= SLAB_MAX_PACKET) {
      let offset = this.#slabOffset;
      if (offset + length > this.#slab.length) {
        this.#slab = new Uint8Array(SLAB_SIZE);
        this.#slabBuffer = this.#slab.buffer;
        offset = 0;
      }
      this.#slab.set(source, offset);
      data = new Uint8Array(this.#slabBuffer, offset, length);
      this.#slabOffset = offset + length;
    } else {
      data = new Uint8Array(length);
      data.set(source);
    }
    (this.out as OpusPacket[]).push({ data, timestampMs, durationMs });
  }
}
