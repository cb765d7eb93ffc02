/**
 * Conversions between tracks and the matcher's types, and a {@link CandidateSource} built from any
 * search function (a node's `resolve('ytmsearch:...')`).
 *
 * @module
 */

import type { MatchCandidate, MatchQuery } from '../matcher/index.js';
import type { LoadResult } from '../provider.js';
import type { Track } from '../track.js';
import type { CandidateSource, MirrorCandidate, MirrorableTrack, SearchOptions } from './types.js';

/** The matcher's view of a metadata track (Spotify, Apple Music, Deezer). */
export function trackToMatchQuery(track: MirrorableTrack): MatchQuery {
  const artists = track.artists && track.artists.length > 0 ? [...track.artists] : track.author ? [track.author] : [];
  return {
    title: track.title,
    artists,
    ...(track.album ? { album: track.album } : {}),
    ...(track.durationMs !== null && track.durationMs > 0 ? { durationMs: track.durationMs } : {}),
    ...(track.isrc ? { isrc: track.isrc } : {}),
  };
}

/**
 * A search result as a {@link MatchCandidate}. `kind: 'song'` for song results (YouTube Music's:
 * their artists and album are kept), `'video'` for video results (artists and album, if any, are
 * dropped: on a video they are guesses, and the matcher weighs songs by them).
 */
export function trackToCandidate(track: Track, kind: 'song' | 'video'): MatchCandidate {
  return {
    identifier: track.identifier,
    title: track.title,
    author: track.author,
    kind,
    isStream: track.isStream,
    ...(track.durationMs !== null && track.durationMs > 0 ? { durationMs: track.durationMs } : {}),
    ...(kind === 'song' && track.artists && track.artists.length > 0 ? { artists: [...track.artists] } : {}),
    ...(kind === 'song' && track.album ? { album: track.album } : {}),
  };
}

/**
 * Options for {@link candidateSourceFromSearch}: the search prefixes the candidates come from.
 * `Node`'s mirror searches YouTube: `{ songPrefix: 'ytmsearch', videoPrefix: 'ytsearch' }`
 * (`DEFAULT_MIRROR_SEARCH`).
 */
export interface SearchCandidateSourceOptions {
  /** The song search prefix (YouTube Music's is `'ytmsearch'`). */
  songPrefix: string;
  /** The video search prefix (YouTube's is `'ytsearch'`). */
  videoPrefix: string;
  /** The prefix the ISRC is searched on (quoted), or `null` not to search ISRCs. Default: `videoPrefix`. */
  isrcPrefix?: string | null;
  /** How many results of each search reach the matcher. Default 10. */
  limit?: number;
}

/**
 * A {@link CandidateSource} over a search function such as `(q, o) => node.resolve(q, o)`:
 * `{songPrefix}:{query}` for songs, `{videoPrefix}:{query}` for videos, `{isrcPrefix}:"{ISRC}"`
 * for the ISRC. Each candidate names the track it came from (`source`, `identifier`).
 *
 * @example
 * ```ts
 * const source = candidateSourceFromSearch((input, options) => node.resolve(input, options), {
 *   songPrefix: 'ytmsearch',
 *   videoPrefix: 'ytsearch',
 * });
 * ```
 */
export function candidateSourceFromSearch(
  search: (input: string, options: SearchOptions) => Promise<LoadResult>,
  options: SearchCandidateSourceOptions,
): CandidateSource {
  const { songPrefix, videoPrefix } = options;
  const isrcPrefix = options.isrcPrefix === undefined ? videoPrefix : options.isrcPrefix;
  const limit = options.limit ?? 10;
  const run = async (input: string, kind: 'song' | 'video', o: SearchOptions): Promise<MirrorCandidate[]> => {
    const result = await search(input, o);
    const tracks = result.type === 'search' ? result.tracks : result.type === 'track' ? [result.track] : result.type === 'playlist' ? result.playlist.tracks : [];
    return tracks.slice(0, limit).map((track) => ({ ...trackToCandidate(track, kind), source: track.source }));
  };
  return {
    searchSongs: (query, o) => run(`${songPrefix}:${query}`, 'song', o),
    searchVideos: (query, o) => run(`${videoPrefix}:${query}`, 'video', o),
    ...(isrcPrefix !== null
      ? { searchIsrc: (isrc: string, o: SearchOptions) => run(`${isrcPrefix}:"${isrc}"`, isrcPrefix === songPrefix ? 'song' : 'video', o) }
      : {}),
  };
}
