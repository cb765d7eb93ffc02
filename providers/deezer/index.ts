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

import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';
import type { DeezerCatalog } from './catalog.js';
import { followShortLink, isShortLink, parseDeezerUrl } from './links.js';

/** Options for {@link deezerProvider}. */
export interface DeezerProviderOptions {
  /** The API's base URL. Default `https://api.deezer.com`. */
  apiBase?: string;
  /** Most tracks loaded from one album or playlist. Default 10,000. */
  maxTracks?: number;
  /** Track pages fetched at once once a playlist's length is known. Default 4 (Deezer allows 50 requests per 5 s). */
  pageConcurrency?: number;
}

/** Creates the `deezer` provider. */
export function deezerProvider(options: DeezerProviderOptions = {}): Provider {
  // The API client (requests, track mapping) loads on the first resolve: a node that never asks
  // Deezer never compiles it, and importing spence stays cheap.
  let catalog: Promise<DeezerCatalog> | undefined;
  const loadCatalog = () => (catalog ??= import('./catalog.js').then(({ deezerCatalog }) => deezerCatalog(options)));

  return {
    name: 'deezer',
    metadataOnly: true,

    canResolve(input: ResolveInput): boolean {
      return input.url !== null && (parseDeezerUrl(input.url) !== null || isShortLink(input.url));
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const url = input.url ?? new URL(input.raw);
      const ref = parseDeezerUrl(url) ?? (await followShortLink(url, context));
      return (await loadCatalog())(ref, context);
    },
  };
}
