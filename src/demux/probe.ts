/**
 * Probing: what a provider learns about a media file from its first bytes (and, for Ogg, its last
 * bytes) without reading the whole thing: the container, the Opus parameters and the duration.
 *
 * @module
 */

import { ErrorCodes, SpenceError, isSpenceError } from '../errors.js';
import { sniffContainer } from './demux.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import { oggDurationMs } from './ogg/ogg-duration.js';
import type { OpusStreamInfo, PushDemuxer } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

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

// ---------------------------------------------------------------- MP3 (MPEG-1/2/2.5 audio, ISO/IEC 11172-3 §2.4.2.3)

/** One MPEG audio frame header, parsed. */
export interface Mp3FrameHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  /** 1, 2 or 3. */
  layer: 1 | 2 | 3;
  /** kbit/s. */
  bitrateKbps: number;
  sampleRate: number;
  channels: 1 | 2;
  /** Bytes of the whole frame, header included. */
  frameBytes: number;
  /** Samples per channel in the frame (384, 576 or 1152). */
  samples: number;
}

// Bitrate tables (kbit/s) by [MPEG-1 | MPEG-2/2.5][layer - 1][index] (ISO/IEC 11172-3 Table 2.4.2.3; 13818-3 §2.4.2.3).
const BITRATES: readonly (readonly (readonly number[])[])[] = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const SAMPLE_RATES = [44100, 48000, 32000] as const;

/**
 * Parses the 4-byte MPEG audio frame header at `offset`, or returns null when the bytes there are
 * not one (no 11-bit sync, a reserved version, layer, bitrate or sample rate; "free format" bitrate 0
 * is refused too: its frame length cannot be known from the header).
 */
export function mp3FrameHeader(bytes: Uint8Array, offset: number): Mp3FrameHeader | null {
  if (offset + 4 > bytes.length) return null;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 3; // 00 MPEG-2.5, 01 reserved, 10 MPEG-2, 11 MPEG-1
  const layerBits = (b1 >> 1) & 3; // 01 layer III, 10 layer II, 11 layer I, 00 reserved
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const bitrateKbps = BITRATES[version === 1 ? 0 : 1]![layer - 1]![bitrateIndex]!;
  const sampleRate = SAMPLE_RATES[rateIndex]! / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 1;
  const channels = (bytes[offset + 3]! >> 6) === 3 ? 1 : 2;
  let samples: number;
  let frameBytes: number;
  if (layer === 1) {
    samples = 384;
    frameBytes = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4;
  } else {
    samples = layer === 3 && version !== 1 ? 576 : 1152;
    frameBytes = Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
  }
  return { version, layer, bitrateKbps, sampleRate, channels, frameBytes, samples };
}

/** Size of an ID3v2 tag at `offset` (header, body and footer), or 0 when there is none (id3.org v2.4 §3.1). */
export function id3v2Size(bytes: Uint8Array, offset = 0): number {
  if (offset + 10 > bytes.length) return 0;
  if (bytes[offset] !== 0x49 || bytes[offset + 1] !== 0x44 || bytes[offset + 2] !== 0x33) return 0; // "ID3"
  const flags = bytes[offset + 5]!;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = bytes[offset + i]!;
    if (b & 0x80) return 0; // sizes are syncsafe: 7 bits per byte
    size = size * 128 + b;
  }
  return 10 + size + (flags & 0x10 ? 10 : 0);
}

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
    if (second !== null && second.sampleRate === first.sampleRate && second.version === first.version && second.layer === first.layer) return i;
    if (i - at > 64 * 1024) break; // not MP3: do not scan a whole buffer of something else
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

/** The frame count of a Xing/Info (LAME) or VBRI header in the MPEG frame at `offset`, or null. */
export function mp3HeaderFrameCount(bytes: Uint8Array, offset: number, header: Mp3FrameHeader): number | null {
  // Xing/Info sits right after the side information (ISO/IEC 11172-3 §2.4.1.7: 32/17 bytes for
  // MPEG-1 stereo/mono, 17/9 for MPEG-2/2.5); VBRI (Fraunhofer) always 32 bytes after the header.
  const side = header.version === 1 ? (header.channels === 2 ? 32 : 17) : (header.channels === 2 ? 17 : 9);
  const xing = offset + 4 + side;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (xing + 12 <= bytes.length) {
    const tag = String.fromCharCode(bytes[xing]!, bytes[xing + 1]!, bytes[xing + 2]!, bytes[xing + 3]!);
    if ((tag === 'Xing' || tag === 'Info') && (view.getUint32(xing + 4) & 1) !== 0) return view.getUint32(xing + 8);
  }
  const vbri = offset + 4 + 32;
  if (vbri + 18 <= bytes.length && String.fromCharCode(bytes[vbri]!, bytes[vbri + 1]!, bytes[vbri + 2]!, bytes[vbri + 3]!) === 'VBRI') {
    return view.getUint32(vbri + 14);
  }
  return null;
}

/** What {@link probeMp3} found. */
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
    const id3v1 = tail !== undefined && tail.length >= 128 && tail[tail.length - 128] === 0x54 && tail[tail.length - 127] === 0x41 && tail[tail.length - 126] === 0x47 ? 128 : 0; // "TAG"
    durationMs = ((totalBytes - audioStart - id3v1) * 8) / header.bitrateKbps;
  }
  return { container: 'mp3', codec: 'mp3', header, audioStart, durationMs };
}
