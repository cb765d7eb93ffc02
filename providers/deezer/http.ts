/**
 * JSON over HTTP for the Deezer provider, through the provider kit's `requestJson` (the node's
 * agent and budgets, the one status map). Deezer's own part: it reports errors inside a 200 body,
 * and its quota (a 429, or error code 4) is one 5-second window.
 *
 * @module
 */

import { ErrorCodes, SpenceError, requestJson } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** Deezer's public quota is 50 requests per 5 seconds: after code 4, wait one window. */
const QUOTA_WINDOW_MS = 5_000;

/** The error object Deezer puts in a 200 body. */
interface DeezerErrorBody {
  error?: { type?: string; message?: string; code?: number };
}

/** GETs a Deezer API URL and returns its JSON, mapping Deezer's errors to spence's codes. */
export function getJson<T>(url: URL, context: ProviderContext, what: string): Promise<T> {
  return requestJson<T>(url, context, {
    service: 'Deezer',
    what,
    source: 'deezer',
    defaultRetryAfterMs: QUOTA_WINDOW_MS,
    inspect: ({ body }) => {
      const error = (body as DeezerErrorBody | undefined)?.error;
      return error && typeof error === 'object' ? bodyError(error, what) : undefined;
    },
  });
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
