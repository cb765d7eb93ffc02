/**
 * One error family for the whole library, in the manner of undici's `errors.js`:
 * every failure spence reports is a {@link SpenceError} with a stable {@link SpenceErrorCode}.
 * Match on `error.code`, never on the message: messages may be reworded, codes may not.
 *
 * @module
 */

/**
 * The stable error codes.
 *
 * - `UNSUPPORTED_INPUT`: no provider recognises the input, or it is malformed.
 * - `NOT_FOUND`: the provider recognised the input but the item does not exist.
 * - `UNAVAILABLE`: the item exists but cannot be played (private, region- or age-restricted, preview-only).
 * - `RATE_LIMITED`: the service asked us to slow down; see {@link SpenceError.retryAfterMs}.
 * - `UPSTREAM`: a service answered something unexpected.
 * - `NETWORK`: a connection failed, timed out or dropped, after any retries.
 * - `ABORTED`: the caller's `AbortSignal` fired.
 * - `DEMUX`: the media bytes are not a valid container or stream.
 * - `NO_MATCH`: a metadata-only track could not be mirrored to a playable recording.
 * - `FORBIDDEN_URL`: the URL or path is refused by policy (private address, scheme, outside the local roots).
 * - `INVALID_TRACK`: an encoded track string is corrupt or from a newer, unknown version.
 * - `INVALID_ARGUMENT`: an API was called with arguments it cannot accept.
 * - `INVALID_STATE`: an API was called in a state that does not allow it (for example a destroyed node).
 * - `STUCK`: a player was due audio and delivered none for its stuck threshold (its track ends `loadFailed`).
 */
export const ErrorCodes = {
  UNSUPPORTED_INPUT: 'UNSUPPORTED_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAVAILABLE: 'UNAVAILABLE',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM: 'UPSTREAM',
  NETWORK: 'NETWORK',
  ABORTED: 'ABORTED',
  DEMUX: 'DEMUX',
  NO_MATCH: 'NO_MATCH',
  FORBIDDEN_URL: 'FORBIDDEN_URL',
  INVALID_TRACK: 'INVALID_TRACK',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_STATE: 'INVALID_STATE',
  STUCK: 'STUCK',
} as const;

/** A stable error code; see {@link ErrorCodes}. */
export type SpenceErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Options accepted by the {@link SpenceError} constructor. */
export interface SpenceErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** For `RATE_LIMITED`: how long the service asked us to wait, in milliseconds. */
  retryAfterMs?: number;
  /** The provider or component that raised the error (`'youtube'`, `'http'`, `'demux'`...). */
  source?: string;
}

/**
 * The error spence throws. `code` is stable; `message` is for people; `cause` holds the
 * underlying error when there is one.
 *
 * @example
 * ```ts
 * try { await node.resolve(url) }
 * catch (e) { if (isSpenceError(e, 'RATE_LIMITED')) await sleep(e.retryAfterMs ?? 1000) }
 * ```
 */
export class SpenceError extends Error {
  override readonly name = 'SpenceError';
  /** The stable code; match on this. */
  readonly code: SpenceErrorCode;
  /** For `RATE_LIMITED`: the wait the service asked for, in milliseconds, when it said. */
  readonly retryAfterMs: number | undefined;
  /** The provider or component that raised the error, when known. */
  readonly source: string | undefined;

  constructor(code: SpenceErrorCode, message: string, options: SpenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.source = options.source;
  }
}

/** True when `error` is a {@link SpenceError}, optionally with the given code. */
export function isSpenceError<C extends SpenceErrorCode>(
  error: unknown,
  code?: C,
): error is SpenceError & { code: C } {
  return error instanceof SpenceError && (code === undefined || error.code === code);
}

/**
 * The error for an aborted operation, carrying the signal's reason as `cause`.
 * Every async API rejects with this when its `signal` fires.
 */
export function abortError(signal: AbortSignal | undefined, what = 'operation'): SpenceError {
  return new SpenceError(ErrorCodes.ABORTED, `The ${what} was aborted`, { cause: signal?.reason });
}

/** Throws {@link abortError} if `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * Wraps an unknown thrown value: a SpenceError passes through; an AbortError becomes `ABORTED`;
 * anything else becomes `fallback` with the original as `cause`.
 */
export function toSpenceError(
  error: unknown,
  fallback: SpenceErrorCode,
  message: string,
  signal?: AbortSignal,
): SpenceError {
  if (error instanceof SpenceError) return error;
  if (signal?.aborted || (error instanceof Error && error.name === 'AbortError')) {
    return new SpenceError(ErrorCodes.ABORTED, 'The operation was aborted', { cause: signal?.reason ?? error });
  }
  return new SpenceError(fallback, message, { cause: error });
}
