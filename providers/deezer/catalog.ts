/**
 * Deezer's public API behind the `deezer` provider: tracks, albums and playlists (track lists
 * paged, a few pages at a time), mapped to metadata-only tracks. Loaded on the provider's first
 * resolve.
 *
 * @module
 */

import { mapLimit } from '../../src/provider-kit.js';
import type { LoadResult, ProviderContext } from '../../src/provider-kit.js';
import { getJson } from './http.js';
import type { DeezerRef } from './links.js';
import { isTrack, toTrack } from './tracks.js';
import type { DeezerAlbum, DeezerPage, DeezerPlaylist, DeezerTrack } from './tracks.js';

/** Deezer serves at most 100 entries per track-list page. */
const PAGE_SIZE = 100;

/** The provider options the catalogue reads (documented on `DeezerProviderOptions`). */
export interface CatalogOptions {
  apiBase?: string | undefined;
  maxTracks?: number | undefined;
  pageConcurrency?: number | undefined;
}

/** Loads what a {@link DeezerRef} names. */
export type DeezerCatalog = (ref: DeezerRef, context: ProviderContext) => Promise<LoadResult>;

/** The catalogue of one provider, with its settings. */
export function deezerCatalog(options: CatalogOptions): DeezerCatalog {
  const apiBase = (options.apiBase ?? 'https://api.deezer.com').replace(/\/+$/, '');
  const maxTracks = options.maxTracks ?? 10_000;
  const concurrency = Math.max(1, options.pageConcurrency ?? 4);
  const api = (path: string, query: Record<string, string | number> = {}): URL => {
    const url = new URL(`${apiBase}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return url;
  };

  /** Pages `/{kind}/{id}/tracks` from `have` entries on, concurrently once the total is known. */
  async function restOfList(kind: 'album' | 'playlist', id: string, have: number, total: number, context: ProviderContext): Promise<DeezerTrack[]> {
    const wanted = Math.min(total, maxTracks);
    const starts: number[] = [];
    for (let index = have; index < wanted; index += PAGE_SIZE) starts.push(index);
    const pages = await mapLimit(starts, concurrency, (index) =>
      getJson<DeezerPage>(api(`/${kind}/${id}/tracks`, { index, limit: PAGE_SIZE }), context, `${kind} ${id} tracks from ${index}`),
    );
    return pages.flatMap((page) => page.data ?? []);
  }

  async function loadTrack(id: string, context: ProviderContext): Promise<LoadResult> {
    const item = await getJson<DeezerTrack>(api(`/track/${id}`), context, `track ${id}`);
    return { type: 'track', track: toTrack(item, context) };
  }

  async function loadAlbum(id: string, context: ProviderContext): Promise<LoadResult> {
    const album = await getJson<DeezerAlbum>(api(`/album/${id}`), context, `album ${id}`);
    const first = album.tracks?.data ?? [];
    const total = album.nb_tracks ?? album.tracks?.total ?? first.length;
    const rest = first.length < Math.min(total, maxTracks) ? await restOfList('album', id, first.length, total, context) : [];
    const artworkUrl = album.cover_xl ?? album.cover_big;
    const info = { title: album.title, ...(artworkUrl ? { artworkUrl } : {}) };
    const tracks = [...first, ...rest].filter(isTrack).slice(0, maxTracks).map((t) => toTrack(t, context, info));
    return { type: 'playlist', playlist: { name: album.title, uri: album.link ?? `https://www.deezer.com/album/${id}`, tracks } };
  }

  async function loadPlaylist(id: string, context: ProviderContext): Promise<LoadResult> {
    const playlist = await getJson<DeezerPlaylist>(api(`/playlist/${id}`), context, `playlist ${id}`);
    const first = playlist.tracks?.data ?? [];
    const total = playlist.nb_tracks ?? playlist.tracks?.total ?? first.length;
    const rest = first.length < Math.min(total, maxTracks) ? await restOfList('playlist', id, first.length, total, context) : [];
    const tracks = [...first, ...rest].filter(isTrack).slice(0, maxTracks).map((t) => toTrack(t, context));
    return { type: 'playlist', playlist: { name: playlist.title, uri: playlist.link ?? `https://www.deezer.com/playlist/${id}`, tracks } };
  }

  function load(ref: DeezerRef, context: ProviderContext): Promise<LoadResult> {
    if (ref.type === 'track') return loadTrack(ref.id, context);
    if (ref.type === 'album') return loadAlbum(ref.id, context);
    return loadPlaylist(ref.id, context);
  }

  return load;
}
