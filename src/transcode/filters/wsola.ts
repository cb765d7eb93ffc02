/**
 * Time stretching without pitch change by WSOLA (Verhelst & Roelands, "An overlap-add technique
 * based on waveform similarity (WSOLA) for high quality time-scale modification of speech",
 * ICASSP 1993), the family SoundTouch's `TDStretch` (what lavadsp's timescale calls) belongs to:
 * Hann windows at 50 % overlap are taken from the input every `tempo · hop` samples, each shifted
 * by up to ±`tolerance` to the offset whose waveform best continues the previous window (cross-
 * correlation on a decimated mono mix), and overlap-added every `hop` samples.
 *
 * @module
 */

import type { StereoBlock } from '../pcm.js';

/** Window length: 32 ms at 48 kHz (SoundTouch's default sequence is 40 ms with 8 ms overlap). */
const WINDOW = 1536;
const HOP = WINDOW / 2;
/** Seek window ±8 ms. */
const TOLERANCE = 384;
/** Correlation decimation: every 4th sample is enough to find the phase of audible periods. */
const DECIMATE = 4;

const HANN = Float32Array.from({ length: WINDOW }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WINDOW));

/** A streaming WSOLA time stretcher for planar stereo. */
export class Wsola {
  private tempo: number;
  private inL = new Float32Array(16384);
  private inR = new Float32Array(16384);
  private inLength = 0;
  /** Nominal position of the next window in the input buffer. */
  private position = 0;
  /** Where the previous window started in the input buffer (may fall before it: only previous + HOP is read). */
  private previous = 0;
  private started = false;
  private readonly accL = new Float32Array(WINDOW);
  private readonly accR = new Float32Array(WINDOW);
  private outL = new Float32Array(0);
  private outR = new Float32Array(0);

  /** @param tempo Output speed: 2 plays twice as fast (half the samples out), same pitch. */
  constructor(tempo: number) {
    this.tempo = tempo;
  }

  /** Changes the tempo from the next window on. */
  setTempo(tempo: number): void {
    this.tempo = tempo;
  }

  /** Feeds input; returns the output completed so far (arrays reused by the next call). */
  process(left: Float32Array, right: Float32Array, length: number): StereoBlock {
    if (this.inLength + length > this.inL.length) {
      const cap = Math.max(this.inLength + length, this.inL.length * 2);
      const l = new Float32Array(cap);
      const r = new Float32Array(cap);
      l.set(this.inL.subarray(0, this.inLength));
      r.set(this.inR.subarray(0, this.inLength));
      this.inL = l;
      this.inR = r;
    }
    this.inL.set(left.subarray(0, length), this.inLength);
    this.inR.set(right.subarray(0, length), this.inLength);
    this.inLength += length;

    let n = 0;
    const maxOut = (Math.ceil(this.inLength / (HOP * Math.max(this.tempo, 1e-3))) + 1) * HOP;
    if (this.outL.length < maxOut) {
      this.outL = new Float32Array(maxOut);
      this.outR = new Float32Array(maxOut);
    }
    while (true) {
      const nominal = Math.round(this.position);
      if (nominal + TOLERANCE + WINDOW > this.inLength) break;
      if (n + HOP > this.outL.length) break;
      const start = this.started ? this.bestOffset(nominal) : nominal;
      this.addWindow(start, !this.started);
      this.started = true;
      // The first HOP samples of the accumulator are complete (Hann at 50 % overlap sums to 1).
      this.outL.set(this.accL.subarray(0, HOP), n);
      this.outR.set(this.accR.subarray(0, HOP), n);
      n += HOP;
      this.accL.copyWithin(0, HOP);
      this.accR.copyWithin(0, HOP);
      this.accL.fill(0, HOP);
      this.accR.fill(0, HOP);
      this.previous = start;
      this.position += HOP * this.tempo;
    }
    this.compact();
    return { left: this.outL, right: this.outR, length: n };
  }

  /** The start in [nominal − tolerance, nominal + tolerance] that best continues the previous window. */
  private bestOffset(nominal: number): number {
    const natural = this.previous + HOP;
    const { inL, inR } = this;
    let best = nominal;
    let bestScore = -Infinity;
    const from = Math.max(0, nominal - TOLERANCE);
    for (let s = from; s <= nominal + TOLERANCE; s += 2) {
      let dot = 0;
      let energy = 1e-9;
      for (let i = 0; i < HOP; i += DECIMATE) {
        const a = inL[s + i]! + inR[s + i]!;
        const b = inL[natural + i]! + inR[natural + i]!;
        dot += a * b;
        energy += a * a;
      }
      const score = dot / Math.sqrt(energy);
      if (score > bestScore) {
        bestScore = score;
        best = s;
      }
    }
    return best;
  }

  private addWindow(start: number, first: boolean): void {
    const { inL, inR, accL, accR } = this;
    for (let i = 0; i < WINDOW; i++) {
      // The very first window is not faded in: the output starts at full level, like the input.
      const w = first && i < HOP ? 1 : HANN[i]!;
      accL[i]! += inL[start + i]! * w;
      accR[i]! += inR[start + i]! * w;
    }
  }

  /** Drops input that no future window or correlation can reach. */
  private compact(): void {
    const keepFrom = Math.max(0, Math.min(Math.round(this.position) - TOLERANCE, this.previous + HOP) - 1);
    if (keepFrom <= 0) return;
    this.inL.copyWithin(0, keepFrom, this.inLength);
    this.inR.copyWithin(0, keepFrom, this.inLength);
    this.inLength -= keepFrom;
    this.position -= keepFrom;
    this.previous -= keepFrom;
  }
}
