/**
 * spence: resolve a URL or a search to a track, fetch its audio, demux it to Opus packets without
 * ffmpeg, and pace them in exact 20 ms frames for any Discord voice transport.
 *
 * This entry is what a bot uses: the {@link Node}, its players, tracks, errors, and the types of
 * their options and events. The rest lives under subpaths, each loaded only by who imports it:
 *
 * - `spence/provider`: the provider kit, for writing a provider (the contract, errors, HTTP
 *   media, redaction, abort helpers);
 * - `spence/demux`: the WebM and Ogg Opus demuxers, `demux()`, the Ogg Opus writer, inspection;
 * - `spence/transcode`: the transcoder (MP3 and AAC sources, volume, filters) and its worker pool;
 * - `spence/voice`: the voice output interface and its adapter over a @discordjs/voice connection
 *   (a bot needs neither: `player.connect(connection)` takes the connection itself);
 * - `spence/server`: `spence serve` from code, a Lavalink v4 node over a spence node;
 * - `spence/mirror`: the mirror and its matcher, for matching catalogues outside a node;
 * - `spence/providers/<name>`: each built-in provider's factory and options.
 *
 * @module spence
 */

// The node
export { Node } from './node.js';
export { BaseNode } from './node/node.js';
export type { NodeOptions, CreatePlayerOptions } from './node/node.js';
export { defaultProviders, DEFAULT_MIRROR_SEARCH } from './default-providers.js';
export type { DefaultProvidersOptions } from './default-providers.js';
export type { CacheOptions } from './resolve/cache.js';
export type { MediaAgentOptions } from './http/agent.js';
export type { HttpBudgetOptions } from './http/budgets.js';
export type { HostLookup, LookupAddress } from './http/url-guard.js';
export type { TranscodePoolOptions } from './transcode/pool/worker-pool.js';

// Errors
export { ErrorCodes, SpenceError, isSpenceError } from './errors.js';
export type { SpenceErrorCode, SpenceErrorOptions } from './errors.js';

// Tracks and what a resolve returns
export type { Track, TrackInfo } from './resolve/track.js';
export { decodeTrack } from './resolve/track-codec.js';
export type { CallOptions, LoadResult, Playlist, Provider, TrackMedia } from './resolve/provider.js';

// Players, the scheduler and its clocks
export * from './player/index.js';
export type { PlayerTranscodeOptions } from './player/player.js';
export type { Mp3StreamInfo } from './demux/types.js';
export type { OpusPacket, OpusStreamInfo } from './demux/types.js';
export type {
  ChannelMixSettings, DistortionSettings, EqualizerBand, FilterSettings, KaraokeSettings, LowPassSettings,
  RotationSettings, TimescaleSettings, TremoloSettings, VibratoSettings,
} from './transcode/filters/types.js';
export type { MediaTrack } from './open/media-track.js';

// Voice output (a player's packets into a voice connection)
export * from './voice/index.js';

// Mirroring metadata-only tracks (the Mirror itself: `spence/mirror`)
export type {
  CandidateSource,
  MirrorCandidate,
  MirrorEntry,
  MirrorMatch,
  MirrorOptions,
  MirrorStore,
  MirrorTarget,
  MirrorableTrack,
  SearchOptions,
} from './resolve/mirror/types.js';
export type { SearchCandidateSourceOptions } from './resolve/mirror/candidates.js';
