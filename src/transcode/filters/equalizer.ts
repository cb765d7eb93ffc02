/**
 * The 15-band equalizer, ported from lavaplayer's `filter/equalizer/Equalizer.java` (the filter
 * Lavalink's `equalizer` runs): one second-order band-pass per band on the dry signal, summed with
 * the dry signal at a quarter and scaled by 4, so a gain of 0 on every band is the identity and a
 * band at 0.25 doubles that band (×(0.25 + 0.25)·4).
 *
 * @module
 */

import type { StereoFilter } from './stereo-filter.js';
import type { EqualizerBand } from './types.js';

/**
 * `(beta, alpha, gamma)` per band at 48 kHz, lavaplayer's `coefficients48000` table:
 * y[n] = alpha·(x[n] − x[n−2]) + gamma·y[n−1] − beta·y[n−2].
 */
const COEFFICIENTS: readonly (readonly [number, number, number])[] = [
  [9.9847546664e-1, 7.6226668143e-4, 1.9984647656],
  [9.9756184654e-1, 1.2190767289e-3, 1.9975344645],
  [9.9616261379e-1, 1.9186931041e-3, 1.9960947369],
  [9.9391578543e-1, 3.0421072865e-3, 1.9937449618],
  [9.9028307215e-1, 4.8584639242e-3, 1.9898465702],
  [9.8485897264e-1, 7.5705136795e-3, 1.9837962543],
  [9.7588512657e-1, 1.2057436715e-2, 1.9731772447],
  [9.6228521814e-1, 1.8857390928e-2, 1.9556164694],
  [9.4080933132e-1, 2.9595334338e-2, 1.9242054384],
  [9.0702059196e-1, 4.6489704022e-2, 1.8653476166],
  [8.5868004289e-1, 7.0659978553e-2, 1.7600401337],
  [7.8409610788e-1, 1.0795194606e-1, 1.5450725522],
  [6.8332861002e-1, 1.5833569499e-1, 1.1426447155],
  [5.5267518228e-1, 2.2366240886e-1, 4.0186190803e-1],
  [4.1811888447e-1, 2.9094055777e-1, -7.0905944223e-1],
];
const BANDS = COEFFICIENTS.length;

/** One channel's band states: x[n−1], x[n−2], y[n−1], y[n−2] per band. */
class ChannelEq {
  private readonly state = new Float64Array(BANDS * 4);
  constructor(private readonly gains: Float64Array, private readonly active: readonly number[]) {}

  process(samples: Float32Array, length: number): void {
    const { state, gains, active } = this;
    for (let i = 0; i < length; i++) {
      const x = samples[i]!;
      let result = x * 0.25;
      for (const b of active) {
        const c = COEFFICIENTS[b]!;
        const s = b * 4;
        const y = c[1] * (x - state[s + 1]!) + c[2] * state[s + 2]! - c[0] * state[s + 3]!;
        state[s + 1] = state[s]!;
        state[s] = x;
        state[s + 3] = state[s + 2]!;
        state[s + 2] = y;
        result += y * gains[b]!;
      }
      const out = result * 4;
      samples[i] = out > 1 ? 1 : out < -1 ? -1 : out;
    }
  }
}

/** The equalizer; bands whose gain is 0 cost nothing (their output would be multiplied by 0). */
export class Equalizer implements StereoFilter {
  private readonly left: ChannelEq;
  private readonly right: ChannelEq;

  /** @param bands Lavalink's `[{ band, gain }]`; a later entry for the same band wins. */
  constructor(bands: readonly EqualizerBand[]) {
    const gains = new Float64Array(BANDS);
    for (const { band, gain } of bands) gains[band] = gain;
    const active = [...gains.keys()].filter((b) => gains[b] !== 0);
    this.left = new ChannelEq(gains, active);
    this.right = new ChannelEq(gains, active);
  }

  /** True when some band has a non-zero gain. */
  static isActive(bands: readonly EqualizerBand[] | undefined): boolean {
    return !!bands && bands.some((b) => b.gain !== 0);
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    this.left.process(left, length);
    this.right.process(right, length);
  }
}
