/**
 * A list of pushed chunks with a read cursor: the demuxers' byte buffer.
 *
 * Chunks are kept as pushed (no `Buffer.concat` per chunk); reads that fall inside the head chunk
 * are direct, and only reads that straddle chunks walk the list. Bytes are copied out once, into the
 * packet that owns them, so a packet never pins a large chunk.
 *
 * Fed one borrowed read at a time (a player's refill), the queue allocates nothing per read: the
 * slots array keeps its length, and the cut element a read leaves (see {@link ownLast}) goes into
 * a carry buffer the queue reuses. Each of those would otherwise be a small object living exactly
 * one refill (about a second): long enough to be copied by every young-generation collection and
 * promoted, per player — most of what survived those collections at 5000 players.
 *
 * Any chunking costs time linear in the bytes: what is left of a borrowed chunk, or of a small
 * pushed one, is appended to the carry when the carry is the last chunk (grown by doubling), so an
 * element arriving a byte at a time is one growing buffer, not a list of a million chunks that
 * every read would walk.
 *
 * @module
 */

/** Initial size of a carry buffer: a cut Opus block is rarely more than a few hundred bytes. */
const CARRY_BYTES = 2048;

/**
 * Initial size of the scratch buffer ({@link ChunkQueue.contiguous}), grown by doubling: what it
 * holds is one block cut by a chunk's end, a few hundred bytes. Every player's queue makes one
 * within its first refills, so a larger start (it was 4 KiB) is memory held per player for nothing.
 */
const SCRATCH_BYTES = 512;

/**
 * A pushed chunk at most this long that is not consumed by the push is copied into the carry
 * (see {@link ChunkQueue.packLast}): tiny chunks would otherwise each be a slot (and an object
 * the caller made) for as long as their element takes to arrive.
 */
export const SMALL_CHUNK = 4096;

export class ChunkQueue {
  /**
   * The chunks, `[headIndex, count)` of them live; chunk `i` is bytes `[0, ends[i])` of
   * `chunks[i]` (a carry buffer is longer than what it holds). The arrays keep their length from
   * one chunk to the next (emptied slots hold {@link EMPTY}). They start with 8 slots (a player's
   * queue holds up to 6 chunks): an empty array's first push makes room for 17, twice the memory
   * a player keeps for its track.
   */
  private readonly chunks: Uint8Array[] = [EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY];
  private readonly ends: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  /** Slots in use. */
  private count = 0;
  /** Index of the head chunk (consumed chunks are dropped lazily to avoid shifting). */
  private headIndex = 0;
  /** Read offset inside the head chunk. */
  private headOffset = 0;
  /** Bytes available from the cursor to the end of the last chunk. */
  private availableBytes = 0;
  /** Absolute stream position of the cursor (bytes consumed since the start). */
  private consumed = 0;
  /** The queue's own buffer for bytes it must keep (allocated on first use, reused). */
  private carry: Uint8Array = EMPTY;
  /** The slot {@link carry} is in, or -1 when it holds no live bytes. */
  private carrySlot = -1;
  /**
   * Work done, for the demuxers' complexity checks: slots walked to reach an offset and bytes
   * copied into the carry. Linear in the bytes pushed for any chunking. @internal
   */
  work = 0;

  /** Bytes available from the cursor. */
  get available(): number {
    return this.availableBytes;
  }

  /** Absolute position of the cursor in the stream: the number of bytes consumed so far. */
  get position(): number {
    return this.consumed;
  }

  /**
   * The array holding the head chunk (an empty array when nothing is buffered), for parsers'
   * in-place fast paths: bytes `[headStart, headEnd)` of it are the next ones. Consume with
   * {@link skip}. (`head.length` may be more than `headEnd`.)
   */
  get head(): Uint8Array {
    return this.headIndex < this.count ? this.chunks[this.headIndex]! : EMPTY;
  }

  /** Offset of the cursor inside {@link head}. */
  get headStart(): number {
    return this.headOffset;
  }

  /** End of the head chunk's bytes inside {@link head}. */
  get headEnd(): number {
    return this.headIndex < this.count ? this.ends[this.headIndex]! : 0;
  }

  /** Appends a chunk. The queue keeps a reference; the caller must not mutate it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk, chunk.length);
  }

  private append(chunk: Uint8Array, end: number): void {
    if (this.count === this.chunks.length) {
      this.chunks.push(chunk);
      this.ends.push(end);
    } else {
      this.chunks[this.count] = chunk;
      this.ends[this.count] = end;
    }
    this.count++;
    this.availableBytes += end;
  }

  /**
   * Replaces the last chunk, when any of it is still buffered, with a copy of what is left of it:
   * after this the caller may overwrite the chunk it pushed last (a borrowed read buffer). The
   * copy goes into the carry, appended to it when the carry is the chunk before (an element that
   * spans several reads), so each byte is copied a bounded number of times: an element arriving
   * over many borrowed chunks costs O(n).
   */
  ownLast(): void {
    const last = this.count - 1;
    if (last < this.headIndex || this.availableBytes === 0 || last === this.carrySlot) return;
    const chunk = this.chunks[last]!;
    const from = last === this.headIndex ? this.headOffset : 0;
    const end = this.ends[last]!;
    // Drop the slot, then append its bytes to the carry (which may now be the last slot).
    this.chunks[last] = EMPTY;
    this.count = last;
    this.availableBytes -= end - from;
    if (last === this.headIndex) this.headOffset = 0;
    this.appendCopy(chunk, from, end);
  }

  /**
   * {@link ownLast} for a small last chunk only (at most {@link SMALL_CHUNK} bytes): what the push
   * path calls, so that a stream of tiny chunks is packed into the carry while larger chunks stay
   * where they are, uncopied.
   */
  packLast(): void {
    const last = this.count - 1;
    if (last >= this.headIndex && this.ends[last]! <= SMALL_CHUNK) this.ownLast();
  }

  /** Appends a copy of `bytes[from, end)` to the carry, as the last slot. */
  private appendCopy(bytes: Uint8Array, from: number, end: number): void {
    const length = end - from;
    this.work += length;
    const last = this.count - 1;
    if (last >= this.headIndex && last === this.carrySlot) {
      // The carry is the last chunk: append to it, moving or growing it when it is full.
      const start = last === this.headIndex ? this.headOffset : 0;
      const used = this.ends[last]!;
      if (used + length > this.carry.length) {
        const live = used - start;
        if (live + length <= this.carry.length >> 1) {
          this.carry.copyWithin(0, start, used);
        } else {
          const grown = new Uint8Array(Math.max(2 * (live + length), CARRY_BYTES));
          grown.set(this.carry.subarray(start, used));
          this.carry = grown;
          this.chunks[last] = grown;
        }
        this.work += live;
        this.ends[last] = live;
        if (last === this.headIndex) this.headOffset = 0;
      }
      const at = this.ends[last]!;
      this.carry.set(bytes.subarray(from, end), at);
      this.ends[last] = at + length;
      this.availableBytes += length;
      return;
    }
    // A new slot: the carry when it holds nothing live and is big enough, else a new carry (the
    // old one, still live in an earlier slot, is dropped with that slot).
    if (this.carrySlot >= 0 || this.carry.length < length) this.carry = new Uint8Array(Math.max(length, CARRY_BYTES, this.carrySlot >= 0 ? 0 : 2 * this.carry.length));
    this.carry.set(bytes.subarray(from, end), 0);
    this.carrySlot = this.count;
    this.append(this.carry, length);
  }

  /** The byte `offset` bytes past the cursor; the caller ensures `offset < available`. */
  byteAt(offset: number): number {
    let index = this.headIndex;
    let pos = this.headOffset + offset;
    while (pos >= this.ends[index]!) {
      pos -= this.ends[index]!;
      index++;
      this.work++;
    }
    return this.chunks[index]![pos]!;
  }

  /**
   * Reads an unsigned big-endian integer of `length` bytes (1 to 8) at `offset` past the cursor,
   * as a JS number; values above 2^53 lose precision but never wrap (no 32-bit arithmetic).
   */
  uintAt(offset: number, length: number): number {
    const head = this.chunks[this.headIndex]!;
    const start = this.headOffset + offset;
    let value = 0;
    if (start + length <= this.ends[this.headIndex]!) {
      for (let i = 0; i < length; i++) value = value * 256 + head[start + i]!;
      return value;
    }
    for (let i = 0; i < length; i++) value = value * 256 + this.byteAt(offset + i);
    return value;
  }

  /** Reads a little-endian unsigned integer of `length` bytes (1 to 8) at `offset`, without wrapping. */
  uintLEAt(offset: number, length: number): number {
    let value = 0;
    for (let i = length - 1; i >= 0; i--) value = value * 256 + this.byteAt(offset + i);
    return value;
  }

  /** Copies `length` bytes starting `offset` past the cursor into a new array, without consuming them. */
  copy(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.copyInto(out, 0, offset, length);
    return out;
  }

  /** Copies `length` bytes starting `offset` past the cursor into `target` at `targetOffset`. */
  copyInto(target: Uint8Array, targetOffset: number, offset: number, length: number): void {
    let index = this.headIndex;
    let pos = this.headOffset + offset;
    while (pos >= this.ends[index]!) {
      pos -= this.ends[index]!;
      index++;
      this.work++;
    }
    let written = 0;
    while (written < length) {
      const chunk = this.chunks[index]!;
      const end = this.ends[index]!;
      const take = Math.min(length - written, end - pos);
      target.set(pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take), targetOffset + written);
      written += take;
      pos = 0;
      index++;
      this.work++;
    }
  }

  /**
   * `length` bytes at `offset` past the cursor, contiguous from index {@link contiguousStart} of
   * the returned array: the head chunk itself when they lie in it (read in place), else a copy in
   * the queue's scratch buffer, reused by the next call. Valid until the next call or the next
   * change to the queue: the caller copies what it keeps.
   */
  contiguous(offset: number, length: number): Uint8Array {
    const start = this.headOffset + offset;
    if (this.headIndex < this.count && start + length <= this.ends[this.headIndex]!) {
      this.contiguousStart = start;
      return this.chunks[this.headIndex]!;
    }
    this.contiguousStart = 0;
    if (this.scratch.length < length) this.scratch = new Uint8Array(Math.max(length, 2 * this.scratch.length, SCRATCH_BYTES));
    this.copyInto(this.scratch, 0, offset, length);
    return this.scratch;
  }

  /** Where the bytes {@link contiguous} returned start in the array it returned. */
  contiguousStart = 0;
  /** {@link contiguous}'s copies of bytes that straddle chunks (rare: blocks cut by a chunk's end). */
  private scratch: Uint8Array = EMPTY;

  /** Consumes `length` bytes and returns a copy of them. */
  take(length: number): Uint8Array {
    const out = this.copy(0, length);
    this.skip(length);
    return out;
  }

  /** Advances the cursor by `length` bytes (at most `available`). */
  skip(length: number): void {
    if (length > this.availableBytes) length = this.availableBytes;
    this.availableBytes -= length;
    this.consumed += length;
    let remaining = length;
    while (remaining > 0) {
      const left = this.ends[this.headIndex]! - this.headOffset;
      if (remaining < left) {
        this.headOffset += remaining;
        return;
      }
      remaining -= left;
      this.chunks[this.headIndex] = EMPTY; // release the reference early
      if (this.headIndex === this.carrySlot) this.carrySlot = -1;
      this.headIndex++;
      this.headOffset = 0;
    }
    this.compact();
  }

  /** Drops every buffered byte. */
  clear(): void {
    this.consumed += this.availableBytes;
    this.chunks.fill(EMPTY, 0, this.count);
    this.count = 0;
    this.headIndex = 0;
    this.headOffset = 0;
    this.availableBytes = 0;
    this.carrySlot = -1;
  }

  private compact(): void {
    // Move the live chunks to the front once the consumed slots before them are at least as many
    // (amortised O(1) per chunk; fed a read at a time, usually one chunk moves one slot).
    const head = this.headIndex;
    if (head === 0) return;
    const live = this.count - head;
    if (live > head) return;
    const chunks = this.chunks;
    const ends = this.ends;
    for (let i = 0; i < live; i++) {
      chunks[i] = chunks[head + i]!;
      ends[i] = ends[head + i]!;
      chunks[head + i] = EMPTY;
    }
    this.work += live;
    this.count = live;
    this.headIndex = 0;
    if (this.carrySlot >= 0) this.carrySlot -= head;
  }
}

const EMPTY = new Uint8Array(0);
