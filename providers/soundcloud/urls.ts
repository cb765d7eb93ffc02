/**
 * Recognising SoundCloud inputs: pure string and URL work, no I/O, so `canResolve` stays cheap.
 *
 * @module
 */

import { redact } from '../../src/provider-kit.js';

/** What a SoundCloud input points at. */
export type SoundcloudTarget =
  /** A page on soundcloud.com (`/{user}/{track}`, `/{user}/sets/{playlist}`): resolved with api-v2 `/resolve`. */
  | { kind: 'permalink'; url: string }
  /** A track by numeric ID (api URLs), with the secret token of a private track when given. */
  | { kind: 'track'; id: string; secretToken?: string }
  /** A playlist by numeric ID (api URLs). */
  | { kind: 'playlist'; id: string; secretToken?: string }
  /** An `on.soundcloud.com` short link, to be followed. */
  | { kind: 'short'; url: URL };

/** Hosts that serve track and playlist pages. */
const PAGE_HOSTS = new Set(['soundcloud.com', 'www.soundcloud.com', 'm.soundcloud.com']);
/** Hosts of the API URLs (`uri` fields, old share links). */
const API_HOSTS = new Set(['api.soundcloud.com', 'api-v2.soundcloud.com']);
/** Short link hosts; `soundcloud.app.goo.gl` is the older (Firebase) form. */
const SHORT_HOSTS = new Set(['on.soundcloud.com', 'soundcloud.app.goo.gl']);
/** Every host a short link may lead through: anything else is refused. */
export const LINK_HOSTS: ReadonlySet<string> = new Set([...PAGE_HOSTS, ...SHORT_HOSTS]);

/** First path segments that are SoundCloud's own pages, not users. */
const RESERVED_USERS = new Set([
  'discover', 'stream', 'you', 'search', 'charts', 'upload', 'settings', 'pages', 'terms-of-use',
  'mobile', 'jobs', 'imprint', 'messages', 'notifications', 'people', 'signin', 'logout', 'popular',
  'tags', 'tracks', 'playlists', 'sets', 'groups', 'pro', 'artists', 'feed', 'player',
]);
/** Second path segments that are a user's tabs, not tracks. */
const USER_TABS = new Set([
  'tracks', 'albums', 'sets', 'reposts', 'likes', 'followers', 'following', 'popular-tracks',
  'comments', 'spotlight', 'toptracks', 'stations',
]);

/** Permalinks are letters, digits, `-` and `_` (SoundCloud lowercases them; older ones keep case). */
const SLUG = /^[A-Za-z0-9_-]{1,255}$/;
const SECRET = /^s-[A-Za-z0-9]{3,64}$/;
const NUMERIC_ID = /^\d{1,20}$/;
/** `123` or, in `uri` fields, the URN `soundcloud:tracks:123`. */
const API_ID = /^(?:soundcloud:(?:tracks|playlists):)?(\d{1,20})$/;

function isHttp(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'http:';
}

/** The canonical page URL of a permalink path, without query (tracking parameters) or fragment. */
function pageUrl(segments: readonly string[]): string {
  return `https://soundcloud.com/${segments.join('/')}`;
}

/**
 * A page URL for messages: redacted, and a private page's secret (its `/s-...` segment, which
 * lets anyone who has it play the track) shown as `s-...`.
 */
export function describePage(url: string): string {
  return redact(url).replace(/\/s-[A-Za-z0-9]+(?=\/|$)/, '/s-...');
}

/** A soundcloud.com page path: `/{user}/{track}[/s-secret]` or `/{user}/sets/{playlist}[/s-secret]`. */
function parsePagePath(segments: string[]): SoundcloudTarget | null {
  const [user, second, third, fourth] = segments;
  if (user === undefined || second === undefined || !SLUG.test(user) || RESERVED_USERS.has(user.toLowerCase())) return null;
  if (second === 'sets') {
    if (third === undefined || !SLUG.test(third)) return null;
    if (segments.length === 3 || (segments.length === 4 && fourth !== undefined && SECRET.test(fourth))) return { kind: 'permalink', url: pageUrl(segments) };
    return null;
  }
  if (USER_TABS.has(second.toLowerCase()) || !SLUG.test(second)) return null;
  if (segments.length === 2 || (segments.length === 3 && third !== undefined && SECRET.test(third))) return { kind: 'permalink', url: pageUrl(segments) };
  return null;
}

/** An api(-v2) URL: `/tracks/{id}` or `/playlists/{id}`, with `secret_token` when given. */
function parseApiPath(url: URL, segments: string[]): SoundcloudTarget | null {
  const [type, rawId] = segments;
  if (segments.length !== 2 || rawId === undefined || (type !== 'tracks' && type !== 'playlists')) return null;
  const id = API_ID.exec(decodeURIComponent(rawId))?.[1];
  if (id === undefined) return null;
  const secret = url.searchParams.get('secret_token');
  const secretToken = secret !== null && SECRET.test(secret) ? { secretToken: secret } : {};
  return { kind: type === 'tracks' ? 'track' : 'playlist', id, ...secretToken };
}

/**
 * Reads a SoundCloud URL: a track or playlist page, an api(-v2) track or playlist URL, a short
 * link, or an embedded player's `url=`. `null` for anything else (users, SoundCloud's own pages,
 * other hosts): no request is made here.
 */
export function parseSoundcloudUrl(url: URL, depth = 0): SoundcloudTarget | null {
  if (!isHttp(url)) return null;
  const host = url.hostname.toLowerCase();
  let segments: string[];
  try {
    segments = url.pathname.split('/').filter(Boolean);
  } catch {
    return null;
  }
  if (PAGE_HOSTS.has(host)) return parsePagePath(segments);
  if (API_HOSTS.has(host)) {
    try {
      return parseApiPath(url, segments);
    } catch {
      return null; // a malformed %-escape
    }
  }
  if (SHORT_HOSTS.has(host)) return segments.length >= 1 ? { kind: 'short', url } : null;
  // The embedded player names what it plays in `url=` (an api URL or a page).
  if (host === 'w.soundcloud.com' && segments[0] === 'player' && depth === 0) {
    const inner = url.searchParams.get('url');
    return inner !== null && URL.canParse(inner) ? parseSoundcloudUrl(new URL(inner), depth + 1) : null;
  }
  return null;
}

/** A track identifier as stored in `track.identifier`: `123` or `123/s-secret` for a private track. */
export interface TrackRef {
  id: string;
  secretToken?: string;
}

/** Builds a track identifier. */
export function trackIdentifier(id: number | string, secretToken?: string | null): string {
  return secretToken && SECRET.test(secretToken) ? `${id}/${secretToken}` : String(id);
}

/** Reads a track identifier back; `null` when it is not one (an encoded track is user data). */
export function parseTrackIdentifier(identifier: string): TrackRef | null {
  const [id, secret, extra] = identifier.split('/');
  if (id === undefined || !NUMERIC_ID.test(id) || extra !== undefined) return null;
  if (secret === undefined) return { id };
  return SECRET.test(secret) ? { id, secretToken: secret } : null;
}
