/**
 * Recognising YouTube inputs: pure string and URL work, no I/O, so `canResolve` stays cheap.
 *
 * @module
 */

/** What a YouTube URL points at. */
export interface YoutubeTarget {
  /** The 11-character video ID, when the URL names a video. */
  videoId?: string;
  /** The playlist ID (`list=`), when the URL names one. */
  listId?: string;
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const LIST_ID = /^[A-Za-z0-9_-]{2,64}$/;

/** Hosts that serve the watch page; `youtu.be` is handled apart (its path is the ID). */
const WATCH_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);

/** Path forms whose second segment is the video ID: `/shorts/ID`, `/live/ID`, `/embed/ID`, `/v/ID`, `/e/ID`. */
const ID_PATHS = new Set(['shorts', 'live', 'embed', 'v', 'e']);

/** True for an 11-character YouTube video ID. */
export function isVideoId(value: string): boolean {
  return VIDEO_ID.test(value);
}

/**
 * Reads a YouTube URL: the video and/or playlist it names, or `null` when it is not a YouTube URL
 * we can play (channels, the home page, other hosts, malformed IDs).
 */
export function parseYoutubeUrl(url: URL): YoutubeTarget | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split('/').filter(Boolean);
  const list = url.searchParams.get('list') ?? undefined;
  const listId = list !== undefined && LIST_ID.test(list) ? list : undefined;
  let videoId: string | undefined;

  if (host === 'youtu.be' || host === 'www.youtu.be') {
    videoId = segments[0];
  } else if (WATCH_HOSTS.has(host)) {
    const [first, second] = segments;
    if (first === 'watch' && segments.length === 1) videoId = url.searchParams.get('v') ?? undefined;
    else if (first === 'playlist' && segments.length === 1) return listId !== undefined ? { listId } : null;
    else if (first !== undefined && ID_PATHS.has(first) && second !== undefined && segments.length === 2) videoId = second;
    else return null;
  } else {
    return null;
  }

  if (videoId === undefined || !VIDEO_ID.test(videoId)) return null;
  return listId !== undefined ? { videoId, listId } : { videoId };
}

/**
 * True for playlists that cannot be loaded as a list by ID: mixes (`RD...`, generated per
 * viewer) and the personal lists (`WL`, `LL`) that need a signed-in account.
 */
export function isUnloadableList(listId: string): boolean {
  return listId.startsWith('RD') || listId === 'WL' || listId === 'LL' || listId.startsWith('UL');
}

/** The canonical watch URL of a video. */
export function watchUrl(videoId: string): string {
  return `https://www.youtube.com/watch?v=${videoId}`;
}

/** The canonical URL of a playlist. */
export function playlistUrl(listId: string): string {
  return `https://www.youtube.com/playlist?list=${listId}`;
}
