/**
 * The `deezer` provider: Deezer tracks, albums and playlists, as metadata (with the ISRC for
 * single tracks), mirrored to YouTube for playback. Uses Deezer's public API; no key needed.
 *
 * Inputs: `https://www.deezer.com/{lang?}/track|album|playlist/{id}`, and the short links
 * `https://deezer.page.link/...` and `https://link.deezer.com/s/...` (followed hop by hop, never
 * leaving Deezer's hosts).
 *
 * @module spence/providers/deezer
 */

import { mapLimit } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';
import { getJson } from './http.js';
import { followShortLink, isShortLink, parseDeezerUrl } from './links.js';
import type { DeezerRef } from './links.js';
import { isTrack, toTrack } from './tracks.js';
import type { DeezerAlbum, DeezerPage, DeezerPlaylist, DeezerTrack } from './tracks.js';

/** Options for {@link deezerProvider}. */
export interface DeezerProviderOptions {
  /** The API's base URL. Default `https://api.deezer.com`. */
  apiBase?: string;
  /** Most tracks loaded from one album or playlist. Default 10,000. */
  maxTracks?: number;
  /** Track pages fetched at once once a playlist's length is known. Default 4 (Deezer allows 50 requests per 5 s). */
  pageConcurrency?: number;
}

/** Deezer serves at most 100 entries per track-list page. */
const PAGE_SIZE = 100;

/** Creates the `deezer` provider. */
export function deezerProvider(options: DeezerProviderOptions = {}): Provider {
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

  return {
    name: 'deezer',
    metadataOnly: true,

    canResolve(input: ResolveInput): boolean {
      return input.url !== null && (parseDeezerUrl(input.url) !== null || isShortLink(input.url));
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const url = input.url ?? new URL(input.raw);
      const ref = parseDeezerUrl(url) ?? (await followShortLink(url, context));
      return load(ref, context);
    },
  };
}
