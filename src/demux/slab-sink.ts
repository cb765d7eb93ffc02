/**
 * Where packet bytes that leave a demuxer or a player as objects get their memory: views carved
 * from shared 16 KiB slabs that hold nothing but packet bytes and zeros, as Node's
 * `Buffer.allocUnsafe()` carves small Buffers from its pool. The one allocator for packet bytes:
 * the demuxers' `push()` and `demux()` (through {@link PacketRunSink}), and the players' pulled and
 * streamed packets (through {@link SlabPacketSink} and {@link copyToSlab}) use it.
 *
 * Why: one ArrayBuffer per packet costs more than all the parsing around it; a slab is one per
 * ~60 packets, which dies young unless a consumer keeps its packets. Carved memory is never
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

/** Bytes left in the current slab: what {@link reserveSlab} can carve before it starts a new one. */
function slabRoom(): number {
  return SLAB_BYTES - used;
}

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

/** In {@link PacketRunSink}'s notes: a packet of the open run, not copied yet. */
const PENDING = -1;
/** Packets noted before the note arrays grow; they shrink back after a batch that needed many more. */
const NOTES = 512;
const KEEP_NOTES = 16 * 1024;
/** A gap between two packets of a run up to this long is zeroed byte by byte (block headers are a few bytes). */
const SHORT_GAP = 32;

/**
 * The {@link PacketSink} behind the demuxers' `push()` and `demux()`: packets whose bytes are
 * copied out of the input once, into slab memory, and made into {@link OpusPacket} objects only
 * when they are taken ({@link take}, {@link finish}): the sink itself notes them in typed arrays.
 *
 * Runs: a demuxer that hands over several packets from one buffer (the packets an Ogg page holds
 * whole, the SimpleBlocks of a Cluster in one chunk) brackets them with {@link openRun} and
 * {@link closeRun}, and they are copied then, as few copies as slabs they fill, rather than one per
 * packet (a packet over 2 KiB still gets memory of its own, as {@link copyToSlab} gives it). What lies between two packets of a run in the input (block headers, another track's
 * frames) is zeroed in the copy: a slab holds packet bytes and zeros, never anything else.
 * Any other packet (one gathered across pages, one read through a scratch buffer) is copied when
 * it comes.
 *
 * Notes accumulate until {@link begin}: a consumer takes packets `[0, count)`, in order.
 * @internal
 */
export class PacketRunSink implements PacketSink {
  /** Packets noted since {@link begin}. */
  count = 0;
  /** The buffer of the open run, whose packets are noted {@link PENDING} from index {@link runFirst}; `null` when no run is open. */
  private runBytes: Uint8Array | null = null;
  private runFirst = 0;
  /** The packets' memory: `buffers[buffer[i]]` at `[offset[i], offset[i] + length[i])`, with their times. */
  private readonly buffers: ArrayBufferLike[] = [];
  /** The slab last added to {@link buffers}, and its index there. */
  private lastBuffer: ArrayBufferLike | null = null;
  private lastIndex = -1;
  private buffer = new Int32Array(NOTES);
  private offset = new Int32Array(NOTES);
  private length = new Int32Array(NOTES);
  private timestamp = new Float64Array(NOTES);
  private duration = new Float64Array(NOTES);

  /** Forgets the packets noted so far (taken, or not wanted); the next one noted is packet 0. */
  begin(): void {
    this.count = 0;
    this.runBytes = null;
    this.buffers.length = 0;
    this.lastBuffer = null;
    this.lastIndex = -1;
    if (this.buffer.length > KEEP_NOTES) this.resize(NOTES);
  }

  /**
   * The packets that a demuxer hands over from `bytes` until {@link closeRun} lie in it in order
   * and do not overlap, and `bytes` stays as it is until then: they are copied at {@link closeRun}.
   */
  openRun(bytes: Uint8Array): void {
    this.runBytes = bytes;
    this.runFirst = this.count;
  }

  /** Copies the open run's packets into slab memory (see the class notes). */
  closeRun(): void {
    const bytes = this.runBytes;
    if (bytes === null) return;
    this.runBytes = null;
    const { buffer, offset, length } = this;
    const n = this.count;
    let i = this.runFirst;
    while (i < n) {
      if (buffer[i] !== PENDING) {
        i++;
        continue;
      }
      if (length[i]! > MAX_CARVED) {
        // A large packet gets memory of its own, as copyToSlab gives it.
        const data = copyToSlab(bytes, offset[i]!, length[i]!);
        buffer[i] = this.indexOf(data.buffer);
        offset[i] = data.byteOffset;
        i++;
        continue;
      }
      // The packets from i on whose extent fits in the slab's room (or in a new slab) go in one copy.
      const from = offset[i]!;
      let to = from + length[i]!;
      let limit = slabRoom();
      if (to - from > limit) limit = SLAB_BYTES;
      let j = i + 1;
      while (j < n && (buffer[j] !== PENDING || (length[j]! <= MAX_CARVED && offset[j]! + length[j]! - from <= limit))) {
        if (buffer[j] === PENDING) to = offset[j]! + length[j]!;
        j++;
      }
      while (j > i + 1 && buffer[j - 1] !== PENDING) j--; // the group ends with its last run packet
      const region = reserveSlab(to - from);
      region.set(new Uint8Array(bytes.buffer, bytes.byteOffset + from, to - from));
      const index = this.indexOf(region.buffer);
      const delta = region.byteOffset - from;
      let end = from;
      for (let k = i; k < j; k++) {
        if (buffer[k] !== PENDING) continue;
        const start = offset[k]!;
        if (start > end) zero(region, end - from, start - from);
        buffer[k] = index;
        offset[k] = start + delta;
        end = start + length[k]!;
      }
      i = j;
    }
  }

  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    const i = this.count;
    if (i === this.buffer.length) this.resize(2 * i);
    if (bytes === this.runBytes) {
      this.buffer[i] = PENDING;
      this.offset[i] = start;
    } else {
      const data = copyToSlab(bytes, start, end - start);
      this.buffer[i] = this.indexOf(data.buffer);
      this.offset[i] = data.byteOffset;
    }
    this.length[i] = end - start;
    this.timestamp[i] = timestampMs;
    this.duration[i] = durationMs;
    this.count = i + 1;
  }

  /** Packet `i` (below {@link count}, its run closed) as an object. */
  take(i: number): OpusPacket {
    return { data: new Uint8Array(this.buffers[this.buffer[i]!]!, this.offset[i], this.length[i]), timestampMs: this.timestamp[i]!, durationMs: this.duration[i]! };
  }

  /** Packets `[from, count)` as objects, in a new array; then {@link begin}s anew. */
  finish(from = 0): OpusPacket[] {
    const n = this.count;
    const out: OpusPacket[] = new Array(n - from);
    for (let i = from; i < n; i++) out[i - from] = this.take(i);
    this.begin();
    return out;
  }

  /** The index of `memory` in {@link buffers}, added when new. */
  private indexOf(memory: ArrayBufferLike): number {
    if (memory !== this.lastBuffer) {
      this.lastBuffer = memory;
      this.lastIndex = this.buffers.push(memory) - 1;
    }
    return this.lastIndex;
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

/** Zeroes `bytes[start, end)`. */
function zero(bytes: Uint8Array, start: number, end: number): void {
  if (end - start > SHORT_GAP) bytes.fill(0, start, end);
  else for (let i = start; i < end; i++) bytes[i] = 0;
}
