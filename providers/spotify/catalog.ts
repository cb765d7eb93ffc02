/**
 * The Web API's catalogue behind the `spotify` provider: tracks, albums, playlists (paged, a few
 * pages at a time) and artists' top tracks, mapped to metadata-only tracks. Loaded on the
 * provider's first resolve.
 *
 * @module
 */

import { mapLimit } from '../../src/provider-kit.js';
import type { LoadResult, ProviderContext } from '../../src/provider-kit.js';
import { getJson } from './http.js';
import type { ApiSettings } from './http.js';
import type { SpotifyRef } from './links.js';
import { SpotifyTokens } from './token.js';
import { entryTrack, largestImage, toTrack } from './tracks.js';
import type { SpotifyAlbum, SpotifyPage, SpotifyPlaylist, SpotifyPlaylistEntry, SpotifyTrack } from './tracks.js';

const PLAYLIST_PAGE = 100;
const ALBUM_PAGE = 50;

/** The provider options the catalogue reads (documented on `SpotifyProviderOptions`). */
export interface CatalogOptions {
  market?: string | undefined;
  maxTracks?: number | undefined;
  pageConcurrency?: number | undefined;
  maxRetryWaitMs?: number | undefined;
  apiBase?: string | undefined;
}

/** Loads what a {@link SpotifyRef} names. */
export type SpotifyCatalog = (ref: SpotifyRef, context: ProviderContext) => Promise<LoadResult>;

/** The catalogue of one provider: its settings, and app credentials (read when the provider was made). */
export function spotifyCatalog(options: CatalogOptions, credentials: { clientId: string | undefined; clientSecret: string | undefined }): SpotifyCatalog {
  const settings: ApiSettings = {
    apiBase: (options.apiBase ?? 'https://api.spotify.com/v1').replace(/\/+$/, ''),
    tokens: new SpotifyTokens(credentials.clientId, credentials.clientSecret),
    maxRetryWaitMs: options.maxRetryWaitMs ?? 2_000,
  };
  const maxTracks = options.maxTracks ?? 10_000;
  const concurrency = Math.max(1, options.pageConcurrency ?? 4);
  const query = (params: Record<string, string | number | undefined>): string => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return text ? `?${text}` : '';
  };

  /** Pages from `have` to `total` (bounded by maxTracks), `concurrency` at a time, in order. */
  async function restOf<T>(path: string, pageSize: number, have: number, total: number, context: ProviderContext, what: string, restricted: boolean): Promise<T[]> {
    const offsets: number[] = [];
    for (let offset = have; offset < Math.min(total, maxTracks); offset += pageSize) offsets.push(offset);
    const pages = await mapLimit(offsets, concurrency, (offset) =>
      getJson<SpotifyPage<T>>(settings, `${path}${query({ offset, limit: pageSize, market: options.market, additional_types: restricted ? 'track' : undefined })}`, context, `${what} (from ${offset})`, restricted ? 'restricted' : 'item'),
    );
    return pages.flatMap((page) => page.items ?? []);
  }

  async function loadTrack(id: string, context: ProviderContext): Promise<LoadResult> {
    const item = await getJson<SpotifyTrack>(settings, `/tracks/${id}${query({ market: options.market })}`, context, `track ${id}`);
    return { type: 'track', track: toTrack(item, context) };
  }

  async function loadAlbum(id: string, context: ProviderContext): Promise<LoadResult> {
    const album = await getJson<SpotifyAlbum>(settings, `/albums/${id}${query({ market: options.market })}`, context, `album ${id}`);
    const first = album.tracks?.items ?? [];
    const total = album.tracks?.total ?? first.length;
    const rest = await restOf<SpotifyTrack>(`/albums/${id}/tracks`, ALBUM_PAGE, first.length, total, context, `album ${id}`, false);
    const artworkUrl = largestImage(album.images);
    const info = { name: album.name, ...(artworkUrl ? { artworkUrl } : {}) };
    const tracks = [...first, ...rest]
      .filter((t) => typeof t?.id === 'string' && !t.is_local)
      .slice(0, maxTracks)
      .map((t) => toTrack(t, context, info));
    return { type: 'playlist', playlist: { name: album.name, uri: album.external_urls?.spotify ?? `https://open.spotify.com/album/${id}`, tracks } };
  }

  async function loadPlaylist(id: string, context: ProviderContext): Promise<LoadResult> {
    const what = `playlist ${id}`;
    const playlist = await getJson<SpotifyPlaylist>(settings, `/playlists/${id}${query({ market: options.market, additional_types: 'track' })}`, context, what, 'restricted');
    const itemsPath = `/playlists/${id}/items`;
    // The playlist object carries the first page (`items` since 2026, `tracks` before); when it
    // does not, the first page is fetched alone to learn the total.
    let firstPage = playlist.items ?? playlist.tracks;
    if (!Array.isArray(firstPage?.items)) {
      firstPage = await getJson<SpotifyPage<SpotifyPlaylistEntry>>(settings, `${itemsPath}${query({ offset: 0, limit: PLAYLIST_PAGE, market: options.market, additional_types: 'track' })}`, context, what, 'restricted');
    }
    const first = firstPage.items ?? [];
    const total = firstPage.total ?? first.length;
    const rest = await restOf<SpotifyPlaylistEntry>(itemsPath, PLAYLIST_PAGE, first.length, total, context, what, true);
    const tracks = [...first, ...rest]
      .map(entryTrack)
      .filter((t): t is SpotifyTrack => t !== null)
      .slice(0, maxTracks)
      .map((t) => toTrack(t, context));
    return { type: 'playlist', playlist: { name: playlist.name, uri: playlist.external_urls?.spotify ?? `https://open.spotify.com/playlist/${id}`, tracks } };
  }

  async function loadArtist(id: string, context: ProviderContext): Promise<LoadResult> {
    const answer = await getJson<{ tracks?: SpotifyTrack[] }>(settings, `/artists/${id}/top-tracks${query({ market: options.market ?? 'US' })}`, context, `the top tracks of artist ${id}`, 'restricted');
    const items = (answer.tracks ?? []).filter((t) => typeof t?.id === 'string');
    // The artist's name is in every track's credits: no second request for it.
    const name = items.flatMap((t) => t.artists ?? []).find((a) => a.id === id)?.name;
    return {
      type: 'playlist',
      playlist: { name: name ? `${name}: top tracks` : 'Top tracks', uri: `https://open.spotify.com/artist/${id}`, tracks: items.map((t) => toTrack(t, context)) },
    };
  }

  function load(ref: SpotifyRef, context: ProviderContext): Promise<LoadResult> {
    switch (ref.type) {
      case 'track':
        return loadTrack(ref.id, context);
      case 'album':
        return loadAlbum(ref.id, context);
      case 'playlist':
        return loadPlaylist(ref.id, context);
      case 'artist':
        return loadArtist(ref.id, context);
    }
  }

  return load;
}
