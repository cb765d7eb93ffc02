/**
 * Tremolo: amplitude modulation by a sine LFO, as lavadsp's `TremoloConverter`:
 * gain = (1 − d) + d·sin(φ) with d = depth / 2, so the gain swings between 1 − depth and 1.
 *
 * @module
 */

import { SAMPLE_RATE } from '../pcm.js';
import type { StereoFilter } from './stereo-filter.js';
import type { TremoloSettings } from './types.js';

/** The tremolo stage (one LFO for both channels, as lavadsp's per-channel LFOs stay in phase). */
export class Tremolo implements StereoFilter {
  private readonly depth: number;
  private readonly step: number;
  private phase = 0;

  constructor(settings: TremoloSettings) {
    this.depth = (settings.depth ?? 0.5) / 2;
    this.step = (2 * Math.PI * (settings.frequency ?? 2)) / SAMPLE_RATE;
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    const { depth, step } = this;
    const offset = 1 - depth;
    let phase = this.phase;
    for (let i = 0; i < length; i++) {
      const gain = offset + depth * Math.sin(phase);
      phase += step;
      left[i]! *= gain;
      right[i]! *= gain;
    }
    // Keep the phase small: a float phase growing for hours loses precision.
    this.phase = phase % (2 * Math.PI);
  }
}
