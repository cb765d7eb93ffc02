/**
 * The mirror matcher: given a track as a metadata service describes it and YouTube's search
 * results, find the upload that carries the same recording — or say there is none.
 *
 * Pure: no I/O, no providers. The mirror (Spotify, Apple Music, Deezer → YouTube) calls it; users
 * can call it directly.
 *
 * @module
 */
import { explainCandidate } from './score.js';
import { analyzeSource } from './source.js';
import type { MatchCandidate, MatchQuery, MatchResult, PickOptions, ScoreExplanation, ScoredCandidate } from './types.js';

export type { MatchCandidate, MatchQuery, MatchResult, PickOptions, ScoreExplanation, ScoredCandidate } from './types.js';
export { normalizeText } from './normalize.js';
export { detectTags, isNeutral, type TagKind, type VersionTag } from './version-tags.js';
export { durationBound } from './duration.js';

/**
 * The default acceptance threshold of {@link pickMatch}. Chosen so that an upload with the right
 * title and length but no artist information just passes, and one with an unexplained extra
 * credit, another performer or a 10 s difference does not: a wrong song is worse than "not found".
 */
export const DEFAULT_MIN_SCORE = 0.72;

/**
 * Scores every candidate against the query and returns the viable ones, best first. Candidates
 * rejected outright (live streams, loops, other versions, other artists, lengths outside the
 * bound) are left out. Ties keep search order.
 *
 * @param query - the source track.
 * @param candidates - search results, in the order the search ranked them.
 * @returns candidates with score in (0, 1], best first.
 */
export function rankCandidates<C extends MatchCandidate>(query: MatchQuery, candidates: C[]): ScoredCandidate<C>[] {
  const src = analyzeSource(query);
  return candidates
    .map((candidate, index) => ({ candidate, index, score: explainCandidate(src, candidate).score }))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ candidate, score }) => ({ candidate, score }));
}

/**
 * Picks the candidate that carries the query's recording, or `null` when none does well enough.
 * A bot should say "not found" on `null` rather than play something else.
 *
 * @param query - the source track.
 * @param candidates - search results (YouTube Music songs, videos, ISRC search hits).
 * @param options - `minScore` overrides {@link DEFAULT_MIN_SCORE}.
 * @returns the pick and the other candidates above the threshold, or `null`.
 */
export function pickMatch<C extends MatchCandidate>(query: MatchQuery, candidates: C[], options: PickOptions = {}): MatchResult<C> | null {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  const [best, ...rest] = rankCandidates(query, candidates).filter((c) => c.score >= minScore);
  if (best === undefined) return null;
  return { candidate: best.candidate, score: best.score, alternates: rest };
}

/**
 * Explains every candidate's score (rejection reason, component scores): for logs and debugging.
 * Same order as `candidates`.
 */
export function explainCandidates(query: MatchQuery, candidates: MatchCandidate[]): (ScoreExplanation & { candidate: MatchCandidate })[] {
  const src = analyzeSource(query);
  return candidates.map((candidate) => ({ candidate, ...explainCandidate(src, candidate) }));
}
