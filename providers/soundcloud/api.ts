/**
 * A small api-v2 client: GET with `client_id` (the credentials hook of the provider kit's
 * `requestJson`, which also refreshes it once on a 401 and waits out a short `Retry-After` once).
 *
 * Written directly rather than through `soundcloud.ts`: that library cannot abort a request or
 * route it through the node's agent, and for playback it picks encrypted streams when no protocol
 * is given, prefers MP3 HLS over Opus, ignores previews and sends no `track_authorization`: all of
 * the parts that matter here. What is left (a handful of GETs) is less code than wrapping it.
 *
 * @module
 */

import type { ClientIds } from './client-id.js';
import { getApiJson } from './http.js';
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

/**
 * GETs `pathOrUrl` (a path under the API base, or an absolute api-v2 URL such as a transcoding's)
 * with `params` and the client id, and returns its JSON. A 401 drops the client id (rotated every
 * few weeks, or the configured one is wrong) and retries once with a fresh one.
 */
export function getJson<T>(settings: ApiSettings, pathOrUrl: string, params: Params, net: Net, what: string): Promise<T> {
  const url = new URL(/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${settings.apiBase}${pathOrUrl}`);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, String(value));
  return getApiJson<T>(url, net, what, {
    authorize: async (request) => {
      const clientId = await settings.clientIds.get(net);
      request.url.searchParams.set('client_id', clientId);
      return () => settings.clientIds.invalidate(clientId);
    },
    maxRetryWaitMs: settings.maxRetryWaitMs,
  });
}
