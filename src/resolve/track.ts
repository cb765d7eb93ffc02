/**
 * The `Track`: what a provider resolves an input to, and what a player plays.
 *
 * @module
 */

/**
 * A resolved, playable (or mirrorable) item. Plain data: it can be stored, sent between processes
 * as {@link Track.encoded}, and played much later — opening the audio is a separate step.
 */
export interface Track {
  /**
   * A compact, versioned string that encodes every other field; `node.decodeTrack(track.encoded)`
   * gives back an equal track. Store this, not the object.
   */
  readonly encoded: string;
  /** The provider that resolved the track (`'youtube'`, `'http'`, `'local'`...). */
  readonly source: string;
  /** The provider's own identifier (a video ID, a URL, a path). */
  readonly identifier: string;
  /** A URI a person could open. */
  readonly uri: string;
  /** The title. */
  readonly title: string;
  /** The author: artist, channel or uploader. */
  readonly author: string;
  /** The artists, when the provider knows them separately. */
  readonly artists?: readonly string[];
  /** The album, when known. */
  readonly album?: string;
  /** Length in milliseconds; `null` for a live stream or when unknown. */
  readonly durationMs: number | null;
  /** True for live streams (no fixed length). */
  readonly isStream: boolean;
  /** True when the track supports seeking. */
  readonly isSeekable: boolean;
  /** The ISRC, when the provider gives one. */
  readonly isrc?: string;
  /** A cover or thumbnail image URL. */
  readonly artworkUrl?: string;
}

/** The fields of a {@link Track} without `encoded`, as providers build them. */
export type TrackInfo = Omit<Track, 'encoded'>;
