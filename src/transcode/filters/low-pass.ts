/**
 * Low-pass: one-pole smoothing `v += (x − v) / smoothing`, as lavadsp's `LowPassConverter`
 * (its first sample primes `v`, so the filter does not fade in from silence). Lavalink disables it
 * for smoothing ≤ 1. The −3 dB point is about fs/(2π·(smoothing − 1)): 400 Hz at the default 20.
 *
 * @module
 */

import type { StereoFilter } from './stereo-filter.js';
import type { LowPassSettings } from './types.js';

/** The low-pass stage. */
export class LowPass implements StereoFilter {
  private readonly smoothing: number;
  private l = 0;
  private r = 0;
  private primed = false;

  constructor(settings: LowPassSettings) {
    this.smoothing = settings.smoothing ?? 20;
  }

  /** Lavalink turns the filter off for smoothing ≤ 1. */
  static isActive(s: LowPassSettings): boolean {
    return (s.smoothing ?? 20) > 1;
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    if (length === 0) return;
    if (!this.primed) {
      this.l = left[0]!;
      this.r = right[0]!;
      this.primed = true;
    }
    const k = 1 / this.smoothing;
    let { l, r } = this;
    for (let i = 0; i < length; i++) {
      l += (left[i]! - l) * k;
      r += (right[i]! - r) * k;
      left[i] = l;
      right[i] = r;
    }
    this.l = l;
    this.r = r;
  }
}
