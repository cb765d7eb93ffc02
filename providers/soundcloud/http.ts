/**
 * Requests for the SoundCloud provider, through the provider kit's `request` and `requestJson` (the
 * node's agent and budgets, the one status map, `Retry-After` in both its forms): the web page and
 * its scripts (client id discovery), HLS playlists, and the api-v2 JSON (`api.ts` adds the client
 * id). SoundCloud's own part: a browser's user agent, and where its error bodies keep the reason.
 *
 * @module
 */

import { parseRetryAfter, request, requestJson, statusError } from '../../src/provider-kit.js';
import type { HttpContext, JsonRequestOptions, StatusPolicy } from '../../src/provider-kit.js';

/** What a request needs from the context: the agent, a signal (a read's own, during playback) and the node's budgets. */
export type Net = HttpContext;

/** A browser's user agent: soundcloud.com serves its full page (hydration, scripts) to browsers. */
export const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const SERVICE = 'SoundCloud';

/**
 * GETs a page, script or playlist as text (at most 8 MiB); a non-2xx status is an error saying
 * which. `signed`: the URL is a signed CDN one (an HLS playlist), whose 403/410 is an expiry.
 */
export async function getText(url: URL | string, net: Net, what: string, policy: StatusPolicy = {}): Promise<string> {
  const answer = await request(url, net, { service: SERVICE, what, source: 'soundcloud', headers: { 'user-agent': USER_AGENT } });
  if (answer.status < 200 || answer.status >= 300) {
    throw statusError(answer.status, { ...policy, service: SERVICE, what, source: 'soundcloud', retryAfterMs: parseRetryAfter(answer.headers.get('retry-after')) });
  }
  return answer.text;
}

/** GETs an api-v2 URL as JSON; `authorize` adds the client id (see `api.ts`). */
export function getApiJson<T>(url: URL, net: Net, what: string, options: Pick<JsonRequestOptions, 'authorize' | 'maxRetryWaitMs'>): Promise<T> {
  return requestJson<T>(url, net, {
    service: SERVICE,
    what,
    source: 'soundcloud',
    headers: { 'user-agent': USER_AGENT },
    credentialsHint: 'soundcloud.clientId',
    reason: apiReason,
    ...options,
  });
}

/** An api-v2 error body: `{ "errors": [{ "error_message": "..." }] }` (older ones: `{ "error": "..." }`). */
function apiReason(body: unknown): string | undefined {
  const answer = body as { errors?: { error_message?: unknown; message?: unknown }[]; error?: unknown; message?: unknown } | undefined;
  const first = answer?.errors?.[0];
  const message = first?.error_message ?? first?.message ?? answer?.error ?? answer?.message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}
