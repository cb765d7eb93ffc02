/**
 * The helper providers make their API calls with: a GET whose answer is JSON, through
 * {@link request} (the node's agent and budgets), with the one status map (`status.ts`), the
 * service's credentials added by a hook and refreshed once on a 401, and a short rate limit waited
 * out once. What differs between services is in hooks: the credentials (`authorize`), where their
 * error bodies keep the reason (`reason`), and answers the map does not cover (`inspect`: Deezer
 * reports errors inside a 200, Spotify refuses some items with a 404).
 *
 * @module
 */

import { sleep } from '../abort.js';
import { ErrorCodes, SpenceError } from '../errors.js';
import { DEFAULT_HTTP_SETTINGS } from './budgets.js';
import { request, requestUrl } from './request.js';
import type { HttpContext } from './request.js';
import { parseRetryAfter } from './retry-policy.js';
import { statusError } from './status.js';
import type { Unauthorized } from './status.js';

/** One attempt's request, for {@link JsonRequestOptions.authorize} to add credentials to. */
export interface AttemptRequest {
  /** The URL; add query parameters to it (a client id). */
  url: URL;
  /** The headers; add an `authorization` header to them. */
  headers: Record<string, string>;
}

/** An answer, parsed, for {@link JsonRequestOptions.inspect}. */
export interface JsonAnswer {
  status: number;
  /** The parsed body; `undefined` when it is not JSON. */
  body: unknown;
}

/** Options for {@link requestJson}. */
export interface JsonRequestOptions {
  /** Who is asked, for messages: `'Spotify'`. */
  service: string;
  /** What is asked for, for messages: `'track 123'`. Never holds a secret. */
  what: string;
  /** The `SpenceError.source` of the errors: the provider's name. */
  source: string;
  /** Extra request headers (`accept: application/json` is sent). Never logged. */
  headers?: Record<string, string>;
  /**
   * Adds the service's credentials to an attempt (a bearer token, a client id) and returns how to
   * drop them: after a 401 it is called, then the request is made once more with fresh ones. Its
   * errors pass through as they are.
   */
  authorize?: (request: AttemptRequest, signal: AbortSignal) => Promise<(() => void) | void>;
  /** What a 401 means (see `status.ts`). Default `'credentials'` when `authorize` is given, else `'item'`. */
  unauthorized?: Unauthorized;
  /** Named in a 401's message: the option that holds the credentials (`'appleMusic.developerToken'`). */
  credentialsHint?: string;
  /**
   * A 429 whose wait (`Retry-After`, or {@link defaultRetryAfterMs}) is at most this long, in ms,
   * is waited out once, on the node's clock, and the request made again; a longer one is
   * `RATE_LIMITED` with `retryAfterMs`. Default 0: never wait.
   */
  maxRetryWaitMs?: number;
  /** The wait a 429 stands for when it gives no `Retry-After` (a service's documented quota window). */
  defaultRetryAfterMs?: number;
  /** The service's own reason for a failed status, from its error body, for the message. */
  reason?: (body: unknown) => string | undefined;
  /**
   * Looks at every answer before the status map (429s and 401s aside): returns the error to
   * throw for an answer the map does not cover, or undefined to go on.
   */
  inspect?: (answer: JsonAnswer) => SpenceError | undefined;
  /** The most body bytes read. Default 8 MiB. */
  maxBytes?: number;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * GETs `url` and returns its JSON body (an object or an array).
 *
 * @throws {SpenceError} by the status map: `NOT_FOUND`, `UNAVAILABLE`, `RATE_LIMITED` (with
 * `retryAfterMs`), `UPSTREAM` (also for an answer that is not JSON); `NETWORK` when the service
 * cannot be reached or a budget runs out; `ABORTED` when the context's signal fires;
 * `INVALID_ARGUMENT` for a malformed URL.
 */
export async function requestJson<T>(url: URL | string, context: HttpContext, options: JsonRequestOptions): Promise<T> {
  const { service, what, source } = options;
  const clock = (context.http ?? DEFAULT_HTTP_SETTINGS).clock;
  const base = requestUrl(url, options);
  let refreshed = false;
  let waited = false;
  for (;;) {
    const attempt: AttemptRequest = { url: new URL(base), headers: { accept: 'application/json', ...options.headers } };
    const invalidate = await options.authorize?.(attempt, context.signal);
    const answer = await request(attempt.url, context, {
      service,
      what,
      source,
      headers: attempt.headers,
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    });
    const status = answer.status;
    if (status === 401 && invalidate && !refreshed) {
      invalidate();
      refreshed = true;
      continue;
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after')) ?? options.defaultRetryAfterMs;
      if (!waited && retryAfterMs !== undefined && retryAfterMs <= (options.maxRetryWaitMs ?? 0)) {
        waited = true;
        await sleep(retryAfterMs, context.signal, `${service} request`, clock);
        continue;
      }
      throw statusError(429, { service, what, source, retryAfterMs });
    }
    const body = parse(answer.text);
    const refused = options.inspect?.({ status, body });
    if (refused !== undefined) throw refused;
    if (status < 200 || status >= 300) {
      throw statusError(status, {
        service,
        what,
        source,
        reason: options.reason?.(body),
        unauthorized: options.unauthorized ?? (options.authorize ? 'credentials' : 'item'),
        ...(options.credentialsHint !== undefined ? { credentialsHint: options.credentialsHint } : {}),
      });
    }
    if (body === null || typeof body !== 'object') {
      throw new SpenceError(ErrorCodes.UPSTREAM, `${service} answered ${what} with something that is not JSON`, { source });
    }
    return body as T;
  }
}
