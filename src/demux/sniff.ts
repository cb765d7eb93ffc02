/**
 * Telling the container from a stream's first bytes, however few have arrived: WebM/Matroska,
 * Ogg or MP3.
 *
 * @module
 */

import { mp3FrameHeader, sameStream } from './mp3/frame-header.js';
import { ID3V2_HEADER_BYTES, id3v2Size } from './mp3/tags.js';
import type { ContainerKind } from './types.js';

/** The EBML header's ID, which every WebM/Matroska file starts with (RFC 8794 §11.2.1). */
const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
/** The Ogg capture pattern "OggS" (RFC 3533 §6). */
const OGG_MAGIC = [0x4f, 0x67, 0x67, 0x53];
/** "ID3": an ID3v2 tag, which only MP3 streams start with here (id3.org v2.4 §3.1). */
const ID3_MAGIC = [0x49, 0x44, 0x33];

/**
 * What {@link sniffMedia} can tell: the container, `'unknown'` when the bytes are none of them,
 * or `null` when more bytes are needed to tell.
 */
export type SniffResult = ContainerKind | 'unknown' | null;

/**
 * The most bytes {@link sniffMedia} needs to decide: an MP3 frame's header, the longest frame
 * (MPEG-2 layer II at 160 kbit/s and 8 kHz: 2881 bytes) and the next header that confirms it.
 */
export const MAX_SNIFF_BYTES = 2881 + 4;

/** 1 when `head` starts with `magic`, 0 when it cannot, -1 when it is a proper prefix of it. */
function startsWith(head: Uint8Array, magic: readonly number[]): 1 | 0 | -1 {
  const n = Math.min(head.length, magic.length);
  for (let i = 0; i < n; i++) if (head[i] !== magic[i]) return 0;
  return n === magic.length ? 1 : -1;
}

/**
 * The container of a stream that starts with `head`: the EBML header ID means WebM/Matroska, the
 * capture pattern `OggS` Ogg, and an ID3v2 tag or an MPEG audio frame whose header the next
 * frame's confirms (ISO/IEC 11172-3 §2.4.1.3: a lone 0xFFE sync is common in other data) MP3.
 *
 * Returns `null` while `head` is too short to tell (at most {@link MAX_SNIFF_BYTES} are needed),
 * unless `complete` says it is the whole input: then what it holds decides (a lone MP3 frame is
 * MP3; a prefix of a magic number is `'unknown'`).
 */
export function sniffMedia(head: Uint8Array, complete = false): SniffResult {
  if (head.length === 0) return complete ? 'unknown' : null;
  const more = complete ? 'unknown' : null;
  const ebml = startsWith(head, EBML_MAGIC);
  if (ebml !== 0) return ebml === 1 ? 'webm' : more;
  const ogg = startsWith(head, OGG_MAGIC);
  if (ogg !== 0) return ogg === 1 ? 'ogg' : more;
  if (startsWith(head, ID3_MAGIC) !== 0) {
    if (head.length < ID3V2_HEADER_BYTES) return more;
    return id3v2Size(head) > 0 ? 'mp3' : 'unknown';
  }
  if (head[0] !== 0xff) return 'unknown';
  if (head.length < 4) return more;
  const first = mp3FrameHeader(head, 0);
  if (first === null) return 'unknown';
  if (head.length < first.frameBytes + 4) return complete ? 'mp3' : null;
  const second = mp3FrameHeader(head, first.frameBytes);
  return second !== null && sameStream(first, second) ? 'mp3' : 'unknown';
}

/**
 * The container of a byte stream from its first four bytes: the EBML header ID `1A 45 DF A3`
 * (RFC 8794 §11.2.1) means WebM/Matroska, the capture pattern `OggS` (RFC 3533 §6) means Ogg.
 * Returns `null` when it is neither, or when fewer than four bytes are given. (MP3 needs more
 * bytes to tell: see `sniffMedia`.)
 */
export function sniffContainer(head: Uint8Array): 'webm' | 'ogg' | null {
  if (head.length < 4) return null;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (head[0] === 0x4f && head[1] === 0x67 && head[2] === 0x67 && head[3] === 0x53) return 'ogg';
  return null;
}
