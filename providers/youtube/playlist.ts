/**
 * Playlists, loaded page by page through their continuations (YouTube sends 100 videos a page),
 * so a playlist of thousands loads fully, up to a bound.
 *
 * @module
 */

import type { ProviderContext, Track } from '../../src/provider-kit.js';
import { membersOnlyVideoIds } from './badges.js';
import type { YoutubeClient } from './client.js';
import { authorNameOf, textOf, videoTrack } from './tracks.js';

type AuthorNode = { name?: string; id?: string; endpoint?: unknown };

interface PlaylistItemNode {
  type: string;
  id?: string;
  title?: { text?: string };
  author?: AuthorNode;
  duration?: { seconds?: number };
  is_live?: boolean;
  is_playable?: boolean;
  thumbnails?: { url: string; width?: number }[];
}

interface PlaylistPage {
  /** `author` is the owner (the sidebar's or the header's), on the first page only. */
  info: { title?: string; author?: AuthorNode | null };
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
 * Loads playlist `listId`, following continuations until the end or `maxTracks`. Entries that
 * cannot be played are left out (a {@link Track} has no "unplayable" state): deleted and private
 * ones (`isPlayable: false`) and members-only ones (the badge is in the raw answer, which
 * youtubei.js's parsed entries do not keep). An entry without a byline (a course, some music
 * playlists) is credited to the playlist's owner.
 */
export async function loadPlaylist(client: YoutubeClient, listId: string, context: ProviderContext, maxTracks: number): Promise<LoadedPlaylist> {
  const membersOnly = new Set<string>();
  const seeAnswer = (answer: unknown) => membersOnlyVideoIds(answer, membersOnly);
  return client.run(context.signal, `the playlist ${listId}`, async (innertube) => {
    let page = (await innertube.getPlaylist(listId)) as unknown as PlaylistPage;
    const name = page.info.title ?? listId;
    const owner = authorNameOf(page.info.author ?? undefined);
    const tracks: Track[] = [];
    for (;;) {
      for (const node of page.items as PlaylistItemNode[]) {
        if (tracks.length >= maxTracks) break;
        if (node.type !== 'PlaylistVideo' || !node.id || node.is_playable === false || membersOnly.has(node.id)) continue;
        tracks.push(
          videoTrack(context, {
            videoId: node.id,
            title: textOf(node.title),
            author: authorNameOf(node.author) || owner,
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
  }, seeAnswer);
}
