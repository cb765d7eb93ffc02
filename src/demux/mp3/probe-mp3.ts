/**
 * MP3 probing from a file's first bytes: where its audio starts, its first frame and its duration.
 *
 * @module
 */

import { mp3FrameHeader, mp3HeaderFrameCount, sameStream, type Mp3FrameHeader } from './frame-header.js';
import { ID3V1_BYTES, id3v2Size, isId3v1 } from './tags.js';

/** Past this many bytes of non-frames after the ID3 tags, the input is not taken for MP3. */
const MAX_START_SEARCH = 64 * 1024;

/**
 * Where the first MPEG audio frame starts in `head` (after any ID3v2 tags), confirmed by the next
 * frame's header when `head` holds it; -1 when there is none in `head`.
 */
export function findMp3Start(head: Uint8Array): number {
  let at = 0;
  for (let tag = id3v2Size(head, at); tag > 0; tag = id3v2Size(head, at)) at += tag;
  // A stray 0xFFE sync in other data is common; two consecutive consistent headers are not.
  for (let i = at; i + 4 <= head.length; i++) {
    const first = mp3FrameHeader(head, i);
    if (first === null) continue;
    const next = i + first.frameBytes;
    if (next + 4 > head.length) return i === at ? i : -1;
    const second = mp3FrameHeader(head, next);
    if (second !== null && sameStream(first, second)) return i;
    if (i - at > MAX_START_SEARCH) break; // not MP3: do not scan a whole buffer of something else
  }
  return -1;
}

/** True when `head` starts like an MP3 file: an ID3v2 tag, or MPEG audio frames at the start. */
export function sniffMp3(head: Uint8Array): boolean {
  if (id3v2Size(head) > 0) return true;
  const first = mp3FrameHeader(head, 0);
  if (first === null) return false;
  const second = mp3FrameHeader(head, first.frameBytes);
  return second !== null || head.length < first.frameBytes + 4;
}

/** What `probeMp3` found. */
export interface Mp3ProbeResult {
  container: 'mp3';
  codec: 'mp3';
  /** The first frame's parameters; null when an ID3v2 tag longer than the probed bytes hid it. */
  header: Mp3FrameHeader | null;
  /** Byte offset of the first audio frame (after ID3v2). */
  audioStart: number;
  /**
   * Duration in ms: exact from a Xing/Info/VBRI frame count, else estimated from the first frame's
   * bitrate and `totalBytes` (exact for constant bitrate); null when neither is known.
   */
  durationMs: number | null;
}

/**
 * Reads an MP3 file's first frame and its duration (see {@link Mp3ProbeResult.durationMs}). `tail`
 * (the last bytes) lets an ID3v1 tag be left out of the estimate.
 *
 * @returns null when `head` holds no MPEG audio frame.
 */
export function probeMp3(head: Uint8Array, totalBytes?: number, tail?: Uint8Array): Mp3ProbeResult | null {
  const audioStart = findMp3Start(head);
  if (audioStart < 0) return null;
  const header = mp3FrameHeader(head, audioStart)!;
  const frames = mp3HeaderFrameCount(head, audioStart, header);
  let durationMs: number | null = null;
  if (frames !== null && frames > 0) {
    durationMs = (frames * header.samples * 1000) / header.sampleRate;
  } else if (totalBytes !== undefined && totalBytes > audioStart) {
    const id3v1 = tail !== undefined && tail.length >= ID3V1_BYTES && isId3v1(tail, tail.length - ID3V1_BYTES) ? ID3V1_BYTES : 0;
    durationMs = ((totalBytes - audioStart - id3v1) * 8) / header.bitrateKbps;
  }
  return { container: 'mp3', codec: 'mp3', header, audioStart, durationMs };
}
