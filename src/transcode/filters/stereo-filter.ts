/** The contract every sample-preserving filter stage fulfils. @module */

/** A stage that transforms planar stereo audio in place, keeping its state between calls. */
export interface StereoFilter {
  /** Processes `length` samples of `left` and `right` in place. */
  process(left: Float32Array, right: Float32Array, length: number): void;
}

/** Clamps to the float range, as lavadsp does at the end of its waveshaping filters. */
export function clamp1(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}
