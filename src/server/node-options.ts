/**
 * A spence node configured as the server's config says: only the enabled sources, the http
 * source's address policy, the local roots, LavaSrc's credentials.
 *
 * @module
 */

import { defaultProviders } from '../default-providers.js';
import type { CreatePlayerOptions, NodeOptions } from '../node/node.js';
import type { ServerConfig } from './config.js';
import type { DiscordVoiceLinksOptions } from './discord-voice-link.js';

/** The node options for `config` (providers of the enabled sources, in the node's default order). */
export function nodeOptionsFromConfig(config: ServerConfig): NodeOptions {
  const { sources, spotify, applemusic } = config;
  const providers = defaultProviders({
    youtube: sources.youtube && {},
    soundcloud: sources.soundcloud && {},
    spotify: sources.spotify && {
      ...(spotify.clientId ? { clientId: spotify.clientId } : {}),
      ...(spotify.clientSecret ? { clientSecret: spotify.clientSecret } : {}),
      ...(spotify.countryCode ? { market: spotify.countryCode } : {}),
    },
    appleMusic: sources.applemusic && {
      ...(applemusic.mediaAPIToken ? { developerToken: applemusic.mediaAPIToken } : {}),
      ...(applemusic.countryCode ? { storefront: applemusic.countryCode } : {}),
    },
    deezer: sources.deezer && {},
    local: sources.local && { roots: config.localRoots },
    http: sources.http && {},
  });
  return { providers, http: { allowPrivateAddresses: config.allowPrivateAddresses } };
}

/** The options of every player (Lavalink's frame buffer, encoding quality and stuck threshold). */
export function playerOptionsFromConfig(config: ServerConfig): CreatePlayerOptions {
  return {
    stuckThresholdMs: config.trackStuckThresholdMs,
    ...(config.frameBufferDurationMs !== undefined ? { readAheadMs: config.frameBufferDurationMs } : {}),
    ...(config.opusEncodingQuality !== undefined ? { transcode: { encoder: { complexity: config.opusEncodingQuality } } } : {}),
  };
}

/** The voice links' join policy (`spence.voice.*`); what the config leaves out keeps the links' defaults. */
export function voiceLinkOptionsFromConfig(config: ServerConfig): DiscordVoiceLinksOptions {
  return {
    ...(config.voiceConcurrentJoins !== undefined ? { concurrentJoins: config.voiceConcurrentJoins } : {}),
    ...(config.voiceStepTimeoutMs !== undefined ? { stepTimeoutMs: config.voiceStepTimeoutMs } : {}),
    ...(config.voiceRetries !== undefined ? { retries: config.voiceRetries } : {}),
  };
}
