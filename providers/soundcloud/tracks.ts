/**
 * api-v2 objects (only the fields read) and their conversion to tracks.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';
import { trackIdentifier } from './urls.js';

/** One way SoundCloud serves a track's audio (`media.transcodings[]`). */
export interface ScTranscoding {
  /** An api-v2 URL that answers `{ "url": <stream or playlist URL> }`. */
  url: string;
  preset?: string;
  duration?: number;
  /** True for a 30-second preview (tracks of SoundCloud Go+ for listeners without it). */
  snipped?: boolean;
  format?: { protocol?: string; mime_type?: string };
  quality?: string;
  /** Present on DRM-protected transcodings. */
  drm?: unknown;
}

/**
 * A track. Playlists list their first few tracks in full and the rest as `{ id, kind, policy }`
 * only (see `isFullTrack`).
 */
export interface ScTrack {
  id: number;
  kind?: string;
  title?: string;
  duration?: number;
  full_duration?: number;
  permalink_url?: string;
  artwork_url?: string | null;
  secret_token?: string | null;
  streamable?: boolean;
  /** `ALLOW`, `MONETIZE`, `SNIP` (preview only) or `BLOCK` (not in this region). */
  policy?: string;
  monetization_model?: string;
  track_authorization?: string;
  media?: { transcodings?: ScTranscoding[] };
  user?: { username?: string; avatar_url?: string | null; permalink_url?: string };
  publisher_metadata?: { artist?: string; album_title?: string; isrc?: string } | null;
}

/** A playlist or album (`kind: "playlist"`). */
export interface ScPlaylist {
  id: number;
  kind?: string;
  title?: string;
  permalink_url?: string;
  secret_token?: string | null;
  track_count?: number;
  artwork_url?: string | null;
  tracks?: ScTrack[];
}

/** A search page: `/search/tracks`. */
export interface ScCollection<T> {
  collection?: T[];
  next_href?: string | null;
}

/** True when the entry carries the track's metadata, not just its ID. */
export function isFullTrack(track: ScTrack): boolean {
  return typeof track.title === 'string' && track.user !== undefined;
}

/**
 * Why the track cannot be played here, or null. `BLOCK` is SoundCloud's region lock; `SNIP` (or
 * only snipped transcodings) means only a 30-second preview is served to this client.
 */
export function unplayableReason(track: ScTrack): string | null {
  if (track.policy === 'BLOCK') return 'it is geo-blocked: SoundCloud does not stream it in this region (policy BLOCK)';
  const transcodings = track.media?.transcodings;
  const allSnipped = transcodings !== undefined && transcodings.length > 0 && transcodings.every((t) => t.snipped === true);
  if (track.policy === 'SNIP' || allSnipped) return 'it is preview-only (snipped): SoundCloud serves a 30-second preview of this SoundCloud Go+ track, not the track';
  if (track.streamable === false) return 'it is not streamable (the uploader turned streaming off)';
  return null;
}

/** The largest artwork (`-large` is 100 px; `-t500x500` is what the web player shows). */
function artwork(track: ScTrack): string | undefined {
  const url = track.artwork_url ?? track.user?.avatar_url ?? undefined;
  return url ? url.replace(/-large(\.\w+)(\?|$)/, '-t500x500$1$2') : undefined;
}

/** Builds a track from a full entry. */
export function toTrack(item: ScTrack, context: ProviderContext): Track {
  const author = item.user?.username ?? item.publisher_metadata?.artist ?? 'Unknown artist';
  const artist = item.publisher_metadata?.artist;
  const album = item.publisher_metadata?.album_title;
  const isrc = item.publisher_metadata?.isrc;
  const artworkUrl = artwork(item);
  // A snipped track's `duration` is the preview's; `full_duration` is the track's.
  const length = item.policy === 'SNIP' ? (item.full_duration ?? item.duration) : (item.duration ?? item.full_duration);
  return context.createTrack({
    source: 'soundcloud',
    identifier: trackIdentifier(item.id, item.secret_token),
    uri: item.permalink_url ?? `https://api.soundcloud.com/tracks/${item.id}`,
    title: item.title ?? '',
    author,
    ...(artist ? { artists: [artist] } : {}),
    ...(album ? { album } : {}),
    durationMs: typeof length === 'number' && length > 0 ? length : null,
    ...(isrc && /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/i.test(isrc) ? { isrc: isrc.toUpperCase() } : {}),
    ...(artworkUrl ? { artworkUrl } : {}),
    isStream: false,
    isSeekable: true,
  });
}
