/**
 * Block lacing (RFC 9559 §10.4): several frames in one Block or SimpleBlock. The flags' bits
 * 0x06 choose the lacing: 0 none, 0x02 Xiph (§10.4.2), 0x06 EBML (§10.4.3), 0x04 fixed-size
 * (§10.4.4). Each laced frame becomes one Opus packet.
 *
 * @module
 */

import type { SpenceError } from '../../errors.js';
import { demuxError, vintLength } from './ebml.js';

/** The lacing bits of the Block header flags (RFC 9559 §10.2). */
export const LACING_MASK = 0x06;
/** No lacing: the Block holds one frame. */
export const LACING_NONE = 0x00;
/** Xiph lacing (RFC 9559 §10.4.2). */
export const LACING_XIPH = 0x02;
/** Fixed-size lacing (RFC 9559 §10.4.4). */
export const LACING_FIXED = 0x04;
/** EBML lacing (RFC 9559 §10.4.3). */
export const LACING_EBML = 0x06;

/** What is wrong with a lace header: {@link readLaceSizes} returns `-1 - index` of the message. */
const LACE_FAULTS = [
  'Laced block without a lace header',
  'Truncated Xiph lace header',
  'Truncated EBML lace header',
  'Invalid EBML lace size',
  'Negative EBML lace size',
  'Fixed-size lace does not divide evenly',
  'Lace sizes exceed the block',
] as const;
const NO_HEADER = -1;
const TRUNCATED_XIPH = -2;
const TRUNCATED_EBML = -3;
const INVALID_EBML = -4;
const NEGATIVE_EBML = -5;
const UNEVEN_FIXED = -6;
const OVERRUN = -7;

/**
 * The frame sizes of one Block's lace, as {@link readLaceSizes} reads them; one per demuxer,
 * reused from block to block.
 */
export class LaceSizes {
  /** Frames in the lace. */
  count = 0;
  /**
   * Their sizes, `[0, count)`. Room for {@link SMALL_LACE} frames, then, from the first lace with
   * more, for the most a lace holds (256: a one-octet count, RFC 9559 §10.4): it grows once and
   * never shrinks. An array given each block's count as its length (mkvmerge's vary from 3 to 8)
   * may be trimmed when it shrinks and get a new backing store when it grows again, a young
   * object held by the demuxer's old one. Not 256 from the start: 2 KB outside the heap for every
   * WebM demuxer, thousands of players' worth, when most files are not laced at all; 8 numbers
   * are 64 bytes, which V8 keeps inside the typed array object (no separate memory).
   */
  sizes = new Float64Array(SMALL_LACE);
}

/** Frames a {@link LaceSizes} has room for until a lace has more (mkvmerge laces 3 to 8). */
const SMALL_LACE = 8;
/** The most frames a lace holds: its count is one octet, less one (RFC 9559 §10.4). */
const MAX_LACE = 256;

/**
 * Reads the lace header of a Block whose lace data is `bytes[start, end)` (the whole Block's).
 * Fills `lace` with each frame's size and returns the index of the first frame's data in
 * `bytes`, or a negative number when the sizes do not fit the Block ({@link laceError} tells
 * what): the demuxer's in-place path then leaves the block to the general one, which throws.
 */
export function readLaceSizes(bytes: Uint8Array, start: number, end: number, lacing: number, lace: LaceSizes): number {
  if (lacing === LACING_NONE) {
    lace.count = 1;
    lace.sizes[0] = end - start;
    return start;
  }
  if (start >= end) return NO_HEADER;
  // Lacing head: number of frames minus one, on one octet (RFC 9559 §10.4).
  const count = bytes[start]! + 1;
  let pos = start + 1;
  lace.count = count;
  if (count > lace.sizes.length) lace.sizes = new Float64Array(MAX_LACE);
  const sizes = lace.sizes;
  let total = 0;
  if (lacing === LACING_XIPH) {
    // Each size but the last as a run of 255s ended by a byte below 255 (RFC 9559 §10.4.2).
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let b: number;
      do {
        if (pos >= end) return TRUNCATED_XIPH;
        b = bytes[pos++]!;
        size += b;
      } while (b === 255);
      sizes[i] = size;
      total += size;
    }
  } else if (lacing === LACING_EBML) {
    // First size as a VINT, then signed VINT differences from the previous size (RFC 9559 §10.4.3).
    let previous = 0;
    for (let i = 0; i < count - 1; i++) {
      if (pos >= end) return TRUNCATED_EBML;
      const first = bytes[pos]!;
      const length = vintLength(first);
      if (length === 0 || pos + length > end) return INVALID_EBML;
      let value = first & ((0x80 >> (length - 1)) - 1);
      for (let j = 1; j < length; j++) value = value * 256 + bytes[pos + j]!;
      pos += length;
      // A signed VINT is stored biased by 2^(7*length-1) - 1.
      const size = i === 0 ? value : previous + value - (2 ** (7 * length - 1) - 1);
      if (size < 0) return NEGATIVE_EBML;
      sizes[i] = size;
      previous = size;
      total += size;
    }
  } else {
    // Fixed-size lacing: the data divides evenly among the frames (RFC 9559 §10.4.4).
    const data = end - pos;
    if (data % count !== 0) return UNEVEN_FIXED;
    const size = data / count;
    for (let i = 0; i < count; i++) sizes[i] = size;
    return pos;
  }
  const last = end - pos - total;
  if (last < 0) return OVERRUN;
  sizes[count - 1] = last;
  return pos;
}

/** The `DEMUX` error for a negative {@link readLaceSizes} result. */
export function laceError(fault: number): SpenceError {
  return demuxError(LACE_FAULTS[-1 - fault] ?? 'Malformed lace header');
}
