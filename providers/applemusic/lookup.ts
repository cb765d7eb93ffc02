/**
 * The iTunes Lookup API (`itunes.apple.com/lookup`), used without a developer token: songs and
 * albums, no ISRC, no playlists.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';
import type { LoadResult, ProviderContext, Track } from '../../src/provider-kit.js';
import { getJson } from './http.js';

/** One lookup result (only the fields read). */
interface LookupResult {
  wrapperType?: string;
  kind?: string;
  trackId?: number;
  trackName?: string;
  artistName?: string;
  collectionName?: string;
  collectionViewUrl?: string;
  trackViewUrl?: string;
  trackTimeMillis?: number;
  artworkUrl100?: string;
}

/** The lookup caps `limit` at 200 entries. */
const LOOKUP_LIMIT = 200;

/** `100x100bb` artwork, asked for at 600 px: the same image server serves any size. */
function artwork(url: string | undefined): string | undefined {
  return url?.replace(/\/\d+x\d+bb\./, '/600x600bb.');
}

/** A store URL without the `uo` tracking parameter. */
function clean(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const parsed = new URL(url);
  parsed.searchParams.delete('uo');
  return parsed.href;
}

function toTrack(item: LookupResult, context: ProviderContext): Track {
  const artist = item.artistName ?? 'Unknown artist';
  const art = artwork(item.artworkUrl100);
  return context.createTrack({
    source: 'applemusic',
    identifier: String(item.trackId),
    uri: clean(item.trackViewUrl) ?? `https://music.apple.com/song/${item.trackId}`,
    title: item.trackName ?? 'Unknown title',
    author: artist,
    artists: [artist],
    ...(item.collectionName ? { album: item.collectionName } : {}),
    durationMs: typeof item.trackTimeMillis === 'number' && item.trackTimeMillis > 0 ? item.trackTimeMillis : null,
    ...(art ? { artworkUrl: art } : {}),
    isStream: false,
    isSeekable: true,
  });
}

/** Loads a song or an album through the lookup API. */
export async function loadFromLookup(lookupBase: string, type: 'song' | 'album', id: string, storefront: string, maxTracks: number, context: ProviderContext): Promise<LoadResult> {
  const url = new URL(`${lookupBase}/lookup`);
  url.searchParams.set('id', id);
  url.searchParams.set('entity', 'song');
  url.searchParams.set('country', storefront);
  url.searchParams.set('limit', String(LOOKUP_LIMIT));
  const what = `${type} ${id} (storefront ${storefront})`;
  const answer = await getJson<{ resultCount?: number; results?: LookupResult[] }>(url, context, what, 'the iTunes Lookup API');
  const results = answer.results ?? [];
  const songs = results.filter((r) => r.wrapperType === 'track' && r.kind === 'song' && typeof r.trackId === 'number');
  if (type === 'song') {
    const song = songs.find((s) => String(s.trackId) === id);
    if (!song) throw new SpenceError(ErrorCodes.NOT_FOUND, `Apple Music has no ${what}`, { source: 'applemusic' });
    return { type: 'track', track: toTrack(song, context) };
  }
  const collection = results.find((r) => r.wrapperType === 'collection');
  if (!collection) throw new SpenceError(ErrorCodes.NOT_FOUND, `Apple Music has no ${what}`, { source: 'applemusic' });
  return {
    type: 'playlist',
    playlist: {
      name: collection.collectionName ?? 'Apple Music album',
      uri: clean(collection.collectionViewUrl) ?? `https://music.apple.com/${storefront}/album/${id}`,
      tracks: songs.slice(0, maxTracks).map((s) => toTrack(s, context)),
    },
  };
}
