/**
 * HLS media playlists (RFC 8216), parsed with hls-parser: the segment URLs of a VOD playlist.
 *
 * @module
 */

import { ErrorCodes, SpenceError, redact, redactText } from '../../src/provider-kit.js';
import { getText } from './http.js';
import type { Net } from './http.js';

/**
 * Parses a media playlist to its segment URLs, resolved against the playlist's URL. Refuses what
 * the Ogg path cannot play: master playlists, encrypted segments (`#EXT-X-KEY` other than NONE),
 * fragmented MP4 (`#EXT-X-MAP`), byte ranges (every segment is its own slice on SoundCloud), and a
 * live playlist (no `#EXT-X-ENDLIST`).
 */
export async function parseMediaPlaylist(text: string, playlistUrl: string): Promise<string[]> {
  // hls-parser loads with the first playlist, not at import.
  const HLS = (await import('hls-parser')).default;
  let playlist: ReturnType<typeof HLS.parse>;
  // hls-parser's options are module-wide: lenient and quiet for this call only (it is synchronous),
  // so an application's own use of the library is left as it set it.
  const saved = HLS.getOptions();
  HLS.setOptions({ ...saved, strictMode: false, silent: true });
  try {
    playlist = HLS.parse(text);
  } catch (error) {
    throw new SpenceError(ErrorCodes.UPSTREAM, `The HLS playlist at ${redact(playlistUrl)} could not be parsed: ${redactText((error as Error)?.message ?? String(error))}`, { source: 'soundcloud', cause: error });
  } finally {
    HLS.setOptions(saved);
  }
  const where = redact(playlistUrl);
  if (playlist.isMasterPlaylist) throw new SpenceError(ErrorCodes.UPSTREAM, `Expected a media playlist at ${where}, got a master playlist`, { source: 'soundcloud' });
  if (!playlist.endlist) throw new SpenceError(ErrorCodes.UPSTREAM, `The HLS playlist at ${where} is live (no #EXT-X-ENDLIST); only complete tracks are played`, { source: 'soundcloud' });
  if (playlist.segments.length === 0) throw new SpenceError(ErrorCodes.UPSTREAM, `The HLS playlist at ${where} has no segments`, { source: 'soundcloud' });
  return playlist.segments.map((segment, index) => {
    if (segment.key && segment.key.method !== 'NONE') {
      throw new SpenceError(ErrorCodes.UNAVAILABLE, `The HLS playlist at ${where} is encrypted (${segment.key.method}); encrypted streams are not played`, { source: 'soundcloud' });
    }
    if (segment.map) throw new SpenceError(ErrorCodes.UPSTREAM, `The HLS playlist at ${where} is fragmented MP4 (#EXT-X-MAP), not Ogg`, { source: 'soundcloud' });
    if (segment.byterange) throw new SpenceError(ErrorCodes.UPSTREAM, `The HLS playlist at ${where} uses byte ranges (#EXT-X-BYTERANGE), which this reader does not follow`, { source: 'soundcloud' });
    if (!URL.canParse(segment.uri, playlistUrl)) throw new SpenceError(ErrorCodes.UPSTREAM, `Segment ${index} of the HLS playlist at ${where} has no valid URL`, { source: 'soundcloud' });
    return new URL(segment.uri, playlistUrl).href;
  });
}

/** Fetches and parses a media playlist. */
export async function loadMediaPlaylist(playlistUrl: string, net: Net): Promise<string[]> {
  const text = await getText(playlistUrl, net, 'an HLS playlist', { signed: true });
  return parseMediaPlaylist(text, playlistUrl);
}
