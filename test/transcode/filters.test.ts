import { describe, expect, it } from 'vitest';
import { FilterChain } from '../../src/transcode/filters/chain.js';
import type { FilterSettings } from '../../src/transcode/filters/types.js';
import { validateFilters, validateVolume } from '../../src/transcode/filters/validate.js';
import { FRAME_SAMPLES } from '../../src/transcode/pcm.js';
import { SpenceError } from '../../src/errors.js';
import { db, goertzel, peakFrequency, rms, sine, zeroCrossingFrequency } from './signal.js';

/** Runs `left`/`right` through a chain with `filters` the way the pipeline does: stretch, then 20 ms frames. */
function run(filters: FilterSettings, left: Float32Array, right: Float32Array = left.slice(), volume = 1): { left: Float32Array; right: Float32Array } {
  const chain = new FilterChain({ filters: validateFilters(filters), volume });
  const outL: number[] = [];
  const outR: number[] = [];
  const pendL: number[] = [];
  const pendR: number[] = [];
  for (let i = 0; i < left.length; i += FRAME_SAMPLES) {
    const block = chain.stretch(left.slice(i, i + FRAME_SAMPLES), right.slice(i, i + FRAME_SAMPLES), Math.min(FRAME_SAMPLES, left.length - i));
    pendL.push(...block.left.subarray(0, block.length));
    pendR.push(...block.right.subarray(0, block.length));
    while (pendL.length >= FRAME_SAMPLES) {
      const l = Float32Array.from(pendL.splice(0, FRAME_SAMPLES));
      const r = Float32Array.from(pendR.splice(0, FRAME_SAMPLES));
      chain.processFrame(l, r, FRAME_SAMPLES);
      outL.push(...l);
      outR.push(...r);
    }
  }
  return { left: Float32Array.from(outL), right: Float32Array.from(outR) };
}

const N = 48_000; // one second
const SKIP = 4800; // let filter states settle before measuring

describe('filters on generated signals (Lavalink v4 names and ranges)', () => {
  it('volume (filter) scales a sine: 0.5 → −6.02 dB', () => {
    const x = sine(440, 0.5, N);
    const { left } = run({ volume: 0.5 }, x);
    expect(db(rms(left, SKIP), rms(x, SKIP))).toBeCloseTo(-6.02, 1);
  });

  it('volume (transcoder) ramps: no jump larger than the ramp step, then the new level', () => {
    const chain = new FilterChain({ volume: 1 });
    const l = new Float32Array(FRAME_SAMPLES).fill(0.5);
    const r = l.slice();
    chain.setVolume(0.25, 20);
    chain.processFrame(l, r, FRAME_SAMPLES);
    // Linear from 0.5 to 0.125 over one frame: monotone, each step ≤ 0.375 / 960 (+ rounding).
    for (let i = 1; i < FRAME_SAMPLES; i++) {
      expect(l[i]!).toBeLessThanOrEqual(l[i - 1]! + 1e-7);
      expect(l[i - 1]! - l[i]!).toBeLessThan(0.375 / 960 + 1e-6);
    }
    expect(l[FRAME_SAMPLES - 1]).toBeCloseTo(0.125, 5);
  });

  it('equalizer: band 8 (1 kHz) at 0.25 doubles a 1 kHz sine; at −0.25 removes most of it; a far tone is untouched', () => {
    const x = sine(1000, 0.1, N);
    const up = run({ equalizer: [{ band: 8, gain: 0.25 }] }, x).left;
    const down = run({ equalizer: [{ band: 8, gain: -0.25 }] }, x).left;
    expect(db(rms(up, SKIP), rms(x, SKIP))).toBeGreaterThan(5);
    expect(db(rms(up, SKIP), rms(x, SKIP))).toBeLessThan(7);
    expect(db(rms(down, SKIP), rms(x, SKIP))).toBeLessThan(-10);
    const far = sine(60, 0.1, N);
    expect(Math.abs(db(rms(run({ equalizer: [{ band: 14, gain: 1 }] }, far).left, SKIP), rms(far, SKIP)))).toBeLessThan(0.5);
  });

  it('karaoke: a centred 1 kHz tone is cut, a side (out-of-phase) tone is kept', () => {
    const center = sine(1000, 0.3, N);
    const cut = run({ karaoke: { level: 1, monoLevel: 1, filterBand: 220, filterWidth: 100 } }, center);
    expect(db(rms(cut.left, SKIP), rms(center, SKIP))).toBeLessThan(-20);
    const side = sine(1000, 0.3, N);
    const sideR = side.map((v) => -v);
    const kept = run({ karaoke: { level: 1 } }, side, sideR);
    expect(db(rms(kept.left, SKIP), rms(side, SKIP))).toBeGreaterThan(5); // l − (−l) = 2l
  });

  it('timescale speed 1.5: 1/1.5 of the samples, same pitch', () => {
    const x = sine(440, 0.3, 2 * N);
    const { left } = run({ timescale: { speed: 1.5 } }, x);
    expect(left.length / x.length).toBeCloseTo(1 / 1.5, 1);
    expect(peakFrequency(left, 400, 700, 1, 48_000, SKIP, left.length - SKIP)).toBeCloseTo(440, -1);
  });

  it('timescale pitch 1.5: same length, 1.5× the frequency', () => {
    const x = sine(440, 0.3, 2 * N);
    const { left } = run({ timescale: { pitch: 1.5 } }, x);
    expect(left.length / x.length).toBeCloseTo(1, 1);
    expect(peakFrequency(left, 400, 800, 1, 48_000, SKIP, left.length - SKIP)).toBeGreaterThanOrEqual(655);
    expect(peakFrequency(left, 400, 800, 1, 48_000, SKIP, left.length - SKIP)).toBeLessThanOrEqual(665);
  });

  it('timescale rate 1.25: 1/1.25 of the samples and 1.25× the frequency', () => {
    const x = sine(400, 0.3, 2 * N);
    const { left } = run({ timescale: { rate: 1.25 } }, x);
    expect(left.length / x.length).toBeCloseTo(0.8, 1);
    expect(zeroCrossingFrequency(left, SKIP, left.length - SKIP)).toBeCloseTo(500, 0);
  });

  it('tremolo depth 1 at 4 Hz: the envelope swings from ~0 to full', () => {
    const x = sine(1000, 0.5, N);
    const { left } = run({ tremolo: { frequency: 4, depth: 1 } }, x);
    const windows = Array.from({ length: 40 }, (_, w) => rms(left, w * 1200, (w + 1) * 1200));
    expect(Math.max(...windows) / rms(x)).toBeGreaterThan(0.95);
    expect(Math.min(...windows) / rms(x)).toBeLessThan(0.1);
  });

  it('vibrato 5 Hz depth 1: the pitch wobbles around the original', () => {
    const x = sine(1000, 0.5, N);
    const { left } = run({ vibrato: { frequency: 5, depth: 1 } }, x);
    const freqs = Array.from({ length: 19 }, (_, w) => zeroCrossingFrequency(left, 2400 + w * 2400, 2400 + (w + 1) * 2400));
    const spread = Math.max(...freqs) - Math.min(...freqs);
    // Doppler of a 2 ms sweep at 5 Hz: ±(2π·5·0.002/2)·1000 ≈ ±31 Hz; window averaging lowers it.
    expect(spread).toBeGreaterThan(20);
    expect(spread).toBeLessThan(80);
    expect(freqs.reduce((a, b) => a + b) / freqs.length).toBeCloseTo(1000, -1);
  });

  it('rotation 1 Hz: left and right levels swing in opposite phase', () => {
    const x = sine(1000, 0.5, N);
    const { left, right } = run({ rotation: { rotationHz: 1 } }, x);
    const quarter = (ch: Float32Array, q: number): number => rms(ch, q * 12_000 + 4000, q * 12_000 + 8000);
    // sin over one turn: left loud in the first quarter (sin ≈ 1), quiet in the third.
    expect(quarter(left, 0) / rms(x)).toBeGreaterThan(0.8);
    expect(quarter(left, 2) / rms(x)).toBeLessThan(0.2);
    expect(quarter(right, 0) / rms(x)).toBeLessThan(0.2);
    expect(quarter(right, 2) / rms(x)).toBeGreaterThan(0.8);
  });

  it('distortion: sin(10·x) adds strong odd harmonics; defaults are off', () => {
    const x = sine(500, 0.5, N);
    const { left } = run({ distortion: { sinScale: 10, cosScale: 0, tanOffset: 1, tanScale: 0 } }, x);
    const fundamental = goertzel(left, 500);
    expect(goertzel(left, 1500) / fundamental).toBeGreaterThan(0.3);
    expect(goertzel(x, 1500) / goertzel(x, 500)).toBeLessThan(0.01);
    const untouched = run({ distortion: {} }, x).left;
    expect(rms(untouched)).toBeCloseTo(rms(x), 6);
  });

  it('channelMix swaps channels; 0.5 everywhere makes mono', () => {
    const l = sine(440, 0.4, N);
    const r = sine(660, 0.4, N);
    const swapped = run({ channelMix: { leftToLeft: 0, leftToRight: 1, rightToLeft: 1, rightToRight: 0 } }, l, r);
    expect(goertzel(swapped.left, 660)).toBeCloseTo(0.4, 2);
    expect(goertzel(swapped.left, 440)).toBeLessThan(0.01);
    expect(goertzel(swapped.right, 440)).toBeCloseTo(0.4, 2);
    const mono = run({ channelMix: { leftToLeft: 0.5, leftToRight: 0.5, rightToLeft: 0.5, rightToRight: 0.5 } }, l, r);
    expect(goertzel(mono.left, 440)).toBeCloseTo(0.2, 2);
    expect(goertzel(mono.right, 440)).toBeCloseTo(0.2, 2);
  });

  it('lowPass smoothing 20: 100 Hz passes, 5 kHz is cut by more than 15 dB', () => {
    const low = sine(100, 0.5, N);
    const high = sine(5000, 0.5, N);
    expect(db(rms(run({ lowPass: { smoothing: 20 } }, low).left, SKIP), rms(low, SKIP))).toBeGreaterThan(-1);
    expect(db(rms(run({ lowPass: { smoothing: 20 } }, high).left, SKIP), rms(high, SKIP))).toBeLessThan(-15);
    // ≤ 1 disables it, as in Lavalink.
    expect(rms(run({ lowPass: { smoothing: 1 } }, high).left)).toBeCloseTo(rms(high), 6);
  });

  it('a filter change mid-stream is crossfaded: no sample jump beyond the signal\'s own slope', () => {
    const chain = new FilterChain({});
    const x = sine(200, 0.5, 4 * FRAME_SAMPLES);
    const out: number[] = [];
    for (let f = 0; f < 4; f++) {
      if (f === 2) chain.setFilters(validateFilters({ volume: 0.2, distortion: { offset: 0.3 } }));
      const l = x.slice(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES);
      chain.processFrame(l, l.slice(), FRAME_SAMPLES);
      out.push(...l);
    }
    const maxSlope = 0.5 * 2 * Math.PI * 200 / 48_000;
    let maxJump = 0;
    for (let i = 1; i < out.length; i++) maxJump = Math.max(maxJump, Math.abs(out[i]! - out[i - 1]!));
    expect(maxJump).toBeLessThan(maxSlope * 2);
  });
});

describe('filter validation', () => {
  const bad: [FilterSettings | Record<string, unknown>, RegExp][] = [
    [{ volume: 6 }, /0 to 5/],
    [{ equalizer: [{ band: 15, gain: 0 }] }, /integer 0 to 14/],
    [{ equalizer: [{ band: 3, gain: -0.3 }] }, /-0.25 to 1/],
    [{ karaoke: { level: 2 } }, /0 to 1/],
    [{ timescale: { speed: 0 } }, /above 0/],
    [{ tremolo: { depth: 0 } }, /above 0 and at most 1/],
    [{ vibrato: { frequency: 15 } }, /at most 14/],
    [{ channelMix: { leftToRight: 1.5 } }, /0 to 1/],
    [{ rotation: { rotationHz: Number.NaN } }, /finite/],
    [{ echo: {} }, /unknown filter "echo"/],
    [{ tremolo: { speed: 1 } }, /unknown field filters.tremolo.speed/],
  ];
  for (const [filters, message] of bad) {
    it(`refuses ${JSON.stringify(filters)}`, () => {
      try {
        validateFilters(filters);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(SpenceError);
        expect((error as SpenceError).code).toBe('INVALID_ARGUMENT');
        expect((error as SpenceError).message).toMatch(message);
      }
    });
  }

  // Issue 15 item 1: values a player could not keep up with, refused naming the bound, never a stall.
  const timescales: [Record<string, number>, RegExp][] = [
    [{ speed: 50 }, /speed × rate .* must be 0.05 to 10, got 50/],
    [{ rate: 100 }, /speed × rate .* must be 0.05 to 10, got 100/],
    [{ rate: 1e-9 }, /speed × rate .* 0.05 to 10, got 1e-9/],
    [{ speed: 0.01 }, /speed × rate .* 0.05 to 10/],
    [{ pitch: 1000 }, /pitch × rate \(the resampling factor\) must be 0.05 to 10, got 1000/],
    [{ pitch: 0.01 }, /pitch × rate .* 0.05 to 10/],
    [{ speed: 5, rate: 2.5 }, /speed × rate .* got 12.5/],
  ];
  for (const [timescale, message] of timescales) {
    it(`refuses timescale ${JSON.stringify(timescale)}, naming the bound`, () => {
      expect(() => validateFilters({ timescale })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    });
  }

  it('accepts timescales at the bounds (they play: test/e2e/transcode-player.test.ts)', () => {
    for (const timescale of [{ speed: 10 }, { rate: 10 }, { pitch: 10 }, { speed: 0.05 }, { speed: 20, rate: 0.5 }, { pitch: 0.1, rate: 0.5 }]) {
      expect(validateFilters({ timescale })).toEqual({ timescale });
    }
  });

  it('accepts a full Lavalink v4 filters object and drops nulls', () => {
    const all = {
      volume: 1.2, equalizer: [{ band: 0, gain: 0.2 }], karaoke: { level: 1, monoLevel: 1, filterBand: 220, filterWidth: 100 },
      timescale: { speed: 1.2, pitch: 1.2, rate: 1 }, tremolo: { frequency: 2, depth: 0.5 }, vibrato: { frequency: 2, depth: 0.5 },
      rotation: { rotationHz: 0.2 }, distortion: { sinOffset: 0, sinScale: 1, cosOffset: 0, cosScale: 1, tanOffset: 0, tanScale: 1, offset: 0, scale: 1 },
      channelMix: { leftToLeft: 0.5, leftToRight: 0.5, rightToLeft: 0.5, rightToRight: 0.5 }, lowPass: { smoothing: 20 }, pluginFilters: {},
    };
    const { karaoke: _karaoke, pluginFilters: _plugins, ...expected } = all;
    expect(validateFilters({ ...all, karaoke: null })).toEqual(expected);
    expect(validateVolume(0.5)).toBe(0.5);
    expect(() => validateVolume(11)).toThrow(/0 to 10/);
  });
});
