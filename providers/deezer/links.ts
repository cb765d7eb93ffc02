/**
 * Recognising Deezer inputs and following its short links.
 *
 * @module
 */

import { followLinks } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

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
export function followShortLink(start: URL, context: ProviderContext): Promise<DeezerRef> {
  return followLinks(start, context, {
    service: 'Deezer',
    source: 'deezer',
    target: 'a Deezer track, album or playlist',
    parse: parseDeezerUrl,
    isLink: isShortLink,
    maxHops: MAX_HOPS,
  });
}
