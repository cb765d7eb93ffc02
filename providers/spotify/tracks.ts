/**
 * Web API objects (only the fields read) and their conversion to tracks.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';

interface Image {
  url: string;
  width?: number | null;
}

/** A track object, full (`/tracks/{id}`, playlist items) or simplified (album tracks: no album, no ISRC). */
export interface SpotifyTrack {
  id: string | null;
  name: string;
  type?: string;
  uri?: string;
  duration_ms?: number;
  is_local?: boolean;
  explicit?: boolean;
  artists?: { id?: string; name?: string }[];
  album?: { name?: string; images?: Image[] };
  external_ids?: { isrc?: string };
  external_urls?: { spotify?: string };
}

/** A paging object. */
export interface SpotifyPage<T> {
  items?: T[];
  total?: number;
  next?: string | null;
  offset?: number;
  limit?: number;
}

/** One entry of a playlist: `item` since 2026, `track` before. Either may be an episode or null. */
export interface SpotifyPlaylistEntry {
  item?: SpotifyTrack | null;
  track?: SpotifyTrack | null;
  is_local?: boolean;
}

/** `/albums/{id}`. */
export interface SpotifyAlbum {
  id: string;
  name: string;
  images?: Image[];
  external_urls?: { spotify?: string };
  tracks?: SpotifyPage<SpotifyTrack>;
}

/** `/playlists/{id}`: the first page of entries under `items` (since 2026) or `tracks` (before). */
export interface SpotifyPlaylist {
  id: string;
  name: string;
  external_urls?: { spotify?: string };
  items?: SpotifyPage<SpotifyPlaylistEntry>;
  tracks?: SpotifyPage<SpotifyPlaylistEntry>;
}

/** The largest image: what a bot shows. */
export function largestImage(images: Image[] | undefined): string | undefined {
  if (!images || images.length === 0) return undefined;
  return [...images].sort((a, b) => (b.width ?? 0) - (a.width ?? 0))[0]!.url;
}

/** A playable track of a playlist entry: not an episode, not a local file, not removed. */
export function entryTrack(entry: SpotifyPlaylistEntry | null | undefined): SpotifyTrack | null {
  const track = entry?.item ?? entry?.track ?? null;
  if (!track || typeof track.id !== 'string' || typeof track.name !== 'string') return null;
  if (track.is_local || entry?.is_local || (track.type !== undefined && track.type !== 'track')) return null;
  return track;
}

/** Builds a track; `album` fills what simplified album tracks leave out. */
export function toTrack(item: SpotifyTrack, context: ProviderContext, album?: { name: string; artworkUrl?: string }): Track {
  const artists = (item.artists ?? []).map((a) => a.name).filter((n): n is string => typeof n === 'string' && n !== '');
  const albumName = item.album?.name ?? album?.name;
  const artworkUrl = largestImage(item.album?.images) ?? album?.artworkUrl;
  const isrc = item.external_ids?.isrc;
  const id = item.id!;
  return context.createTrack({
    source: 'spotify',
    identifier: id,
    uri: item.external_urls?.spotify ?? `https://open.spotify.com/track/${id}`,
    title: item.name,
    author: artists[0] ?? 'Unknown artist',
    ...(artists.length > 0 ? { artists } : {}),
    ...(albumName ? { album: albumName } : {}),
    durationMs: typeof item.duration_ms === 'number' && item.duration_ms > 0 ? item.duration_ms : null,
    ...(isrc ? { isrc: isrc.toUpperCase() } : {}),
    ...(artworkUrl ? { artworkUrl } : {}),
    isStream: false,
    isSeekable: true,
  });
}
