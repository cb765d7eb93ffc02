/**
 * Scoring one candidate against the source: hard rejections first, then a weighted sum of title,
 * artist, duration, provenance, album, ISRC and popularity, times penalties.
 *
 * @module
 */
import { artistEvidence, candidateTags, matchTitle, type ArtistEvidence } from './candidate.js';
import { fitDuration } from './duration.js';
import { normalizeText } from './normalize.js';
import { textSimilarity } from './similarity.js';
import type { SourceInfo } from './source.js';
import { compareTags } from './tag-compare.js';
import { parseTitle } from './title.js';
import type { MatchCandidate, ScoreExplanation } from './types.js';

/** Weights of the components; they sum to 1. */
export const WEIGHTS = { title: 0.34, artist: 0.28, duration: 0.22, provenance: 0.1, album: 0.03, isrc: 0.02, views: 0.01 } as const;

/** Below this, a title is another song ("Stay" is not "Stay With Me"). */
export const TITLE_GATE = 0.8;
/** A title this close lets a candidate with no artist information through. */
const STRONG_TITLE = 0.9;
/** With the artist or the title unreadable, only a near-identical length vouches for the recording. */
const TIGHT_MS = 3000;
/** The title score given to a candidate whose title is in another script (unknown, not wrong). */
const CROSS_SCRIPT_TITLE = 0.72;
/** The duration multiplier at the edge of the bound (1 at the same length). */
const DURATION_FLOOR = 0.7;
/** Penalty for credits the source does not have (a remix "ft. X", another performer). */
const EXTRA_CREDIT_FACTOR = 0.6;
/** Penalty when a YouTube Music song lacks a credit the source title names (the solo version). */
const MISSING_CREDIT_SONG_FACTOR = 0.7;
/** Videos often drop the "feat." from their titles: a lighter penalty. */
const MISSING_CREDIT_VIDEO_FACTOR = 0.85;
/** Penalty when a YouTube Music song's artist list lacks one of the source's artists. */
const MISSING_ARTIST_FACTOR = 0.85;
/** Penalty when a verified channel of another artist uploads it (a different performance). */
const OTHER_PERFORMER_FACTOR = 0.75;

function reject(reason: string, parts: Record<string, number> = {}, notes: string[] = []): ScoreExplanation {
  return { score: 0, rejected: reason, parts, notes };
}

/** Scores a candidate, with the reasons. */
export function explainCandidate(src: SourceInfo, cand: MatchCandidate): ScoreExplanation {
  if (cand.isStream === true) return reject('live stream');
  const parsed = parseTitle(cand.title);
  const title = matchTitle(src, parsed);
  const artist = artistEvidence(src, cand, parsed, title);
  const fit = fitDuration(src.query.durationMs, cand.durationMs);
  const tags = candidateTags(src, parsed, cand.author, artist.authorIsArtist);
  const verdict = compareTags(src.tags, tags, { deltaMs: fit?.deltaMs, explicit: src.query.explicit });
  const parts: Record<string, number> = { title: round(title.similarity), artist: artist.score };
  if (fit !== null) parts.deltaS = fit.deltaMs / 1000;
  const notes = [...artist.notes, ...verdict.notes];
  if (title.crossScript) notes.push('title in another script');

  if (fit !== null && !fit.withinBound) return reject(`duration off by ${fit.deltaMs / 1000}s`, parts, notes);
  if (verdict.reject !== null) return reject(verdict.reject, parts, notes);
  if (artist.status === 'conflict') return reject('another artist', parts, notes);
  const gate = gateTitleAndArtist(title.similarity, title.crossScript, artist, fit?.deltaMs, src.query.durationMs);
  if (gate !== null) return reject(gate, parts, notes);

  const titleScore = title.similarity >= TITLE_GATE ? title.similarity : CROSS_SCRIPT_TITLE;
  const durationScore = fit?.score ?? 0.5;
  const provenance = provenanceScore(cand, artist);
  const album = albumScore(src, cand);
  const isrc = cand.isrcHit === true ? 1 : 0.5;
  const views = cand.viewCount !== undefined && cand.viewCount > 0 ? Math.min(1, Math.log10(cand.viewCount + 1) / 10) : 0;
  let score =
    WEIGHTS.title * titleScore + WEIGHTS.artist * artist.score + WEIGHTS.duration * durationScore +
    WEIGHTS.provenance * provenance + WEIGHTS.album * album + WEIGHTS.isrc * isrc + WEIGHTS.views * views;
  // Length is also a multiplier: title, artist and provenance alone must not carry a candidate
  // whose length is near the edge of the bound (a music video with a long intro).
  if (fit !== null) score *= DURATION_FLOOR + (1 - DURATION_FLOOR) * fit.score;
  score *= verdict.factor;
  if (artist.extras.length > 0) score *= EXTRA_CREDIT_FACTOR;
  if (artist.otherPerformer) score *= OTHER_PERFORMER_FACTOR;
  if (artist.missingCredits > 0) score *= cand.kind === 'song' ? MISSING_CREDIT_SONG_FACTOR : MISSING_CREDIT_VIDEO_FACTOR;
  else if (artist.missingArtists > 0) score *= MISSING_ARTIST_FACTOR;
  Object.assign(parts, { duration: round(durationScore), provenance, album, tagFactor: round(verdict.factor) });
  return { score: round(Math.min(1, Math.max(0, score))), rejected: null, parts, notes };
}

/** The evidence a candidate needs before it is scored at all; a reason when it falls short. */
function gateTitleAndArtist(
  similarity: number, crossScript: boolean, artist: ArtistEvidence, deltaMs: number | undefined, sourceMs: number | undefined,
): string | null {
  const tight = deltaMs !== undefined && deltaMs <= TIGHT_MS;
  if (similarity < TITLE_GATE) {
    if (!crossScript) return 'another title';
    // The title cannot be read: the artist and a near-identical length must carry it.
    if (artist.status !== 'match' || !tight) return 'title in another script, not vouched for';
    return null;
  }
  if (artist.status === 'unknown') {
    if (similarity < STRONG_TITLE || !tight) return 'artist unknown, not vouched for';
  }
  if (deltaMs === undefined && sourceMs !== undefined && sourceMs > 0) {
    // The candidate's length is unknown: title and artist must both be certain.
    if (artist.status !== 'match' || similarity < STRONG_TITLE) return 'length unknown';
  }
  return null;
}

/** Where the upload comes from: YouTube Music songs and artist channels carry the released audio. */
function provenanceScore(cand: MatchCandidate, artist: ArtistEvidence): number {
  if (cand.kind === 'song') return 1;
  if (/-\s*topic\s*$/i.test(cand.author)) return 0.95;
  const official = cand.verifiedArtist === true || /vevo\s*$/i.test(cand.author.trim());
  const audioOnly = /\b(?:official )?audio\b/.test(normalizeText(cand.title));
  if (artist.authorIsArtist && official) return audioOnly ? 0.9 : 0.85;
  if (artist.authorIsArtist) return 0.75;
  if (official) return 0.6;
  return 0.45;
}

function albumScore(src: SourceInfo, cand: MatchCandidate): number {
  if (src.album === null || cand.album === undefined) return 0.6;
  // Compilations and singles differ from the source album often; a mismatch is weak evidence.
  return textSimilarity(src.album, normalizeText(cand.album)) >= 0.85 ? 1 : 0.3;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
