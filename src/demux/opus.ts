/**
 * Opus packet helpers (RFC 6716).
 *
 * @module
 */

/**
 * Frame duration in tenths of a millisecond for each TOC config (RFC 6716 §3.1, Table 2):
 * configs 0-11 SILK (10/20/40/60 ms), 12-15 Hybrid (10/20), 16-31 CELT (2.5/5/10/20).
 */
const FRAME_TENTHS_MS: readonly number[] = [
  100, 200, 400, 600, 100, 200, 400, 600, 100, 200, 400, 600,
  100, 200, 100, 200,
  25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200, 25, 50, 100, 200,
];

/** Samples at 48 kHz per frame for each TOC config. */
const FRAME_SAMPLES_48K: readonly number[] = FRAME_TENTHS_MS.map((t) => t * 48 / 10);

/**
 * Number of frames in a packet, from its TOC byte's code (RFC 6716 §3.2): code 0 one frame,
 * codes 1 and 2 two frames, code 3 the count in the second byte's low 6 bits.
 * Returns 0 for a packet too short to say.
 */
export function opusFrameCount(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const code = toc & 0x03;
  if (code === 0) return 1;
  if (code !== 3) return 2;
  const countByte = packet[1];
  return countByte === undefined ? 0 : countByte & 0x3f;
}

/**
 * {@link opusPacketSamples} of the packet held in `bytes[start, start + length)`, read in place
 * (the demuxers' hot path: no view is created to read two bytes).
 */
export function opusSamplesAt(bytes: Uint8Array, start: number, length: number): number {
  if (length <= 0) return 0;
  const toc = bytes[start]!;
  const code = toc & 0x03;
  // Frame count by the TOC code (RFC 6716 §3.2), as in opusFrameCount.
  const frames = code === 0 ? 1 : code !== 3 ? 2 : length < 2 ? 0 : bytes[start + 1]! & 0x3f;
  return FRAME_SAMPLES_48K[toc >> 3]! * frames;
}

/** Duration of one Opus packet in samples at 48 kHz, from its TOC (0 for an empty or malformed packet). */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  return (FRAME_SAMPLES_48K[toc >> 3] ?? 0) * opusFrameCount(packet);
}

/** Duration of one Opus packet in milliseconds, from its TOC (2.5 to 120 ms; 0 when malformed). */
export function opusPacketDurationMs(packet: Uint8Array): number {
  return opusPacketSamples(packet) / 48;
}

/** The Opus silence frame Discord expects after audio stops: a 20 ms CELT frame with no data. */
export const OPUS_SILENCE_FRAME: Uint8Array = Uint8Array.of(0xf8, 0xff, 0xfe);
