/**
 * Following a service's short links (`spotify.link`, `deezer.page.link`, `on.soundcloud.com`) hop
 * by hop: redirects are never followed automatically, every hop must stay on the service's link
 * hosts and pass the node's URL guard, and the walk ends at the first URL that names an item.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { redact } from '../redact.js';
import type { UrlGuard } from '../resolve/provider.js';
import { request } from './request.js';
import type { HttpContext } from './request.js';

/** Options for {@link followLinks}. */
export interface FollowLinksOptions<T> {
  /** The service, for messages: `'Spotify'`. */
  service: string;
  /** The `SpenceError.source`. */
  source: string;
  /** What a link should lead to, for messages: `'a Deezer track, album or playlist'`. */
  target: string;
  /** The item a URL names, or null when it names none (another hop, or somewhere else). */
  parse: (url: URL) => T | null;
  /** True for a URL on the service's link hosts: one worth following further. */
  isLink: (url: URL) => boolean;
  /** Methods tried at each hop, in order, until one redirects (some hosts answer HEAD). Default GET. */
  methods?: readonly ('GET' | 'HEAD')[];
  /** The most hops. Default 5. */
  maxHops?: number;
}

/**
 * Follows `start` to the item it names.
 *
 * @throws {SpenceError} `NOT_FOUND` when a hop answers 404/410; `UPSTREAM` when one does not
 * redirect; `UNSUPPORTED_INPUT` when the links lead off the service's hosts or go on too long;
 * `FORBIDDEN_URL` from the guard; `NETWORK`, `ABORTED` from the request.
 */
export async function followLinks<T>(start: URL, context: HttpContext & { urlGuard: UrlGuard }, options: FollowLinksOptions<T>): Promise<T> {
  const { service, source } = options;
  const link = `the ${service} short link ${redact(start)}`;
  const maxHops = options.maxHops ?? 5;
  let url = start;
  for (let hop = 0; hop <= maxHops; hop++) {
    const item = options.parse(url);
    if (item !== null) return item;
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !options.isLink(url)) break;
    await context.urlGuard.check(url, { signal: context.signal });
    let status = 0;
    let location: string | null = null;
    for (const method of options.methods ?? ['GET']) {
      const answer = await request(url, context, { service, what: link, source, method, redirect: 'manual', readBody: false });
      status = answer.status;
      location = answer.headers.get('location');
      if ((status >= 300 && status < 400 && location) || status === 404 || status === 410) break;
    }
    if (status === 404 || status === 410) throw new SpenceError(ErrorCodes.NOT_FOUND, `${capitalise(link)} leads nowhere (HTTP ${status})`, { source });
    const next = status >= 300 && status < 400 && location ? URL.parse(location, url) : null;
    if (next === null) throw new SpenceError(ErrorCodes.UPSTREAM, `${capitalise(link)} did not redirect to a URL (HTTP ${status})`, { source });
    url = next;
  }
  throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${capitalise(link)} does not lead to ${options.target} (it ends at ${redact(url)})`, { source });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
