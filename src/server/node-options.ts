/**
 * A spence node configured as the server's config says: only the enabled sources, the http
 * source's address policy, the local roots, LavaSrc's credentials.
 *
 * @module
 */

import { appleMusicProvider } from '../../providers/applemusic/index.js';
import { deezerProvider } from '../../providers/deezer/index.js';
import { httpProvider } from '../../providers/http/index.js';
import { localProvider } from '../../providers/local/index.js';
import { soundcloudProvider } from '../../providers/soundcloud/index.js';
import { spotifyProvider } from '../../providers/spotify/index.js';
import { youtubeProvider } from '../../providers/youtube/index.js';
import type { CreatePlayerOptions, NodeOptions } from '../node.js';
import type { Provider } from '../resolve/provider.js';
import type { ServerConfig } from './config.js';

/** The node options for `config` (providers of the enabled sources, in the node's default order). */
export function nodeOptionsFromConfig(config: ServerConfig): NodeOptions {
  const { sources } = config;
  const providers: Provider[] = [];
  if (sources.youtube) providers.push(youtubeProvider());
  if (sources.soundcloud) providers.push(soundcloudProvider());
  if (sources.spotify) {
    providers.push(spotifyProvider({
      ...(config.spotify.clientId ? { clientId: config.spotify.clientId } : {}),
      ...(config.spotify.clientSecret ? { clientSecret: config.spotify.clientSecret } : {}),
      ...(config.spotify.countryCode ? { market: config.spotify.countryCode } : {}),
    }));
  }
  if (sources.applemusic) {
    providers.push(appleMusicProvider({
      ...(config.applemusic.mediaAPIToken ? { developerToken: config.applemusic.mediaAPIToken } : {}),
      ...(config.applemusic.countryCode ? { storefront: config.applemusic.countryCode } : {}),
    }));
  }
  if (sources.deezer) providers.push(deezerProvider());
  if (sources.local) providers.push(localProvider({ roots: config.localRoots }));
  if (sources.http) providers.push(httpProvider());
  return { providers, http: { allowPrivateAddresses: config.allowPrivateAddresses } };
}

/** The options of every player (Lavalink's frame buffer and encoding quality). */
export function playerOptionsFromConfig(config: ServerConfig): CreatePlayerOptions {
  return {
    ...(config.frameBufferDurationMs !== undefined ? { readAheadMs: config.frameBufferDurationMs } : {}),
    ...(config.opusEncodingQuality !== undefined ? { transcode: { encoder: { complexity: config.opusEncodingQuality } } } : {}),
  };
}
