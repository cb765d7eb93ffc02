/**
 * Building spence tracks from what YouTube says about a video, whichever endpoint said it.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';
import { watchUrl } from './urls.js';

/** The fields every YouTube answer (player, search, music search, playlist) can give. */
export interface VideoFields {
  videoId: string;
  title: string;
  author: string;
  /** Length in seconds; null or NaN when unknown or live. */
  durationSeconds: number | null;
  isLive: boolean;
  thumbnails?: readonly { url: string; width?: number | undefined }[] | undefined;
  artists?: readonly string[];
  album?: string | undefined;
}

/** What youtubei.js says for a text or a name the answer does not have. */
const PLACEHOLDER = 'N/A';

/** A youtubei.js `Text`'s content; '' when the answer has none (its `toString()` says `N/A` then). */
export function textOf(text: { text?: string | undefined } | undefined): string {
  return text?.text ?? '';
}

/**
 * A youtubei.js `Author`'s name; '' for the `N/A` it names an entry without a byline (a name that
 * comes with no channel ID and no link), so that placeholder never reaches a track.
 */
export function authorNameOf(author: { name?: string; id?: string | undefined; endpoint?: unknown } | undefined): string {
  const name = author?.name ?? '';
  return name === PLACEHOLDER && author?.id === undefined && author?.endpoint === undefined ? '' : name;
}

/** The widest thumbnail, as an absolute https URL; the video's standard one when none is given. */
export function bestThumbnail(videoId: string, thumbnails: VideoFields['thumbnails']): string {
  let best: { url: string; width?: number | undefined } | undefined;
  for (const thumbnail of thumbnails ?? []) {
    if (!thumbnail.url) continue;
    if (!best || (thumbnail.width ?? 0) > (best.width ?? 0)) best = thumbnail;
  }
  if (!best) return `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`;
  return best.url.startsWith('//') ? `https:${best.url}` : best.url;
}

/** Builds the track; a live video has no length and cannot seek. */
export function videoTrack(context: ProviderContext, fields: VideoFields): Track {
  const seconds = fields.durationSeconds;
  const known = !fields.isLive && seconds !== null && Number.isFinite(seconds) && seconds > 0;
  return context.createTrack({
    source: 'youtube',
    identifier: fields.videoId,
    uri: watchUrl(fields.videoId),
    title: fields.title || fields.videoId,
    author: fields.author || 'Unknown',
    durationMs: known ? Math.round(seconds * 1000) : null,
    isStream: fields.isLive,
    isSeekable: !fields.isLive,
    artworkUrl: bestThumbnail(fields.videoId, fields.thumbnails),
    ...(fields.artists && fields.artists.length > 0 ? { artists: [...fields.artists] } : {}),
    ...(fields.album ? { album: fields.album } : {}),
  });
}
