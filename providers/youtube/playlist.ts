/**
 * Playlists, loaded page by page through their continuations (YouTube sends 100 videos a page),
 * so a playlist of thousands loads fully, up to a bound.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';
import type { YoutubeClient } from './client.js';
import { videoTrack } from './tracks.js';

interface PlaylistItemNode {
  type: string;
  id?: string;
  title?: { toString(): string };
  author?: { name?: string };
  duration?: { seconds?: number };
  is_live?: boolean;
  is_playable?: boolean;
  thumbnails?: { url: string; width?: number }[];
}

interface PlaylistPage {
  info: { title?: string };
  items: unknown;
  has_continuation: boolean;
  getContinuation(): Promise<PlaylistPage>;
}

/** A loaded playlist. */
export interface LoadedPlaylist {
  name: string;
  tracks: Track[];
}

/**
 * Loads playlist `listId`, following continuations until the end or `maxTracks`. Deleted and
 * private entries (not playable) are left out.
 */
export async function loadPlaylist(client: YoutubeClient, listId: string, context: ProviderContext, maxTracks: number): Promise<LoadedPlaylist> {
  return client.run(context.signal, `the playlist ${listId}`, async (innertube) => {
    let page = (await innertube.getPlaylist(listId)) as unknown as PlaylistPage;
    const name = page.info.title ?? listId;
    const tracks: Track[] = [];
    for (;;) {
      for (const node of page.items as PlaylistItemNode[]) {
        if (tracks.length >= maxTracks) break;
        if (node.type !== 'PlaylistVideo' || !node.id || node.is_playable === false) continue;
        tracks.push(
          videoTrack(context, {
            videoId: node.id,
            title: node.title?.toString() ?? '',
            author: node.author?.name ?? '',
            durationSeconds: node.duration?.seconds ?? null,
            isLive: node.is_live === true,
            thumbnails: node.thumbnails,
          }),
        );
      }
      if (!page.has_continuation || tracks.length >= maxTracks) break;
      page = await page.getContinuation();
    }
    return { name, tracks };
  });
}
