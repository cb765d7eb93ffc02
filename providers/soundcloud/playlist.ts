/**
 * Playlists and albums: api-v2 lists the first few tracks in full and the rest as IDs only; those
 * are fetched with `/tracks?ids=` in batches of 50 (the most the endpoint takes), in order.
 *
 * @module
 */

import type { Playlist, ProviderContext } from '../../src/provider-kit.js';
import { getJson } from './api.js';
import type { ApiSettings } from './api.js';
import type { ScPlaylist, ScTrack } from './tracks.js';
import { isFullTrack, toTrack, unplayableReason } from './tracks.js';

/** The most IDs `/tracks?ids=` answers at once. */
export const IDS_BATCH = 50;

/** Fills in a playlist's ID-only entries, batch by batch; entries SoundCloud no longer returns are left out. */
export async function fullTracks(settings: ApiSettings, playlist: ScPlaylist, context: ProviderContext, maxTracks: number): Promise<ScTrack[]> {
  const entries = (playlist.tracks ?? []).filter((t) => typeof t?.id === 'number').slice(0, maxTracks);
  const missing = entries.filter((t) => !isFullTrack(t)).map((t) => t.id);
  const found = new Map<number, ScTrack>();
  for (let i = 0; i < missing.length; i += IDS_BATCH) {
    const ids = missing.slice(i, i + IDS_BATCH);
    // A private playlist's tracks are readable with the playlist's id and secret token.
    const secret = playlist.secret_token ? { playlistId: playlist.id, playlistSecretToken: playlist.secret_token } : {};
    const batch = await getJson<ScTrack[]>(settings, '/tracks', { ids: ids.join(','), ...secret }, context, `tracks ${i + 1}-${i + ids.length} of playlist ${playlist.id}`);
    for (const track of Array.isArray(batch) ? batch : []) if (typeof track?.id === 'number') found.set(track.id, track);
  }
  return entries.map((t) => (isFullTrack(t) ? t : found.get(t.id))).filter((t): t is ScTrack => t !== undefined && isFullTrack(t));
}

/**
 * The playlist as spence's {@link Playlist}. Tracks that cannot be played here (geo-blocked,
 * preview-only) are left out, as a player would skip them anyway.
 */
export async function loadPlaylist(settings: ApiSettings, playlist: ScPlaylist, context: ProviderContext, maxTracks: number): Promise<Playlist> {
  const tracks = await fullTracks(settings, playlist, context, maxTracks);
  return {
    name: playlist.title ?? '',
    ...(playlist.permalink_url ? { uri: playlist.permalink_url } : {}),
    tracks: tracks.filter((t) => unplayableReason(t) === null).map((t) => toTrack(t, context)),
  };
}
