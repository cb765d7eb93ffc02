/**
 * Where each element may appear (the Matroska schema, RFC 9559 §5.1, with the EBML global
 * elements of RFC 8794 §11.3): what lets the demuxer tell damage from an element it may skip, and
 * end unknown-size elements.
 *
 * @module
 */

import * as ID from './ids.js';

/** The Segment's children (RFC 9559 §5.1.1 - §5.1.8): the "level 1" elements. */
export function isSegmentChild(id: number): boolean {
  switch (id) {
    case ID.ID_SEEK_HEAD:
    case ID.ID_INFO:
    case ID.ID_TRACKS:
    case ID.ID_CHAPTERS:
    case ID.ID_CLUSTER:
    case ID.ID_CUES:
    case ID.ID_ATTACHMENTS:
    case ID.ID_TAGS:
      return true;
    default:
      return false;
  }
}

/** A Cluster's children (RFC 9559 §5.1.3), and the global CRC-32 and Void (RFC 8794 §11.3). */
export function isClusterChild(id: number): boolean {
  switch (id) {
    case ID.ID_CLUSTER_TIMESTAMP:
    case ID.ID_SILENT_TRACKS:
    case ID.ID_POSITION:
    case ID.ID_PREV_SIZE:
    case ID.ID_SIMPLE_BLOCK:
    case ID.ID_BLOCK_GROUP:
    case ID.ID_ENCRYPTED_BLOCK:
    case ID.ID_CRC32:
    case ID.ID_VOID:
      return true;
    default:
      return false;
  }
}

/** A BlockGroup's children (RFC 9559 §5.1.3.6), and the global CRC-32 and Void. */
export function isBlockGroupChild(id: number): boolean {
  switch (id) {
    case ID.ID_BLOCK:
    case ID.ID_BLOCK_VIRTUAL:
    case ID.ID_BLOCK_ADDITIONS:
    case ID.ID_BLOCK_DURATION:
    case ID.ID_REFERENCE_PRIORITY:
    case ID.ID_REFERENCE_BLOCK:
    case ID.ID_REFERENCE_VIRTUAL:
    case ID.ID_CODEC_STATE:
    case ID.ID_DISCARD_PADDING:
    case ID.ID_SLICES:
    case ID.ID_REFERENCE_FRAME:
    case ID.ID_CRC32:
    case ID.ID_VOID:
      return true;
    default:
      return false;
  }
}

/**
 * True when an element with ID `id` may be a child of the master `parentId` whose end is
 * unknown, or of a Cluster (whatever its size). An unknown-size element ends at the first element
 * that is not one of its valid children (RFC 8794 §6.2): for a Cluster, any Segment-level or
 * top-level element; for a Segment, another EBML header or Segment. A Cluster of known size ends
 * there too: a Cluster ID inside one means its size was wrong, not that the bytes are damaged.
 * IDs the schema does not know are taken as children, for the caller to judge.
 */
export function mayBeChildOf(parentId: number, id: number): boolean {
  if (id === ID.ID_EBML || id === ID.ID_SEGMENT) return false;
  return parentId !== ID.ID_CLUSTER || !isSegmentChild(id);
}

/**
 * True when `parentId` (0 at the top level) may hold `id`, for the elements whose parents have a
 * closed set of children: Cluster, BlockGroup, and the top level (EBML headers and Segments, and
 * Segment children after a Segment whose size was written too small). Inside them, anything else
 * is damage. Other parents (the Segment, and the headers read whole) take unknown IDs, skipped as
 * RFC 8794 §8 asks.
 */
export function isKnownChild(parentId: number, id: number): boolean {
  switch (parentId) {
    case ID.ID_CLUSTER: return isClusterChild(id);
    case ID.ID_BLOCK_GROUP: return isBlockGroupChild(id);
    case 0: return id === ID.ID_EBML || id === ID.ID_SEGMENT || id === ID.ID_VOID || id === ID.ID_CRC32 || isSegmentChild(id);
    default: return true;
  }
}

/**
 * True when `id` can follow a block or a Cluster in a well-formed file: another block, a Cluster
 * child, a Segment-level element, or a new EBML document. The resynchroniser checks it after a
 * candidate block, so that one plausible header in damaged bytes is not enough.
 */
export function mayFollowBlock(id: number): boolean {
  return isClusterChild(id) || isSegmentChild(id) || id === ID.ID_EBML || id === ID.ID_SEGMENT;
}
