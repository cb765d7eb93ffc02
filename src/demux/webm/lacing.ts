/**
 * Block lacing (RFC 9559 §10.4): several frames in one Block or SimpleBlock. The flags' bits
 * 0x06 choose the lacing: 0 none, 0x02 Xiph (§10.4.2), 0x06 EBML (§10.4.3), 0x04 fixed-size
 * (§10.4.4). Each laced frame becomes one Opus packet.
 *
 * @module
 */

import type { ChunkQueue } from '../chunk-queue.js';
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

/**
 * Reads the lace header of a Block whose lace data spans `[start, end)` bytes past the queue's
 * cursor (the whole Block is buffered). Fills `sizes` with each frame's size and returns the
 * offset of the first frame's data. Throws `DEMUX` when the sizes do not fit the Block.
 */
export function readLaceSizes(queue: ChunkQueue, start: number, end: number, lacing: number, sizes: number[]): number {
  if (lacing === LACING_NONE) {
    sizes.length = 1;
    sizes[0] = end - start;
    return start;
  }
  if (start >= end) throw demuxError('Laced block without a lace header');
  // Lacing head: number of frames minus one, on one octet (RFC 9559 §10.4).
  const count = queue.byteAt(start) + 1;
  let pos = start + 1;
  sizes.length = count;
  let total = 0;
  if (lacing === LACING_XIPH) {
    // Each size but the last as a run of 255s ended by a byte below 255 (RFC 9559 §10.4.2).
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let b: number;
      do {
        if (pos >= end) throw demuxError('Truncated Xiph lace header');
        b = queue.byteAt(pos++);
        size += b;
      } while (b === 255);
      sizes[i] = size;
      total += size;
    }
  } else if (lacing === LACING_EBML) {
    // First size as a VINT, then signed VINT differences from the previous size (RFC 9559 §10.4.3).
    let previous = 0;
    for (let i = 0; i < count - 1; i++) {
      if (pos >= end) throw demuxError('Truncated EBML lace header');
      const first = queue.byteAt(pos);
      const length = vintLength(first);
      if (length === 0 || pos + length > end) throw demuxError('Invalid EBML lace size');
      let value = first & ((0x80 >> (length - 1)) - 1);
      for (let j = 1; j < length; j++) value = value * 256 + queue.byteAt(pos + j);
      pos += length;
      // A signed VINT is stored biased by 2^(7*length-1) - 1.
      const size = i === 0 ? value : previous + value - (2 ** (7 * length - 1) - 1);
      if (size < 0) throw demuxError('Negative EBML lace size');
      sizes[i] = size;
      previous = size;
      total += size;
    }
  } else {
    // Fixed-size lacing: the data divides evenly among the frames (RFC 9559 §10.4.4).
    const data = end - pos;
    if (data % count !== 0) throw demuxError('Fixed-size lace does not divide evenly');
    const size = data / count;
    for (let i = 0; i < count; i++) sizes[i] = size;
    return pos;
  }
  const last = end - pos - total;
  if (last < 0) throw demuxError('Lace sizes exceed the block');
  sizes[count - 1] = last;
  return pos;
}
