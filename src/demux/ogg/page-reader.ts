/**
 * Finds the pages in a stream of bytes pushed in chunks of any size (RFC 3533 §6): the capture
 * pattern, the header, the lacing table, the CRC. Knows nothing of logical streams or codecs: each
 * good page goes to a {@link PageHandler}, and so does each stretch of bytes that held none.
 *
 * - Pages are read in place inside the pushed chunk whenever a page lies entirely within it. The
 *   tail of a chunk that holds an incomplete page is carried: copied into a buffer that grows to
 *   what the pages need (at most twice the largest page, 65,307 bytes), so a chunk is never
 *   retained after `read()` returns. Carried bytes are compacted only when the buffer's tail is
 *   full, so a byte is copied about twice at most, whatever the chunking.
 * - Every page's CRC is checked (in WebAssembly SIMD over a copy of the chunk when the platform
 *   allows, crc-fast.ts; else in JS, crc.ts). Without `verifyCrc`, pages that follow a
 *   good page back to back are trusted, and only pages found by scanning are checked.
 * - Bytes that are not a good page (garbage, a damaged page, a false capture pattern) are skipped
 *   by scanning for the next capture pattern whose page verifies. The CRC work scanning may do is
 *   bounded by a credit: a few of the largest pages to start with, and 16 bytes more for each byte
 *   skipped (never reset by a good page), so hostile input made of capture patterns that each
 *   announce a 64 KiB page costs time linear in its length: a candidate page larger than the
 *   credit left is passed over unchecked, at once, without waiting for its bytes.
 * - {@link OggPageReader.work} counts the work done, for complexity checks without a clock.
 *
 * @module
 */

import { oggPageCrc } from './crc.js';
import { fastCrcAvailable, loadWindow, windowPageCrc, WINDOW_SIZE } from './crc-fast.js';
import { findCapturePattern, isCapturePattern, MAX_OGG_PAGE_SIZE, PAGE_HEADER_SIZE, pageExtent, pageSegments, storedCrc } from './ogg-page.js';
import { copyAlignment, SHARED_COPY_ALIGN } from '../shared-copy.js';

/**
 * Pages at least this long take the WebAssembly CRC (crc-fast.ts); shorter ones cost less with the
 * JS CRC (about even at 100 bytes, where either takes some 150 ns).
 */
const FAST_CRC_MIN_PAGE = 128;

/** The CRC credit at the start (and after a restart): enough for a few damaged pages of the largest size. */
const START_CREDIT = 4 * MAX_OGG_PAGE_SIZE;
/** Bytes of CRC scanning may spend per byte it skips. */
const CREDIT_PER_BYTE = 16;
/** The carry never needs more: a page, and as much again before it is compacted. */
const MAX_CARRY = 2 * MAX_OGG_PAGE_SIZE + 16;
/** Carried bytes sit at their source's offset modulo this (see `OggPageReader.append`). */
const CARRY_ALIGN = SHARED_COPY_ALIGN;
/**
 * Bulk byte work (a CRC, a copy into the CRC's window) counts one {@link OggPageReader.work} step
 * per 16 bytes: both CRCs take 16 bytes a step (crc.ts slices by 16; crc-fast.ts runs 16 lanes),
 * and a copy moves at least as many.
 */
const BULK_SHIFT = 4;
/** "OggS" (RFC 3533 §6). */
const CAPTURE = [0x4f, 0x67, 0x67, 0x53] as const;

/** What an {@link OggPageReader} finds. */
export interface PageHandler {
  /** A good page at `buf[p, p + size)`; `offset` is its absolute byte offset. `buf` is valid during the call only. */
  page(buf: Uint8Array, p: number, size: number, offset: number): void;
  /**
   * Bytes `[start, end)` (absolute offsets) held no good page and were skipped, after a good page
   * had been read. `truncated`: the input ended in them (a page cut short, or garbage at the end).
   */
  skipped(start: number, end: number, truncated: boolean): void;
}

/**
 * Where an {@link OggPageReader} gets the memory of its carry, and gives it back. A player's
 * reader takes shared memory (`player/ring-memory.ts`): a carry holds a page cut by a read (an
 * opusenc page is ~1 s, 16-20 KB) and is kept for the track. As `ArrayBuffer`s, 5000 players'
 * carries were ~90 MB that V8 counts towards its full collections: mark-compacts while thousands
 * of players start at once.
 * @internal
 */
export interface CarryMemory {
  allocate(bytes: number): ArrayBufferLike;
  /** `buffer` is no longer used (the carry grew, or its reader was released). */
  drop(buffer: ArrayBufferLike): void;
}

const NO_CARRY = new Uint8Array(0);

/** Reads pages out of pushed chunks; see the module notes. */
export class OggPageReader {
  private readonly handler: PageHandler;
  private readonly verifyCrc: boolean;
  /** Bytes carried over from earlier chunks, `carry[carryStart, carryEnd)`: at most one page. */
  private carry: Uint8Array = NO_CARRY;
  private carryStart = 0;
  private carryEnd = 0;
  /** Absolute offset of `carry[carryStart]`. */
  private carryOffset = 0;
  /** Bytes the carried data must reach, from `carryStart`, before parsing can progress. */
  private need = 0;
  /** Absolute offset just past the last byte read. */
  private end = 0;
  /** Absolute offset where the current stretch of skipped bytes began; -1 while pages follow each other. */
  private skipFrom = 0;
  /** A good page has been read since the start or the last {@link reset}. */
  private synced = false;
  /** CRC bytes scanning may still spend (see the module notes). */
  private credit = START_CREDIT;
  /** The CRC can be computed natively (checked once per process). */
  private readonly fastCrc = fastCrcAvailable();
  private steps = 0;

  readonly #memory: CarryMemory | null;

  constructor(handler: PageHandler, verifyCrc: boolean, memory: CarryMemory | null = null) {
    this.handler = handler;
    this.verifyCrc = verifyCrc;
    this.#memory = memory;
  }

  /** Gives the carry's memory back (see {@link CarryMemory}); the reader may still be used. */
  release(): void {
    this.#setCarry(NO_CARRY);
    this.carryStart = this.carryEnd = 0;
  }

  #setCarry(carry: Uint8Array): void {
    const old = this.carry;
    this.carry = carry;
    if (this.#memory !== null && old.length > 0) this.#memory.drop(old.buffer);
  }

  /** Absolute byte offset just past the last byte read. */
  get position(): number {
    return this.end;
  }

  /** Bytes held: the carried incomplete page. */
  get bufferedBytes(): number {
    return this.carryEnd - this.carryStart;
  }

  /**
   * Work done so far, for complexity checks: chunks, pages and their lacing values, bytes scanned
   * and carried, and bulk work (CRCs, copies into the CRC window, the packets' bytes) in steps of
   * 16 bytes. Linear in the bytes read, whatever their chunking and content.
   */
  get work(): number {
    return this.steps;
  }

  /**
   * Drops the carried bytes (keeping the carry's memory for the next); the next bytes read start
   * at absolute offset `offset`, anywhere in a page.
   */
  reset(offset: number): void {
    this.carryStart = 0;
    this.carryEnd = 0;
    this.need = 0;
    this.end = offset;
    this.skipFrom = offset;
    this.synced = false;
    this.credit = START_CREDIT;
  }

  /** Reads a chunk: finishes the carried page, reads the pages in place, and carries the rest. */
  read(chunk: Uint8Array): void {
    const length = chunk.length;
    const chunkOffset = this.end;
    this.end += length;
    this.steps++;
    let offset = 0;
    // First finish the page carried over from earlier chunks.
    while (this.carryEnd > this.carryStart && offset < length) {
      if (this.carryEnd - this.carryStart < 4 && this.dropCarried(chunk, offset)) break;
      const take = Math.min(this.need - (this.carryEnd - this.carryStart), length - offset);
      this.append(chunk, offset, take);
      offset += take;
      if (this.carryEnd - this.carryStart < this.need) return;
      const start = this.carryStart;
      const used = this.parse(this.carry, start, this.carryEnd, this.carryOffset - start);
      this.carryOffset += used - start;
      this.carryStart = used;
      if (used === this.carryEnd) this.carryStart = this.carryEnd = 0;
    }
    if (offset < length) {
      const used = this.parse(chunk, offset, length, chunkOffset);
      if (used < length) {
        this.carryOffset = chunkOffset + used;
        this.append(chunk, used, length - used);
      }
    }
  }

  /** Ends the input: reports bytes left unread (an incomplete page, garbage) after a good page. */
  finish(): void {
    const from = this.skipFrom !== -1 ? this.skipFrom : this.carryEnd > this.carryStart ? this.carryOffset : -1;
    this.carryStart = this.carryEnd = 0;
    if (from !== -1 && from < this.end && this.synced) this.handler.skipped(from, this.end, true);
    this.skipFrom = -1;
  }

  /**
   * Reads the pages in `buf[pos, end)`, whose first byte is at absolute offset `base + pos`;
   * returns the offset where it stopped, having set `need` to the byte count (from there) required
   * to go on.
   */
  private parse(buf: Uint8Array, pos: number, end: number, base: number): number {
    // The copy of buf[winStart, winEnd) in crc-fast's shared memory, made in this call
    // (nothing else runs before it returns, so no other reader can overwrite it meanwhile).
    let winStart = 0;
    let winEnd = 0;
    for (;;) {
      const available = end - pos;
      if (available >= 4 && !isCapturePattern(buf, pos)) {
        pos = this.skip(buf, pos, end, base);
        continue;
      }
      // stream_structure_version must be 0 (RFC 3533 §6).
      if (available > 4 && buf[pos + 4] !== 0) {
        pos = this.skip(buf, pos, end, base);
        continue;
      }
      const size = pageExtent(buf, pos, available);
      const scanning = this.skipFrom !== -1;
      // Too costly to check while scanning: passed over at once (its size is known once its
      // lacing table is there), rather than after waiting for its bytes.
      if (scanning && size > this.credit && available >= PAGE_HEADER_SIZE && available >= PAGE_HEADER_SIZE + pageSegments(buf, pos)) {
        pos = this.skip(buf, pos, end, base);
        continue;
      }
      if (available < size) {
        this.need = size;
        return pos;
      }
      if (this.verifyCrc || scanning) {
        let crc: number;
        if (this.fastCrc && size >= FAST_CRC_MIN_PAGE) {
          if (pos < winStart || pos + size > winEnd) {
            winStart = pos;
            winEnd = end - pos < WINDOW_SIZE ? end : pos + WINDOW_SIZE; // holds any page (WINDOW_SIZE > MAX_OGG_PAGE_SIZE)
            loadWindow(buf, winStart, winEnd);
            this.steps += ((winEnd - winStart) >> BULK_SHIFT) + 1;
          }
          crc = windowPageCrc(pos - winStart, size);
        } else {
          crc = oggPageCrc(buf, pos, size);
        }
        this.steps += (size >> BULK_SHIFT) + 1;
        if (scanning) this.credit -= size;
        if (crc !== storedCrc(buf, pos)) {
          pos = this.skip(buf, pos, end, base); // not a page, or a damaged one
          continue;
        }
      }
      const offset = base + pos;
      if (scanning) {
        if (this.synced) this.handler.skipped(this.skipFrom, offset, false);
        this.skipFrom = -1;
      }
      this.synced = true;
      // The page's lacing values, and its packets' bytes, which the chain copies at most once (in bulk).
      this.steps += 1 + pageSegments(buf, pos) + (size >> BULK_SHIFT);
      this.handler.page(buf, pos, size, offset);
      pos += size;
    }
  }

  /** Passes over the byte at `pos` (no good page starts there): scans on for the next capture pattern. */
  private skip(buf: Uint8Array, pos: number, end: number, base: number): number {
    if (this.skipFrom === -1) this.skipFrom = base + pos;
    const next = findCapturePattern(buf, pos + 1, end);
    this.credit += (next - pos) * CREDIT_PER_BYTE;
    this.steps += next - pos;
    return next;
  }

  /**
   * The carry holds fewer than 4 bytes (left by a scan, or after a page): drops those of them that
   * cannot start a capture pattern with the chunk's bytes after them, as a scan would, without
   * copying the chunk in. Returns true when none is left (the chunk is then read in place).
   */
  private dropCarried(chunk: Uint8Array, offset: number): boolean {
    const carry = this.carry;
    while (this.carryStart < this.carryEnd) {
      const live = this.carryEnd - this.carryStart;
      if (live + chunk.length - offset < 4) return false; // cannot tell yet
      let match = true;
      for (let j = 0; j < 4 && match; j++) {
        const byte = j < live ? carry[this.carryStart + j]! : chunk[offset + j - live]!;
        match = byte === CAPTURE[j];
      }
      if (match) return false;
      if (this.skipFrom === -1) this.skipFrom = this.carryOffset;
      this.carryStart++;
      this.carryOffset++;
      this.credit += CREDIT_PER_BYTE;
      this.steps++;
    }
    this.carryStart = this.carryEnd = 0;
    return true;
  }

  /** Appends `bytes[start, start + length)` to the carry: compacts it or grows it when its tail is full. */
  private append(bytes: Uint8Array, start: number, length: number): void {
    // An empty carry takes the bytes at their source's offset modulo 8, and a move keeps that
    // offset, so that copies out of shared memory (a player's read-ahead) are word by word
    // (`../shared-copy.ts`). A page cut by a read then comes whole in two aligned copies, since
    // reads are multiples of 8 bytes long and the rest of the page starts the next one, where the
    // carried head ends. opusenc's ~1 s pages are longer than a player's 16 KiB reads: nearly
    // every page passes through the carry.
    if (this.carryStart === this.carryEnd) this.carryStart = this.carryEnd = copyAlignment(bytes, start);
    let carry = this.carry;
    if (this.carryEnd + length > carry.length) {
      const live = this.carryEnd - this.carryStart;
      const needed = live + length + CARRY_ALIGN;
      const at = this.carryStart & (CARRY_ALIGN - 1);
      if (2 * needed <= carry.length) {
        // Half the buffer or more was read since it was last compacted: moving what is left is paid for.
        carry.copyWithin(at, this.carryStart, this.carryEnd);
      } else {
        // Room for the whole page when its header has been read (`need`, from the carried head):
        // grown to twice the head alone, a cut page's rest made it grow again at once.
        const size = Math.min(MAX_CARRY, Math.max(2 * needed, at + this.need, 4096));
        const grown = new Uint8Array(this.#memory === null ? new ArrayBuffer(size) : this.#memory.allocate(size));
        grown.set(carry.subarray(this.carryStart, this.carryEnd), at);
        this.#setCarry(grown);
        carry = grown;
      }
      this.steps += live;
      this.carryStart = at;
      this.carryEnd = at + live;
    }
    carry.set(start === 0 && length === bytes.length ? bytes : bytes.subarray(start, start + length), this.carryEnd);
    this.carryEnd += length;
    this.steps += length;
  }
}
