/**
 * Karaoke: cuts what is common to both channels (the center, where vocals usually sit) and keeps a
 * band of the mono signal. Ported from lavadsp's `KaraokeConverter` (itself after the classic
 * "vocal remover" of XMMS/Audacious): a two-pole resonator at `filterBand` with bandwidth
 * `filterWidth` on (l + r) / 2, and `l − r·level + band·monoLevel·level`.
 *
 * @module
 */

import { SAMPLE_RATE } from '../pcm.js';
import type { StereoFilter } from './stereo-filter.js';
import type { KaraokeSettings } from './types.js';

/** The karaoke stage. */
export class Karaoke implements StereoFilter {
  private readonly level: number;
  private readonly monoLevel: number;
  private readonly a: number;
  private readonly b: number;
  private readonly c: number;
  private y1 = 0;
  private y2 = 0;

  constructor(settings: KaraokeSettings) {
    this.level = settings.level ?? 1;
    this.monoLevel = settings.monoLevel ?? 1;
    const band = settings.filterBand ?? 220;
    const width = settings.filterWidth ?? 100;
    // Resonator coefficients, as lavadsp's updateFilters().
    this.c = Math.exp((-2 * Math.PI * width) / SAMPLE_RATE);
    this.b = ((-4 * this.c) / (1 + this.c)) * Math.cos((2 * Math.PI * band) / SAMPLE_RATE);
    this.a = Math.sqrt(1 - (this.b * this.b) / (4 * this.c)) * (1 - this.c);
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    const { level, a, b, c } = this;
    const mono = this.monoLevel * level;
    let { y1, y2 } = this;
    for (let i = 0; i < length; i++) {
      const l = left[i]!;
      const r = right[i]!;
      const y = a * ((l + r) / 2) - b * y1 - c * y2;
      y2 = y1;
      y1 = y;
      const o = y * mono;
      left[i] = l - r * level + o;
      right[i] = r - l * level + o;
    }
    this.y1 = y1;
    this.y2 = y2;
  }
}
