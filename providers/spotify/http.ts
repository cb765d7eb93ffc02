/**
 * Web API requests, through the provider kit's `requestJson` (the node's agent and budgets, the
 * one status map, a short `Retry-After` waited out once). Made without spotify-web-api-node: that
 * library cannot abort a request, does not know `/playlists/{id}/items`, and hides the
 * `Retry-After` handling we need. What is Spotify's own is here: the app token as the credentials
 * hook, the reason in its error bodies, and the statuses it uses differently (see `refine`).
 *
 * @module
 */

import { ErrorCodes, SpenceError, requestJson } from '../../src/provider-kit.js';
import type { JsonAnswer, ProviderContext } from '../../src/provider-kit.js';
import type { SpotifyTokens } from './token.js';

/** How a refusal is reported: most items are "not found"; playlists and artist top tracks are "unavailable" (see `refine`). */
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
export function getJson<T>(settings: ApiSettings, path: string, context: ProviderContext, what: string, refusal: Refusal = 'item'): Promise<T> {
  return requestJson<T>(`${settings.apiBase}${path}`, context, {
    service: 'Spotify',
    what,
    source: 'spotify',
    authorize: async (request, signal) => {
      const token = await settings.tokens.get(signal);
      request.headers.authorization = `Bearer ${token}`;
      return () => settings.tokens.invalidate(token);
    },
    credentialsHint: 'spotify.clientId and spotify.clientSecret',
    maxRetryWaitMs: settings.maxRetryWaitMs,
    reason,
    inspect: (answer) => refine(answer, what, refusal),
  });
}

/** Spotify's error body: `{ "error": { "status": 403, "message": "..." } }`. */
function reason(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}

/** The statuses Spotify means differently from the shared map. */
function refine({ status, body }: JsonAnswer, what: string, kind: Refusal): SpenceError | undefined {
  const why = reason(body) ?? `HTTP ${status}`;
  if (kind === 'restricted' && (status === 403 || status === 404)) {
    // Since November 2024 Spotify-owned and algorithmic playlists answer 404, and since February 2026
    // development-mode apps may read only some playlists, and not artists' top tracks: the item
    // may well exist; this app may not read it.
    return new SpenceError(ErrorCodes.UNAVAILABLE, `Spotify will not let this app read ${what}: ${why} (HTTP ${status}). Spotify-owned, algorithmic and other users' playlists, and some endpoints, are closed to development-mode apps.`, { source: 'spotify' });
  }
  // An id that is not base62, or not 22 characters: no such item.
  if (status === 400) return new SpenceError(ErrorCodes.NOT_FOUND, `Spotify has no ${what} (HTTP 400: ${why})`, { source: 'spotify' });
  return undefined;
}
