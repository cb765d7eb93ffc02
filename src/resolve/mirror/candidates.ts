/**
 * Conversions between tracks and the matcher's types, and a {@link CandidateSource} built from any
 * search function (the node's `resolve('ytmsearch:...')`).
 *
 * @module
 */

import type { MatchCandidate, MatchQuery } from '../matcher/index.js';
import type { LoadResult } from '../provider.js';
import type { Track } from '../track.js';
import type { CandidateSource, MirrorableTrack, SearchOptions } from './types.js';

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
 * A YouTube search result as a {@link MatchCandidate}. `kind: 'song'` for YouTube Music song
 * results (their artists and album are kept), `'video'` for video results (artists and album,
 * if any, are dropped: on a video they are guesses, and the matcher weighs songs by them).
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

/** {@link trackToCandidate} over a list, keeping search order. */
export function tracksToCandidates(tracks: readonly Track[], kind: 'song' | 'video'): MatchCandidate[] {
  return tracks.map((track) => trackToCandidate(track, kind));
}

/** Options for {@link candidateSourceFromSearch}. */
export interface SearchCandidateSourceOptions {
  /** The YouTube Music song search prefix. Default `'ytmsearch'`. */
  songPrefix?: string;
  /** The YouTube video search prefix. Default `'ytsearch'`. */
  videoPrefix?: string;
  /** The prefix the ISRC is searched on (quoted), or `null` not to search ISRCs. Default `'ytsearch'`. */
  isrcPrefix?: string | null;
  /** How many results of each search reach the matcher. Default 10. */
  limit?: number;
}

/**
 * A {@link CandidateSource} over a search function such as `(q, o) => node.resolve(q, o)`:
 * `ytmsearch:{query}` for songs, `ytsearch:{query}` for videos, `ytsearch:"{ISRC}"` for the ISRC.
 *
 * @example
 * ```ts
 * const source = candidateSourceFromSearch((input, options) => node.resolve(input, options));
 * ```
 */
export function candidateSourceFromSearch(
  search: (input: string, options: SearchOptions) => Promise<LoadResult>,
  options: SearchCandidateSourceOptions = {},
): CandidateSource {
  const songPrefix = options.songPrefix ?? 'ytmsearch';
  const videoPrefix = options.videoPrefix ?? 'ytsearch';
  const isrcPrefix = options.isrcPrefix === undefined ? 'ytsearch' : options.isrcPrefix;
  const limit = options.limit ?? 10;
  const run = async (input: string, kind: 'song' | 'video', o: SearchOptions): Promise<MatchCandidate[]> => {
    const result = await search(input, o);
    const tracks = result.type === 'search' ? result.tracks : result.type === 'track' ? [result.track] : result.type === 'playlist' ? result.playlist.tracks : [];
    return tracksToCandidates(tracks.slice(0, limit), kind);
  };
  return {
    searchSongs: (query, o) => run(`${songPrefix}:${query}`, 'song', o),
    searchVideos: (query, o) => run(`${videoPrefix}:${query}`, 'video', o),
    ...(isrcPrefix !== null
      ? { searchIsrc: (isrc: string, o: SearchOptions) => run(`${isrcPrefix}:"${isrc}"`, isrcPrefix === songPrefix ? 'song' : 'video', o) }
      : {}),
  };
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

/**
 * A YouTube video identifier from an identifier or a YouTube URL (`watch?v=`, `youtu.be/`,
 * `music.youtube.com`, `/shorts/`, `/embed/`), or `null` when it is neither.
 */
export function parseYoutubeId(input: string): string | null {
  const text = input.trim();
  if (VIDEO_ID.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase().replace(/^(www|m|music)\./, '');
  let id: string | null | undefined = null;
  if (host === 'youtu.be') id = url.pathname.split('/')[1];
  else if (host === 'youtube.com' || host === 'youtube-nocookie.com') {
    id = url.searchParams.get('v') ?? /^\/(?:shorts|embed|live|v)\/([^/]+)/.exec(url.pathname)?.[1];
  }
  return id && VIDEO_ID.test(id) ? id : null;
}
