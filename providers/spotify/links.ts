/**
 * Recognising Spotify inputs and following `spotify.link` short links.
 *
 * @module
 */

import { followLinks } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** What a Spotify input points at. */
export interface SpotifyRef {
  type: 'track' | 'album' | 'playlist' | 'artist';
  id: string;
}

const TYPES = 'track|album|playlist|artist';
/** Spotify IDs are 22 base62 characters. */
const ID = '[A-Za-z0-9]{22}';
const PATH = new RegExp(`^/(?:intl-[a-z]{2}(?:[-_][a-z0-9]{2,4})?/)?(?:embed/)?(?:user/[^/]+/)?(${TYPES})/(${ID})/?$`, 'i');
const URI = new RegExp(`^spotify:(?:user:[^:]+:)?(${TYPES}):(${ID})$`, 'i');
/** Hosts a short link may pass through; anything else is refused. */
const SHORT_HOSTS = new Set(['spotify.link', 'spotify.app.link']);
const MAX_HOPS = 5;

/** `open.spotify.com[/intl-xx][/embed]/{type}/{id}` or `spotify:{type}:{id}`, or `null`. */
export function parseSpotify(input: { raw: string; url: URL | null }): SpotifyRef | null {
  const uri = URI.exec(input.raw);
  if (uri) return { type: uri[1]!.toLowerCase() as SpotifyRef['type'], id: uri[2]! };
  const url = input.url;
  if (!url || url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.hostname.toLowerCase() !== 'open.spotify.com') return null;
  const match = PATH.exec(url.pathname);
  return match ? { type: match[1]!.toLowerCase() as SpotifyRef['type'], id: match[2]! } : null;
}

/** True for `https://spotify.link/...` short links. */
export function isShortLink(url: URL | null): boolean {
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.toLowerCase() === 'spotify.link';
}

/**
 * Follows a short link hop by hop (no automatic redirects), only through Spotify's link hosts,
 * to the `open.spotify.com` page it names. HEAD first; GET when the host does not redirect HEAD.
 */
export function followShortLink(start: URL, context: ProviderContext): Promise<SpotifyRef> {
  return followLinks(start, context, {
    service: 'Spotify',
    source: 'spotify',
    target: 'a Spotify track, album, playlist or artist',
    parse: (url) => parseSpotify({ raw: url.href, url }),
    isLink: (url) => SHORT_HOSTS.has(url.hostname.toLowerCase()),
    methods: ['HEAD', 'GET'],
    maxHops: MAX_HOPS,
  });
}
