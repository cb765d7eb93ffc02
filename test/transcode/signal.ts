/** Generated signals and measurements for the transcoder's tests. */

export const RATE = 48_000;

/** A sine of `freq` Hz and `amplitude`, `seconds` long, at `rate`. */
export function sine(freq: number, amplitude: number, samples: number, rate = RATE, phase = 0): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return out;
}

/** Root mean square of `x[from, to)`. */
export function rms(x: Float32Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** 20·log10(a / b). */
export function db(a: number, b: number): number {
  return 20 * Math.log10(a / b);
}

/** Amplitude of the `freq` component of `x` (Goertzel; a windowless single DFT bin). */
export function goertzel(x: Float32Array, freq: number, rate = RATE, from = 0, to = x.length): number {
  const n = to - from;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** The strongest frequency in [lo, hi] Hz in steps of `step` Hz (Goertzel scan). */
export function peakFrequency(x: Float32Array, lo: number, hi: number, step = 1, rate = RATE, from = 0, to = x.length): number {
  let best = lo;
  let bestAmp = -1;
  for (let f = lo; f <= hi; f += step) {
    const a = goertzel(x, f, rate, from, to);
    if (a > bestAmp) {
      bestAmp = a;
      best = f;
    }
  }
  return best;
}

/** Frequency from upward zero crossings in `x[from, to)`. */
export function zeroCrossingFrequency(x: Float32Array, from = 0, to = x.length, rate = RATE): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) {
      const t = i - 1 + x[i - 1]! / (x[i - 1]! - x[i]!);
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return count > 0 ? (count * rate) / (last - first) : 0;
}
