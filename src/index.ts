/**
 * spence: resolve a URL or a search to a track, fetch its audio, demux it to Opus packets without
 * ffmpeg, and pace them in exact 20 ms frames for any Discord voice transport.
 *
 * This file names every public export. Providers (built-in and user-written) import only from here.
 *
 * @packageDocumentation
 */

// Errors
export { ErrorCodes, SpenceError, isSpenceError, abortError, throwIfAborted, toSpenceError } from './errors.js';
export type { SpenceErrorCode, SpenceErrorOptions } from './errors.js';
export { raceAbort, sleep } from './abort.js';

// Node
export { Node } from './node.js';
export { BaseNode } from './node/node.js';
export type { NodeOptions, CreatePlayerOptions } from './node/node.js';
export { defaultProviders } from './default-providers.js';
export type { DefaultProvidersOptions } from './default-providers.js';

// Tracks and providers
export type { Track, TrackInfo } from './resolve/track.js';
export { createTrack, decodeTrack, encodeTrackInfo, TRACK_ENCODING_VERSION } from './resolve/track-codec.js';
export type {
  CallOptions,
  LoadResult,
  Playlist,
  Provider,
  ProviderContext,
  ResolveInput,
  TrackMedia,
  UrlGuard,
} from './resolve/provider.js';
export { parseInput } from './resolve/resolver.js';
export type { CacheOptions } from './resolve/cache.js';
export { DEFAULT_CACHE_MAX, DEFAULT_CACHE_TTL_MS } from './resolve/cache.js';

// HTTP
export { createHttpMedia } from './http/http-media.js';
export type { HttpMedia, HttpMediaOptions, HttpMediaStats, RetryEvent } from './http/http-media.js';
export { createMediaAgent } from './http/agent.js';
export type { MediaAgentOptions } from './http/agent.js';
export { createUrlGuard, isForbiddenAddress } from './http/url-guard.js';
export type { HostLookup, LookupAddress, UrlGuardOptions } from './http/url-guard.js';
export { redact } from './redact.js';
export { parseContentLength, parseContentRange } from './http/content-range.js';
export { parseRetryAfter } from './http/retry-policy.js';
export type { ContentRange } from './http/content-range.js';
export { mapLimit } from './concurrency.js';

// Demuxing
export * from './demux/index.js';
export { probeMedia, lastGranulePosition } from './demux/probe.js';
export type { ProbeResult, OpusProbeResult } from './demux/probe.js';
export { sniffMp3, findMp3Start } from './demux/mp3/probe-mp3.js';
export type { Mp3ProbeResult } from './demux/mp3/probe-mp3.js';
export { mp3FrameHeader } from './demux/mp3/frame-header.js';
export type { Mp3FrameHeader } from './demux/mp3/frame-header.js';

// Players
export * from './player/index.js';
export { MediaTrack, openMediaAsTrack } from './open/media-track.js';

// Voice output (a player's packets into a voice connection)
export * from './voice/index.js';

// The mirror matcher
export * from './resolve/matcher/index.js';

// Mirroring metadata-only tracks to playable recordings
export * from './resolve/mirror/index.js';

// Transcoding (non-Opus sources, volume and filters)
export * from './transcode/index.js';
