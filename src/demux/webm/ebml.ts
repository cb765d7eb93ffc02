/**
 * EBML primitives (RFC 8794): variable-size integers, element headers and typed element values.
 *
 * Two flavours: {@link readElementHeader} reads from the streaming {@link ChunkQueue} and returns
 * `false` when it needs more bytes (mediabunny style: no exceptions for "not yet"); the `*In`
 * functions read from an element already buffered whole into a `Uint8Array`, and throw `DEMUX`
 * when the bytes are malformed. All arithmetic is multiplication, never `<<`, so 5-8 byte sizes
 * do not overflow 32 bits (values above 2^53 lose precision, which no real file reaches).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import type { ChunkQueue } from '../chunk-queue.js';

/** The `size` of an element whose Data Size is the reserved "unknown" value (RFC 8794 §6.2). */
export const UNKNOWN_SIZE = -1;

/** Matroska's EBMLMaxIDLength: IDs are 1 to 4 octets (RFC 9559 §6.2, RFC 8794 §11.2.4). */
export const MAX_ID_LENGTH = 4;

/** Longest element header: a 4-octet ID and an 8-octet Data Size (RFC 8794 §5, §6.1). */
export const MAX_HEADER_LENGTH = 12;

/** An element's header, as read; reused by the caller to avoid an allocation per element. */
export interface ElementHeader {
  /** The Element ID with its marker bits, as a number (RFC 8794 §5). */
  id: number;
  /** The Data Size in bytes, or {@link UNKNOWN_SIZE} (RFC 8794 §6). */
  size: number;
  /** Length of the ID plus the Data Size field, in bytes. */
  headerLength: number;
}

/** Creates a blank {@link ElementHeader} for reuse. */
export function newElementHeader(): ElementHeader {
  return { id: 0, size: 0, headerLength: 0 };
}

/**
 * The VINT_WIDTH + 1 of a variable-size integer from its first octet: the count of leading zero
 * bits plus one (RFC 8794 §4.1, §4.2). Returns 0 when the octet is zero (a width above 8).
 */
export function vintLength(firstByte: number): number {
  return firstByte === 0 ? 0 : Math.clz32(firstByte) - 23;
}

/** Thrown for bytes that cannot be EBML. */
export function demuxError(message: string, cause?: unknown): SpenceError {
  return new SpenceError(ErrorCodes.DEMUX, message, { cause, source: 'demux' });
}

/**
 * Reads the element header `offset` bytes past the queue's cursor into `out`.
 * Returns `false` if more bytes are needed; throws `DEMUX` when the ID or size is not a valid VINT.
 */
export function readElementHeader(queue: ChunkQueue, offset: number, out: ElementHeader): boolean {
  const available = queue.available - offset;
  if (available < 2) return false; // an ID and a size take at least one octet each
  const first = queue.byteAt(offset);
  const idLength = vintLength(first);
  if (idLength === 0 || idLength > MAX_ID_LENGTH) {
    throw demuxError(`Invalid EBML element ID (first byte 0x${first.toString(16)}) at offset ${queue.position + offset}`);
  }
  if (available < idLength + 1) return false;
  const sizeFirst = queue.byteAt(offset + idLength);
  const sizeLength = vintLength(sizeFirst);
  if (sizeLength === 0) {
    throw demuxError(`Invalid EBML data size (first byte 0) at offset ${queue.position + offset + idLength}`);
  }
  const headerLength = idLength + sizeLength;
  if (available < headerLength) return false;
  // ID: the whole VINT including its marker (RFC 8794 §5).
  out.id = idLength === 1 ? first : queue.uintAt(offset, idLength);
  // Data Size: VINT_DATA with the marker cleared (RFC 8794 §6.1); all ones means unknown (§6.2).
  const markerMask = 0x80 >> (sizeLength - 1);
  let size = sizeFirst & (markerMask - 1);
  let allOnes = size === markerMask - 1;
  for (let i = 1; i < sizeLength; i++) {
    const b = queue.byteAt(offset + idLength + i);
    if (b !== 0xff) allOnes = false;
    size = size * 256 + b;
  }
  out.size = allOnes ? UNKNOWN_SIZE : size;
  out.headerLength = headerLength;
  return true;
}

/**
 * Reads the element header at `bytes[pos..end)` into `out`, without judging the size: returns
 * `false` when the ID or Data Size is not a valid VINT or the header runs past `end`. A Data Size
 * of all ones is {@link UNKNOWN_SIZE}.
 */
export function peekElementHeaderIn(bytes: Uint8Array, pos: number, end: number, out: ElementHeader): boolean {
  if (pos + 2 > end) return false;
  const first = bytes[pos]!;
  const idLength = vintLength(first);
  if (idLength === 0 || idLength > MAX_ID_LENGTH || pos + idLength + 1 > end) return false;
  const sizeFirst = bytes[pos + idLength]!;
  const sizeLength = vintLength(sizeFirst);
  const headerLength = idLength + sizeLength;
  if (sizeLength === 0 || pos + headerLength > end) return false;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + bytes[pos + i]!;
  const markerMask = 0x80 >> (sizeLength - 1);
  let size = sizeFirst & (markerMask - 1);
  let allOnes = size === markerMask - 1;
  for (let i = 1; i < sizeLength; i++) {
    const b = bytes[pos + idLength + i]!;
    if (b !== 0xff) allOnes = false;
    size = size * 256 + b;
  }
  out.id = id;
  out.size = allOnes ? UNKNOWN_SIZE : size;
  out.headerLength = headerLength;
  return true;
}

/**
 * Reads the header of a child element inside a buffered master, `bytes[pos..end)`, into `out`.
 * Throws `DEMUX` when it is malformed or runs past `end`. A child of unknown size is refused:
 * only Segment and Cluster may have one (RFC 9559 §6.4), and they are never buffered.
 */
export function readElementHeaderIn(bytes: Uint8Array, pos: number, end: number, out: ElementHeader): void {
  if (!peekElementHeaderIn(bytes, pos, end, out)) {
    const first = bytes[pos];
    const idLength = first === undefined ? 0 : vintLength(first);
    if (pos + 2 > end || (idLength >= 1 && idLength <= MAX_ID_LENGTH && pos + idLength + 1 > end)) throw demuxError('Truncated EBML element header');
    if (idLength === 0 || idLength > MAX_ID_LENGTH) throw demuxError(`Invalid EBML element ID (first byte 0x${first!.toString(16)})`);
    if (vintLength(bytes[pos + idLength]!) === 0) throw demuxError('Invalid EBML data size');
    throw demuxError('Truncated EBML element header');
  }
  if (out.size === UNKNOWN_SIZE) throw demuxError(`Element 0x${out.id.toString(16)} has an unknown size where it is not allowed`);
  if (pos + out.headerLength + out.size > end) throw demuxError(`Element 0x${out.id.toString(16)} overruns its parent`);
}

/**
 * Reads an EBML unsigned integer element's value (RFC 8794 §7.2: 0 to 8 octets, big-endian;
 * an empty element is 0). Throws `DEMUX` for more than 8 octets.
 */
export function readUintIn(bytes: Uint8Array, pos: number, length: number): number {
  if (length > 8) throw demuxError(`Unsigned integer element of ${length} bytes (at most 8)`);
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + bytes[pos + i]!;
  return value;
}

/** Reads an EBML float element (RFC 8794 §7.3: 0, 4 or 8 octets, IEEE 754 big-endian). */
export function readFloatIn(bytes: Uint8Array, pos: number, length: number): number {
  if (length === 0) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, length);
  if (length === 4) return view.getFloat32(0);
  if (length === 8) return view.getFloat64(0);
  throw demuxError(`Float element of ${length} bytes (must be 0, 4 or 8)`);
}

/** Reads an EBML String element (RFC 8794 §7.4: printable ASCII, possibly NUL-padded). */
export function readStringIn(bytes: Uint8Array, pos: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const c = bytes[pos + i]!;
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text;
}
