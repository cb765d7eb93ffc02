/**
 * What can go wrong while fetching media bytes, sorted into the kinds the fetcher treats
 * differently: a retryable {@link FetchFailure} (resume, refresh the URL, back off) or a final
 * `SpenceError` (a missing file, a refused address, a bad argument).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { redactText } from '../redact.js';

/**
 * The kinds of retryable failure.
 *
 * - `drop`: the connection closed or reset, or the body ended short.
 * - `stall`: no body bytes for the body timeout while the fetcher wanted them.
 * - `timeout`: no response headers within the headers timeout.
 * - `connect`: the connection could not be made (refused, timed out, no route, DNS).
 * - `expired`: a 403 or 410: the media URL has expired; the provider is asked for a fresh one.
 * - `status`: a transient status (408, 429, 5xx) or a 416 that contradicts the known length.
 * - `range`: the server answered bytes other than those asked for.
 */
export type FailureKind = 'drop' | 'stall' | 'timeout' | 'connect' | 'expired' | 'status' | 'range';

/** A failure worth retrying. */
export class FetchFailure extends Error {
  override readonly name = 'FetchFailure';

  constructor(
    readonly kind: FailureKind,
    message: string,
    /** For `status`: how long the server asked us to wait (`Retry-After`), in ms. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The `code` of an error or of its cause (undici and `net` put it on either). */
export function codeOf(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

const DROP_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CHUNK_SIZE',
]);

const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * Sorts a thrown value into a {@link FetchFailure}, or throws the final `SpenceError` it stands for.
 * Anything unrecognised from the transport is treated as a drop: retries are bounded, so a wrong
 * guess costs a few attempts, never a hang.
 */
export function toFetchFailure(error: unknown): FetchFailure {
  if (error instanceof FetchFailure) return error;
  if (error instanceof SpenceError) throw error;
  const code = codeOf(error);
  // The transport's words (undici's, a proxy's) may name the URL it was asked for.
  const message = redactText(error instanceof Error ? error.message : String(error));
  const detail = code ? `${message} (${code})` : message;
  if (code === 'ERR_SPENCE_FORBIDDEN_ADDRESS') {
    throw new SpenceError(ErrorCodes.FORBIDDEN_URL, message, { cause: error, source: 'http' });
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `The media request is invalid: ${message}`, { cause: error, source: 'http' });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') return new FetchFailure('stall', `the body stalled (${code})`, undefined, { cause: error });
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return new FetchFailure('timeout', `no response headers in time (${code})`, undefined, { cause: error });
  if (code !== undefined && CONNECT_CODES.has(code)) return new FetchFailure('connect', `could not connect: ${detail}`, undefined, { cause: error });
  if (code !== undefined && DROP_CODES.has(code)) return new FetchFailure('drop', `the connection dropped: ${detail}`, undefined, { cause: error });
  return new FetchFailure('drop', `the transfer failed: ${detail}`, undefined, { cause: error });
}
