/**
 * Choosing among a track's transcodings. Encrypted ones (`ctr-encrypted-hls`, `cbc-encrypted-hls`,
 * anything DRM) are never chosen: they need keys a bot does not have. Among the rest, Opus HLS
 * comes first (its segments concatenate to an Ogg Opus stream: no re-encoding), then MP3
 * (progressive, then HLS; transcoded to Opus by the player), then AAC.
 *
 * @module
 */

import type { ScTranscoding } from './tracks.js';

/** The kinds of audio spence knows how to ask for, best first. */
export type FormatKind = 'opus-hls' | 'mp3-progressive' | 'mp3-hls' | 'aac-progressive' | 'aac-hls';

/** The order of preference. */
export const FORMAT_ORDER: readonly FormatKind[] = ['opus-hls', 'mp3-progressive', 'mp3-hls', 'aac-progressive', 'aac-hls'];

/**
 * The kinds spence can play: Opus HLS as it is, MP3 (progressive and HLS) through the transcoding
 * path. AAC waits for an fMP4 walker and its optional decoder (see docs/transcoding.md).
 */
export const PLAYABLE_KINDS: ReadonlySet<FormatKind> = new Set(['opus-hls', 'mp3-progressive', 'mp3-hls']);

/** A transcoding with its kind. */
export interface Choice {
  kind: FormatKind;
  transcoding: ScTranscoding;
}

/** True for a transcoding that needs decryption keys. */
export function isEncrypted(transcoding: ScTranscoding): boolean {
  const protocol = (transcoding.format?.protocol ?? '').toLowerCase();
  return protocol.includes('encrypted') || transcoding.drm !== undefined && transcoding.drm !== null;
}

/** The kind of a transcoding, or null for encrypted, previews and anything unknown. */
export function formatKind(transcoding: ScTranscoding): FormatKind | null {
  if (isEncrypted(transcoding) || transcoding.snipped === true || typeof transcoding.url !== 'string') return null;
  const protocol = (transcoding.format?.protocol ?? '').toLowerCase();
  if (protocol !== 'hls' && protocol !== 'progressive') return null;
  const mime = (transcoding.format?.mime_type ?? '').toLowerCase();
  const hls = protocol === 'hls';
  if (mime.startsWith('audio/ogg') && mime.includes('opus')) return hls ? 'opus-hls' : null;
  if (mime.startsWith('audio/mpeg')) return hls ? 'mp3-hls' : 'mp3-progressive';
  if (mime.startsWith('audio/mp4') && mime.includes('mp4a') || mime.startsWith('audio/aac')) return hls ? 'aac-hls' : 'aac-progressive';
  return null;
}

/** Every usable transcoding, best first (a stable sort keeps SoundCloud's order among equals). */
export function rankTranscodings(transcodings: readonly ScTranscoding[] | undefined): Choice[] {
  const choices: Choice[] = [];
  for (const transcoding of transcodings ?? []) {
    const kind = formatKind(transcoding);
    if (kind !== null) choices.push({ kind, transcoding });
  }
  return choices.sort((a, b) => FORMAT_ORDER.indexOf(a.kind) - FORMAT_ORDER.indexOf(b.kind));
}

/** The best usable transcoding, or null when there is none. */
export function chooseTranscoding(transcodings: readonly ScTranscoding[] | undefined): Choice | null {
  return rankTranscodings(transcodings)[0] ?? null;
}
