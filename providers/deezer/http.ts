/**
 * JSON over HTTP for the Deezer provider: the caller's signal, the node's pooled agent, and
 * Deezer's habit of reporting errors inside a 200 body.
 *
 * @module
 */

import { ErrorCodes, SpenceError, parseRetryAfter, redact, toSpenceError } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** Deezer's public quota is 50 requests per 5 seconds: after code 4, wait one window. */
const QUOTA_WINDOW_MS = 5_000;

/** The error object Deezer puts in a 200 body. */
interface DeezerErrorBody {
  error?: { type?: string; message?: string; code?: number };
}

/**
 * The fetch in use, looked up at call time so tests (nock) and users can replace `globalThis.fetch`.
 * `dispatcher` is undici's extension: requests share the node's pooled, policy-checked agent.
 */
export function send(url: URL, context: ProviderContext, init: RequestInit = {}): Promise<Response> {
  return globalThis.fetch(url, { ...init, signal: context.signal, dispatcher: context.dispatcher } as RequestInit);
}

/** GETs a Deezer API URL and returns its JSON, mapping Deezer's errors to spence's codes. */
export async function getJson<T>(url: URL, context: ProviderContext, what: string): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await send(url, context, { headers: { accept: 'application/json' } });
    text = await response.text();
  } catch (error) {
    throw toSpenceError(error, ErrorCodes.NETWORK, `Could not reach Deezer for ${what} (${redact(url)})`, context.signal);
  }
  const body = parseJson(text);
  if (response.status === 429) {
    throw new SpenceError(ErrorCodes.RATE_LIMITED, `Deezer is rate limiting requests (${what})`, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) ?? QUOTA_WINDOW_MS, source: 'deezer' });
  }
  const error = (body as DeezerErrorBody | undefined)?.error;
  if (error && typeof error === 'object') throw bodyError(error, what);
  if (response.status === 404) throw new SpenceError(ErrorCodes.NOT_FOUND, `Deezer has no ${what}`, { source: 'deezer' });
  if (!response.ok) throw new SpenceError(ErrorCodes.UPSTREAM, `Deezer answered HTTP ${response.status} for ${what}`, { source: 'deezer' });
  if (body === null || typeof body !== 'object') {
    throw new SpenceError(ErrorCodes.UPSTREAM, `Deezer answered ${what} with something that is not a JSON object`, { source: 'deezer' });
  }
  return body as T;
}

/** Deezer's error codes: https://developers.deezer.com/api/errors (4 = quota, 800 = no data). */
function bodyError(error: NonNullable<DeezerErrorBody['error']>, what: string): SpenceError {
  const reason = [error.type, error.message].filter(Boolean).join(': ');
  if (error.code === 800) return new SpenceError(ErrorCodes.NOT_FOUND, `Deezer has no ${what} (${reason || 'no data'})`, { source: 'deezer' });
  if (error.code === 4) {
    return new SpenceError(ErrorCodes.RATE_LIMITED, `Deezer's request quota is exceeded (${what}); retry in a few seconds`, { retryAfterMs: QUOTA_WINDOW_MS, source: 'deezer' });
  }
  return new SpenceError(ErrorCodes.UPSTREAM, `Deezer refused ${what}: ${reason || 'unknown error'} (code ${error.code ?? '?'})`, { source: 'deezer' });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
