/**
 * Rotation ("8D audio"): the left and right gains follow (1 + sin x) / 2 and (1 − sin x) / 2 with
 * x advancing 2π·rotationHz per second, as lavadsp's `RotationPcmAudioFilter`.
 *
 * @module
 */

import { SAMPLE_RATE } from '../pcm.js';
import type { StereoFilter } from './stereo-filter.js';
import type { RotationSettings } from './types.js';

/** The rotation stage. */
export class Rotation implements StereoFilter {
  private readonly step: number;
  private x = 0;

  constructor(settings: RotationSettings) {
    this.step = (2 * Math.PI * (settings.rotationHz ?? 0)) / SAMPLE_RATE;
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    let x = this.x;
    for (let i = 0; i < length; i++) {
      const s = Math.sin(x);
      left[i]! *= (s + 1) / 2;
      right[i]! *= (1 - s) / 2;
      x += this.step;
    }
    this.x = x % (2 * Math.PI);
  }
}
