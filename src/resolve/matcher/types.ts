/**
 * Public types of the mirror matcher.
 *
 * @module
 */

/** The track to mirror, as a metadata service (Spotify, Apple Music, Deezer) describes it. */
export interface MatchQuery {
  title: string;
  /** Credited artists, main artist first. */
  artists: string[];
  album?: string;
  durationMs?: number;
  isrc?: string;
  /** Whether the source is the explicit version; a "(Clean)" upload is then a different edit. */
  explicit?: boolean;
}

/** One search result: from a YouTube Music song search (`kind: 'song'`) or a video search. */
export interface MatchCandidate {
  identifier: string;
  title: string;
  /** Channel name, or the main artist for YouTube Music songs. */
  author: string;
  durationMs?: number;
  kind?: 'song' | 'video';
  /** Credited artists (YouTube Music songs). */
  artists?: string[];
  album?: string;
  /** The channel carries YouTube's verified-artist badge. */
  verifiedArtist?: boolean;
  viewCount?: number;
  /** A live stream: never a recording. */
  isStream?: boolean;
  /** The result came back from searching the source's ISRC: a hint, not a proof. */
  isrcHit?: boolean;
}

/** A candidate with its score in [0, 1]. */
export interface ScoredCandidate<C extends MatchCandidate = MatchCandidate> {
  candidate: C;
  score: number;
}

/** The result of {@link pickMatch}. */
export interface MatchResult<C extends MatchCandidate = MatchCandidate> extends ScoredCandidate<C> {
  /** Other acceptable candidates, best first: fallbacks if the pick fails to play. */
  alternates: ScoredCandidate<C>[];
}

/** Options of {@link pickMatch}. */
export interface PickOptions {
  /** The lowest score accepted; default {@link DEFAULT_MIN_SCORE}. Raise it to be stricter. */
  minScore?: number;
}

/** Why a candidate scored as it did: for logs, tests and the report script. */
export interface ScoreExplanation {
  score: number;
  /** Set when the candidate was rejected outright. */
  rejected: string | null;
  /** Component scores and penalties, for debugging. */
  parts: Record<string, number>;
  notes: string[];
}
