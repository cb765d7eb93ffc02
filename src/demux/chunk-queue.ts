/**
 * A list of pushed chunks with a read cursor: the demuxers' byte buffer.
 *
 * Chunks are kept as pushed (no `Buffer.concat` per chunk); reads that fall inside the head chunk
 * are direct, and only reads that straddle chunks walk the list. Bytes are copied out once, into the
 * packet that owns them, so a packet never pins a large chunk.
 *
 * @module
 */

export class ChunkQueue {
  private chunks: Uint8Array[] = [];
  /** Index of the head chunk in `chunks` (consumed chunks are dropped lazily to avoid shifting). */
  private headIndex = 0;
  /** Read offset inside the head chunk. */
  private headOffset = 0;
  /** Bytes available from the cursor to the end of the last chunk. */
  private availableBytes = 0;
  /** Absolute stream position of the cursor (bytes consumed since the start). */
  private consumed = 0;

  /** Bytes available from the cursor. */
  get available(): number {
    return this.availableBytes;
  }

  /** Absolute position of the cursor in the stream: the number of bytes consumed so far. */
  get position(): number {
    return this.consumed;
  }

  /**
   * The chunk holding the cursor (an empty array when nothing is buffered), for parsers' in-place
   * fast paths: bytes `[headStart, head.length)` of it are the next ones. Consume with {@link skip}.
   */
  get head(): Uint8Array {
    return this.chunks[this.headIndex] ?? EMPTY;
  }

  /** Offset of the cursor inside {@link head}. */
  get headStart(): number {
    return this.headOffset;
  }

  /** Appends a chunk. The queue keeps a reference; the caller must not mutate it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.availableBytes += chunk.length;
  }

  /**
   * Replaces the last chunk, when any of it is still buffered, with a copy of what is left of it:
   * after this the caller may overwrite the chunk it pushed last (a borrowed read buffer). Each
   * chunk is copied at most once, so an element arriving over many borrowed chunks costs O(n).
   */
  ownLast(): void {
    const last = this.chunks.length - 1;
    if (last < this.headIndex || this.availableBytes === 0) return;
    const chunk = this.chunks[last]!;
    if (last === this.headIndex) {
      this.chunks[last] = copyFrom(chunk, this.headOffset);
      this.headOffset = 0;
    } else {
      this.chunks[last] = copyFrom(chunk, 0);
    }
  }

  /** The byte `offset` bytes past the cursor; the caller ensures `offset < available`. */
  byteAt(offset: number): number {
    let index = this.headIndex;
    let chunk = this.chunks[index]!;
    let pos = this.headOffset + offset;
    while (pos >= chunk.length) {
      pos -= chunk.length;
      chunk = this.chunks[++index]!;
    }
    return chunk[pos]!;
  }

  /**
   * Reads an unsigned big-endian integer of `length` bytes (1 to 8) at `offset` past the cursor,
   * as a JS number; values above 2^53 lose precision but never wrap (no 32-bit arithmetic).
   */
  uintAt(offset: number, length: number): number {
    const head = this.chunks[this.headIndex]!;
    const start = this.headOffset + offset;
    let value = 0;
    if (start + length <= head.length) {
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
    let chunk = this.chunks[index]!;
    while (pos >= chunk.length) {
      pos -= chunk.length;
      chunk = this.chunks[++index]!;
    }
    let written = 0;
    while (written < length) {
      const take = Math.min(length - written, chunk.length - pos);
      target.set(pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take), targetOffset + written);
      written += take;
      pos = 0;
      chunk = this.chunks[++index]!;
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
      const chunk = this.chunks[this.headIndex]!;
      const left = chunk.length - this.headOffset;
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
    this.chunks = [];
    this.headIndex = 0;
    this.headOffset = 0;
    this.availableBytes = 0;
  }

  private compact(): void {
    // Drop consumed chunk slots once they dominate, keeping shifts amortised O(1).
    if (this.headIndex > 32 && this.headIndex * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.headIndex);
      this.headIndex = 0;
    } else if (this.headIndex === this.chunks.length) {
      this.chunks.length = 0;
      this.headIndex = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** A copy of `chunk[from..]` (not `slice()`: on a Node Buffer that is a view, not a copy). */
function copyFrom(chunk: Uint8Array, from: number): Uint8Array {
  const copy = new Uint8Array(chunk.length - from);
  copy.set(from === 0 ? chunk : chunk.subarray(from));
  return copy;
}
