/**
 * A small api-v2 client: GET with `client_id`, a fresh client id once on a 401, a short
 * `Retry-After` waited out once, and SoundCloud's statuses mapped to error codes.
 *
 * Written directly rather than through `soundcloud.ts`: that library cannot abort a request or
 * route it through the node's agent, and for playback it picks encrypted streams when no protocol
 * is given, prefers MP3 HLS over Opus, ignores previews and sends no `track_authorization`: all of
 * the parts that matter here. What is left (a handful of GETs) is less code than wrapping it.
 *
 * @module
 */

import { ErrorCodes, SpenceError, parseRetryAfter, sleep } from '../../src/provider-kit.js';
import type { ClientIds } from './client-id.js';
import { readText, send } from './http.js';
import type { Net } from './http.js';

/** What the client needs from the provider's options. */
export interface ApiSettings {
  /** `https://api-v2.soundcloud.com`, without a trailing slash. */
  apiBase: string;
  clientIds: ClientIds;
  /** The longest `Retry-After` waited out (once) before reporting `RATE_LIMITED`. */
  maxRetryWaitMs: number;
}

/** Query parameters; undefined ones are left out. */
export type Params = Record<string, string | number | undefined>;

/** An api-v2 error body: `{ "errors": [{ "error_message": "..." }] }` (older ones: `{ "error": "..." }`). */
function apiReason(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { errors?: { error_message?: unknown; message?: unknown }[]; error?: unknown; message?: unknown };
    const first = body.errors?.[0];
    const message = first?.error_message ?? first?.message ?? body.error ?? body.message;
    if (typeof message === 'string' && message !== '') return `${message} (HTTP ${status})`;
  } catch {}
  return `HTTP ${status}`;
}

/**
 * GETs `pathOrUrl` (a path under the API base, or an absolute api-v2 URL such as a transcoding's)
 * with `params` and the client id, and returns its JSON.
 */
export async function getJson<T>(settings: ApiSettings, pathOrUrl: string, params: Params, net: Net, what: string): Promise<T> {
  let retriedAuth = false;
  let waited = false;
  for (;;) {
    const clientId = await settings.clientIds.get(net);
    const url = new URL(/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${settings.apiBase}${pathOrUrl}`);
    for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, String(value));
    url.searchParams.set('client_id', clientId);
    const response = await send(url, net, what, { headers: { accept: 'application/json' } });
    const text = await readText(response, net, what);
    if (response.status === 401 && !retriedAuth) {
      // The client id was rotated (they live a few weeks) or the configured one is wrong: find a fresh one, once.
      settings.clientIds.invalidate(clientId);
      retriedAuth = true;
      continue;
    }
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (!waited && retryAfterMs !== undefined && retryAfterMs <= settings.maxRetryWaitMs) {
        waited = true;
        await sleep(retryAfterMs, net.signal, 'SoundCloud request');
        continue;
      }
      throw new SpenceError(ErrorCodes.RATE_LIMITED, `SoundCloud is rate limiting requests (${what})${retryAfterMs !== undefined ? `; retry in ${Math.ceil(retryAfterMs / 1000)} s` : ''}`, {
        source: 'soundcloud',
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (!response.ok) throw statusError(response.status, apiReason(text, response.status), what);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud answered ${what} with something that is not JSON`, { source: 'soundcloud', cause: error });
    }
  }
}

function statusError(status: number, reason: string, what: string): SpenceError {
  if (status === 404 || status === 410) return new SpenceError(ErrorCodes.NOT_FOUND, `SoundCloud has no ${what} (${reason})`, { source: 'soundcloud' });
  if (status === 401) return new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud refused the client id for ${what}, even a freshly discovered one (${reason})`, { source: 'soundcloud' });
  // 403: a private item without its secret token, or one not streamable here.
  if (status === 403) return new SpenceError(ErrorCodes.UNAVAILABLE, `SoundCloud will not give ${what}: private or restricted (${reason})`, { source: 'soundcloud' });
  return new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud answered ${reason} for ${what}`, { source: 'soundcloud' });
}
