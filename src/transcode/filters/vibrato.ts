/**
 * Vibrato: a delay line whose delay a sine LFO sweeps between 3 samples and 3 + depth·2 ms, read
 * with 4-point 3rd-order Hermite interpolation, as lavadsp's `VibratoConverter`. The moving delay
 * is a periodic Doppler shift: pitch swings by ±(2π·f·depth·2 ms / 2) relative.
 *
 * @module
 */

import { SAMPLE_RATE } from '../pcm.js';
import type { StereoFilter } from './stereo-filter.js';
import type { VibratoSettings } from './types.js';

const BASE_DELAY_SEC = 0.002;
const ADDITIONAL_DELAY = 3;
const MARGIN = 3;

/** lavadsp's margined ring buffer: the first MARGIN samples are mirrored past the end for the interpolator. */
class DelayLine {
  private readonly size = Math.floor(BASE_DELAY_SEC * SAMPLE_RATE * 2);
  private readonly buffer = new Float32Array(this.size + MARGIN);
  private writeIndex = 0;

  write(sample: number): void {
    this.buffer[this.writeIndex] = sample;
    if (this.writeIndex < MARGIN) this.buffer[this.size + this.writeIndex] = sample;
    if (++this.writeIndex === this.size) this.writeIndex = 0;
  }

  /** The sample `delay` samples back, Hermite-interpolated (4-point, 3rd-order, x-form). */
  read(delay: number): number {
    let index = this.writeIndex - 1 - delay;
    while (index < 0) index += this.size;
    while (index >= this.size) index -= this.size;
    const i = Math.floor(index);
    const x = index - i;
    const b = this.buffer;
    const y0 = b[i]!;
    const y1 = b[i + 1]!;
    const y2 = b[i + 2]!;
    const y3 = b[i + 3]!;
    const c1 = 0.5 * (y2 - y0);
    const c2 = y0 - 2.5 * y1 + 2 * y2 - 0.5 * y3;
    const c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
    return ((c3 * x + c2) * x + c1) * x + y1;
  }
}

/** The vibrato stage. */
export class Vibrato implements StereoFilter {
  private readonly depth: number;
  private readonly step: number;
  private readonly maxDelay = Math.floor(BASE_DELAY_SEC * SAMPLE_RATE);
  private readonly left = new DelayLine();
  private readonly right = new DelayLine();
  private phase = 0;

  constructor(settings: VibratoSettings) {
    this.depth = settings.depth ?? 0.5;
    this.step = (2 * Math.PI * (settings.frequency ?? 2)) / SAMPLE_RATE;
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    const span = this.depth * this.maxDelay;
    for (let i = 0; i < length; i++) {
      const lfo = (Math.sin(this.phase) + 1) * 0.5;
      this.phase += this.step;
      if (this.phase > 2 * Math.PI) this.phase -= 2 * Math.PI;
      const delay = lfo * span + ADDITIONAL_DELAY;
      const l = left[i]!;
      const r = right[i]!;
      left[i] = this.left.read(delay);
      right[i] = this.right.read(delay);
      this.left.write(l);
      this.right.write(r);
    }
  }
}
