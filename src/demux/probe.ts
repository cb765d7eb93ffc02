/**
 * Probing: what a provider learns about a media file from its first bytes (and, for Ogg, its last
 * bytes) without reading the whole thing: the container, the Opus parameters and the duration.
 *
 * @module
 */

import { ErrorCodes, SpenceError, isSpenceError } from '../errors.js';
import { probeMp3, sniffMp3, type Mp3ProbeResult } from './mp3/probe-mp3.js';
import { id3v2Size } from './mp3/tags.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import { oggDurationMs } from './ogg/ogg-duration.js';
import { sniffContainer } from './sniff.js';
import type { OpusStreamInfo, PushDemuxer } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

export type { Mp3ProbeResult } from './mp3/probe-mp3.js';

/** What {@link probeMedia} found: an Opus file ({@link OpusProbeResult}) or an MP3 one ({@link Mp3ProbeResult}). */
export type ProbeResult = OpusProbeResult | Mp3ProbeResult;

/** An Opus file in WebM or Ogg, which plays without transcoding. */
export interface OpusProbeResult {
  container: 'webm' | 'ogg';
  codec: 'opus';
  info: OpusStreamInfo;
  /** Duration in ms when the head (WebM `Duration`) or the tail (Ogg's last granule position) gives it. */
  durationMs: number | null;
}

/**
 * Reads the container and Opus parameters from the first bytes of a file, and the duration from the
 * head (WebM) or from `tail`, the file's last bytes (Ogg: the links' last granule positions, RFC 7845 §4,
 * summed over a chained file's links: see ogg/ogg-duration.ts).
 * MP3 (an ID3v2 tag or MPEG audio frames at the start) is recognised too; it plays through the
 * transcoding path, and its duration comes from its Xing/Info/VBRI header or, for constant
 * bitrate, from `totalBytes` (the file's length).
 *
 * @throws {SpenceError} `UNSUPPORTED_INPUT` when the bytes are neither WebM, Ogg nor MP3, `DEMUX` when
 * they are but hold no Opus stream (WebM, Ogg) or no audio frame (MP3 after an ID3 tag) in `head`.
 */
export function probeMedia(head: Uint8Array, tail?: Uint8Array, totalBytes?: number): ProbeResult {
  const container = sniffContainer(head);
  if (container === null) {
    if (sniffMp3(head)) {
      const mp3 = probeMp3(head, totalBytes, tail);
      const tag = id3v2Size(head);
      // A tag larger than the head (cover art) hides the frames: MP3 all the same, length unknown.
      if (mp3 === null && tag > head.length) return { container: 'mp3', codec: 'mp3', header: null, audioStart: tag, durationMs: null };
      if (mp3 === null) throw new SpenceError(ErrorCodes.DEMUX, `No MPEG audio frame in the first ${head.length} bytes of the MP3 file (after its ID3 tag)`);
      return mp3;
    }
    throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, 'The file is neither WebM/Matroska, Ogg nor MP3');
  }
  const demuxer: PushDemuxer = container === 'webm' ? new WebmDemuxer() : new OggDemuxer();
  // Feed in slices so the demuxer stops yielding work once the headers are known.
  for (let offset = 0; offset < head.length && demuxer.info === null; offset += 4096) {
    try {
      demuxer.push(head.subarray(offset, offset + 4096));
    } catch (error) {
      if (isSpenceError(error)) throw error;
      throw new SpenceError(ErrorCodes.DEMUX, 'The file could not be read', { cause: error });
    }
  }
  const info = demuxer.info;
  if (info === null) {
    throw new SpenceError(ErrorCodes.DEMUX, `No Opus stream header in the first ${head.length} bytes of the ${container} file`);
  }
  let durationMs: number | null = info.durationMs ?? null;
  if (durationMs === null && container === 'ogg' && tail) durationMs = oggDurationMs(head, tail, totalBytes);
  return { container, codec: 'opus', info, durationMs };
}

/** The granule position of the last complete-looking Ogg page in `bytes`, or null (RFC 3533 §6). */
export function lastGranulePosition(bytes: Uint8Array): number | null {
  for (let i = bytes.length - 27; i >= 0; i--) {
    if (bytes[i] !== 0x4f || bytes[i + 1] !== 0x67 || bytes[i + 2] !== 0x67 || bytes[i + 3] !== 0x53) continue;
    if (bytes[i + 4] !== 0) continue; // stream_structure_version must be 0
    const view = new DataView(bytes.buffer, bytes.byteOffset + i);
    const low = view.getUint32(6, true);
    const high = view.getInt32(10, true);
    if (high === -1 && low === 0xffffffff) continue; // -1: no packet ends on this page
    return high * 2 ** 32 + low;
  }
  return null;
}
