/**
 * The `applemusic` provider: Apple Music songs, albums and playlists, as metadata, mirrored to
 * YouTube for playback.
 *
 * With a developer token (`developerToken`), the catalog API: songs, albums and playlists, with
 * ISRCs. Without one, the iTunes Lookup API: songs and albums, no ISRC; playlists are then
 * `UNAVAILABLE`.
 *
 * Inputs: `https://music.apple.com/{cc}/{album|song|playlist}/{slug?}/{id}[?i={songId}]`; an album
 * URL with `?i=` is that song.
 *
 * @module spence/providers/applemusic
 */

import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';
import { parseAppleUrl } from './links.js';

/** Options for {@link appleMusicProvider}. */
export interface AppleMusicProviderOptions {
  /** A MusicKit developer token (a JWT). Without it, the iTunes Lookup API is used. Never logged. */
  developerToken?: string;
  /** The storefront for URLs that name none. Default `'us'`. */
  storefront?: string;
  /** Most tracks loaded from one album or playlist. Default 10,000. */
  maxTracks?: number;
  /** The catalog API's origin. Default `https://api.music.apple.com`. */
  apiBase?: string;
  /** The lookup API's origin. Default `https://itunes.apple.com`. */
  lookupBase?: string;
}

/** Creates the `applemusic` provider. */
export function appleMusicProvider(options: AppleMusicProviderOptions = {}): Provider {
  const developerToken = options.developerToken?.trim() || undefined;
  const defaultStorefront = (options.storefront ?? 'us').toLowerCase();
  const maxTracks = options.maxTracks ?? 10_000;
  const apiBase = (options.apiBase ?? 'https://api.music.apple.com').replace(/\/+$/, '');
  const lookupBase = (options.lookupBase ?? 'https://itunes.apple.com').replace(/\/+$/, '');

  return {
    name: 'applemusic',
    metadataOnly: true,

    canResolve: (input: ResolveInput) => parseAppleUrl(input.url) !== null,

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const ref = parseAppleUrl(input.url);
      if (!ref) throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, 'Not an Apple Music song, album or playlist URL');
      const storefront = ref.storefront ?? defaultStorefront;
      // The catalog and lookup clients load on first use: importing spence does not compile them.
      if (developerToken) {
        const { loadFromCatalog } = await import('./catalog.js');
        return loadFromCatalog({ apiBase, developerToken, maxTracks }, ref.type, ref.id, storefront, context);
      }
      if (ref.type === 'playlist') {
        throw new SpenceError(ErrorCodes.UNAVAILABLE, `Apple Music playlists need a developer token (appleMusic: { developerToken }); playlist ${ref.id} cannot be read without one`, { source: 'applemusic' });
      }
      const { loadFromLookup } = await import('./lookup.js');
      return loadFromLookup(lookupBase, ref.type, ref.id, storefront, maxTracks, context);
    },
  };
}
