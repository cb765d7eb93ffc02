import { describe, expect, it } from 'vitest';
import { Resampler } from '../../src/transcode/resample.js';
import { db, goertzel, rms, sine } from './signal.js';

function resample(x: Float32Array, step: number, chunk: number): Float32Array {
  const r = new Resampler({ step });
  const out: number[] = [];
  for (let i = 0; i < x.length; i += chunk) {
    const b = r.process(x.subarray(i, i + chunk), x.subarray(i, i + chunk), Math.min(chunk, x.length - i));
    out.push(...b.left.subarray(0, b.length));
  }
  const tail = r.flush();
  out.push(...tail.left.subarray(0, tail.length));
  return Float32Array.from(out);
}

describe('windowed-sinc resampler', () => {
  it('44.1 → 48 kHz keeps a 1 kHz sine at 1 kHz and its level within 0.05 dB', () => {
    const x = sine(1000, 0.5, 44_100, 44_100);
    const y = resample(x, 44_100 / 48_000, 1152);
    expect(Math.abs(y.length - 48_000)).toBeLessThan(40);
    expect(goertzel(y, 1000, 48_000, 2000, 46_000)).toBeCloseTo(0.5, 2);
    expect(Math.abs(db(rms(y, 2000, 46_000), rms(x, 2000, 40_000)))).toBeLessThan(0.05);
  });

  it('is time-aligned: output sample k is the input at k·step', () => {
    const x = sine(440, 0.5, 44_100, 44_100);
    const y = resample(x, 44_100 / 48_000, 4096);
    for (const k of [1000, 20_000, 40_000]) expect(y[k]!).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 440 * k) / 48_000), 3);
  });

  it('gives the same output for any chunking', () => {
    const x = sine(3000, 0.3, 20_000, 44_100);
    const a = resample(x, 44_100 / 48_000, 1);
    const b = resample(x, 44_100 / 48_000, 7777);
    expect(a.length).toBe(b.length);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('downsampling removes what would alias: a 20 kHz tone 48 → 24 kHz is below −60 dB', () => {
    const x = sine(20_000, 0.5, 48_000);
    const y = resample(x, 2, 960);
    expect(db(rms(y, 1000, y.length - 1000), rms(x))).toBeLessThan(-60);
  });
});
