/**
 * Finding the demuxer's place again after damage: is there a Cluster, or a block of one of the
 * file's tracks, at the cursor? Each candidate is judged on what a real one must be (RFC 9559
 * §5.1.3 and §10): a valid header, a size that fits where it is, a first child or block header
 * that makes sense, and (for a block) an element after it that may follow a block. One plausible
 * ID in damaged bytes is not enough.
 *
 * @module
 */

import type { ChunkQueue } from '../chunk-queue.js';
import { MAX_HEADER_LENGTH, MAX_ID_LENGTH, UNKNOWN_SIZE, vintLength } from './ebml.js';
import * as ID from './ids.js';
import { mayFollowBlock } from './schema.js';

/** The candidate is one: resume there. */
export const RESYNC_YES = 0;
/** The candidate is not one: look further. */
export const RESYNC_NO = 1;
/** More bytes are needed to tell. */
export const RESYNC_MORE = 2;
/** What {@link checkResyncCandidate} found. */
export type ResyncVerdict = typeof RESYNC_YES | typeof RESYNC_NO | typeof RESYNC_MORE;

/**
 * How far a resumed block's time may be from the last packet's: back by a second (the blocks of
 * another track interleave loosely), ahead by 16 s (a damaged stretch within one Cluster; longer
 * gaps resume at the next Cluster).
 */
const BEHIND_MS = 1_000;
const AHEAD_MS = 16_000;
/** A Void before a Cluster's Timestamp is skipped when it is this short at most. */
const MAX_LEADING_VOID = 64;

/** What the demuxer knows at the damage, for judging candidates; reused from one check to the next. */
export interface ResyncContext {
  /** Absolute file offset of the queue's cursor. */
  position: number;
  /** The file's track numbers: a resumed block must be of one of them. */
  tracks: number[];
  /** True when a Cluster is open at the damage: only then can a block resume. */
  inCluster: boolean;
  /** The open Cluster's end (absolute), or {@link UNKNOWN_SIZE}. */
  clusterEnd: number;
  /** The open Cluster's Timestamp, in ticks. */
  clusterTimestamp: number;
  /** The Segment's end (absolute), or {@link UNKNOWN_SIZE}. */
  segmentEnd: number;
  timestampScale: number;
  /** Start of the last packet handed out, in ms, or NaN before the first. */
  lastMs: number;
  maxElementSize: number;
  /** True when the input has ended: what is not there never will be. */
  final: boolean;
  /** Set by a {@link RESYNC_YES}: what was found, and its time in ms. */
  foundCluster: boolean;
  foundTimeMs: number;
}

/** A blank context, for the demuxer to keep and fill. */
export function newResyncContext(): ResyncContext {
  return {
    position: 0, tracks: [], inCluster: false, clusterEnd: UNKNOWN_SIZE, clusterTimestamp: 0, segmentEnd: UNKNOWN_SIZE,
    timestampScale: 1_000_000, lastMs: Number.NaN, maxElementSize: 0, final: false, foundCluster: false, foundTimeMs: 0,
  };
}

/** Reads a VINT's value at `offset` past the cursor (RFC 8794 §4), -1 when it is all ones ("unknown"). */
function vintAt(queue: ChunkQueue, offset: number, length: number): number {
  const first = queue.byteAt(offset);
  const marker = 0x80 >> (length - 1);
  let value = first & (marker - 1);
  let allOnes = value === marker - 1;
  for (let i = 1; i < length; i++) {
    const b = queue.byteAt(offset + i);
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  return allOnes ? -1 : value;
}

/**
 * Judges the bytes at the queue's cursor, which start with 0x1F, 0xA3 or 0xA0 (the first octet of
 * a Cluster, SimpleBlock or BlockGroup ID): {@link RESYNC_YES} (and `context.found*`),
 * {@link RESYNC_NO}, or {@link RESYNC_MORE} when the bytes needed to tell have not all arrived
 * (never when `context.final`). It reads at most `maxElementSize` + {@link MAX_HEADER_LENGTH}
 * bytes ahead: what the demuxer may buffer.
 */
export function checkResyncCandidate(queue: ChunkQueue, context: ResyncContext): ResyncVerdict {
  return queue.byteAt(0) === 0x1f ? checkCluster(queue, context) : checkBlock(queue, context);
}

/**
 * -1 when the `n` bytes past the cursor are there; else the verdict for their absence: NO when
 * waiting for them would buffer more than the demuxer may ({@link MAX_HEADER_LENGTH} past its
 * `maxElementSize`) or the input has ended, MORE otherwise.
 */
function lack(queue: ChunkQueue, context: ResyncContext, n: number): -1 | ResyncVerdict {
  if (queue.available >= n) return -1;
  return context.final || n > context.maxElementSize + MAX_HEADER_LENGTH ? RESYNC_NO : RESYNC_MORE;
}

/** A Cluster: its ID, a size that fits the Segment, then (after a CRC-32 or short Void) its Timestamp. */
function checkCluster(queue: ChunkQueue, context: ResyncContext): ResyncVerdict {
  let v: number;
  if ((v = lack(queue, context, 5)) >= 0) return v as ResyncVerdict;
  if (queue.byteAt(1) !== 0x43 || queue.byteAt(2) !== 0xb6 || queue.byteAt(3) !== 0x75) return RESYNC_NO;
  const sizeLength = vintLength(queue.byteAt(4));
  if (sizeLength === 0) return RESYNC_NO;
  if ((v = lack(queue, context, 4 + sizeLength)) >= 0) return v as ResyncVerdict;
  const size = vintAt(queue, 4, sizeLength);
  const dataStart = 4 + sizeLength;
  if (size >= 0 && context.segmentEnd !== UNKNOWN_SIZE && context.position + dataStart + size > context.segmentEnd) return RESYNC_NO;
  let p = dataStart;
  for (let k = 0; k < 2; k++) {
    if ((v = lack(queue, context, p + 2)) >= 0) return v as ResyncVerdict;
    const id = queue.byteAt(p);
    if (id === ID.ID_CRC32 && queue.byteAt(p + 1) === 0x84) {
      p += 6; // CRC-32: ID, size 4, 4 bytes (RFC 8794 §11.3.1)
    } else if (id === ID.ID_VOID) {
      const length = vintLength(queue.byteAt(p + 1));
      if (length === 0) return RESYNC_NO;
      if ((v = lack(queue, context, p + 1 + length)) >= 0) return v as ResyncVerdict;
      const voidSize = vintAt(queue, p + 1, length);
      if (voidSize < 0 || voidSize > MAX_LEADING_VOID) return RESYNC_NO;
      p += 1 + length + voidSize;
    } else {
      break;
    }
  }
  // Timestamp (RFC 9559 §5.1.3.1): ID E7, a 1-octet size of 0 to 8 (0 is the value 0, RFC 8794 §7.2), the value.
  if ((v = lack(queue, context, p + 2)) >= 0) return v as ResyncVerdict;
  const timestampLength = queue.byteAt(p + 1) - 0x80;
  if (queue.byteAt(p) !== ID.ID_CLUSTER_TIMESTAMP || timestampLength < 0 || timestampLength > 8) return RESYNC_NO;
  if (size >= 0 && p + 2 + timestampLength > dataStart + size) return RESYNC_NO;
  if ((v = lack(queue, context, p + 2 + timestampLength)) >= 0) return v as ResyncVerdict;
  let ticks = 0;
  for (let i = 0; i < timestampLength; i++) ticks = ticks * 256 + queue.byteAt(p + 2 + i);
  context.foundCluster = true;
  context.foundTimeMs = (ticks * context.timestampScale) / 1e6;
  return RESYNC_YES;
}

/**
 * A SimpleBlock, or a BlockGroup whose first child is its Block, inside the open Cluster: a size
 * that fits the Cluster, a track of the file, reserved flag bits clear (RFC 9559 §10.1, §10.2), a
 * time near the last packet's, and an element after it that may follow a block.
 */
function checkBlock(queue: ChunkQueue, context: ResyncContext): ResyncVerdict {
  if (!context.inCluster) return RESYNC_NO;
  let v: number;
  const group = queue.byteAt(0) === ID.ID_BLOCK_GROUP;
  if ((v = lack(queue, context, 2)) >= 0) return v as ResyncVerdict;
  const sizeLength = vintLength(queue.byteAt(1));
  if (sizeLength === 0) return RESYNC_NO;
  if ((v = lack(queue, context, 1 + sizeLength)) >= 0) return v as ResyncVerdict;
  const size = vintAt(queue, 1, sizeLength);
  const end = 1 + sizeLength + size; // the element's end, past the cursor
  // What may be buffered: the element and the next ID within the demuxer's limit.
  if (size < 5 || end + MAX_ID_LENGTH > context.maxElementSize + MAX_HEADER_LENGTH) return RESYNC_NO;
  if (context.clusterEnd !== UNKNOWN_SIZE && context.position + end > context.clusterEnd) return RESYNC_NO;
  let block = 1 + sizeLength; // where the Block's body (track number, timestamp, flags) starts
  if (group) {
    if ((v = lack(queue, context, block + 2)) >= 0) return v as ResyncVerdict;
    const blockSizeLength = vintLength(queue.byteAt(block + 1));
    if (queue.byteAt(block) !== ID.ID_BLOCK || blockSizeLength === 0) return RESYNC_NO;
    if ((v = lack(queue, context, block + 1 + blockSizeLength)) >= 0) return v as ResyncVerdict;
    const blockSize = vintAt(queue, block + 1, blockSizeLength);
    if (blockSize < 5 || block + 1 + blockSizeLength + blockSize > end) return RESYNC_NO;
    block += 1 + blockSizeLength;
  }
  if ((v = lack(queue, context, block + 1)) >= 0) return v as ResyncVerdict;
  const trackLength = vintLength(queue.byteAt(block));
  if (trackLength === 0) return RESYNC_NO;
  if ((v = lack(queue, context, block + trackLength + 3)) >= 0) return v as ResyncVerdict;
  const track = vintAt(queue, block, trackLength);
  if (!context.tracks.includes(track)) return RESYNC_NO;
  const flags = queue.byteAt(block + trackLength + 2);
  // Reserved bits: SimpleBlock 0x70; Block all but invisible (0x08) and lacing (0x06).
  if ((flags & (group ? 0xf1 : 0x70)) !== 0) return RESYNC_NO;
  const relative = ((queue.byteAt(block + trackLength) << 24) | (queue.byteAt(block + trackLength + 1) << 16)) >> 16;
  const timeMs = ((context.clusterTimestamp + relative) * context.timestampScale) / 1e6;
  if (!Number.isNaN(context.lastMs) && (timeMs < context.lastMs - BEHIND_MS || timeMs > context.lastMs + AHEAD_MS)) return RESYNC_NO;
  context.foundCluster = false;
  context.foundTimeMs = timeMs;
  if (context.clusterEnd !== UNKNOWN_SIZE && context.position + end === context.clusterEnd) return RESYNC_YES;
  // The element after it: one that may follow a block (or the end of the input right there).
  if (context.final && queue.available === end) return RESYNC_YES;
  if ((v = lack(queue, context, end + 1)) >= 0) return v as ResyncVerdict;
  const idLength = vintLength(queue.byteAt(end));
  if (idLength === 0 || idLength > MAX_ID_LENGTH) return RESYNC_NO;
  if ((v = lack(queue, context, end + idLength)) >= 0) return v as ResyncVerdict;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + queue.byteAt(end + i);
  return mayFollowBlock(id) ? RESYNC_YES : RESYNC_NO;
}
