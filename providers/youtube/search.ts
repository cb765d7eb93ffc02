/**
 * `ytsearch:` (videos, WEB client) and `ytmsearch:` (YouTube Music songs, WEB_REMIX client),
 * parsed by youtubei.js, whose parsers follow YouTube's renderer changes.
 *
 * @module
 */

import type { LoadResult, ProviderContext, Track } from '../../src/provider-kit.js';
import type { YoutubeClient } from './client.js';
import { videoTrack } from './tracks.js';

interface VideoNode {
  type: string;
  video_id?: string;
  title?: { toString(): string };
  author?: { name?: string };
  duration?: { seconds?: number };
  is_live?: boolean;
  thumbnails?: { url: string; width?: number }[];
}

interface SongNode {
  id?: string;
  item_type?: string;
  title?: string;
  artists?: { name: string }[];
  album?: { name?: string };
  duration?: { seconds?: number };
  thumbnails?: { url: string; width?: number }[];
  author?: { name?: string };
  flex_columns?: { title?: { runs?: { text?: string }[] } }[];
}

/**
 * The artist text before the first " • " of the second column. youtubei.js reads artists only from
 * runs that link to an artist page; an artist without a channel is plain text (seen in the recorded
 * answer), so that text is the fallback.
 */
function plainArtists(node: SongNode): string[] {
  const runs = node.flex_columns?.[1]?.title?.runs ?? [];
  const end = runs.findIndex((run) => run.text?.trim() === '•');
  const text = runs.slice(0, end < 0 ? runs.length : end).map((run) => run.text ?? '').join('').trim();
  return text === '' || end < 0 ? [] : [text];
}

/** Searches YouTube videos. Channels, playlists, shorts shelves and ads are left out. */
export async function searchVideos(client: YoutubeClient, query: string, context: ProviderContext, limit: number): Promise<LoadResult> {
  const tracks = await client.run(context.signal, `the search for "${query}"`, async (innertube) => {
    const search = await innertube.search(query, { type: 'video' });
    const found: Track[] = [];
    for (const node of search.videos as unknown as VideoNode[]) {
      if (node.type !== 'Video' || !node.video_id || found.length >= limit) continue;
      found.push(
        videoTrack(context, {
          videoId: node.video_id,
          title: node.title?.toString() ?? '',
          author: node.author?.name ?? '',
          durationSeconds: node.duration?.seconds ?? null,
          isLive: node.is_live === true,
          thumbnails: node.thumbnails,
        }),
      );
    }
    return found;
  });
  return tracks.length === 0 ? { type: 'empty' } : { type: 'search', tracks };
}

/** Searches YouTube Music songs: each track carries its artists, album and duration. */
export async function searchSongs(client: YoutubeClient, query: string, context: ProviderContext, limit: number): Promise<LoadResult> {
  const tracks = await client.run(context.signal, `the YouTube Music search for "${query}"`, async (innertube) => {
    const search = await innertube.music.search(query, { type: 'song' });
    const found: Track[] = [];
    for (const node of (search.songs?.contents ?? []) as unknown as SongNode[]) {
      if (!node.id || (node.item_type !== undefined && node.item_type !== 'song') || found.length >= limit) continue;
      let artists = (node.artists ?? []).map((artist) => artist.name).filter(Boolean);
      if (artists.length === 0) artists = plainArtists(node);
      found.push(
        videoTrack(context, {
          videoId: node.id,
          title: node.title ?? '',
          author: artists.length > 0 ? artists.join(', ') : (node.author?.name ?? ''),
          durationSeconds: node.duration?.seconds ?? null,
          isLive: false,
          thumbnails: node.thumbnails,
          artists,
          album: node.album?.name,
        }),
      );
    }
    return found;
  });
  return tracks.length === 0 ? { type: 'empty' } : { type: 'search', tracks };
}
