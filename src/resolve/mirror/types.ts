/**
 * Public types of the mirror: what it needs injected (a {@link CandidateSource}, a {@link MirrorStore})
 * and what it answers ({@link MirrorMatch}). The mirror knows no provider: it finds a
 * {@link MirrorTarget}, a track of whichever provider the candidates came from.
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
 * What a metadata-only track plays through: a track of another provider, named by the provider
 * (`track.source`) and its identifier there (`track.identifier`), e.g.
 * `{ source: 'youtube', identifier: 'dQw4w9WgXcQ' }`. The node opens it through that provider.
 */
export interface MirrorTarget {
  /** The provider's name. */
  source: string;
  /** The provider's identifier of the track. */
  identifier: string;
}

/** A search result the mirror can pick: a candidate for the matcher, and the track it names. */
export interface MirrorCandidate extends MatchCandidate {
  /** The provider the result came from (`track.source`); with `identifier`, the {@link MirrorTarget}. */
  source: string;
}

/**
 * Where the mirror gets candidates. `Node` searches YouTube through its own providers (see
 * `candidateSourceFromSearch`); tests and users can implement it directly.
 */
export interface CandidateSource {
  /** A song search, e.g. YouTube Music's (results are `kind: 'song'`, with artists and album when known). */
  searchSongs(query: string, options: SearchOptions): Promise<MirrorCandidate[]>;
  /** A video search (results are `kind: 'video'`). */
  searchVideos(query: string, options: SearchOptions): Promise<MirrorCandidate[]>;
  /**
   * A search for the recording's ISRC. The mirror marks every result `isrcHit: true` itself. Optional:
   * without it, ISRCs still key the cache but are not searched.
   */
  searchIsrc?(isrc: string, options: SearchOptions): Promise<MirrorCandidate[]>;
}

/**
 * What the mirror stores per key. Plain JSON, so a shared store (Redis, a database) can keep it as
 * a string. (Entries written by spence 0.1, `{ youtubeId, alternates: string[] }`, are still read:
 * as YouTube targets.)
 */
export interface MirrorEntry {
  /** The track that carries the recording, or `null` for "searched, nothing carries this recording". */
  target: MirrorTarget | null;
  /** Set by `pin`: automatic matching never overwrites a pinned entry. */
  pinned?: boolean;
  /** The matcher's score of the pick (automatic matches only). */
  score?: number;
  /** Other acceptable targets, best first: fallbacks if the pick fails to play. */
  alternates?: MirrorTarget[];
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
  /** The track to play. */
  target: MirrorTarget;
  /** True when the user pinned this match. */
  pinned: boolean;
  /** True when the answer came from the store without searching. */
  cached: boolean;
  /** The matcher's score, for automatic matches. */
  score?: number;
  /** Other acceptable targets, best first. */
  alternates: MirrorTarget[];
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
