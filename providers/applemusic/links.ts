/**
 * Recognising Apple Music URLs.
 *
 * @module
 */

/** What an Apple Music URL points at. */
export interface AppleRef {
  type: 'song' | 'album' | 'playlist';
  id: string;
  /** The storefront (country code) in the URL, lower case, or `null`. */
  storefront: string | null;
}

const PATH = /^\/(?:([a-z]{2})\/)?(album|song|playlist)\/(?:[^/]+\/)?((?:pl\.[A-Za-z0-9.-]+)|\d+)\/?$/i;

/**
 * `music.apple.com/{cc}/{album|song|playlist}/{slug?}/{id}[?i={songId}]`, or `null`. An album URL
 * with `?i=` names one of its songs, and is that song.
 */
export function parseAppleUrl(url: URL | null): AppleRef | null {
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null;
  if (url.hostname.toLowerCase() !== 'music.apple.com') return null;
  const match = PATH.exec(url.pathname);
  if (!match) return null;
  const storefront = match[1]?.toLowerCase() ?? null;
  const type = match[2]!.toLowerCase() as AppleRef['type'];
  const id = match[3]!;
  // Playlists have `pl.` ids; songs and albums numeric ones.
  if ((type === 'playlist') !== id.startsWith('pl.')) return null;
  const songId = url.searchParams.get('i');
  if (type === 'album' && songId && /^\d+$/.test(songId)) return { type: 'song', id: songId, storefront };
  return { type, id, storefront };
}
