/**
 * A streaming band-limited resampler for planar stereo: windowed-sinc interpolation (Kaiser window,
 * β = 8.6, about −90 dB stop band) from a precomputed kernel table with linear interpolation between
 * its points, after Smith's "Digital Audio Resampling" (the bandlimited interpolation used by
 * libsamplerate and resample). When downsampling the cutoff moves down to the output's Nyquist so
 * nothing aliases. The ratio can change between calls (the timescale filter's `rate`).
 *
 * Time alignment: output sample k is the input at time k·step exactly (no group delay is added:
 * the kernel is centred and the first half-window reads implicit zeros before the start).
 *
 * @module
 */

import type { StereoBlock } from './pcm.js';

const KAISER_BETA = 8.6;
/** Kernel table points per input sample. */
const TABLE_DENSITY = 256;

/** The zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** Options for {@link Resampler}. */
export interface ResamplerOptions {
  /** Input samples per output sample (inputRate / outputRate); 44100/48000 for CD audio. */
  step: number;
  /** Zero crossings of the sinc on each side (the filter's quality); default 16. */
  zeroCrossings?: number;
}

/** A streaming windowed-sinc resampler for planar stereo. */
export class Resampler {
  private step: number;
  private readonly zeroCrossings: number;
  private cutoff = 1;
  /** Half-width of the kernel in input samples. */
  private width = 0;
  private table = new Float32Array(0);
  private histL = new Float32Array(4096);
  private histR = new Float32Array(4096);
  /** Valid samples in the history. */
  private histLength = 0;
  /** Time of the next output sample, in input samples from histL[0]. */
  private time = 0;
  private outL = new Float32Array(0);
  private outR = new Float32Array(0);

  constructor(options: ResamplerOptions) {
    this.zeroCrossings = options.zeroCrossings ?? 16;
    this.step = options.step;
    this.buildTable();
    // Implicit zeros before the first sample, so output 0 is centred on input 0.
    this.histLength = this.width;
    this.time = this.width;
  }

  /** Changes the ratio from the next output sample on (input samples per output sample). */
  setStep(step: number): void {
    if (step === this.step) return;
    const oldWidth = this.width;
    this.step = step;
    const cutoff = Math.min(1, 1 / step) * 0.97;
    if (Math.abs(cutoff - this.cutoff) > this.cutoff * 0.01) this.buildTable();
    if (this.width > oldWidth) {
      // A wider kernel needs more history before `time`: pad with zeros in front (only near the start).
      const pad = this.width - oldWidth;
      this.ensureCapacity(this.histLength + pad);
      this.histL.copyWithin(pad, 0, this.histLength);
      this.histR.copyWithin(pad, 0, this.histLength);
      this.histL.fill(0, 0, pad);
      this.histR.fill(0, 0, pad);
      this.histLength += pad;
      this.time += pad;
    }
  }

  private buildTable(): void {
    // 0.97: a little transition band below Nyquist keeps the kernel short.
    this.cutoff = Math.min(1, 1 / this.step) * 0.97;
    this.width = Math.ceil(this.zeroCrossings / this.cutoff);
    const size = this.width * TABLE_DENSITY + 2;
    const table = new Float32Array(size);
    const i0Beta = besselI0(KAISER_BETA);
    for (let i = 0; i < size; i++) {
      const x = i / TABLE_DENSITY;
      const r = x / this.width;
      if (r >= 1) break;
      const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta;
      const arg = Math.PI * this.cutoff * x;
      table[i] = this.cutoff * (x === 0 ? 1 : Math.sin(arg) / arg) * window;
    }
    this.table = table;
  }

  private ensureCapacity(n: number): void {
    if (n <= this.histL.length) return;
    const cap = Math.max(n, this.histL.length * 2);
    const l = new Float32Array(cap);
    const r = new Float32Array(cap);
    l.set(this.histL.subarray(0, this.histLength));
    r.set(this.histR.subarray(0, this.histLength));
    this.histL = l;
    this.histR = r;
  }

  /**
   * Feeds `length` input samples and returns the output they complete. The returned block's arrays
   * are reused by the next call: copy what you keep.
   */
  process(left: Float32Array, right: Float32Array, length: number): StereoBlock {
    this.ensureCapacity(this.histLength + length);
    this.histL.set(left.subarray(0, length), this.histLength);
    this.histR.set(right.subarray(0, length), this.histLength);
    this.histLength += length;
    return this.drain();
  }

  /** Feeds a half-window of zeros so the last input samples come out; call once at the end. */
  flush(): StereoBlock {
    const zeros = new Float32Array(this.width + 1);
    return this.process(zeros, zeros, zeros.length);
  }

  private drain(): StereoBlock {
    const { width, table, histL, histR, step } = this;
    const available = Math.max(0, Math.floor((this.histLength - width - this.time) / step) + 1);
    if (this.outL.length < available) {
      this.outL = new Float32Array(available * 2);
      this.outR = new Float32Array(available * 2);
    }
    const outL = this.outL;
    const outR = this.outR;
    let n = 0;
    let time = this.time;
    while (time + width < this.histLength && n < available) {
      const center = Math.floor(time);
      let accL = 0;
      let accR = 0;
      const first = center - width + 1;
      const scale = TABLE_DENSITY;
      for (let k = first; k <= center + width; k++) {
        const dx = Math.abs(time - k) * scale;
        const di = dx | 0;
        const h = table[di]! + (table[di + 1]! - table[di]!) * (dx - di);
        accL += histL[k]! * h;
        accR += histR[k]! * h;
      }
      outL[n] = accL;
      outR[n] = accR;
      n++;
      time += step;
    }
    // Drop history no future output needs (everything before time − width).
    const keepFrom = Math.max(0, Math.floor(time) - width);
    if (keepFrom > 0) {
      histL.copyWithin(0, keepFrom, this.histLength);
      histR.copyWithin(0, keepFrom, this.histLength);
      this.histLength -= keepFrom;
      time -= keepFrom;
    }
    this.time = time;
    return { left: outL, right: outR, length: n };
  }
}
