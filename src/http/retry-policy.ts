/**
 * When to try again: exponential backoff with jitter, and the server's `Retry-After` in both of
 * its forms (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date), capped. Shared by the media fetcher
 * (which retries drops, stalls and transient statuses) and the JSON helper (which waits out a short
 * rate limit once).
 *
 * @module
 */

import { checkInteger, checkNumber } from './options.js';

/** How failures in a row are retried. */
export interface RetryPolicy {
  /** Failures in a row (without progress) before giving up. */
  readonly maxRetries: number;
  /** The first backoff, in ms; doubled per further failure, with ±25 % jitter. */
  readonly backoffMs: number;
  /** The longest backoff, in ms; also caps how long a `Retry-After` is waited. */
  readonly maxBackoffMs: number;
}

/** The media fetcher's defaults. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, backoffMs: 250, maxBackoffMs: 8000 };

/**
 * Completes and checks a policy's options.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` naming the option, its bound and the value given.
 */
export function retryPolicy(options: Partial<RetryPolicy>, owner: string): RetryPolicy {
  checkInteger(owner, 'maxRetries', options.maxRetries, 0);
  checkNumber(owner, 'backoffMs', options.backoffMs, 0);
  checkNumber(owner, 'maxBackoffMs', options.maxBackoffMs, 0);
  return {
    maxRetries: options.maxRetries ?? DEFAULT_RETRY.maxRetries,
    backoffMs: options.backoffMs ?? DEFAULT_RETRY.backoffMs,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  };
}

/**
 * The wait before the next attempt: nothing for `step` < 0 (a first failure after progress is
 * retried at once), else `backoffMs × 2^step` capped at `maxBackoffMs`, with ±25 % jitter; never
 * less than the server's `Retry-After`, itself capped at `maxBackoffMs`.
 */
export function retryDelay(policy: RetryPolicy, step: number, retryAfterMs?: number, random: () => number = Math.random): number {
  let delay = step < 0 ? 0 : Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** step) * (0.75 + random() * 0.5);
  if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, policy.maxBackoffMs));
  return delay;
}

/**
 * A `Retry-After` header in ms from `now` (RFC 9110 §10.2.3: `delay-seconds` or an `HTTP-date`);
 * `undefined` when absent or malformed. A date in the past is 0.
 */
export function parseRetryAfter(header: string | string[] | null | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === null) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  // An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, §5.6.7), never a bare
  // number. asctime carries no zone and means GMT; Date.parse would read it as local time.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(/^\s*[a-z]{3} [a-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\s*$/i.test(value) ? `${value.trim()} GMT` : value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
