/**
 * Artist names: matching a metadata service's artist against YouTube's candidate artists, channel
 * names ("TheWeekndVEVO", "LiSA Official YouTube", "Eagles - Topic") and names inside titles.
 *
 * @module
 */
import Fuse from 'fuse.js';
import { compact, normalizeText, transliterateCyrillic, withoutArticle } from './normalize.js';
import { containsPhrase, levenshteinRatio } from './similarity.js';

/** An artist name in the forms the comparisons need. */
export interface ArtistName {
  readonly raw: string;
  /** Normalised, words separated by spaces. */
  readonly norm: string;
  /** Normalised without a leading "the". */
  readonly bare: string;
  /** `bare` without spaces. */
  readonly key: string;
  /** Romanised form when the name is Cyrillic. */
  readonly translit: string | null;
}

/** Builds the comparable forms of one name. */
export function artistName(raw: string): ArtistName {
  const norm = normalizeText(raw);
  const bare = withoutArticle(norm);
  const translit = transliterateCyrillic(bare);
  return { raw, norm, bare, key: compact(bare), translit: translit === null ? null : compact(translit) };
}

/** True when two names denote the same artist (spacing, articles, accents and typos aside). */
export function sameArtist(a: ArtistName, b: ArtistName): boolean {
  if (a.key === '' || b.key === '') return false;
  if (a.key === b.key) return true;
  if (a.translit !== null && a.translit === b.key) return true;
  if (b.translit !== null && b.translit === a.key) return true;
  // One slip in a long name ("Beyonce" / "Beyoncé" is already folded; "Guns N' Roses" / "Guns N Roses").
  return Math.min(a.key.length, b.key.length) >= 6 && levenshteinRatio(a.key, b.key) >= 0.88;
}

/** Words channel names add to an artist's name. */
const CHANNEL_AFFIXES = [
  'officialyoutubechannel', 'officialchannel', 'official', 'officiel', 'oficial', 'vevo', 'topic',
  'channel', 'youtube', 'music', 'musica', 'tv', 'band', 'hq', 'hd', 'archive', 'videos', 'the',
];

function onlyAffixes(rest: string): boolean {
  let s = rest;
  while (s !== '') {
    const affix = CHANNEL_AFFIXES.find((a) => s.startsWith(a));
    if (affix === undefined) return false;
    s = s.slice(affix.length);
  }
  return true;
}

/** The channel name as an artist name: " - Topic" and the like removed. */
export function channelKey(author: string): string {
  return compact(normalizeText(author.replace(/\s*-\s*topic\s*$/i, '')));
}

/**
 * True when a channel belongs to the artist: its name is the artist's name plus channel words
 * ("JohnnyCashVEVO", "Queen Official", "LiSA Official YouTube"). Not a bare substring test:
 * "Queen Latifah" is not Queen's channel.
 */
export function channelIsArtist(author: string, artist: ArtistName): boolean {
  // "Ayase / YOASOBI": a channel shared by several names.
  const pieces = author.split(/\s*[/,&×]\s*/).filter((p) => p.trim() !== '');
  if (pieces.length > 1 && pieces.some((p) => channelIsArtist(p, artist))) return true;
  const key = channelKey(author);
  if (key === '' || artist.key === '') return false;
  for (const name of new Set([artist.key, compact(artist.norm), artist.translit ?? ''])) {
    if (name === '') continue;
    const at = key.indexOf(name);
    if (at < 0) continue;
    if (onlyAffixes(key.slice(0, at)) && onlyAffixes(key.slice(at + name.length))) return true;
  }
  return sameArtist(artistName(author.replace(/\s*-\s*topic\s*$/i, '')), artist);
}

/**
 * True when the artist's name occurs in a normalised title: as words, run together in a long
 * name ("thekidlaroi"), romanised, or (for names of 8+ letters) with a typo, found by fuse.js's
 * approximate substring search.
 */
export function nameInText(text: string, artist: ArtistName): boolean {
  if (artist.key === '') return false;
  if (containsPhrase(text, artist.norm) || containsPhrase(text, artist.bare)) return true;
  const flat = compact(text);
  if (artist.key.length >= 6 && flat.includes(artist.key)) return true;
  if (artist.translit !== null && artist.translit.length >= 3 && flat.includes(artist.translit)) return true;
  if (artist.key.length >= 8) {
    const fuse = new Fuse([flat], { includeScore: true, ignoreLocation: true, threshold: 0.12, minMatchCharLength: artist.key.length - 1 });
    return fuse.search(artist.key).length > 0;
  }
  return false;
}

/** Channels that are labels or distributors: verified, yet not the performer. */
export function looksLikeLabel(author: string): boolean {
  return /\b(?:records?|recordings|music|musique|entertainment|ent|label|productions?|studios?|media|group|classics|publishing|films?|official)\b/.test(normalizeText(author));
}
