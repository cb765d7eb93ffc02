/**
 * Human-readable output for the CLI.
 *
 * @module
 */

import type { LoadResult } from '../resolve/provider.js';
import type { Track } from '../resolve/track.js';

/** `m:ss` or `h:mm:ss`; `live` for null. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'live';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function trackLine(track: Track, index?: number): string {
  const prefix = index === undefined ? '' : `${String(index + 1).padStart(3)}. `;
  return `${prefix}${track.author} - ${track.title} [${formatDuration(track.durationMs)}] (${track.source})`;
}

/** A load result as lines of text. */
export function formatLoadResult(result: LoadResult): string {
  switch (result.type) {
    case 'empty':
      return 'Nothing found.';
    case 'track':
      return [
        trackLine(result.track),
        `  uri:        ${result.track.uri}`,
        `  identifier: ${result.track.identifier}`,
        ...(result.track.isrc ? [`  isrc:       ${result.track.isrc}`] : []),
        `  seekable:   ${result.track.isSeekable ? 'yes' : 'no'}`,
      ].join('\n');
    case 'search':
      return [`Search results (${result.tracks.length}):`, ...result.tracks.map((t, i) => trackLine(t, i))].join('\n');
    case 'playlist':
      return [
        `Playlist: ${result.playlist.name} (${result.playlist.tracks.length} tracks)`,
        ...result.playlist.tracks.map((t, i) => trackLine(t, i)),
      ].join('\n');
  }
}
