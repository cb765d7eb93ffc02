/**
 * When to try again and when to give up: exponential backoff with jitter, the server's
 * `Retry-After` in both of its forms (RFC 9110 §10.2.3: delay-seconds, or an HTTP-date), capped,
 * and a shorter bound for a host that has never answered. Shared by the media fetcher (which
 * retries drops, stalls, transient statuses and failed connections) and the JSON helper (which
 * waits out a short rate limit once).
 *
 * Two policies are named here. Playback ({@link DEFAULT_RETRY}) waits for a server through
 * `maxRetries` failures in a row, backing off up to ~8 s between them: a CDN edge that restarts
 * mid-track is worth waiting for. A resolve ({@link RESOLVE_RETRY}) is someone waiting for an
 * answer: a host that refuses the connection, has no address or no route, and has never answered,
 * is most likely down or not there, and is tried once more at most, after the first backoff.
 * Once a host has answered (any status, any byte), both policies resume and retry it alike.
 *
 * @module
 */

import type { FailureKind } from './failure.js';
import { checkInteger, checkNumber } from './options.js';

/** How failures in a row are retried. */
export interface RetryPolicy {
  /** Failures in a row (without progress) before giving up. */
  readonly maxRetries: number;
  /**
   * Failures to connect in a row (refused, unknown host, no route, connect timeout) before the
   * server has answered once, retried at most this many times; then `NETWORK`. Once it has
   * answered, connect failures count against {@link maxRetries} like any other.
   */
  readonly maxConnectRetries: number;
  /** The first backoff, in ms; doubled per further failure, with ±25 % jitter. */
  readonly backoffMs: number;
  /** The longest backoff, in ms; also caps how long a `Retry-After` is waited. */
  readonly maxBackoffMs: number;
}

/** Playback's policy, the media fetcher's defaults: a host that never answered is retried as long as one that did. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, maxConnectRetries: 5, backoffMs: 250, maxBackoffMs: 8000 };

/**
 * A resolve's policy (a probe of a media file's first and last bytes, read at once): a host that
 * never answered gets one quick retry, after the first backoff (250 ms ± 25 %); the rest is
 * playback's. Spread it into `createHttpMedia`'s options.
 */
export const RESOLVE_RETRY: Readonly<Pick<RetryPolicy, 'maxConnectRetries'>> = { maxConnectRetries: 1 };

/**
 * Completes and checks a policy's options.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` naming the option, its bound and the value given.
 */
export function retryPolicy(options: Partial<RetryPolicy>, owner: string): RetryPolicy {
  checkInteger(owner, 'maxRetries', options.maxRetries, 0);
  checkInteger(owner, 'maxConnectRetries', options.maxConnectRetries, 0);
  checkNumber(owner, 'backoffMs', options.backoffMs, 0);
  checkNumber(owner, 'maxBackoffMs', options.maxBackoffMs, 0);
  const maxRetries = options.maxRetries ?? DEFAULT_RETRY.maxRetries;
  return {
    maxRetries,
    maxConnectRetries: options.maxConnectRetries ?? maxRetries,
    backoffMs: options.backoffMs ?? DEFAULT_RETRY.backoffMs,
    maxBackoffMs: options.maxBackoffMs ?? DEFAULT_RETRY.maxBackoffMs,
  };
}

/**
 * True when a read gives up after `failures` failures in a row without progress, the last one of
 * `kind`: past `maxRetries`, or past `maxConnectRetries` for a connection to a server that has not
 * `answered` yet.
 */
export function exhausted(policy: RetryPolicy, failures: number, kind: FailureKind, answered: boolean): boolean {
  if (!answered && kind === 'connect' && failures > policy.maxConnectRetries) return true;
  return failures > policy.maxRetries;
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
