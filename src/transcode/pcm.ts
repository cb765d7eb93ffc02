/**
 * The PCM format every stage of the transcoder works in, and the conversions at its edges.
 *
 * Inside the transcoder audio is planar Float32 (one array per channel, nominal range −1..1) at
 * 48 kHz stereo: the rate and layout Discord's Opus stream uses, and what the filters (ported from
 * lavadsp, which also works on float planes) expect.
 *
 * @module
 */

/** The transcoder's sample rate: Opus's native rate and Discord's. */
export const SAMPLE_RATE = 48_000;
/** Output channels: Discord voice is stereo. */
export const CHANNELS = 2;
/** Samples per channel in one 20 ms frame at 48 kHz (RFC 6716 §2.1.4 allows 2.5..60 ms; Discord uses 20). */
export const FRAME_SAMPLES = 960;
/** The duration of one output frame, in milliseconds. */
export const FRAME_MS = 20;

/** A block of planar stereo audio: `left[i]`, `right[i]` for `i < length`. */
export interface StereoBlock {
  left: Float32Array;
  right: Float32Array;
  /** Valid samples per channel (the arrays may be longer). */
  length: number;
}

/**
 * Interleaves a stereo block into 16-bit PCM (what the Opus encoders take), rounding and clamping:
 * samples past full scale are clipped here, once, rather than wrapped.
 */
export function toInt16Interleaved(left: Float32Array, right: Float32Array, length: number, out: Int16Array): void {
  for (let i = 0; i < length; i++) {
    let l = left[i]! * 32767;
    let r = right[i]! * 32767;
    l = l > 32767 ? 32767 : l < -32768 ? -32768 : l;
    r = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
    out[2 * i] = Math.round(l);
    out[2 * i + 1] = Math.round(r);
  }
}

/**
 * Converts a decoder's channel planes to stereo: mono is duplicated, more than two channels keep the
 * first two (decoders are asked to down-mix surround themselves where they can).
 */
export function toStereoPlanes(channelData: readonly Float32Array[], length: number): StereoBlock {
  const left = channelData[0] ?? new Float32Array(length);
  const right = channelData[1] ?? left;
  return { left: left.subarray(0, length), right: right.subarray(0, length), length };
}
