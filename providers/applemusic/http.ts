/**
 * JSON over HTTP for the Apple Music provider, with the caller's signal and the node's pooled agent.
 *
 * @module
 */

import { ErrorCodes, SpenceError, toSpenceError } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** Which service answered, for messages. */
export type Service = 'Apple Music' | 'the iTunes Lookup API';

/** Apple Music API error bodies: `{ "errors": [{ "status": "404", "title": "...", "detail": "..." }] }`. */
interface AppleErrors {
  errors?: { status?: string; code?: string; title?: string; detail?: string }[];
}

/** GETs `url` and returns its JSON, mapping statuses to spence's codes. `headers` are never logged. */
export async function getJson<T>(url: URL, context: ProviderContext, what: string, service: Service, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await globalThis.fetch(url, {
      headers: { accept: 'application/json', ...headers },
      signal: context.signal,
      dispatcher: context.dispatcher,
    } as RequestInit);
    text = await response.text();
  } catch (error) {
    throw toSpenceError(error, ErrorCodes.NETWORK, `Could not reach ${service} for ${what}`, context.signal);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) throw statusError(response, body, what, service);
  if (body === null || typeof body !== 'object') throw new SpenceError(ErrorCodes.UPSTREAM, `${service} answered ${what} with something that is not JSON`, { source: 'applemusic' });
  return body as T;
}

function statusError(response: Response, body: unknown, what: string, service: Service): SpenceError {
  const status = response.status;
  const first = (body as AppleErrors | undefined)?.errors?.[0];
  const reason = first ? [first.title, first.detail].filter(Boolean).join(': ') : `HTTP ${status}`;
  if (status === 404) return new SpenceError(ErrorCodes.NOT_FOUND, `${service} has no ${what} (${reason})`, { source: 'applemusic' });
  if (status === 429) {
    const seconds = Number(response.headers.get('retry-after') ?? NaN);
    return new SpenceError(ErrorCodes.RATE_LIMITED, `${service} is rate limiting requests (${what})`, { source: 'applemusic', ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}) });
  }
  if (status === 401) return new SpenceError(ErrorCodes.UPSTREAM, `${service} refused the developer token (${reason}); check appleMusic.developerToken`, { source: 'applemusic' });
  if (status === 403) return new SpenceError(ErrorCodes.UNAVAILABLE, `${service} refused ${what} (${reason})`, { source: 'applemusic' });
  return new SpenceError(ErrorCodes.UPSTREAM, `${service} answered HTTP ${status} for ${what} (${reason})`, { source: 'applemusic' });
}
