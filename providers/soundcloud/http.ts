/**
 * Plain requests for the SoundCloud provider: the web page and its scripts (client id discovery),
 * short links, and HLS playlists. API requests (with `client_id`) are in `api.ts`.
 *
 * Every request goes through `globalThis.fetch`, looked up at call time so nock (or any fetch
 * interceptor) sees it, on the node's pooled agent, with the caller's signal.
 *
 * @module
 */

import { ErrorCodes, SpenceError, parseRetryAfter, redact, toSpenceError } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** What a request needs from the context: the agent and a signal (a read's own, during playback). */
export type Net = Pick<ProviderContext, 'dispatcher' | 'signal'>;

/** A browser's user agent: soundcloud.com serves its full page (hydration, scripts) to browsers. */
export const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** The most text read from one page, script or playlist: bounds memory on a hostile answer. */
const MAX_TEXT = 8 * 1024 * 1024;

/** A fetch through the node's agent; connection failures become `NETWORK`, aborts `ABORTED`. */
export async function send(url: URL | string, net: Net, what: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await globalThis.fetch(url, {
      ...init,
      headers: { 'user-agent': USER_AGENT, ...(init.headers as Record<string, string> | undefined) },
      signal: net.signal,
      dispatcher: net.dispatcher,
    } as RequestInit);
  } catch (error) {
    throw toSpenceError(error, ErrorCodes.NETWORK, `Could not reach SoundCloud for ${what} (${redact(url)})`, net.signal);
  }
}

/** Reads a body as text, at most {@link MAX_TEXT} bytes. */
export async function readText(response: Response, net: Net, what: string): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  if (length > MAX_TEXT) {
    await response.body?.cancel();
    throw new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud answered ${what} with ${length} bytes, more than the ${MAX_TEXT} read`, { source: 'soundcloud' });
  }
  try {
    const text = await response.text();
    if (text.length > MAX_TEXT) throw new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud answered ${what} with more than ${MAX_TEXT} bytes`, { source: 'soundcloud' });
    return text;
  } catch (error) {
    throw toSpenceError(error, ErrorCodes.NETWORK, `The answer to ${what} was cut short`, net.signal);
  }
}

/** GETs a page, script or playlist as text; a non-2xx status is an error saying which. */
export async function getText(url: URL | string, net: Net, what: string): Promise<string> {
  const response = await send(url, net, what);
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw statusError(response, what);
  }
  return readText(response, net, what);
}


/** The error for a non-2xx answer that is not the API's (`api.ts` reads the API's own). */
export function statusError(response: Response, what: string, reason = `HTTP ${response.status}`): SpenceError {
  const status = response.status;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    return new SpenceError(ErrorCodes.RATE_LIMITED, `SoundCloud is rate limiting requests (${what})${retryAfterMs !== undefined ? `; retry in ${Math.ceil(retryAfterMs / 1000)} s` : ''}`, {
      source: 'soundcloud',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 404 || status === 410) return new SpenceError(ErrorCodes.NOT_FOUND, `SoundCloud has no ${what} (${reason})`, { source: 'soundcloud' });
  return new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud answered ${reason} for ${what}`, { source: 'soundcloud' });
}
