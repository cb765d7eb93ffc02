/**
 * Web API requests. Made with `fetch` and the app token rather than through spotify-web-api-node:
 * that library cannot abort a request, does not know `/playlists/{id}/items`, and hides the
 * `Retry-After` handling we need. Requests go through the node's pooled agent.
 *
 * @module
 */

import { ErrorCodes, SpenceError, parseRetryAfter, sleep, toSpenceError } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';
import type { SpotifyTokens } from './token.js';

/** How a refusal is reported: most items are "not found"; playlists and artist top tracks are "unavailable" (see `statusError`). */
export type Refusal = 'item' | 'restricted';

/** What the client needs from the provider's options. */
export interface ApiSettings {
  apiBase: string;
  tokens: SpotifyTokens;
  /** The longest `Retry-After` waited out (once) before reporting `RATE_LIMITED`. */
  maxRetryWaitMs: number;
}

/**
 * GETs `path` (relative to the API base) and returns its JSON. A 401 drops the token and retries
 * once; a 429 whose `Retry-After` is at most `maxRetryWaitMs` is waited out once, a longer one
 * becomes `RATE_LIMITED` with `retryAfterMs`.
 */
export async function getJson<T>(settings: ApiSettings, path: string, context: ProviderContext, what: string, refusal: Refusal = 'item'): Promise<T> {
  const url = new URL(`${settings.apiBase}${path}`);
  let retriedAuth = false;
  let waited = false;
  for (;;) {
    const token = await settings.tokens.get(context.signal);
    let response: Response;
    let text: string;
    try {
      response = await globalThis.fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: context.signal,
        dispatcher: context.dispatcher,
      } as RequestInit);
      text = await response.text();
    } catch (error) {
      throw toSpenceError(error, ErrorCodes.NETWORK, `Could not reach Spotify for ${what}`, context.signal);
    }
    if (response.status === 401 && !retriedAuth) {
      settings.tokens.invalidate(token);
      retriedAuth = true;
      continue;
    }
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (!waited && retryAfterMs !== undefined && retryAfterMs <= settings.maxRetryWaitMs) {
        waited = true;
        await sleep(retryAfterMs, context.signal, 'Spotify request');
        continue;
      }
      throw new SpenceError(ErrorCodes.RATE_LIMITED, `Spotify is rate limiting requests (${what})${retryAfterMs !== undefined ? `; retry in ${Math.ceil(retryAfterMs / 1000)} s` : ''}`, {
        source: 'spotify',
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    const body = parseJson(text);
    if (!response.ok) throw statusError(response.status, body, what, refusal);
    if (body === null || typeof body !== 'object') throw new SpenceError(ErrorCodes.UPSTREAM, `Spotify answered ${what} with something that is not JSON`, { source: 'spotify' });
    return body as T;
  }
}

/** Spotify's error body: `{ "error": { "status": 403, "message": "..." } }`. */
function statusError(status: number, body: unknown, what: string, refusal: Refusal): SpenceError {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  const reason = typeof message === 'string' && message !== '' ? message : `HTTP ${status}`;
  if (refusal === 'restricted' && (status === 403 || status === 404)) {
    // Since November 2024 Spotify-owned and algorithmic playlists answer 404, and since February 2026
    // development-mode apps may read only some playlists, and not artists' top tracks: the item
    // may well exist; this app may not read it.
    return new SpenceError(ErrorCodes.UNAVAILABLE, `Spotify will not let this app read ${what}: ${reason} (HTTP ${status}). Spotify-owned, algorithmic and other users' playlists, and some endpoints, are closed to development-mode apps.`, { source: 'spotify' });
  }
  if (status === 400 || status === 404) return new SpenceError(ErrorCodes.NOT_FOUND, `Spotify has no ${what} (${reason})`, { source: 'spotify' });
  if (status === 401 || status === 403) return new SpenceError(ErrorCodes.UNAVAILABLE, `Spotify refused ${what}: ${reason} (HTTP ${status})`, { source: 'spotify' });
  return new SpenceError(ErrorCodes.UPSTREAM, `Spotify answered HTTP ${status} for ${what} (${reason})`, { source: 'spotify' });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
