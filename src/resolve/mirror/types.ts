/**
 * Public types of the mirror: what it needs injected (a {@link CandidateSource}, a {@link MirrorStore})
 * and what it answers ({@link MirrorMatch}).
 *
 * @module
 */

import type { MatchCandidate, MatchQuery, PickOptions } from '../matcher/index.js';

/** Options every search of a {@link CandidateSource} receives. */
export interface SearchOptions {
  /** Fires when every caller of the mirror has given up; pass it to the request. */
  signal: AbortSignal;
}

/**
 * Where the mirror gets YouTube candidates. The node implements it with its YouTube provider
 * (see `candidateSourceFromSearch`); tests and users can implement it directly.
 */
export interface CandidateSource {
  /** A YouTube Music song search (results are `kind: 'song'`, with artists and album when known). */
  searchSongs(query: string, options: SearchOptions): Promise<MatchCandidate[]>;
  /** A YouTube video search (results are `kind: 'video'`). */
  searchVideos(query: string, options: SearchOptions): Promise<MatchCandidate[]>;
  /**
   * A search for the recording's ISRC. The mirror marks every result `isrcHit: true` itself. Optional:
   * without it, ISRCs still key the cache but are not searched.
   */
  searchIsrc?(isrc: string, options: SearchOptions): Promise<MatchCandidate[]>;
}

/**
 * What the mirror stores per key. Plain JSON, so a shared store (Redis, a database) can keep it as
 * a string.
 */
export interface MirrorEntry {
  /** The YouTube video identifier, or `null` for "searched, nothing carries this recording". */
  youtubeId: string | null;
  /** Set by `pin`: automatic matching never overwrites a pinned entry. */
  pinned?: boolean;
  /** The matcher's score of the pick (automatic matches only). */
  score?: number;
  /** Other acceptable identifiers, best first: fallbacks if the pick fails to play. */
  alternates?: string[];
  /** When the entry was written, in ms since the epoch. */
  at: number;
}

/**
 * The mirror's cache, behind an interface so several processes can share one (Redis and the like).
 * Keys are short ASCII strings (`track:spotify:4uLU6hMCjMI75M1A2tKUQC`, `isrc:USUM71900764`);
 * prefix them yourself if the store is shared with other data. Errors thrown by a store are
 * treated as a miss (get) or ignored (set): playback should not stop because the cache is down.
 */
export interface MirrorStore {
  /** The entry under `key`, or `undefined`. */
  get(key: string): Promise<MirrorEntry | undefined>;
  /** Stores `value` under `key`; `ttlMs` undefined means no expiry (pins). */
  set(key: string, value: MirrorEntry, ttlMs?: number): Promise<void>;
  /** Removes `key`. Optional; `Mirror.forget` needs it. */
  delete?(key: string): Promise<void>;
}

/** Options for `new Mirror(...)`. */
export interface MirrorOptions {
  /** Where candidates come from. */
  source: CandidateSource;
  /** The cache; default an in-memory LRU (`MemoryMirrorStore`). */
  store?: MirrorStore;
  /** How long an automatic match is kept, in ms. Default 7 days. Pins never expire. */
  ttlMs?: number;
  /** How long "no match" is remembered, in ms, so a queue does not search the same miss on every play. Default 10 minutes; 0 disables. */
  noMatchTtlMs?: number;
  /** Options of the matcher's `pickMatch` (`minScore`). */
  match?: PickOptions;
  /** The search text for a track; default `"{main artist} - {title}"`. */
  buildQuery?(query: MatchQuery): string;
  /** Called with a store error before it is treated as a miss; default ignores it. */
  onStoreError?(error: unknown, key: string): void;
}

/** The answer of `Mirror.mirror`. */
export interface MirrorMatch {
  /** The YouTube video identifier to play. */
  youtubeId: string;
  /** `https://www.youtube.com/watch?v=...` */
  uri: string;
  /** True when the user pinned this match. */
  pinned: boolean;
  /** True when the answer came from the store without searching. */
  cached: boolean;
  /** The matcher's score, for automatic matches. */
  score?: number;
  /** Other acceptable identifiers, best first. */
  alternates: string[];
}

/** What the mirror needs of a track: the fields of `Track` it reads (any `Track` fits). */
export interface MirrorableTrack {
  readonly source: string;
  readonly identifier: string;
  readonly title: string;
  readonly author: string;
  readonly artists?: readonly string[];
  readonly album?: string;
  readonly durationMs: number | null;
  readonly isrc?: string;
}
