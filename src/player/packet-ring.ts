/**
 * A player's read-ahead: packets kept as bytes in one reusable buffer, with their times in one
 * typed array. No object per buffered packet.
 *
 * Why: at thousands of players, the read-ahead (about 3 s each) is most of the live packets, and
 * every one of them outlives a young-generation collection. Kept as objects (a packet and its
 * byte view each), they were the scavenges' survivors: 5–10 ms pauses and most of the CPU. Kept
 * here, the read-ahead is a few long-lived buffers; a packet object exists only from the moment it
 * leaves ({@link PacketRing.shift}) and dies young.
 *
 * The byte buffer is used as a ring of contiguous records: a packet is written after the newest
 * one, or at the front when it does not fit at the end and the front is free; when neither, the
 * buffer grows by 16 KiB steps (the read-ahead is bounded by duration, so it stops growing at the bound's bytes).
 * A closed ring's buffers go to a small free list for the next track's ring: a player moving from
 * track to track allocates nothing.
 *
 * @module
 */

import type { OpusPacket, PacketSink } from '../demux/types.js';
import { SHARED_COPY_ALIGN } from '../demux/shared-copy.js';
import { copyToSlab } from '../demux/slab-sink.js';
import { dropRingMemory, newRingMemory } from './ring-memory.js';

/**
 * The packet bytes of a ring told nothing of its stream (see {@link PacketRing.expect}): about 4 s
 * of 128 kbit/s Opus, a 3 s read-ahead plus a read, unfragmented.
 */
const INITIAL_BYTES = 64 * 1024;
/** The least a ring is given (a 3 s read-ahead of a low bitrate, a read and the slack), and the step of its sizes. */
const MIN_BYTES = 32 * 1024;
const SIZE_STEP = 8 * 1024;
/** What a variable bitrate may carry above the average over a read-ahead: sized for it, a ring need not grow. */
const VBR_MARGIN = 1.15;
const INITIAL_SLOTS = 256;
/** Per slot in `#meta`: byte offset, byte length, timestamp (ms), duration (ms). */
const STRIDE = 4;
/**
 * The read area after the packet bytes, lent to the opener for its reads ({@link PacketRing.readBuffer}):
 * packets demuxed from it move to the packet bytes by `copyWithin`, with no view per packet.
 */
const READ_AREA = 16 * 1024;
/**
 * A read is sized to the room left in the packet bytes (less {@link READ_SLACK} for the run lost
 * at the wrap), so that what it brings fits without growing; below {@link MIN_READ} of room the
 * packet bytes grow instead (a high bitrate), since many small reads cost more than memory.
 */
const MIN_READ = 8 * 1024;
const READ_SLACK = 4 * 1024;
/**
 * Read sizes are multiples of this, so that the few views of the read area are made once per
 * buffer and reused: a new view per refill, kept by the opener and the demuxer's queue until the
 * next refill, is a young object stored in old ones, which every young-generation collection must
 * then visit, per player.
 */
const READ_STEP = 4 * 1024;
/** The fewest READ_STEPs a read area has ({@link MIN_READ}); it has at most READ_AREA / READ_STEP = 4. */
const MIN_STEP = MIN_READ / READ_STEP;
/**
 * A ring grows by this much (or to what it holds and a read need, rounded up to it), not to twice
 * its size: 3 s of 160 kbit/s Opus (YouTube's usual) and the read past the bound need ~85 KiB, and
 * doubling 64 KiB made every such player hold 128 KiB, at 5000 players 300 MB more than needed.
 */
const GROW_STEP = 16 * 1024;
/** Free buffers kept for new rings (a player's next track), and the largest one kept (and the most a ring is sized for). */
const MAX_FREE = 64;
/**
 * A packet's bytes start at the same offset modulo this as its source's, so that its copy into
 * shared memory is word by word (`demux/shared-copy.ts`). Up to 7 bytes are skipped per packet
 * (~1 % of a 400-byte packet).
 */
const ALIGN = SHARED_COPY_ALIGN;
const MAX_FREE_BYTES = 512 * 1024;

interface Storage {
  /** `bytes.length` packet bytes, then {@link READ_AREA} bytes. */
  bytes: Uint8Array;
  meta: Float64Array;
}

/**
 * `capacity` packet bytes, the read area after them, and `slots` slots after that, in one buffer:
 * one fewer per player for V8 to track and sweep (thousands of players' rings were half of the
 * process's ArrayBuffers). Shared memory where it can be (see `ring-memory.ts`).
 */
function newStorage(capacity: number, slots: number): Storage {
  const buffer = newRingMemory(capacity + READ_AREA + slots * STRIDE * Float64Array.BYTES_PER_ELEMENT);
  return { bytes: new Uint8Array(buffer, 0, capacity), meta: new Float64Array(buffer, capacity + READ_AREA, slots * STRIDE) };
}

const free: Storage[] = [];
const EMPTY_BYTES = new Uint8Array(0);
const EMPTY_META = new Float64Array(0);

/** Pacing duration in integer µs; a malformed 0 ms packet paces as 20 ms. @internal */
export function micros(durationMs: number): number {
  return durationMs > 0 && Number.isFinite(durationMs) ? Math.round(durationMs * 1000) : 20_000;
}

/** @internal */
export class PacketRing implements PacketSink {
  #bytes: Uint8Array;
  /** `#bytes.buffer`, kept: one object fewer to load per packet. */
  #buffer: ArrayBufferLike;
  /** All of `#buffer`: the packet bytes and the read area after them. */
  #whole: Uint8Array;
  /** Where the next packet's bytes go when they fit there. */
  #tail = 0;
  /** Bytes of the packets held. */
  #used = 0;
  /**
   * Views of the read area by size (index: size / READ_STEP - {@link MIN_STEP}), made on first use
   * per buffer, kept so that no refill makes one. Three slots from the start: an array grown by
   * assignment takes room for 17 (~200 bytes), per player, for the track.
   */
  readonly #readViews: (Uint8Array | null)[] = [null, null, null];
  /** `#mask + 1` slots of {@link STRIDE} numbers, a ring from `#head`. */
  #meta: Float64Array;
  #mask: number;
  #head = 0;
  /** Packets held. */
  count = 0;
  /** Their total pacing duration, µs. */
  bufferedUs = 0;
  /** The pacing duration (µs) of the packet the last {@link shift} returned. */
  lastMicros = 20_000;

  /** The packet bytes the ring takes when it first needs memory (see {@link expect}). */
  #wanted = INITIAL_BYTES;
  /** Released: memory it needs again (a late read's packets) is its own, not a free buffer. */
  #released = false;

  /** A ring holds no memory until its first packet or read (see {@link expect}). */
  constructor() {
    this.#bytes = EMPTY_BYTES;
    this.#buffer = EMPTY_BYTES.buffer;
    this.#whole = EMPTY_BYTES;
    this.#meta = EMPTY_META;
    this.#mask = -1;
  }

  /**
   * Sizes the memory the ring takes when it first needs some, for a stream of about `bytesPerMs`
   * (its media's, container included) held up to `boundMs` ahead, with the read past the bound.
   * No effect once it holds memory.
   *
   * Why: a ring sized so does not grow at a steady bitrate. One that grows hands its old buffer
   * back to the allocator, a hole in the process's memory that the larger buffers do not fit:
   * thousands of 64 KiB rings growing for YouTube's 160 kbit/s were ~80 KB of RSS per player.
   */
  expect(bytesPerMs: number, boundMs: number): void {
    const bytes = bytesPerMs * boundMs * VBR_MARGIN + READ_AREA + MIN_READ + READ_SLACK;
    if (!(bytes > 0) || !Number.isFinite(bytes)) return;
    this.#wanted = Math.min(MAX_FREE_BYTES, Math.max(MIN_BYTES, Math.ceil(bytes / SIZE_STEP) * SIZE_STEP));
  }

  /** Appends a packet (its bytes are copied). The {@link PacketSink} side: a demuxer feeds it. */
  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    const length = end - start;
    if (this.count > this.#mask) this.#growSlots();
    // Placed at the source's offset modulo 8: the copy into shared memory is then word by word
    // (see ALIGN).
    const from = bytes.byteOffset + start;
    const spot = this.#place(length + ALIGN - 1);
    const at = spot + ((from - spot) & (ALIGN - 1));
    if (bytes.buffer === this.#buffer) {
      // From the read area (see readBuffer): moved within the buffer, no view needed. (Through
      // `#whole`: copyWithin indexes within its own view, and the read area is past `#bytes`.)
      this.#whole.copyWithin(at, from, from + length);
    } else {
      this.#bytes.set(new Uint8Array(bytes.buffer, from, length), at);
    }
    this.#tail = at + length;
    const m = ((this.#head + this.count) & this.#mask) * STRIDE;
    const meta = this.#meta;
    meta[m] = at;
    // The bytes skipped to align it, in eighths of a byte: `| 0` reads the length.
    meta[m + 1] = length + (at - spot) / ALIGN;
    meta[m + 2] = timestampMs;
    meta[m + 3] = durationMs;
    this.count++;
    this.#used += length + at - spot;
    this.bufferedUs += micros(durationMs);
  }

  /**
   * A buffer to read media bytes into: the area after the packet bytes, in the same memory, so
   * that {@link packet} moves what is demuxed from it without a view per packet. Valid until the
   * next call (and, after the ring grows, it is the old memory: still valid, just not moved as fast).
   */
  readBuffer(pending = 0): Uint8Array {
    let room = this.#bytes.length - this.#used - pending - READ_SLACK;
    if (room < MIN_READ) {
      this.#grow(pending);
      room = this.#bytes.length - this.#used - pending - READ_SLACK;
    }
    const step = Math.floor(Math.min(READ_AREA, room) / READ_STEP);
    if (step < MIN_STEP) return new Uint8Array(this.#buffer, this.#bytes.length, step * READ_STEP); // not after #grow
    return (this.#readViews[step - MIN_STEP] ??= new Uint8Array(this.#buffer, this.#bytes.length, step * READ_STEP));
  }

  /**
   * Removes the oldest packet and returns it. With `borrow`, that object is filled in and
   * returned, its `data` a view of the ring's bytes, valid until the ring is next written (a
   * refill, which never happens inside the caller's turn); without, a new packet with bytes of
   * its own (see `demux/slab-sink.ts`).
   */
  shift(borrow: OpusPacket | null = null): OpusPacket | undefined {
    if (this.count === 0) return undefined;
    const m = this.#head * STRIDE;
    const meta = this.#meta;
    // `| 0`: small integers, so the typed array constructor gets them unboxed.
    const at = meta[m]! | 0;
    const extent = meta[m + 1]!;
    const length = extent | 0;
    const durationMs = meta[m + 3]!;
    let packet: OpusPacket;
    if (borrow !== null) {
      borrow.data = new Uint8Array(this.#buffer, at, length);
      borrow.timestampMs = meta[m + 2]!;
      borrow.durationMs = durationMs;
      packet = borrow;
    } else {
      packet = { data: copyToSlab(this.#bytes, at, length), timestampMs: meta[m + 2]!, durationMs };
    }
    const us = micros(durationMs);
    this.#head = (this.#head + 1) & this.#mask;
    this.count--;
    this.#used -= length + (extent - length) * ALIGN;
    this.bufferedUs -= us;
    this.lastMicros = us;
    if (this.count === 0) this.#tail = 0;
    return packet;
  }

  /** The packet `k` places after the oldest (0 ≤ k < count), as an object with bytes of its own. */
  at(k: number): OpusPacket {
    const m = ((this.#head + k) & this.#mask) * STRIDE;
    const meta = this.#meta;
    return { data: copyToSlab(this.#bytes, meta[m]! | 0, meta[m + 1]! | 0), timestampMs: meta[m + 2]!, durationMs: meta[m + 3]! };
  }

  /** The oldest packet's timestamp, or undefined when empty. */
  get headTimestampMs(): number | undefined {
    return this.count === 0 ? undefined : this.#meta[this.#head * STRIDE + 2];
  }

  /** Forgets every packet, keeping the buffers. */
  clear(): void {
    this.#used = 0;
    this.#head = 0;
    this.count = 0;
    this.bufferedUs = 0;
    this.#tail = 0;
  }

  /**
   * Forgets every packet and gives the buffers to the next ring (a closed source holds none).
   * `reusable: false` when a read into {@link readBuffer} may still be in flight: the memory is
   * then dropped, not handed to another ring the read could still write into.
   */
  release(reusable = true): void {
    this.clear();
    this.#released = true;
    if (reusable && this.#bytes.length >= MIN_BYTES && this.#bytes.length <= MAX_FREE_BYTES && free.length < MAX_FREE) {
      free.push({ bytes: this.#bytes, meta: this.#meta });
    } else {
      this.#drop();
    }
    this.#bytes = EMPTY_BYTES;
    this.#buffer = EMPTY_BYTES.buffer;
    this.#whole = EMPTY_BYTES;
    this.#readViews.fill(null);
    this.#meta = EMPTY_META;
    this.#mask = -1;
  }

  /** The byte offset for `length` more bytes, growing the buffer when no free run is long enough. */
  #place(length: number): number {
    const tail = this.#tail;
    if (this.count === 0) {
      if (length <= this.#bytes.length) return 0;
    } else {
      const oldest = this.#meta[this.#head * STRIDE]!;
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

  /**
   * Grows the byte buffer by {@link GROW_STEP} (or to what it holds, `length` more and a read),
   * moving the packets to its front in order.
   */
  #grow(length: number): number {
    if (this.#bytes.length === 0) {
      this.#allocate(length); // an empty ring: its first memory, which holds `length`
      return 0;
    }
    const old = this.#bytes;
    const oldMeta = this.#meta;
    const need = Math.ceil((this.#used + length + MIN_READ + READ_SLACK) / GROW_STEP) * GROW_STEP;
    const { bytes, meta } = newStorage(Math.max(old.length + GROW_STEP, INITIAL_BYTES, need), this.#mask + 1);
    let w = 0;
    for (let k = 0; k < this.count; k++) {
      const from = ((this.#head + k) & this.#mask) * STRIDE;
      const at = oldMeta[from]!;
      const len = oldMeta[from + 1]! | 0;
      bytes.set(old.subarray(at, at + len), w);
      const to = k * STRIDE;
      meta[to] = w;
      meta[to + 1] = len;
      meta[to + 2] = oldMeta[from + 2]!;
      meta[to + 3] = oldMeta[from + 3]!;
      w += len;
    }
    this.#drop();
    this.#bytes = bytes;
    this.#buffer = bytes.buffer;
    this.#whole = new Uint8Array(this.#buffer);
    this.#readViews.fill(null);
    this.#meta = meta;
    this.#head = 0;
    this.#tail = w;
    this.#used = w; // moved end to end: no bytes skipped
    return w;
  }

  /**
   * Takes memory for a ring that has none (and so no packet): the smallest free buffer that holds
   * what it wants (and `length` bytes), else new memory of that size.
   */
  #allocate(length: number): void {
    const wanted = Math.max(this.#wanted, Math.ceil((length + MIN_READ + READ_SLACK) / SIZE_STEP) * SIZE_STEP);
    let best = -1;
    if (!this.#released) {
      for (let k = 0; k < free.length; k++) {
        const size = free[k]!.bytes.length;
        if (size >= wanted && (best < 0 || size < free[best]!.bytes.length)) best = k;
      }
    }
    let storage: Storage;
    if (best >= 0) {
      storage = free[best]!;
      free[best] = free[free.length - 1]!;
      free.pop();
    } else {
      storage = newStorage(wanted, INITIAL_SLOTS);
    }
    this.#bytes = storage.bytes;
    this.#buffer = this.#bytes.buffer;
    this.#whole = new Uint8Array(this.#buffer);
    this.#readViews.fill(null);
    this.#tail = 0;
    this.#meta = storage.meta;
    this.#mask = this.#meta.length / STRIDE - 1;
    this.#head = 0;
  }

  /** The ring's memory is no longer its own and no other ring will take it (see `ring-memory.ts`). */
  #drop(): void {
    dropRingMemory(this.#buffer);
    this.#dropGrownSlots();
  }

  /** Slots grown past the buffer's own are memory of their own: dropped when replaced. */
  #dropGrownSlots(): void {
    if (this.#meta.buffer !== this.#buffer) dropRingMemory(this.#meta.buffer);
  }

  #growSlots(): void {
    if (this.#bytes.length === 0) {
      this.#allocate(0); // an empty ring's first memory, slots included
      return;
    }
    const slots = Math.max(INITIAL_SLOTS, 2 * (this.#mask + 1));
    const meta = new Float64Array(newRingMemory(slots * STRIDE * Float64Array.BYTES_PER_ELEMENT));
    for (let k = 0; k < this.count; k++) {
      const from = ((this.#head + k) & this.#mask) * STRIDE;
      meta.set(this.#meta.subarray(from, from + STRIDE), k * STRIDE);
    }
    this.#dropGrownSlots();
    this.#meta = meta;
    this.#mask = slots - 1;
    this.#head = 0;
  }
}
