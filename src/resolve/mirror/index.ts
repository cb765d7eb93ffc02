/**
 * The mirror (`spence/mirror`): metadata-only tracks (Spotify, Apple Music, Deezer) played through
 * a matching recording of another provider (YouTube, with `Node`'s defaults), and the scoring
 * matcher that judges the candidates. Pure of any specific provider: the node injects the
 * searches. A node mirrors by itself (`node.mirror`, `node.pinMirror`); this entry is for tools
 * that match catalogues offline, use their own search, or tune the matcher.
 *
 * @module spence/mirror
 */

export { Mirror, DEFAULT_MIRROR_TTL_MS, DEFAULT_NO_MATCH_TTL_MS } from './mirror.js';
export { MemoryMirrorStore } from './memory-store.js';
export type { MemoryMirrorStoreOptions } from './memory-store.js';
export { candidateSourceFromSearch, trackToCandidate, trackToMatchQuery } from './candidates.js';
export type { SearchCandidateSourceOptions } from './candidates.js';
export type {
  CandidateSource,
  MirrorCandidate,
  MirrorEntry,
  MirrorMatch,
  MirrorOptions,
  MirrorStore,
  MirrorTarget,
  MirrorableTrack,
  SearchOptions,
} from './types.js';

// The matcher
export { DEFAULT_MIN_SCORE, explainCandidates, pickMatch, rankCandidates } from '../matcher/index.js';
export type { MatchCandidate, MatchQuery, MatchResult, PickOptions, ScoreExplanation, ScoredCandidate } from '../matcher/index.js';
