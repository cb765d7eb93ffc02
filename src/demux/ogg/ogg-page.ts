/**
 * The Ogg page format (RFC 3533 §6): pure readers over byte slices. A page is
 *
 * ```
 *  0      4        5      6            14       18         22    26         27
 *  "OggS" version  flags  granule(64)  serial   sequence   CRC   segments   lacing table, body
 * ```
 *
 * with every multi-byte field little-endian. Nothing here keeps state or allocates.
 *
 * @module
 */

/** Size of the fixed page header, up to and including the segment count (RFC 3533 §6). */
export const PAGE_HEADER_SIZE = 27;
/** The largest page: header, 255 lacing values, 255 segments of 255 bytes (RFC 3533 §6). */
export const MAX_OGG_PAGE_SIZE = PAGE_HEADER_SIZE + 255 + 255 * 255;

/** header_type_flag bits (RFC 3533 §6). */
export const FLAG_CONTINUED = 0x01;
export const FLAG_BOS = 0x02;
export const FLAG_EOS = 0x04;

/** Offsets of the header fields (RFC 3533 §6). */
const VERSION = 4;
const FLAGS = 5;
const GRANULE = 6;
const SERIAL = 14;
const SEQUENCE = 18;
/** The CRC_checksum field: four bytes, taken as zero when the CRC is computed (RFC 3533 §6). */
export const CRC_FIELD = 22;
const SEGMENTS = 26;

/** True when `buf[i, i + 4)` is the capture pattern "OggS" (RFC 3533 §6). */
export function isCapturePattern(buf: Uint8Array, i: number): boolean {
  return buf[i] === 0x4f && buf[i + 1] === 0x67 && buf[i + 2] === 0x67 && buf[i + 3] === 0x53;
}

/**
 * The offset of the next capture pattern in `buf[from, end)`; when there is none, the offset of
 * the last three bytes (which may begin a pattern that the next bytes complete), or `from`.
 */
export function findCapturePattern(buf: Uint8Array, from: number, end: number): number {
  const last = end - 4;
  // indexOf searches to the array's end: bounded to `end` by a view, so bytes past it (a reused
  // buffer's stale tail) are never scanned.
  const bytes = end === buf.length ? buf : new Uint8Array(buf.buffer, buf.byteOffset, end);
  let i = from;
  while (i <= last) {
    i = bytes.indexOf(0x4f, i); // 'O'
    if (i === -1 || i > last) break;
    if (buf[i + 1] === 0x67 && buf[i + 2] === 0x67 && buf[i + 3] === 0x53) return i;
    i++;
  }
  return Math.max(from, end - 3);
}

/**
 * Whether the fixed header at `buf[p]` (its 27 bytes present) can start a page: the capture
 * pattern and stream_structure_version 0 (RFC 3533 §6). Only the CRC tells a page for sure.
 */
export function plausibleHeader(buf: Uint8Array, p: number): boolean {
  return isCapturePattern(buf, p) && buf[p + VERSION] === 0;
}

/**
 * The bytes, counted from `p`, needed to know the size of the page starting at `buf[p]` or, once
 * they are there, its whole size: 27 for the fixed header, then 27 plus the lacing table, then the
 * page's size (header, lacing table and body). Compare with the bytes available: while fewer are
 * there, more are needed.
 */
export function pageExtent(buf: Uint8Array, p: number, available: number): number {
  if (available < PAGE_HEADER_SIZE) return PAGE_HEADER_SIZE;
  const segments = buf[p + SEGMENTS]!;
  const headerSize = PAGE_HEADER_SIZE + segments;
  if (available < headerSize) return headerSize;
  let bodySize = 0;
  for (let i = p + PAGE_HEADER_SIZE, last = p + headerSize; i < last; i++) bodySize += buf[i]!;
  return headerSize + bodySize;
}

/** The page's size when `buf[p, end)` holds all of it, else `null` (need more bytes). */
export function pageSize(buf: Uint8Array, p: number, end: number): number | null {
  const size = pageExtent(buf, p, end - p);
  return end - p >= size ? size : null;
}

/** header_type_flag (RFC 3533 §6): {@link FLAG_CONTINUED}, {@link FLAG_BOS}, {@link FLAG_EOS}. */
export function pageFlags(buf: Uint8Array, p: number): number {
  return buf[p + FLAGS]!;
}

/** page_segments: the number of lacing values (RFC 3533 §6). */
export function pageSegments(buf: Uint8Array, p: number): number {
  return buf[p + SEGMENTS]!;
}

/** bitstream_serial_number (RFC 3533 §6). */
export function pageSerial(buf: Uint8Array, p: number): number {
  return u32le(buf, p + SERIAL);
}

/** page_sequence_number (RFC 3533 §6). */
export function pageSequence(buf: Uint8Array, p: number): number {
  return u32le(buf, p + SEQUENCE);
}

/** The CRC_checksum stored in the page (RFC 3533 §6). */
export function storedCrc(buf: Uint8Array, p: number): number {
  return u32le(buf, p + CRC_FIELD);
}

/**
 * granule_position: an int64 at offset 6, where -1 means that no packet finishes on the page
 * (RFC 3533 §6). Any negative value reads as -1; others are exact below 2^53.
 */
export function pageGranule(buf: Uint8Array, p: number): number {
  const high = buf[p + GRANULE + 4]! | (buf[p + GRANULE + 5]! << 8) | (buf[p + GRANULE + 6]! << 16) | (buf[p + GRANULE + 7]! << 24);
  return high < 0 ? -1 : high * 4294967296 + u32le(buf, p + GRANULE);
}

/** The unsigned 32-bit little-endian integer at `buf[i]`. */
export function u32le(buf: Uint8Array, i: number): number {
  return (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
}

/**
 * The length of the first packet of the page at `buf[p]` when it completes on the page, else -1
 * (its lacing values are all 255 to the table's end, RFC 3533 §6).
 */
export function firstPacketLength(buf: Uint8Array, p: number): number {
  const table = p + PAGE_HEADER_SIZE;
  const segments = buf[p + SEGMENTS]!;
  let length = 0;
  for (let seg = 0; seg < segments; seg++) {
    const lace = buf[table + seg]!;
    length += lace;
    if (lace < 255) return length;
  }
  return -1;
}
