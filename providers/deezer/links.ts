/**
 * Recognising Deezer inputs and following its short links.
 *
 * @module
 */

import { ErrorCodes, SpenceError, redact, toSpenceError } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';
import { send } from './http.js';

/** A Deezer item an input points at. */
export interface DeezerRef {
  type: 'track' | 'album' | 'playlist';
  id: string;
}

const SHORT_HOSTS = new Set(['deezer.page.link', 'link.deezer.com']);
const MAX_HOPS = 5;

/** True for `deezer.page.link` and `link.deezer.com` short links. */
export function isShortLink(url: URL): boolean {
  return (url.protocol === 'https:' || url.protocol === 'http:') && SHORT_HOSTS.has(url.hostname.toLowerCase());
}

/** `deezer.com/{lang?}/track|album|playlist/{id}`, or `null`. */
export function parseDeezerUrl(url: URL): DeezerRef | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase();
  if (host !== 'deezer.com' && host !== 'www.deezer.com') return null;
  const match = /^\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?(track|album|playlist)\/(\d+)\/?$/i.exec(url.pathname);
  return match ? { type: match[1]!.toLowerCase() as DeezerRef['type'], id: match[2]! } : null;
}

/**
 * Follows a short link to the Deezer page it names, one hop at a time (redirects are not followed
 * automatically), refusing any hop that leaves Deezer's hosts.
 */
export async function followShortLink(start: URL, context: ProviderContext): Promise<DeezerRef> {
  let url = start;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const ref = parseDeezerUrl(url);
    if (ref) return ref;
    if (!isShortLink(url)) break;
    await context.urlGuard.check(url, { signal: context.signal });
    let response: Response;
    try {
      response = await send(url, context, { method: 'GET', redirect: 'manual' });
      await response.body?.cancel();
    } catch (error) {
      throw toSpenceError(error, ErrorCodes.NETWORK, `Could not follow the Deezer short link ${redact(start)}`, context.signal);
    }
    const location = response.headers.get('location');
    if (response.status === 404 || response.status === 410) throw new SpenceError(ErrorCodes.NOT_FOUND, `The Deezer short link ${redact(start)} leads nowhere`, { source: 'deezer' });
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new SpenceError(ErrorCodes.UPSTREAM, `The Deezer short link ${redact(start)} did not redirect (HTTP ${response.status})`, { source: 'deezer' });
    }
    url = new URL(location, url);
  }
  throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `The Deezer short link ${redact(start)} does not lead to a Deezer track, album or playlist (it ends at ${redact(url)})`, { source: 'deezer' });
}
