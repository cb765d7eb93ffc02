/**
 * The mirror machinery: metadata-only tracks (Spotify, Apple Music, Deezer) to YouTube recordings.
 * Pure of any specific provider; the node injects the searches.
 *
 * @module
 */

export { Mirror, mirrorKeys, DEFAULT_MIRROR_TTL_MS, DEFAULT_NO_MATCH_TTL_MS } from './mirror.js';
export { MemoryMirrorStore } from './memory-store.js';
export type { MemoryMirrorStoreOptions } from './memory-store.js';
export { candidateSourceFromSearch, parseYoutubeId, trackToCandidate, trackToMatchQuery, tracksToCandidates } from './candidates.js';
export type { SearchCandidateSourceOptions } from './candidates.js';
export type { CandidateSource, MirrorEntry, MirrorMatch, MirrorOptions, MirrorStore, MirrorableTrack, SearchOptions } from './types.js';
