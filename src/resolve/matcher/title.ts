/**
 * Splits a title as uploaders write it into its pieces: credits ("feat. X"), bracketed segments,
 * quoted titles (『紅蓮華』, "Title"), dash-separated parts ("Artist - Title") and trailing
 * descriptions after "|". No judgement here: the scorer decides which piece is the title.
 *
 * @module
 */
import { foldText, normalizeText } from './normalize.js';

/** A bracketed or quoted segment. */
export interface Bracket {
  /** Normalised content. */
  readonly text: string;
  /** 『』「」"" and the like hold a title in Japanese and Korean uploads, not a descriptor. */
  readonly quoted: boolean;
}

/** A title split into pieces, every piece normalised. */
export interface ParsedTitle {
  /** The whole title, normalised. */
  readonly full: string;
  /** Names credited with "feat.", "ft.", "featuring" or "(with X)"; raw, one per name. */
  readonly credits: readonly string[];
  /** Dash-separated parts of the main text, brackets removed. */
  readonly parts: readonly string[];
  /** The raw (folded, not normalised) parts, for splitting artist lists on commas. */
  readonly rawParts: readonly string[];
  /** Bracketed and quoted segments. */
  readonly brackets: readonly Bracket[];
  /** Text after "|" or "//": a description, never the artist. */
  readonly descriptions: readonly string[];
  /** For parts with a colon ("Satie: Gymnopédie No. 1"), what follows the last colon. */
  readonly colonTails: readonly { readonly text: string; readonly part: number }[];
}

const BRACKETS: readonly (readonly [string, string, boolean])[] = [
  ['(', ')', false], ['[', ']', false], ['{', '}', false], ['【', '】', false], ['〈', '〉', false],
  ['《', '》', false], ['『', '』', true], ['「', '」', true], ['"', '"', true],
];

const CREDIT_BRACKETED = /[([]\s*(?:feat\.?|ft\.?|featuring|with|w\/)\s+([^)\]]+)[)\]]/gi;
const CREDIT_BARE = /(?:^|\s)(?:feat\.?|ft\.?|featuring)\s+(.+?)(?=\s+-\s|\s*[|([【]|$)/gi;
const PRODUCER = /[([]\s*prod\.?(?:\s+by)?\s+[^)\]]+[)\]]|\s(?:prod\.?|produced)\s+by\s+.+$/gi;

/**
 * Splits "A, B & C x D" into names. Names in `known` (normalised) are taken out whole first, so
 * "Lil Nas X" or "Simon & Garfunkel" are not cut at their "x" or "&". Unknown names come back
 * normalised.
 */
export function splitNames(raw: string, known: readonly string[] = []): string[] {
  const names: string[] = [];
  const byLength = [...known].filter((k) => k !== '').sort((a, b) => b.length - a.length);
  for (const piece of raw.split(/\s*[,;/+]\s*/)) {
    let rest = ` ${normalizeText(piece)} `;
    for (const k of byLength) {
      if (!rest.includes(` ${k} `)) continue;
      names.push(k);
      rest = rest.replace(` ${k} `, ' , ');
    }
    for (const name of rest.split(/\s*,\s*|\s+(?:and|x|vs|feat|ft|featuring|with)\s+/)) {
      const t = name.trim().replace(/^(?:and|x|vs|feat|ft|featuring|with|by)\b|\b(?:and|x|vs|feat|ft|featuring|with)$/g, '').trim();
      if (t !== '') names.push(t);
    }
  }
  return names;
}

/** Parses one title. */
export function parseTitle(raw: string): ParsedTitle {
  let s = foldText(raw);
  const credits: string[] = [];
  s = s.replace(PRODUCER, ' ');
  s = s.replace(CREDIT_BRACKETED, (_m, names: string) => {
    credits.push(...splitNames(names));
    return ' ';
  });
  s = s.replace(CREDIT_BARE, (_m, names: string) => {
    credits.push(...splitNames(names));
    return ' ';
  });

  const brackets: Bracket[] = [];
  // Innermost first, until no pair is left; unmatched brackets stay as text.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [open, close, quoted] of BRACKETS) {
      const re = new RegExp(`\\${open}([^\\${open}\\${close}]*)\\${close}`, 'g');
      s = s.replace(re, (_m, inner: string) => {
        changed = true;
        const text = normalizeText(inner);
        if (text !== '') brackets.push({ text, quoted });
        // A bracket ends a part, like a dash: "Artist 『Title』 -MV-", "Title (Live) - Artist".
        return ' - ';
      });
    }
  }

  const [main = '', ...rest] = s.split(/\s*(?:\||\/\/|•)\s*/);
  const descriptions = rest.map(normalizeText).filter((t) => t !== '');
  // A dash separates parts when it touches a space: "Jay-Z" stays whole, "-MUSiC CLiP-" splits.
  const rawParts = main.split(/\s+[-~]+\s*|\s*[-~]+\s+|^[-~]+|[-~]+$/).map((p) => p.trim()).filter((p) => p !== '');
  const kept = rawParts.filter((p) => normalizeText(p) !== '');
  const parts = kept.map(normalizeText);
  const colonTails = kept.flatMap((p, part) => {
    const at = p.lastIndexOf(':');
    const text = at < 0 ? '' : normalizeText(p.slice(at + 1));
    return text === '' ? [] : [{ text, part }];
  });
  return { full: normalizeText(raw), credits, parts, rawParts: kept, brackets, descriptions, colonTails };
}
