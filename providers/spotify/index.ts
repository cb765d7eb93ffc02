/**
 * The `spotify` provider: Spotify tracks, albums, playlists and artists' top tracks, as metadata
 * (title, artists, album, duration, ISRC), mirrored to YouTube for playback.
 *
 * Inputs: `https://open.spotify.com[/intl-xx][/embed]/{track|album|playlist|artist}/{id}`,
 * `spotify:{type}:{id}`, and `https://spotify.link/...` short links (followed hop by hop through
 * Spotify's link hosts only). App credentials (client credentials grant) come from the options or
 * `SPOTIFY_CLIENT_ID` / `SPOTIFY_CLIENT_SECRET`.
 *
 * @module spence/providers/spotify
 */

import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';
import type { SpotifyCatalog } from './catalog.js';
import { followShortLink, isShortLink, parseSpotify } from './links.js';

/** Options for {@link spotifyProvider}. */
export interface SpotifyProviderOptions {
  /** The app's client id. Default `process.env.SPOTIFY_CLIENT_ID`. */
  clientId?: string;
  /** The app's client secret. Default `process.env.SPOTIFY_CLIENT_SECRET`. Never logged or put in messages. */
  clientSecret?: string;
  /**
   * An ISO 3166-1 country code: tracks are relinked to the versions playable there. Default: none
   * for tracks, albums and playlists; `'US'` for artists' top tracks, which require one.
   */
  market?: string;
  /** Most tracks loaded from one album or playlist. Default 10,000. */
  maxTracks?: number;
  /** Pages fetched at once once a playlist's length is known. Default 4. */
  pageConcurrency?: number;
  /**
   * A `429` whose `Retry-After` is at most this long (ms) is waited out once and the request
   * retried; a longer one fails with `RATE_LIMITED` and `retryAfterMs`. Default 2,000; 0 never waits.
   */
  maxRetryWaitMs?: number;
  /** The Web API's base URL. Default `https://api.spotify.com/v1`. */
  apiBase?: string;
}

/** Creates the `spotify` provider. Credentials are needed only when something is resolved. */
export function spotifyProvider(options: SpotifyProviderOptions = {}): Provider {
  const credentials = { clientId: options.clientId ?? process.env.SPOTIFY_CLIENT_ID, clientSecret: options.clientSecret ?? process.env.SPOTIFY_CLIENT_SECRET };
  // The Web API client (the token, requests, track mapping) loads on the first resolve: a node that
  // never asks Spotify never compiles it, and importing spence stays cheap.
  let catalog: Promise<SpotifyCatalog> | undefined;
  const loadCatalog = () => (catalog ??= import('./catalog.js').then(({ spotifyCatalog }) => spotifyCatalog(options, credentials)));

  return {
    name: 'spotify',
    metadataOnly: true,

    canResolve(input: ResolveInput): boolean {
      return parseSpotify(input) !== null || isShortLink(input.url);
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const ref = parseSpotify(input) ?? (await followShortLink(input.url ?? new URL(input.raw), context));
      return (await loadCatalog())(ref, context);
    },
  };
}
