/**
 * String similarity on normalised text, in [0, 1].
 *
 * @module
 */
import { compact } from './normalize.js';

/** Levenshtein distance over code points (CJK characters count as one each). */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/** 1 − distance / longer length. */
export function levenshteinRatio(a: string, b: string): number {
  const len = Math.max([...a].length, [...b].length);
  if (len === 0) return 1;
  return 1 - levenshtein(a, b) / len;
}

/**
 * Similarity of two normalised strings: the better of a character ratio over the spaceless form
 * (so "okcomputer" meets "ok computer") and a ratio over sorted words (so word order matters
 * less). Deliberately not a substring score: "Nightfall" must not match "Nightfall over X".
 */
export function textSimilarity(a: string, b: string): number {
  if (a === '' || b === '') return 0;
  const ca = compact(a);
  const cb = compact(b);
  if (ca === cb) return 1;
  const chars = levenshteinRatio(ca, cb);
  const sortWords = (s: string): string => s.split(' ').sort().join('');
  const words = levenshteinRatio(sortWords(a), sortWords(b));
  return Math.max(chars, words);
}

/** True when the word sequence `needle` occurs in `hay` on word boundaries (both normalised). */
export function containsPhrase(hay: string, needle: string): boolean {
  if (needle === '') return false;
  // Scripts written without spaces (CJK) have no word boundaries to respect.
  if (!/[a-z0-9]/.test(needle)) return hay.includes(needle);
  return ` ${hay} `.includes(` ${needle} `);
}

/** Removes every word-bounded occurrence of `needle` from `hay` (both normalised). */
export function removePhrase(hay: string, needle: string): string {
  if (needle === '') return hay;
  let out = ` ${hay} `;
  const pat = /[a-z0-9]/.test(needle) ? ` ${needle} ` : needle;
  while (out.includes(pat)) out = out.replace(pat, ' ');
  return out.replace(/ +/g, ' ').trim();
}
