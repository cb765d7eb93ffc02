/**
 * Reading one candidate against the analysed source: which piece of its title is the title, which
 * version tags it carries, and what it says about the artist.
 *
 * @module
 */
import { artistName, channelIsArtist, looksLikeLabel, nameInText, sameArtist } from './artist.js';
import { normalizeText, scriptsOf } from './normalize.js';
import { containsPhrase, removePhrase, textSimilarity } from './similarity.js';
import { titleCredits, withoutKey, type SourceInfo } from './source.js';
import { splitNames, type ParsedTitle } from './title.js';
import type { MatchCandidate } from './types.js';
import { detectTags, EFFECT_KINDS, isNeutral, stripNeutral, type VersionTag } from './version-tags.js';

/** How well the candidate's title carries the source title. */
export interface TitleMatch {
  /** Best similarity in [0, 1]; meaningless when `crossScript`. */
  readonly similarity: number;
  /** Index of the dash part that holds the title, or null when it was a bracket or the whole. */
  readonly part: number | null;
  /** The source title is only in a script the candidate title does not use: no comparison. */
  readonly crossScript: boolean;
}

/** Removes the source's artist names, and a dangling "by", from a normalised text. */
function withoutArtists(src: SourceInfo, text: string): string {
  let out = text;
  for (const a of src.artists) out = removePhrase(removePhrase(out, a.norm), a.bare);
  return out.replace(/^by\b|\bby$/g, '').trim();
}

/** Every way to read a piece of the candidate title as a title. */
function readings(src: SourceInfo, text: string): string[] {
  const neutral = stripNeutral(text);
  const bare = withoutArtists(src, neutral);
  const untagged = detectTags(bare).rest;
  return [...new Set([text, neutral, withoutArtists(src, text), bare, untagged, withoutKey(untagged)])].filter((t) => t !== '');
}

const ROMAN: Readonly<Record<string, string>> = { ii: '2', iii: '3', iv: '4', vi: '6', vii: '7', viii: '8', ix: '9' };

function numbersOf(text: string): string {
  const nums = text.split(' ').map((t) => (/^\d+$/.test(t) ? String(Number(t)) : ROMAN[t])).filter((t) => t !== undefined);
  return [...new Set(nums)].sort().join(',');
}

/**
 * Numbers tell sequels and movements apart ("No. 1" / "No. 3", "Part 2"), yet a one-character
 * difference barely moves a character ratio: a disagreement costs a third.
 */
function numbersAgree(a: string, b: string): number {
  return numbersOf(a) === numbersOf(b) ? 1 : 0.67;
}

/** Finds the piece of the candidate title that is the source title, and how close it is. */
export function matchTitle(src: SourceInfo, parsed: ParsedTitle): TitleMatch {
  const pieces: { text: string; part: number | null }[] = [];
  parsed.parts.forEach((p, i) => pieces.push({ text: p, part: i }));
  for (const b of parsed.brackets) if (!isNeutral(b.text)) pieces.push({ text: b.text, part: null });
  for (const d of parsed.descriptions) pieces.push({ text: d, part: null });
  for (const c of parsed.colonTails) pieces.push({ text: c.text, part: c.part });
  if (parsed.parts.length > 1) pieces.push({ text: parsed.parts.join(' '), part: null });

  let best: { similarity: number; part: number | null } = { similarity: 0, part: null };
  for (const piece of pieces) {
    for (const reading of readings(src, piece.text)) {
      for (const v of src.variants) {
        const sim = textSimilarity(v.text, reading) * v.weight * numbersAgree(v.text, reading);
        if (sim > best.similarity) best = { similarity: sim, part: piece.part };
      }
    }
  }
  const candidateScripts = scriptsOf(parsed.full);
  const crossScript = src.titleScripts.size > 0 && ![...src.titleScripts].some((s) => candidateScripts.has(s));
  return { ...best, crossScript };
}

/**
 * The candidate's version tags. The source's own title and artist words are removed first, so
 * "Live Forever" or a band called "Live" is not a live version.
 */
export function candidateTags(src: SourceInfo, parsed: ParsedTitle, author: string, authorIsArtist: boolean): VersionTag[] {
  const tags: VersionTag[] = [];
  for (const segment of [...parsed.parts, ...parsed.brackets.map((b) => b.text), ...parsed.descriptions]) {
    let text = segment;
    for (const phrase of src.ownPhrases) text = removePhrase(text, phrase);
    // Artist names stay unless they read as a tag themselves (a band called "Live"): "Skrillex"
    // in "Skrillex Remix" is the remix's qualifier.
    tags.push(...detectTags(text).tags);
  }
  // "sped up nightcore" uploads "Blinding Lights" with a plain title: the channel says what it is.
  if (!authorIsArtist && !tags.some((t) => EFFECT_KINDS.has(t.kind))) {
    tags.push(...detectTags(normalizeText(author)).tags.filter((t) => EFFECT_KINDS.has(t.kind)));
  }
  return tags;
}

/** True when `piece` is exactly the last name of a multi-word artist name, and not a short one. */
function isSurname(piece: string, artist: { readonly norm: string }): boolean {
  const words = artist.norm.split(' ');
  const last = words[words.length - 1] ?? '';
  return words.length >= 2 && last.length >= 4 && piece === last;
}

/** What the candidate says about who performs it. */
export interface ArtistEvidence {
  readonly status: 'match' | 'unknown' | 'conflict';
  /** 1 when the main artist is found, 0.85 for another credited artist, 0.5 unknown, 0 conflict. */
  readonly score: number;
  /** The channel is one of the source's artists. */
  readonly authorIsArtist: boolean;
  /** Credited names that the source does not credit: a remix "ft. Justin Bieber", another pianist. */
  readonly extras: readonly string[];
  /** A verified artist channel that is none of the source's artists: another performer. */
  readonly otherPerformer: boolean;
  /** Names the source title credits ("feat. X") that the candidate does not mention. */
  readonly missingCredits: number;
  /** Source artists missing from a YouTube Music song's artist list. */
  readonly missingArtists: number;
  readonly notes: readonly string[];
}

/** Weighs the candidate's artists, channel and title names against the source's artists. */
export function artistEvidence(src: SourceInfo, cand: MatchCandidate, parsed: ParsedTitle, title: TitleMatch): ArtistEvidence {
  const notes: string[] = [];
  const authorMatches = src.artists.filter((a) => channelIsArtist(cand.author, a));
  const authorIsArtist = authorMatches.length > 0;
  const isTopic = /-\s*topic\s*$/i.test(cand.author);
  const isVevo = /vevo\s*$/i.test(cand.author.trim());
  const known = src.artists.flatMap((a) => [a.norm, a.bare]);
  const isKnown = (raw: string): boolean => {
    const n = artistName(raw);
    return src.artists.some((a) => sameArtist(a, n) || nameInText(n.norm, a));
  };

  const matched = new Set<string>();
  const extras: string[] = [];
  let foreign = false;
  const listed = cand.artists ?? [];
  if (listed.length > 0) {
    // A YouTube Music song's artist list is authoritative.
    for (const raw of listed.flatMap((l) => splitNames(l, known))) {
      const hits = src.artists.filter((a) => sameArtist(a, artistName(raw)));
      if (hits.length === 0) extras.push(raw);
      for (const h of hits) matched.add(h.key);
    }
    foreign = matched.size === 0;
  } else {
    for (const a of src.artists) if (nameInText(parsed.full, a)) matched.add(a.key);
    for (const a of authorMatches) matched.add(a.key);
    // Composers go by surname: "Chopin - Nocturne Op. 9 No. 2 (Rubinstein)".
    for (const piece of [...parsed.parts, ...parsed.brackets.map((b) => b.text)]) {
      for (const a of src.artists) if (isSurname(piece, a)) matched.add(a.key);
    }
    parsed.rawParts.forEach((raw, i) => {
      const part = normalizeText(raw);
      if (i === title.part || part === '' || isNeutral(part)) return;
      if (title.part === null && src.variants.some((v) => containsPhrase(part, v.text))) return;
      if (src.artists.some((a) => nameInText(part, a))) {
        for (const name of splitNames(raw, known)) if (!isKnown(name) && !isNeutral(normalizeText(name))) extras.push(name);
        return;
      }
      let rest = part;
      for (const phrase of src.ownPhrases) rest = removePhrase(rest, phrase);
      if (detectTags(rest).rest !== '') foreign = true;
    });
    // A Topic or VEVO channel, or a YouTube Music song, is its artist's own.
    const artistChannel = isTopic || isVevo || cand.kind === 'song' || (cand.verifiedArtist === true && !looksLikeLabel(cand.author));
    if (matched.size === 0 && artistChannel) foreign = true;
  }
  for (const credit of parsed.credits) if (!isKnown(credit)) extras.push(credit);

  // Classical and covers: the title names the composer, the channel is another performer. Only
  // when a credited performer is missing, since labels upload their artists' work too.
  // "Levitating (feat. DaBaby)" is not "Levitating": a credit the source names that the
  // candidate does not is a missing verse. YouTube Music lists every credited artist.
  const evidence = normalizeText(`${cand.title} ${cand.author} ${listed.join(' ')}`);
  const missingCredits = titleCredits(src.query.title).filter((c) => !containsPhrase(evidence, c));
  const missingArtists = listed.length === 0 ? 0 : src.artists.filter((a) => !matched.has(a.key)).length;
  if (missingCredits.length > 0) notes.push(`missing credits: ${missingCredits.join(', ')}`);
  const otherPerformer =
    listed.length === 0 && !authorIsArtist && matched.size > 0 && matched.size < src.artists.length &&
    (isTopic || isVevo || (cand.verifiedArtist === true && !looksLikeLabel(cand.author)));
  if (otherPerformer) notes.push(`channel "${cand.author}" is another artist`);
  if (extras.length > 0) notes.push(`extra credits: ${extras.join(', ')}`);

  if (matched.size > 0) {
    const primary = src.primary !== null && matched.has(src.primary.key);
    return { status: 'match', score: primary ? 1 : 0.85, authorIsArtist, extras, otherPerformer, missingCredits: missingCredits.length, missingArtists, notes };
  }
  // "米津玄師" against "Kenshi Yonezu": different scripts, nothing to compare.
  const srcScripts = new Set(src.artists.flatMap((a) => [...scriptsOf(a.norm)]));
  const candScripts = scriptsOf(`${parsed.full} ${cand.author} ${listed.join(' ')}`);
  const incomparable = !srcScripts.has('latin') && ![...srcScripts].some((s) => candScripts.has(s));
  if (foreign && !incomparable) return { status: 'conflict', score: 0, authorIsArtist, extras, otherPerformer, missingCredits: missingCredits.length, missingArtists, notes: [...notes, 'another artist'] };
  return { status: 'unknown', score: 0.5, authorIsArtist, extras, otherPerformer, missingCredits: missingCredits.length, missingArtists, notes: [...notes, 'artist unknown'] };
}
