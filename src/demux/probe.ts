/**
 * Probing: what a provider learns about a media file from its first bytes (and, for Ogg, its last
 * bytes) without reading the whole thing: the container, the Opus parameters and the duration.
 *
 * @module
 */

import { ErrorCodes, SpenceError, isSpenceError } from '../errors.js';
import { sniffContainer } from './demux.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import type { OpusStreamInfo, PushDemuxer } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

/** What {@link probeMedia} found. */
export interface ProbeResult {
  container: 'webm' | 'ogg';
  info: OpusStreamInfo;
  /** Duration in ms when the head (WebM `Duration`) or the tail (Ogg's last granule position) gives it. */
  durationMs: number | null;
}

/**
 * Reads the container and Opus parameters from the first bytes of a file, and the duration from the
 * head (WebM) or from `tail`, the file's last bytes (Ogg: the last page's granule position, RFC 7845 §4).
 *
 * @throws {SpenceError} `UNSUPPORTED_INPUT` when the bytes are neither WebM nor Ogg, `DEMUX` when they are
 * but hold no Opus stream in `head`.
 */
export function probeMedia(head: Uint8Array, tail?: Uint8Array): ProbeResult {
  const container = sniffContainer(head);
  if (container === null) {
    throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, 'The file is neither WebM/Matroska nor Ogg: only Opus in those containers plays without transcoding');
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
  if (durationMs === null && container === 'ogg' && tail) {
    const granule = lastGranulePosition(tail);
    if (granule !== null) durationMs = Math.max(0, ((granule - info.preSkip) / 48000) * 1000);
  }
  return { container, info, durationMs };
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
