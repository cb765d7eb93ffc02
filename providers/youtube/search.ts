/**
 * `ytsearch:` (videos, WEB client) and `ytmsearch:` (YouTube Music songs, WEB_REMIX client),
 * parsed by youtubei.js, whose parsers follow YouTube's renderer changes.
 *
 * @module
 */

import type { Innertube } from 'youtubei.js';
import { abortError } from '../../src/provider-kit.js';
import type { LoadResult, ProviderContext, Track } from '../../src/provider-kit.js';
import { isMembersOnly } from './badges.js';
import type { YoutubeClient } from './client.js';
import { authorNameOf, textOf, videoTrack } from './tracks.js';

interface VideoNode {
  type: string;
  video_id?: string;
  title?: { text?: string };
  author?: { name?: string; id?: string; endpoint?: unknown };
  duration?: { seconds?: number };
  is_live?: boolean;
  badges?: unknown;
  thumbnails?: { url: string; width?: number }[];
}

/** A parsed node: what every youtubei.js node has. */
interface Node {
  type: string;
}

/** The first page: youtubei.js's `Search`. */
interface FirstPage {
  /** The section list's top-level items, in rank order (a shelf is one item; its videos are inside). */
  results: Node[];
  has_continuation: boolean;
  /** The next page's parsed answer (read apart from youtubei.js's `Search`, which throws on some). */
  getContinuationData(): Promise<ContinuationAnswer | undefined>;
}

/** A continuation page's parsed answer: `onResponseReceivedCommands[].appendContinuationItemsAction`. */
interface ContinuationAnswer {
  on_response_received_commands?: { contents?: Node[] }[];
}

/** A section's items, or the continuation that leads on (its endpoint asks for the next page). */
interface SectionNode extends Node {
  contents?: Node[];
  endpoint?: { call(actions: unknown, args: { parse: true }): Promise<ContinuationAnswer> };
}

/**
 * The pages of a search, each as its ranked items in order: the first from `Search.results`, the
 * next ones from their answers' item sections (the appended items, sections then a continuation).
 */
async function* searchPages(innertube: Innertube, query: string): AsyncGenerator<Node[]> {
  const first = (await innertube.search(query, { type: 'video' })) as unknown as FirstPage;
  yield first.results;
  let answer = first.has_continuation ? await first.getContinuationData() : undefined;
  while (answer !== undefined) {
    const items = (answer.on_response_received_commands ?? []).flatMap((command) => command.contents ?? []) as SectionNode[];
    yield items.filter((item) => item.type === 'ItemSection').flatMap((section) => section.contents ?? []);
    const next = items.find((item) => item.type === 'ContinuationItem')?.endpoint;
    answer = next ? await next.call(innertube.actions, { parse: true }) : undefined;
  }
}

interface SongNode {
  id?: string;
  item_type?: string;
  artists?: { name: string }[];
  album?: { name?: string };
  duration?: { seconds?: number };
  thumbnails?: { url: string; width?: number }[];
  author?: { name?: string };
  flex_columns?: { title?: { text?: string; runs?: { text?: string }[] } }[];
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

/**
 * Searches YouTube videos: the ranked results only, in order. A WEB answer mixes shelves into the
 * list ("Popular in <city>", "Channels new to you", Shorts, "People also watched"); their videos
 * are YouTube's suggestions, not results, and are left out with channels, playlists and ads, and
 * so are members-only videos (an anonymous client cannot play them). Beyond the first page (about
 * 20 results), continuation pages are loaded until `limit`; `context.signal` is checked between pages.
 */
export async function searchVideos(client: YoutubeClient, query: string, context: ProviderContext, limit: number): Promise<LoadResult> {
  const what = `the search for "${query}"`;
  const tracks = await client.run(context.signal, what, async (innertube) => {
    const found: Track[] = [];
    const seen = new Set<string>();
    for await (const items of searchPages(innertube, query)) {
      let added = 0;
      for (const node of items as VideoNode[]) {
        if (found.length >= limit) break;
        if (node.type !== 'Video' || !node.video_id || seen.has(node.video_id) || isMembersOnly(node.badges)) continue;
        seen.add(node.video_id);
        added++;
        found.push(
          videoTrack(context, {
            videoId: node.video_id,
            title: textOf(node.title),
            author: authorNameOf(node.author),
            durationSeconds: node.duration?.seconds ?? null,
            isLive: node.is_live === true,
            thumbnails: node.thumbnails,
          }),
        );
      }
      // A page that adds nothing new ends the search: YouTube has run out of results.
      if (found.length >= limit || added === 0) break;
      if (context.signal.aborted) throw abortError(context.signal, what);
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
          // The first column's text, which `title` holds as `N/A` when the answer has none.
          title: textOf(node.flex_columns?.[0]?.title),
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
