/**
 * The built-in providers, assembled: what `new Node()` routes to when it is given no providers.
 * The core node (`src/node/`) knows no provider; this module is where the built-ins meet it.
 *
 * Each provider module is small: the heavy libraries behind them (youtubei.js,
 * spotify-web-api-node, hls-parser) load on a provider's first request, not here.
 *
 * @module
 */

import { appleMusicProvider } from '../providers/applemusic/index.js';
import type { AppleMusicProviderOptions } from '../providers/applemusic/index.js';
import { deezerProvider } from '../providers/deezer/index.js';
import type { DeezerProviderOptions } from '../providers/deezer/index.js';
import { httpProvider } from '../providers/http/index.js';
import type { HttpProviderOptions } from '../providers/http/index.js';
import { localProvider } from '../providers/local/index.js';
import type { LocalProviderOptions } from '../providers/local/index.js';
import { soundcloudProvider } from '../providers/soundcloud/index.js';
import type { SoundcloudProviderOptions } from '../providers/soundcloud/index.js';
import { spotifyProvider } from '../providers/spotify/index.js';
import type { SpotifyProviderOptions } from '../providers/spotify/index.js';
import { youtubeProvider } from '../providers/youtube/index.js';
import type { YoutubeProviderOptions } from '../providers/youtube/index.js';
import type { SearchCandidateSourceOptions } from './resolve/mirror/candidates.js';
import type { Provider } from './resolve/provider.js';

/**
 * Options for {@link defaultProviders}: one entry per built-in provider, handed to its factory.
 * `false` leaves that provider out.
 */
export interface DefaultProvidersOptions {
  /** YouTube settings (client chain, itags, decipher, language...). */
  youtube?: YoutubeProviderOptions | false;
  /** SoundCloud settings: a `clientId` (else `SOUNDCLOUD_CLIENT_ID`, else discovered from soundcloud.com). */
  soundcloud?: SoundcloudProviderOptions | false;
  /** Spotify credentials and settings (or `SPOTIFY_CLIENT_ID`/`SPOTIFY_CLIENT_SECRET` in the environment). */
  spotify?: SpotifyProviderOptions | false;
  /** Apple Music settings: with a `developerToken`, the catalog API (with ISRC); without, the iTunes lookup. */
  appleMusic?: AppleMusicProviderOptions | false;
  /** Deezer settings. */
  deezer?: DeezerProviderOptions | false;
  /**
   * Local files. Off unless `roots` is given: only files under these directories can be played.
   * `readWorker`: how playing tracks read them (default `'auto'`, see docs/players.md "Local reads").
   */
  local?: LocalProviderOptions | false;
  /** Direct HTTP(S) media URLs (the catch-all for `scheme://` input nobody else claims). */
  http?: HttpProviderOptions | false;
}

/**
 * The built-in providers in routing order: `youtube`, `soundcloud`, `spotify`, `applemusic`,
 * `deezer`, then the catch-alls `local` (off until given roots) and `http`.
 *
 * @example
 * ```ts
 * const node = new Node({
 *   providers: defaultProviders({ local: { roots: ['/srv/music'] }, spotify: false }),
 * });
 * ```
 */
export function defaultProviders(options: DefaultProvidersOptions = {}): Provider[] {
  const providers: Provider[] = [];
  if (options.youtube !== false) providers.push(youtubeProvider(options.youtube));
  if (options.soundcloud !== false) providers.push(soundcloudProvider(options.soundcloud));
  if (options.spotify !== false) providers.push(spotifyProvider(options.spotify));
  if (options.appleMusic !== false) providers.push(appleMusicProvider(options.appleMusic));
  if (options.deezer !== false) providers.push(deezerProvider(options.deezer));
  if (options.local !== false) providers.push(localProvider(options.local ?? { roots: [] }));
  if (options.http !== false) providers.push(httpProvider(options.http));
  return providers;
}

/**
 * Where `Node` looks for the recording of a metadata-only track: the `youtube` provider's YouTube
 * Music song search and video search (the ISRC, quoted, on the video search).
 */
export const DEFAULT_MIRROR_SEARCH: Readonly<SearchCandidateSourceOptions> = { songPrefix: 'ytmsearch', videoPrefix: 'ytsearch' };
