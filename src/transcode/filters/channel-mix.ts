/**
 * Channel mix: l' = ll·l + rl·r, r' = lr·l + rr·r, clamped to ±1, as lavadsp's
 * `ChannelMixPcmAudioFilter` (all factors 0.5 gives mono on both sides).
 *
 * @module
 */

import { clamp1, type StereoFilter } from './stereo-filter.js';
import type { ChannelMixSettings } from './types.js';

/** The channel-mix stage. */
export class ChannelMix implements StereoFilter {
  private readonly ll: number;
  private readonly lr: number;
  private readonly rl: number;
  private readonly rr: number;

  constructor(settings: ChannelMixSettings) {
    this.ll = settings.leftToLeft ?? 1;
    this.lr = settings.leftToRight ?? 0;
    this.rl = settings.rightToLeft ?? 0;
    this.rr = settings.rightToRight ?? 1;
  }

  /** False for the identity matrix (the filter would do nothing). */
  static isActive(s: ChannelMixSettings): boolean {
    return (s.leftToLeft ?? 1) !== 1 || (s.leftToRight ?? 0) !== 0 || (s.rightToLeft ?? 0) !== 0 || (s.rightToRight ?? 1) !== 1;
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    for (let i = 0; i < length; i++) {
      const l = left[i]!;
      const r = right[i]!;
      left[i] = clamp1(this.ll * l + this.rl * r);
      right[i] = clamp1(this.lr * l + this.rr * r);
    }
  }
}
