/**
 * Text normalisation for the mirror matcher: one canonical form for titles and names, so that
 * "Beyoncé" and "Beyonce", "ＬｉＳＡ" and "LiSA", "Taylor’s" and "Taylor's" compare equal, while
 * CJK, Hangul and Cyrillic text is kept intact (their marks are part of the letter, not accents).
 *
 * @module
 */

/** Latin letters that NFD does not decompose into a base letter plus accents. */
const LATIN_SPECIAL: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', ø: 'o', œ: 'oe', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŋ: 'n',
};
const LATIN_SPECIAL_RE = new RegExp(`[${Object.keys(LATIN_SPECIAL).join('')}]`, 'gu');

/**
 * Folds case, compatibility forms and Latin accents, but keeps punctuation (brackets and dashes
 * carry structure the title parser needs).
 */
export function foldText(raw: string): string {
  return raw
    .normalize('NFKC')
    .toLowerCase()
    // Accents only come off Latin letters: in Japanese (が), Hangul or Devanagari the combining
    // mark changes the letter, so stripping it there would merge different words.
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .replace(LATIN_SPECIAL_RE, (ch) => LATIN_SPECIAL[ch] ?? ch)
    .replace(/[\u2018\u2019\u201b\u0060\u00b4\u02bc]/g, "'")
    .replace(/[\u201c\u201d\u201e\u00ab\u00bb]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-');
}

/**
 * The canonical comparable form: folded, "&" spelt "and", apostrophes dropped ("taylor's" →
 * "taylors"), every other non-letter non-digit a space, spaces collapsed.
 */
export function normalizeText(raw: string): string {
  return foldText(raw)
    .replace(/&/g, ' and ')
    .replace(/'/g, '')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .trim();
}

/** The normalised text with its spaces removed: "TheKidLAROI" and "The Kid LAROI" agree here. */
export function compact(normalized: string): string {
  return normalized.replace(/ /g, '');
}

/** Writing systems the matcher tells apart; "latin" covers ASCII letters and digits after folding. */
export type Script = 'latin' | 'cjk' | 'hangul' | 'cyrillic' | 'greek' | 'other';

const SCRIPT_TESTS: readonly (readonly [Script, RegExp])[] = [
  ['latin', /\p{Script=Latin}/u],
  ['cjk', /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['hangul', /\p{Script=Hangul}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['other', /[^\p{Script=Latin}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Common}\p{Script=Inherited}]/u],
];

/** The scripts whose letters occur in `text`. Digits and punctuation belong to none. */
export function scriptsOf(text: string): Set<Script> {
  const found = new Set<Script>();
  for (const [script, re] of SCRIPT_TESTS) if (re.test(text)) found.add(script);
  return found;
}

/** True when `text` has letters and all of them are in non-Latin scripts. */
export function isNonLatin(text: string): boolean {
  const scripts = scriptsOf(text);
  return scripts.size > 0 && !scripts.has('latin');
}

const CYRILLIC: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k',
  л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts',
  ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya', і: 'i', ї: 'yi',
  є: 'ye', ґ: 'g', ў: 'u', ј: 'j', љ: 'lj', њ: 'nj', ћ: 'c', ђ: 'dj', џ: 'dz', ѓ: 'g', ќ: 'k',
};

/**
 * Romanises Cyrillic letter by letter (a BGN/PCGN-like scheme). Schemes differ in detail ("kh" or
 * "h", "y" or "j"); the fuzzy title comparison absorbs that, so one scheme suffices.
 * Returns `null` when the text has no Cyrillic.
 */
export function transliterateCyrillic(normalized: string): string | null {
  if (!/\p{Script=Cyrillic}/u.test(normalized)) return null;
  let out = '';
  for (const ch of normalized) out += CYRILLIC[ch] ?? ch;
  return out;
}

/** Strips a leading English article: "The Eagles" and "Eagles" are one band. */
export function withoutArticle(normalized: string): string {
  return normalized.replace(/^the /, '');
}
