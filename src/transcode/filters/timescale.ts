/**
 * Timescale: Lavalink's `speed`, `pitch` and `rate` with SoundTouch's meaning (lavadsp's timescale
 * drives SoundTouch): rate resamples (speed and pitch together); pitch changes pitch alone; speed
 * changes tempo alone. As in SoundTouch's `SoundTouch::calcEffectiveRateAndTempo`, the work is a
 * time stretch by tempo = speed / pitch followed by a resampling by rate · pitch, so the output
 * lasts input / (speed · rate) and its frequencies are multiplied by pitch · rate.
 *
 * @module
 */

import type { StereoBlock } from '../pcm.js';
import { Resampler } from '../resample.js';
import type { TimescaleSettings } from './types.js';
import { Wsola } from './wsola.js';

/** The timescale stage: changes the number of samples, so it runs before the sample-preserving filters. */
export class Timescale {
  private stretcher: Wsola | null = null;
  private resampler: Resampler | null = null;
  /** Source seconds per output second: speed · rate. */
  ratio = 1;

  constructor(settings: TimescaleSettings) {
    this.update(settings);
  }

  /** False when speed, pitch and rate are all 1. */
  static isActive(s: TimescaleSettings): boolean {
    return (s.speed ?? 1) !== 1 || (s.pitch ?? 1) !== 1 || (s.rate ?? 1) !== 1;
  }

  /**
   * Changes the settings in place, from the next window on: the stages keep the samples they hold,
   * so nothing is skipped or repeated. A stage once created stays (at ratio 1 it is an identity).
   */
  update(settings: TimescaleSettings): void {
    const speed = settings.speed ?? 1;
    const pitch = settings.pitch ?? 1;
    const rate = settings.rate ?? 1;
    const tempo = speed / pitch;
    const step = rate * pitch;
    if (this.stretcher) this.stretcher.setTempo(tempo);
    else if (tempo !== 1) this.stretcher = new Wsola(tempo);
    if (this.resampler) this.resampler.setStep(step);
    else if (step !== 1) this.resampler = new Resampler({ step });
    this.ratio = speed * rate;
  }

  /** Feeds input, returns the output it completes (arrays reused by the next call). */
  process(left: Float32Array, right: Float32Array, length: number): StereoBlock {
    let block: StereoBlock = { left, right, length };
    if (this.stretcher) block = this.stretcher.process(block.left, block.right, block.length);
    if (this.resampler) block = this.resampler.process(block.left, block.right, block.length);
    return block;
  }
}
