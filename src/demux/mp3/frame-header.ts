/**
 * The MPEG audio frame header (ISO/IEC 11172-3 §2.4.1.3 and §2.4.2.3; the lower sample rates of
 * ISO/IEC 13818-3 §2.4.2.3, and the unofficial "MPEG-2.5" extension for 8-12 kHz), and the
 * Xing/Info/VBRI header frame some encoders put first.
 *
 * @module
 */

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

/** Bytes of a frame header: the 12-bit syncword, then 20 bits of fields (ISO/IEC 11172-3 §2.4.1.3). */
export const FRAME_HEADER_BYTES = 4;

// Bitrate tables (kbit/s) by [MPEG-1 | MPEG-2/2.5][layer - 1][bitrate_index] (ISO/IEC 11172-3
// §2.4.2.3 "bitrate_index"; ISO/IEC 13818-3 §2.4.2.3 for the lower sampling frequencies).
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
/** MPEG-1 sampling_frequency values (ISO/IEC 11172-3 §2.4.2.3); halved for MPEG-2, quartered for 2.5. */
const SAMPLE_RATES = [44100, 48000, 32000] as const;

/**
 * Parses a frame header from its last three bytes (the first must be 0xFF, which the caller has
 * checked), or returns null when they are not one: no 11-bit sync, a reserved version, layer,
 * bitrate or sample rate. The "free format" bitrate (index 0) is refused too: its frame length
 * cannot be known from the header.
 */
export function parseFrameHeader(b1: number, b2: number, b3: number): Mp3FrameHeader | null {
  if ((b1 & 0xe0) !== 0xe0) return null;
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
  // mode 11 is single_channel (ISO/IEC 11172-3 §2.4.2.3).
  const channels = (b3 >> 6) === 3 ? 1 : 2;
  let samples: number;
  let frameBytes: number;
  // Frame length in slots (§2.4.3.1): layer I has 4-byte slots and 384 samples; layer II and
  // MPEG-1 layer III 1152 samples; MPEG-2/2.5 layer III 576 (ISO/IEC 13818-3 §2.4.3.1).
  if (layer === 1) {
    samples = 384;
    frameBytes = (Math.floor((12 * bitrateKbps * 1000) / sampleRate) + padding) * 4;
  } else {
    samples = layer === 3 && version !== 1 ? 576 : 1152;
    frameBytes = Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
  }
  return { version, layer, bitrateKbps, sampleRate, channels, frameBytes, samples };
}

/**
 * Parses the 4-byte MPEG audio frame header at `offset` of `bytes`, or returns null when the bytes
 * there are not one (see {@link parseFrameHeader}).
 */
export function mp3FrameHeader(bytes: Uint8Array, offset: number): Mp3FrameHeader | null {
  if (offset < 0 || offset + FRAME_HEADER_BYTES > bytes.length || bytes[offset] !== 0xff) return null;
  return parseFrameHeader(bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/** True when frames `a` and `b` can belong to one stream: same version, layer and sample rate. */
export function sameStream(a: Mp3FrameHeader, b: Mp3FrameHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;
}

/** Where a Xing/Info tag sits in a frame: right after the side information (ISO/IEC 11172-3 §2.4.1.7). */
function xingOffset(header: Mp3FrameHeader): number {
  // Side information: 32/17 bytes for MPEG-1 stereo/mono, 17/9 for MPEG-2/2.5.
  const side = header.version === 1 ? (header.channels === 2 ? 32 : 17) : (header.channels === 2 ? 17 : 9);
  return FRAME_HEADER_BYTES + side;
}
/** VBRI (Fraunhofer) sits 32 bytes after the header, whatever the mode. */
const VBRI_OFFSET = FRAME_HEADER_BYTES + 32;

function tagAt(bytes: Uint8Array, at: number, tag: string): boolean {
  if (at + 4 > bytes.length) return false;
  for (let i = 0; i < 4; i++) if (bytes[at + i] !== tag.charCodeAt(i)) return false;
  return true;
}

/**
 * True when the frame at `offset` is a Xing, Info (LAME) or VBRI header frame: a frame that holds
 * the stream's frame count (and LAME's gapless fields) instead of audio.
 */
export function isMp3InfoFrame(bytes: Uint8Array, offset: number, header: Mp3FrameHeader): boolean {
  const xing = offset + xingOffset(header);
  return tagAt(bytes, xing, 'Xing') || tagAt(bytes, xing, 'Info') || tagAt(bytes, offset + VBRI_OFFSET, 'VBRI');
}

/** The frame count of a Xing/Info (LAME) or VBRI header in the MPEG frame at `offset`, or null. */
export function mp3HeaderFrameCount(bytes: Uint8Array, offset: number, header: Mp3FrameHeader): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const xing = offset + xingOffset(header);
  // Xing/Info: the tag, 4 bytes of flags (bit 0: the frame count follows), the count (big-endian).
  if (xing + 12 <= bytes.length && (tagAt(bytes, xing, 'Xing') || tagAt(bytes, xing, 'Info')) && (view.getUint32(xing + 4) & 1) !== 0) {
    return view.getUint32(xing + 8);
  }
  // VBRI: tag, version(2), delay(2), quality(2), bytes(4), frames(4).
  const vbri = offset + VBRI_OFFSET;
  if (vbri + 18 <= bytes.length && tagAt(bytes, vbri, 'VBRI')) return view.getUint32(vbri + 14);
  return null;
}
