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
