/**
 * Distortion: the waveshaper of lavadsp's `DistortionConverter`, per sample
 * `offset + scale · (sinOffset + sin(x·sinScale)) · (cosOffset + cos(x·cosScale)) · (tanOffset + tan(x·tanScale))`,
 * clamped to ±1. (lavadsp's enable flags all test the SIN bit, so with its defaults all three
 * factors are always on; Lavalink never changes them. The same here.)
 *
 * @module
 */

import { clamp1, type StereoFilter } from './stereo-filter.js';
import type { DistortionSettings } from './types.js';

/** The distortion stage. */
export class Distortion implements StereoFilter {
  private readonly s: Required<DistortionSettings>;

  constructor(settings: DistortionSettings) {
    this.s = {
      sinOffset: 0, sinScale: 1, cosOffset: 0, cosScale: 1, tanOffset: 0, tanScale: 1, offset: 0, scale: 1,
      ...settings,
    };
  }

  /**
   * False with every field at its default: Lavalink leaves the filter out then (with the defaults the
   * formula would be sin²x, not the identity).
   */
  static isActive(s: DistortionSettings): boolean {
    const d: Required<DistortionSettings> = { sinOffset: 0, sinScale: 1, cosOffset: 0, cosScale: 1, tanOffset: 0, tanScale: 1, offset: 0, scale: 1 };
    return (Object.keys(d) as (keyof DistortionSettings)[]).some((k) => s[k] !== undefined && s[k] !== d[k]);
  }

  private shape(x: number): number {
    const s = this.s;
    const sin = s.sinOffset + Math.sin(x * s.sinScale);
    const cos = s.cosOffset + Math.cos(x * s.cosScale);
    const tan = s.tanOffset + Math.tan(x * s.tanScale);
    return clamp1(s.offset + s.scale * sin * cos * tan);
  }

  process(left: Float32Array, right: Float32Array, length: number): void {
    for (let i = 0; i < length; i++) {
      left[i] = this.shape(left[i]!);
      right[i] = this.shape(right[i]!);
    }
  }
}
