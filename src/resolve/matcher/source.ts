/**
 * What the matcher needs to know about the source track, computed once per query.
 *
 * @module
 */
import { artistName, sameArtist, type ArtistName } from './artist.js';
import { isNonLatin, normalizeText, scriptsOf, transliterateCyrillic, type Script } from './normalize.js';
import { parseTitle } from './title.js';
import type { MatchQuery } from './types.js';
import { detectTags, isNeutral, stripNeutral, type VersionTag } from './version-tags.js';

/** A way to write the source title, and how much a match on it is worth. */
export interface TitleVariant {
  readonly text: string;
  readonly weight: number;
}

/** The analysed source. */
export interface SourceInfo {
  readonly query: MatchQuery;
  readonly variants: readonly TitleVariant[];
  readonly tags: readonly VersionTag[];
  /** Credited artists plus names from "feat." credits in the title. */
  readonly artists: readonly ArtistName[];
  /** The main artist. */
  readonly primary: ArtistName | null;
  /** Non-Latin scripts every way of writing the title uses; empty when a Latin form exists. */
  readonly titleScripts: ReadonlySet<Script>;
  /**
   * Phrases removed from candidate text before looking for tags: the title ("Live Forever" is no
   * live version) and artist names that read as tags (a band called "Live").
   */
  readonly ownPhrases: readonly string[];
  readonly album: string | null;
}

const CORE_EFFECTS: ReadonlySet<string> = new Set(['sped', 'slowed', 'nightcore', 'daycore', '8d', 'bassboost']);

/** Analyses a query. */
export function analyzeSource(query: MatchQuery): SourceInfo {
  const parsed = parseTitle(query.title);
  const [rawCore = parsed.full, ...restParts] = parsed.parts;
  const tags: VersionTag[] = [];
  const alts: string[] = [];
  // "Blinding Lights sped up" has its effect inside the title, with no bracket or dash: the tag
  // is the source's, and the title is what is left.
  const coreTags = detectTags(rawCore).tags.filter((t) => CORE_EFFECTS.has(t.kind));
  tags.push(...coreTags);
  const core = coreTags.length > 0 ? detectTags(rawCore).rest : rawCore;
  const variants: TitleVariant[] = [{ text: core, weight: 1 }];
  const descriptors = [...restParts, ...parsed.brackets.filter((b) => !b.quoted).map((b) => b.text), ...parsed.descriptions];
  for (const d of descriptors) {
    if (isNeutral(d)) continue;
    const found = detectTags(d);
    if (found.tags.length > 0) tags.push(...found.tags);
    else alts.push(stripNeutral(d));
  }
  for (const q of parsed.brackets.filter((b) => b.quoted)) alts.push(q.text);
  if (alts.length > 0) variants.push({ text: [core, ...alts].join(' '), weight: 1 });
  for (const alt of alts) {
    // "夜に駆ける (Yoru ni Kakeru)": the bracket is the same title in another script.
    const otherScript = isNonLatin(alt) !== isNonLatin(core);
    // In the same script it is a subtitle or a film ("From 'Frozen'"): not the title on its own.
    variants.push({ text: alt, weight: otherScript ? 1 : 0.75 });
  }
  const movement = movementTitle(parsed.rawParts[0] ?? '');
  if (movement !== null && movement !== core) variants.push({ text: movement, weight: 0.92 });
  for (const v of [...variants]) {
    // "Nocturne in E-Flat Major, Op. 9 No. 2" is uploaded as "Nocturne Op. 9 No. 2".
    const keyless = withoutKey(v.text);
    if (keyless !== v.text && keyless !== '') variants.push({ text: keyless, weight: v.weight });
  }
  for (const v of [...variants]) {
    const t = transliterateCyrillic(v.text);
    if (t !== null) variants.push({ text: t, weight: v.weight });
  }

  const artists: ArtistName[] = [];
  for (const raw of [...query.artists, ...parsed.credits]) {
    const name = artistName(raw);
    if (name.key !== '' && !artists.some((a) => sameArtist(a, name))) artists.push(name);
  }

  const titleScripts = new Set<Script>();
  if (variants.every((v) => isNonLatin(v.text) || transliterated(v.text, variants))) {
    for (const v of variants) for (const s of scriptsOf(v.text)) if (s !== 'latin') titleScripts.add(s);
  }

  const artistTags = artists.flatMap((a) => [a.norm, a.bare]).filter((n) => detectTags(n).tags.length > 0);
  const ownPhrases = [...new Set([...variants.map((v) => v.text), ...artistTags])]
    .filter((p) => p !== '')
    .sort((a, b) => b.length - a.length);
  return {
    query,
    variants: variants.filter((v) => v.text !== ''),
    tags,
    artists,
    primary: artists[0] ?? null,
    titleScripts,
    ownPhrases,
    album: query.album === undefined ? null : stripNeutral(normalizeText(query.album)),
  };
}

/** True when `text` is only the romanisation of another variant (not a Latin title of its own). */
function transliterated(text: string, variants: readonly TitleVariant[]): boolean {
  return variants.some((v) => v.text !== text && transliterateCyrillic(v.text) === text);
}

/** Removes a key signature ("in e flat major", "in c sharp minor") from a normalised title. */
export function withoutKey(text: string): string {
  return text.replace(/\bin [a-h](?: (?:flat|sharp|dur|moll))? (?:major|minor)\b/g, ' ').replace(/ +/g, ' ').trim();
}

/** The names the source credits in its title ("feat. X", "(with X)"), normalised. */
export function titleCredits(title: string): string[] {
  return parseTitle(title).credits.map((c) => normalizeText(c));
}

/**
 * Classical titles name the work, then the movement: "Suite bergamasque, L. 75: III. Clair de
 * lune". Uploads usually give only the movement, so it is a variant of its own.
 */
function movementTitle(rawCore: string): string | null {
  const at = rawCore.lastIndexOf(':');
  if (at < 0) return null;
  const tail = rawCore.slice(at + 1).replace(/^\s*(?:[ivxlc]+|\d+)\.\s*/i, '');
  const text = normalizeText(tail);
  return text === '' ? null : text;
}
