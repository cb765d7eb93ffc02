/**
 * Finds the pages in a stream of bytes pushed in chunks of any size (RFC 3533 §6): the capture
 * pattern, the header, the lacing table, the CRC. Knows nothing of logical streams or codecs: each
 * good page goes to a {@link PageHandler}, and so does each stretch of bytes that held none.
 *
 * - Pages are read in place inside the pushed chunk whenever a page lies entirely within it. The
 *   tail of a chunk that holds an incomplete page is copied into a fixed buffer of one page
 *   (an Ogg page is at most 65,307 bytes), so a chunk is never retained after `read()` returns.
 * - Every page's CRC is checked (in WebAssembly SIMD over a copy of the chunk when the platform
 *   allows, crc-fast.ts; else in JS, crc.ts). Without `verifyCrc`, pages that follow a
 *   good page back to back are trusted, and only pages found by scanning are checked.
 * - Bytes that are not a good page (garbage, a damaged page, a false capture pattern) are skipped
 *   by scanning for the next capture pattern whose page verifies. The CRC work this scan may do is
 *   bounded by a credit that grows with the bytes skipped, so hostile input made of capture
 *   patterns that each announce a 64 KiB page costs time linear in its length: a candidate page
 *   larger than the credit left is passed over unchecked.
 *
 * @module
 */

import { oggPageCrc } from './crc.js';
import { fastCrcAvailable, loadWindow, windowPageCrc, WINDOW_SIZE } from './crc-fast.js';
import { findCapturePattern, isCapturePattern, MAX_OGG_PAGE_SIZE, pageExtent, storedCrc } from './ogg-page.js';

/**
 * Pages at least this long take the WebAssembly CRC (crc-fast.ts); shorter ones cost less with the
 * JS CRC (about even at 100 bytes, where either takes some 150 ns).
 */
const FAST_CRC_MIN_PAGE = 128;

/** The CRC credit of a scan when it starts: enough for a few damaged pages of the largest size. */
const START_CREDIT = 4 * MAX_OGG_PAGE_SIZE;
/** Bytes of CRC a scan may spend per byte it skips. */
const CREDIT_PER_BYTE = 16;

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

/** Reads pages out of pushed chunks; see the module notes. */
export class OggPageReader {
  private readonly handler: PageHandler;
  private readonly verifyCrc: boolean;
  /** Bytes of an incomplete page carried over from earlier chunks (at most one page). */
  private readonly carry = new Uint8Array(MAX_OGG_PAGE_SIZE);
  private carryLength = 0;
  /** Absolute offset of `carry[0]`. */
  private carryOffset = 0;
  /** Bytes the carried data must reach, from its start, before parsing can progress. */
  private need = 0;
  /** Absolute offset just past the last byte read. */
  private end = 0;
  /** Absolute offset where the current stretch of skipped bytes began; -1 while pages follow each other. */
  private skipFrom = 0;
  /** A good page has been read since the start or the last {@link reset}. */
  private synced = false;
  /** CRC bytes the current scan may still spend (see the module notes). */
  private credit = START_CREDIT;
  /** The CRC can be computed natively (checked once per process). */
  private readonly fastCrc = fastCrcAvailable();

  constructor(handler: PageHandler, verifyCrc: boolean) {
    this.handler = handler;
    this.verifyCrc = verifyCrc;
  }

  /** Absolute byte offset just past the last byte read. */
  get position(): number {
    return this.end;
  }

  /** Bytes held: the carried incomplete page. */
  get bufferedBytes(): number {
    return this.carryLength;
  }

  /** Drops the carried bytes; the next bytes read start at absolute offset `offset`, anywhere in a page. */
  reset(offset: number): void {
    this.carryLength = 0;
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
    let offset = 0;
    // First finish the page carried over from earlier chunks, a few bytes at a time.
    while (this.carryLength > 0 && offset < length) {
      const take = Math.min(this.need - this.carryLength, length - offset);
      this.carry.set(offset === 0 && take === length ? chunk : chunk.subarray(offset, offset + take), this.carryLength);
      this.carryLength += take;
      offset += take;
      if (this.carryLength < this.need) return;
      const used = this.parse(this.carry, 0, this.carryLength, this.carryOffset);
      if (used > 0) {
        this.carry.copyWithin(0, used, this.carryLength);
        this.carryLength -= used;
        this.carryOffset += used;
      }
    }
    if (offset < length) {
      const used = this.parse(chunk, offset, length, chunkOffset);
      const rest = length - used;
      if (rest > 0) {
        this.carry.set(chunk.subarray(used, length), 0);
        this.carryLength = rest;
        this.carryOffset = chunkOffset + used;
      }
    }
  }

  /** Ends the input: reports bytes left unread (an incomplete page, garbage) after a good page. */
  finish(): void {
    const from = this.skipFrom !== -1 ? this.skipFrom : this.carryLength > 0 ? this.carryOffset : -1;
    this.carryLength = 0;
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
      const size = pageExtent(buf, pos, available);
      if (available < size) {
        this.need = size;
        return pos;
      }
      // stream_structure_version must be 0 (RFC 3533 §6).
      if (buf[pos + 4] !== 0) {
        pos = this.skip(buf, pos, end, base);
        continue;
      }
      const scanning = this.skipFrom !== -1;
      if (this.verifyCrc || scanning) {
        if (scanning && size > this.credit) {
          pos = this.skip(buf, pos, end, base); // too costly to check while scanning: passed over
          continue;
        }
        let crc: number;
        if (this.fastCrc && size >= FAST_CRC_MIN_PAGE) {
          if (pos < winStart || pos + size > winEnd) {
            winStart = pos;
            winEnd = end - pos < WINDOW_SIZE ? end : pos + WINDOW_SIZE; // holds any page (WINDOW_SIZE > MAX_OGG_PAGE_SIZE)
            loadWindow(buf, winStart, winEnd);
          }
          crc = windowPageCrc(pos - winStart, size);
        } else {
          crc = oggPageCrc(buf, pos, size);
        }
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
      this.handler.page(buf, pos, size, offset);
      pos += size;
    }
  }

  /** Passes over the byte at `pos` (no good page starts there): scans on for the next capture pattern. */
  private skip(buf: Uint8Array, pos: number, end: number, base: number): number {
    if (this.skipFrom === -1) {
      this.skipFrom = base + pos;
      this.credit = START_CREDIT;
    }
    const next = findCapturePattern(buf, pos + 1, end);
    this.credit += (next - pos) * CREDIT_PER_BYTE;
    return next;
  }
}
