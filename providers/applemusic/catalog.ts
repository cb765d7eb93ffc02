/**
 * The Apple Music catalog API (`api.music.apple.com`), used with a developer token: songs, albums
 * and playlists, with ISRCs; album and playlist tracks paged through `next`.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';
import type { LoadResult, ProviderContext, Track } from '../../src/provider-kit.js';
import { getJson } from './http.js';

/** A catalog resource (only the fields read). */
interface Resource {
  id: string;
  type: string;
  attributes?: {
    name?: string;
    artistName?: string;
    albumName?: string;
    curatorName?: string;
    durationInMillis?: number;
    isrc?: string;
    url?: string;
    artwork?: { url?: string; width?: number; height?: number };
  };
  relationships?: { tracks?: Page };
}

interface Page {
  data?: Resource[];
  next?: string;
}

/** Settings the catalog client needs. */
export interface CatalogSettings {
  apiBase: string;
  developerToken: string;
  maxTracks: number;
}

/** An artwork URL from Apple's `{w}x{h}` template, at most 1000 px. */
function artwork(art: { url?: string; width?: number; height?: number } | undefined): string | undefined {
  if (!art?.url) return undefined;
  const w = Math.min(art.width ?? 1000, 1000);
  const h = Math.min(art.height ?? 1000, 1000);
  return art.url.replace('{w}', String(w)).replace('{h}', String(h));
}

function toTrack(song: Resource, context: ProviderContext): Track {
  const a = song.attributes ?? {};
  const artist = a.artistName ?? 'Unknown artist';
  const art = artwork(a.artwork);
  return context.createTrack({
    source: 'applemusic',
    identifier: song.id,
    uri: a.url ?? `https://music.apple.com/song/${song.id}`,
    title: a.name ?? 'Unknown title',
    author: artist,
    artists: [artist],
    ...(a.albumName ? { album: a.albumName } : {}),
    durationMs: typeof a.durationInMillis === 'number' && a.durationInMillis > 0 ? a.durationInMillis : null,
    ...(a.isrc ? { isrc: a.isrc.toUpperCase() } : {}),
    ...(art ? { artworkUrl: art } : {}),
    isStream: false,
    isSeekable: true,
  });
}

/** Loads a song, album or playlist from the catalog. */
export async function loadFromCatalog(settings: CatalogSettings, type: 'song' | 'album' | 'playlist', id: string, storefront: string, context: ProviderContext): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${settings.developerToken}`, origin: 'https://music.apple.com' };
  const what = `${type} ${id} (storefront ${storefront})`;
  const url = new URL(`${settings.apiBase}/v1/catalog/${encodeURIComponent(storefront)}/${type}s/${encodeURIComponent(id)}`);
  const answer = await getJson<{ data?: Resource[] }>(url, context, what, 'Apple Music', headers);
  const resource = answer.data?.[0];
  if (!resource) throw new SpenceError(ErrorCodes.NOT_FOUND, `Apple Music has no ${what}`, { source: 'applemusic' });
  if (type === 'song') return { type: 'track', track: toTrack(resource, context) };

  const songs: Resource[] = [];
  let page: Page | undefined = resource.relationships?.tracks;
  // `next` is a path on the API host: follow it until the list ends or the bound is reached.
  for (;;) {
    songs.push(...(page?.data ?? []).filter((r) => r.type === 'songs'));
    const next = page?.next;
    if (!next || songs.length >= settings.maxTracks) break;
    const nextUrl = new URL(next, settings.apiBase);
    if (nextUrl.origin !== new URL(settings.apiBase).origin) break;
    page = await getJson<Page>(nextUrl, context, `${what}, tracks from ${nextUrl.searchParams.get('offset') ?? '?'}`, 'Apple Music', headers);
  }
  const a = resource.attributes ?? {};
  const albumArt = artwork(a.artwork);
  const tracks = songs.slice(0, settings.maxTracks).map((song) => {
    // Album track lists carry albumName already; fill the artwork when a song has none.
    if (type === 'album' && !song.attributes?.artwork && albumArt) song = { ...song, attributes: { ...song.attributes, artwork: { url: albumArt } } };
    return toTrack(song, context);
  });
  return { type: 'playlist', playlist: { name: a.name ?? `Apple Music ${type}`, uri: a.url ?? `https://music.apple.com/${storefront}/${type}/${id}`, tracks } };
}
