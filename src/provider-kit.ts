/**
 * The provider kit (`spence/provider`): everything a provider needs, built-in or third-party, and
 * nothing else. The built-in providers in `providers/` import only this module, so a provider
 * written outside the repository has exactly the tools they have.
 *
 * - The contract: {@link Provider}, {@link ProviderContext} (the node's URL policy, HTTP agent and
 *   track factory, handed to every call), {@link TrackMedia}, {@link LoadResult}, {@link Track}
 *   (and {@link createTrack}/{@link decodeTrack}, for tests and tools; a provider uses
 *   `context.createTrack`).
 * - Errors: {@link SpenceError} and its codes, abort errors, {@link toSpenceError}.
 * - Redaction of URLs for messages ({@link redact}, and {@link redactText} for text that may hold
 *   URLs, such as another library's error message), abort helpers ({@link raceAbort},
 *   {@link sleep}), bounded concurrency for paged fetches ({@link mapLimit}).
 * - Media: {@link createHttpMedia} (ranged, resumable media bytes over the node's agent), the
 *   HTTP header parsers, and {@link probeMedia} (a container's format and duration from its head).
 *
 * This module loads no provider and none of the node: a provider imports it without pulling in
 * the rest of the package (and the graph of `src/` and `providers/` stays acyclic).
 *
 * @module spence/provider
 */

// The contract
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
export type { Track, TrackInfo } from './resolve/track.js';
export { createTrack, decodeTrack } from './resolve/track-codec.js';

// Errors
export { ErrorCodes, SpenceError, isSpenceError, abortError, throwIfAborted, toSpenceError } from './errors.js';
export type { SpenceErrorCode, SpenceErrorOptions } from './errors.js';

// Redaction, aborts, concurrency
export { redact, redactText } from './redact.js';
export { raceAbort, sleep } from './abort.js';
export { mapLimit } from './concurrency.js';

// API requests: one request read at once within the node's budgets, the JSON/API helper (one
// status-to-code map, credentials refreshed on a 401, Retry-After in both forms), short links.
export { request } from './http/request.js';
export type { HttpAnswer, HttpContext, RequestOptions } from './http/request.js';
export { requestJson } from './http/request-json.js';
export type { AttemptRequest, JsonAnswer, JsonRequestOptions } from './http/request-json.js';
export { followLinks } from './http/follow-links.js';
export type { FollowLinksOptions } from './http/follow-links.js';
export { codeForStatus, statusError } from './http/status.js';
export type { StatusErrorOptions, StatusPolicy, Unauthorized } from './http/status.js';
export { RESOLVE_RETRY, parseRetryAfter } from './http/retry-policy.js';
export type { RetryPolicy } from './http/retry-policy.js';
export type { HttpBudgets, HttpSettings } from './http/budgets.js';

// Media
export { createHttpMedia } from './http/http-media.js';
export type { HttpMedia, HttpMediaOptions, HttpMediaStats, RetryEvent } from './http/http-media.js';
export type { FailureKind } from './http/failure.js';
export type { RefreshUrl } from './http/url-refresh.js';
export { parseContentLength, parseContentRange } from './http/content-range.js';
export { readBytes, withinBudget } from './http/read-bytes.js';
export type { ContentRange } from './http/content-range.js';
export { probeMedia } from './demux/probe.js';
export type { Mp3ProbeResult, OpusProbeResult, ProbeResult } from './demux/probe.js';
export type { Mp3FrameHeader } from './demux/mp3/frame-header.js';
