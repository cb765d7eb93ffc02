/**
 * The one map from an HTTP status to a spence error code, for media and API requests alike:
 *
 * | status            | code                                                                  |
 * | ----------------- | --------------------------------------------------------------------- |
 * | 404, 410          | `NOT_FOUND`                                                           |
 * | 401               | `UPSTREAM` when the request carried the caller's credentials (an app  |
 * |                   | token, an API key: they are refused, a configuration problem), else   |
 * |                   | `UNAVAILABLE` (the item wants credentials nobody gave)                |
 * | 403               | `UNAVAILABLE` (the item is refused to us)                             |
 * | 403, 410 (signed) | `NETWORK` for a signed, expiring URL (a CDN's): it has expired, and a |
 * |                   | fresh one is worth asking for, as the media fetcher does              |
 * | 429               | `RATE_LIMITED`, with `retryAfterMs` from `Retry-After`                |
 * | 408, 5xx, others  | `UPSTREAM`                                                            |
 *
 * A connection that fails is `NETWORK` (see `failure.ts`). Providers refine the map only where
 * their service means something else (Spotify's 400 for an invalid id is `NOT_FOUND`), through
 * `requestJson`'s `inspect` hook.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import type { SpenceErrorCode } from '../errors.js';

/** What a 401 means: the request's credentials are refused, or the item wants some we do not have. */
export type Unauthorized = 'credentials' | 'item';

/** What the statuses the map leaves open mean for one request. */
export interface StatusPolicy {
  /** See {@link Unauthorized}. Default `'item'`. */
  unauthorized?: Unauthorized;
  /** The URL is a signed, expiring one (a CDN's): a 403 or 410 says it expired. Default false. */
  signed?: boolean;
}

/** The code for a failed status. */
export function codeForStatus(status: number, policy: StatusPolicy = {}): SpenceErrorCode {
  if (policy.signed && (status === 403 || status === 410)) return ErrorCodes.NETWORK;
  if (status === 404 || status === 410) return ErrorCodes.NOT_FOUND;
  if (status === 401) return policy.unauthorized === 'credentials' ? ErrorCodes.UPSTREAM : ErrorCodes.UNAVAILABLE;
  if (status === 403) return ErrorCodes.UNAVAILABLE;
  if (status === 429) return ErrorCodes.RATE_LIMITED;
  return ErrorCodes.UPSTREAM;
}

/** What {@link statusError} says. */
export interface StatusErrorOptions extends StatusPolicy {
  /** Who answered: `'Spotify'`, `'the media server at https://cdn.example/a.webm'`. */
  service: string;
  /** What was asked for: `'track 4uLU6hMCjMI75M1A2tKUQC'`. */
  what: string;
  /** The `SpenceError.source`. */
  source?: string;
  /** The service's own words for the failure, from its error body; default `HTTP <status>`. */
  reason?: string | undefined;
  /** Added to a 401 that refuses credentials: which option holds them. Never the credentials. */
  credentialsHint?: string;
  /** For a 429: how long the service asked us to wait. */
  retryAfterMs?: number | undefined;
}

/** The `SpenceError` for a failed status, its code from {@link codeForStatus}. */
export function statusError(status: number, options: StatusErrorOptions): SpenceError {
  const { service, what } = options;
  const code = codeForStatus(status, options);
  const reason = options.reason ? `HTTP ${status}: ${options.reason}` : `HTTP ${status}`;
  const meta = { ...(options.source !== undefined ? { source: options.source } : {}) };
  switch (code) {
    case ErrorCodes.NOT_FOUND:
      return new SpenceError(code, `${service} has no ${what} (${reason})`, meta);
    case ErrorCodes.RATE_LIMITED: {
      const wait = options.retryAfterMs;
      return new SpenceError(code, `${service} is rate limiting requests (${what})${wait !== undefined ? `; retry in ${Math.ceil(wait / 1000)} s` : ''}`, {
        ...meta,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    case ErrorCodes.UNAVAILABLE:
      return new SpenceError(code, `${service} refused ${what} (${reason})`, meta);
    case ErrorCodes.NETWORK:
      return new SpenceError(code, `The signed URL of ${what} has expired (${reason}); ${service} gives fresh ones`, meta);
    default:
      if (status === 401) {
        const hint = options.credentialsHint ? `; check ${options.credentialsHint}` : '';
        return new SpenceError(code, `${service} refused the credentials for ${what} (${reason})${hint}`, meta);
      }
      return new SpenceError(code, `${service} answered HTTP ${status} for ${what}${options.reason ? ` (${options.reason})` : ''}`, meta);
  }
}
