/**
 * A list of pushed chunks with a read cursor: the demuxers' byte buffer.
 *
 * Chunks are kept as pushed (no `Buffer.concat` per chunk); reads that fall inside the head chunk
 * are direct, and only reads that straddle chunks walk the list. Bytes are copied out once, into the
 * packet that owns them, so a packet never pins a large chunk.
 *
 * Fed one borrowed read at a time (a player's refill), the queue allocates nothing per read: the
 * slots array keeps its length, and the cut element a read leaves (see {@link ownLast}) goes into
 * one of two carry buffers the queue reuses. Each of those would otherwise be a small object living
 * exactly one refill (about a second): long enough to be copied by every young-generation
 * collection and promoted, per player — most of what survived those collections at 5000 players.
 *
 * @module
 */

/** Initial size of a carry buffer: a cut Opus block is rarely more than a few hundred bytes. */
const CARRY_BYTES = 2048;

export class ChunkQueue {
  /**
   * The chunks, `[headIndex, count)` of them live; chunk `i` is bytes `[0, ends[i])` of
   * `chunks[i]` (a carry buffer is longer than what it holds). The arrays keep their length from
   * one chunk to the next (emptied slots hold {@link EMPTY}).
   */
  private readonly chunks: Uint8Array[] = [];
  private readonly ends: number[] = [];
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
  /** The two carry buffers {@link ownLast} alternates between (allocated on first use). */
  private carryA: Uint8Array = EMPTY;
  private carryB: Uint8Array = EMPTY;

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
   * after this the caller may overwrite the chunk it pushed last (a borrowed read buffer). Each
   * chunk is copied at most once, so an element arriving over many borrowed chunks costs O(n).
   * The copy goes into a carry buffer no live chunk uses, reused from call to call.
   */
  ownLast(): void {
    const last = this.count - 1;
    if (last < this.headIndex || this.availableBytes === 0) return;
    const chunk = this.chunks[last]!;
    const from = last === this.headIndex ? this.headOffset : 0;
    const length = this.ends[last]! - from;
    const carry = this.freeCarry(length);
    carry.set(from === 0 && length === chunk.length ? chunk : chunk.subarray(from, from + length));
    this.chunks[last] = carry;
    this.ends[last] = length;
    if (last === this.headIndex) this.headOffset = 0;
  }

  /**
   * A carry buffer of at least `length` bytes that no live chunk but the last uses (the last is
   * being replaced), or a new array when both are in use (an element spanning several reads).
   */
  private freeCarry(length: number): Uint8Array {
    let inA = false;
    let inB = false;
    for (let i = this.headIndex; i < this.count - 1; i++) {
      const chunk = this.chunks[i];
      if (chunk === this.carryA) inA = true;
      else if (chunk === this.carryB) inB = true;
    }
    if (!inA) {
      if (this.carryA.length < length) this.carryA = new Uint8Array(Math.max(length, CARRY_BYTES, 2 * this.carryA.length));
      return this.carryA;
    }
    if (!inB) {
      if (this.carryB.length < length) this.carryB = new Uint8Array(Math.max(length, CARRY_BYTES, 2 * this.carryB.length));
      return this.carryB;
    }
    return new Uint8Array(length);
  }

  /** The byte `offset` bytes past the cursor; the caller ensures `offset < available`. */
  byteAt(offset: number): number {
    let index = this.headIndex;
    let pos = this.headOffset + offset;
    while (pos >= this.ends[index]!) {
      pos -= this.ends[index]!;
      index++;
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
    }
  }

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
      this.headIndex++;
      this.headOffset = 0;
    }
    this.compact();
  }

  /**
   * Finds `pattern` at or after `offset` past the cursor; returns its offset from the cursor or -1.
   * Used to resynchronise on a capture pattern after garbage.
   */
  indexOf(pattern: Uint8Array, offset = 0): number {
    const last = this.availableBytes - pattern.length;
    const first = pattern[0]!;
    outer: for (let i = offset; i <= last; i++) {
      if (this.byteAt(i) !== first) continue;
      for (let j = 1; j < pattern.length; j++) if (this.byteAt(i + j) !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** Drops every buffered byte. */
  clear(): void {
    this.consumed += this.availableBytes;
    this.chunks.fill(EMPTY, 0, this.count);
    this.count = 0;
    this.headIndex = 0;
    this.headOffset = 0;
    this.availableBytes = 0;
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
    this.count = live;
    this.headIndex = 0;
  }
}

const EMPTY = new Uint8Array(0);
