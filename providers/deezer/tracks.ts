/**
 * Deezer API objects (only the fields read) and their conversion to tracks.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';

/** A track as `/track/{id}` and the track lists return it. Lists omit `isrc` and `contributors`. */
export interface DeezerTrack {
  id: number;
  title: string;
  title_short?: string;
  link?: string;
  duration?: number;
  isrc?: string;
  readable?: boolean;
  artist?: { name?: string };
  contributors?: { name?: string; role?: string }[];
  album?: { title?: string; cover_xl?: string; cover_big?: string };
  type?: string;
}

/** A page of a track list (`/album/{id}/tracks`, `/playlist/{id}/tracks`). */
export interface DeezerPage {
  data?: DeezerTrack[];
  total?: number;
  next?: string;
}

/** `/album/{id}`. */
export interface DeezerAlbum {
  id: number;
  title: string;
  link?: string;
  nb_tracks?: number;
  cover_xl?: string;
  cover_big?: string;
  artist?: { name?: string };
  tracks?: DeezerPage;
}

/** `/playlist/{id}`. */
export interface DeezerPlaylist {
  id: number;
  title: string;
  link?: string;
  nb_tracks?: number;
  picture_xl?: string;
  tracks?: DeezerPage;
}

/** Builds a track; `album` fills what album track lists leave out. */
export function toTrack(item: DeezerTrack, context: ProviderContext, album?: { title: string; artworkUrl?: string }): Track {
  const main = item.artist?.name ?? '';
  // Contributors come only with /track/{id}: main and featured artists, main first.
  const credited = (item.contributors ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string' && n !== '');
  const artists = credited.length > 0 ? [...new Set(credited)] : main ? [main] : [];
  const albumTitle = item.album?.title ?? album?.title;
  const artworkUrl = item.album?.cover_xl ?? item.album?.cover_big ?? album?.artworkUrl;
  return context.createTrack({
    source: 'deezer',
    identifier: String(item.id),
    uri: item.link ?? `https://www.deezer.com/track/${item.id}`,
    title: item.title,
    author: main || artists[0] || 'Unknown artist',
    ...(artists.length > 0 ? { artists } : {}),
    ...(albumTitle ? { album: albumTitle } : {}),
    durationMs: typeof item.duration === 'number' && item.duration > 0 ? item.duration * 1000 : null,
    ...(item.isrc ? { isrc: item.isrc } : {}),
    ...(artworkUrl ? { artworkUrl } : {}),
    isStream: false,
    isSeekable: true,
  });
}

/** Track list entries that are tracks (playlists can hold episodes, which have no recording to mirror). */
export function isTrack(item: DeezerTrack | null | undefined): item is DeezerTrack {
  return item !== null && item !== undefined && typeof item.id === 'number' && typeof item.title === 'string' && (item.type === undefined || item.type === 'track');
}
