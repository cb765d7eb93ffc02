// The youtube provider against InnerTube fixtures (nock on the late-bound fetch) and, for the
// media, a real loopback HTTP server that the fixtures' format URLs point at.
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Node } from '../../src/node.js';
import { encodeTrackInfo } from '../../src/resolve/track-codec.js';
import type { SpenceError, Track } from '../../src/provider-kit.js';
import { youtubeProvider } from '../../providers/youtube/index.js';
import type { YoutubeFormat, YoutubeProviderOptions } from '../../providers/youtube/index.js';
import { startMediaServer } from '../helpers/media-server.js';
import { until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';
import type { MediaServer } from '../helpers/media-server.js';

const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`../../fixtures/youtube/${name}`, import.meta.url), 'utf8'));
const webm = new Uint8Array(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url)));
const VIDEO = 'K4DyBUG242c';
const LIST = 'PLfixture0123456789abcdefghijklmnop';

interface Call { endpoint: string; client: string; body: any }
type Answer = unknown | [number, unknown, Record<string, string>?];
interface Handlers {
  player?: (client: string, videoId: string) => Answer;
  search?: (body: any) => Answer;
  browse?: (body: any) => Answer;
}

/** Answers InnerTube POSTs from handlers and records them; anything unmatched is a test failure. */
function mockInnerTube(handlers: Handlers): Call[] {
  const calls: Call[] = [];
  nock('https://www.youtube.com')
    .persist()
    .post(/^\/youtubei\/v1\/(player|search|browse)/)
    .query(true)
    .reply((uri, raw) => {
      const body = typeof raw === 'string' ? JSON.parse(raw) : raw;
      const endpoint = /v1\/(\w+)/.exec(uri)![1]! as keyof Handlers;
      const client = body.context?.client?.clientName as string;
      calls.push({ endpoint, client, body });
      const handler = handlers[endpoint] as ((...args: any[]) => Answer) | undefined;
      const answer = endpoint === 'player' ? handler?.(client, body.videoId) : handler?.(body);
      if (answer === undefined) return [500, { error: `no fixture for ${endpoint}` }];
      if (Array.isArray(answer)) return answer as [number, unknown];
      return [200, answer, { 'content-type': 'application/json' }];
    });
  return calls;
}

/** The OK player fixture with its formats replaced (by itag) or mapped. */
function playerWith(map: (format: YoutubeFormat) => YoutubeFormat | null, base = fixture('player-ok.json')): any {
  const formats = (base.streamingData.adaptiveFormats as YoutubeFormat[]).map(map).filter((f): f is YoutubeFormat => f !== null);
  return { ...base, streamingData: { ...base.streamingData, adaptiveFormats: formats } };
}

const code = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: SpenceError) => error.code);

function nodeWith(options: YoutubeProviderOptions = {}): Node {
  return new Node({ providers: [youtubeProvider(options)], http: { allowPrivateAddresses: true } });
}

async function resolveTrack(node: Node, input: string): Promise<Track> {
  const result = await node.resolve(input);
  if (result.type !== 'track') throw new Error(`expected a track, got ${result.type}`);
  return result.track;
}

const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; href?: string; url?: string; path?: string; host?: string }) => unmatched.push(`${req.method} ${req.href ?? req.url ?? `${req.host}${req.path}`}`);

describe('youtube provider (InnerTube fixtures)', () => {
  let node: Node;
  beforeAll(() => {
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(async () => {
    nock.cleanAll();
    await node?.close();
    unmatched.length = 0;
  });
  afterAll(() => {
    nock.emitter.off('no match', onNoMatch);
  });

  it('makes no request at construction, and only /player for a video', async () => {
    const calls = mockInnerTube({ player: () => fixture('player-ok.json') });
    node = nodeWith();
    await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop, no clock
    expect(calls).toHaveLength(0);
    await resolveTrack(node, `https://youtu.be/${VIDEO}`);
    expect(calls.map((c) => `${c.endpoint} ${c.client}`)).toEqual(['player VISIONOS']);
    expect(unmatched).toEqual([]); // no /sw.js_data, no /config, no player JS
  });

  it('resolves a video to a track', async () => {
    const calls = mockInnerTube({ player: () => fixture('player-ok.json') });
    node = nodeWith();
    const track = await resolveTrack(node, `https://www.youtube.com/watch?v=${VIDEO}&t=30s`);
    expect(track).toMatchObject({
      source: 'youtube',
      identifier: VIDEO,
      uri: `https://www.youtube.com/watch?v=${VIDEO}`,
      title: 'Cartoon, Jéja - On & On (feat. Daniel Levi) | Electronic Pop | NCS - Copyright Free Music',
      author: 'NoCopyrightSounds',
      durationMs: 208_000,
      isStream: false,
      isSeekable: true,
      artworkUrl: `https://i.ytimg.com/vi/${VIDEO}/mqdefault.jpg`,
    });
    expect(node.decodeTrack(track.encoded)).toEqual(track);
    expect(calls[0]!.body).toMatchObject({ videoId: VIDEO, contentCheckOk: true, racyCheckOk: true });
  });

  it('resolves shorts, live, embed, m. and music. URLs through the same call', async () => {
    const calls = mockInnerTube({ player: () => fixture('player-ok.json') });
    node = new Node({ providers: [youtubeProvider({ cacheTtlMs: 0 })] });
    for (const url of [`https://www.youtube.com/shorts/${VIDEO}`, `https://www.youtube.com/live/${VIDEO}`, `https://www.youtube.com/embed/${VIDEO}`, `https://m.youtube.com/watch?v=${VIDEO}`, `https://music.youtube.com/watch?v=${VIDEO}`]) {
      expect((await resolveTrack(node, url)).identifier).toBe(VIDEO);
    }
    expect(calls.every((c) => c.body.videoId === VIDEO)).toBe(true);
  });

  it('searches videos with ytsearch:, leaving channels out and marking live ones', async () => {
    const calls = mockInnerTube({ search: () => fixture('search-videos.json') });
    node = nodeWith();
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(calls[0]).toMatchObject({ endpoint: 'search', client: 'WEB', body: { query: 'test' } });
    expect(result.tracks.map((t) => t.identifier)).toEqual(['Z8KYabgkMbw', '0YWt4Ai8q_g', 'jfKfPfyJRdk', 'UEQSkaqrMZA']);
    expect(result.tracks[0]).toMatchObject({ title: 'Blind Test TOUT GENRE | 140 extraits', author: 'Blind Test & Chill', durationMs: 2_840_000, isStream: false, isSeekable: true, uri: 'https://www.youtube.com/watch?v=Z8KYabgkMbw' });
    expect(result.tracks[0]!.artworkUrl).toMatch(/^https:\/\/i\.ytimg\.com\/vi\/Z8KYabgkMbw\/hq720\.jpg/);
    expect(result.tracks[2]).toMatchObject({ author: 'Lofi Girl', durationMs: null, isStream: true, isSeekable: false });
  });

  it('searches YouTube Music songs with ytmsearch:, with artists, album and duration', async () => {
    const calls = mockInnerTube({ search: () => fixture('music-search-songs.json') });
    node = nodeWith();
    const result = await node.resolve('ytmsearch:mocromaniac');
    if (result.type !== 'search') throw new Error(result.type);
    expect(calls[0]).toMatchObject({ endpoint: 'search', client: 'WEB_REMIX', body: { query: 'mocromaniac' } });
    expect(result.tracks).toHaveLength(3);
    expect(result.tracks[0]).toMatchObject({
      identifier: 'HhQGHxWZCd0',
      title: 'Boom Boom Boom',
      author: 'MocroManiac',
      artists: ['MocroManiac'],
      album: 'Boom Boom Boom',
      durationMs: 171_000,
      uri: 'https://www.youtube.com/watch?v=HhQGHxWZCd0',
    });
    expect(result.tracks[1]).toMatchObject({ title: 'Maniac', album: 'MANIAC', durationMs: 164_000 });
    expect(result.tracks[0]!.artworkUrl).toMatch(/^https:\/\/lh3\.googleusercontent\.com\//);
  });

  // Issue 15.16: a WEB search answer mixes shelves into its results; continuation pages follow.
  const searchVideo = (videoId: string, title: string) => {
    const first = fixture('search-videos.json').contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer.contents[0].itemSectionRenderer.contents[1];
    const copy = JSON.parse(JSON.stringify(first).replaceAll('Z8KYabgkMbw', videoId));
    copy.videoRenderer.title = { runs: [{ text: title }] };
    return copy;
  };
  const continuationItem = (token: string) => ({
    continuationItemRenderer: {
      trigger: 'CONTINUATION_TRIGGER_ON_ITEM_SHOWN',
      continuationEndpoint: { commandMetadata: { webCommandMetadata: { sendPost: true, apiUrl: '/youtubei/v1/search' } }, continuationCommand: { token, request: 'CONTINUATION_REQUEST_TYPE_SEARCH' } },
    },
  });
  /** The search fixture (a channel, four ranked videos) with shelves between its results and a continuation. */
  const searchWithShelves = () => {
    const answer = fixture('search-videos.json');
    const list = answer.contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer;
    const items = list.contents[0].itemSectionRenderer.contents;
    items.splice(3, 0,
      { shelfRenderer: { title: { simpleText: 'Popular in Lyon' }, content: { verticalListRenderer: { items: [searchVideo('shelfVideo1', 'Popular nearby')], collapsedItemCount: 1 } } } },
      { shelfRenderer: { title: { simpleText: 'Channels new to you' }, content: { verticalListRenderer: { items: [searchVideo('shelfVideo2', 'New channel'), searchVideo('shelfVideo3', 'Another')], collapsedItemCount: 2 } } } },
      { horizontalCardListRenderer: { header: { richListHeaderRenderer: { title: { simpleText: 'People also search for' } } }, cards: [] } },
    );
    list.contents.push(continuationItem('SEARCH_PAGE_2'));
    return answer;
  };
  const searchPage = (ids: string[], next?: string) => ({
    onResponseReceivedCommands: [{
      appendContinuationItemsAction: {
        continuationItems: [
          { itemSectionRenderer: { contents: [...ids.map((id) => searchVideo(id, `Result ${id}`)), { shelfRenderer: { title: { simpleText: 'Popular today' }, content: { verticalListRenderer: { items: [searchVideo('shelfVideo4', 'Shelf')] } } } }] } },
          ...(next ? [continuationItem(next)] : []),
        ],
        targetId: 'search-feed',
      },
    }],
  });
  const pagedSearch = (body: any) => {
    if (body.continuation === 'SEARCH_PAGE_2') return searchPage(['page2video1', 'page2video2', 'page2video3'], 'SEARCH_PAGE_3');
    if (body.continuation === 'SEARCH_PAGE_3') return searchPage(['page3video1']);
    return body.query === 'test' ? searchWithShelves() : undefined;
  };
  const PAGE1 = ['Z8KYabgkMbw', '0YWt4Ai8q_g', 'jfKfPfyJRdk', 'UEQSkaqrMZA'];

  it('15.16: ytsearch: gives the ranked results only, in order; shelf videos are left out', async () => {
    const calls = mockInnerTube({ search: pagedSearch });
    node = nodeWith({ searchLimit: 4 });
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(result.tracks.map((t) => t.identifier)).toEqual(PAGE1);
    expect(calls).toHaveLength(1);
  });

  it('15.16: a searchLimit beyond the first page loads continuation pages, up to the limit', async () => {
    const calls = mockInnerTube({ search: pagedSearch });
    node = nodeWith({ searchLimit: 6 });
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(result.tracks.map((t) => t.identifier)).toEqual([...PAGE1, 'page2video1', 'page2video2']);
    expect(calls.map((c) => c.body.continuation ?? c.body.query)).toEqual(['test', 'SEARCH_PAGE_2']);
    expect(result.tracks[4]).toMatchObject({ title: 'Result page2video1', author: 'Blind Test & Chill' });

    // The default limit (20) reads every page there is, and stops where YouTube's results stop.
    const all = nodeWith();
    const more = await all.resolve('ytsearch:test');
    await all.close();
    if (more.type !== 'search') throw new Error(more.type);
    expect(more.tracks.map((t) => t.identifier)).toEqual([...PAGE1, 'page2video1', 'page2video2', 'page2video3', 'page3video1']);
  });

  it('15.16: the caller\'s signal is honoured between search pages', async () => {
    const controller = new AbortController();
    const calls = mockInnerTube({
      search: (body) => {
        const answer = pagedSearch(body);
        controller.abort(); // aborted while the first page is on its way: no second page is asked for
        return answer;
      },
    });
    node = nodeWith({ searchLimit: 50 });
    expect(await code(node.resolve('ytsearch:test', { signal: controller.signal }))).toBe('ABORTED');
    expect(calls).toHaveLength(1);
  });

  const browse = (body: any) => {
    if (body.browseId === `VL${LIST}`) return fixture('playlist-page1.json');
    if (body.continuation === '4qmFsgJhEiRWTFBMZml4dHVyZS1wYWdlLTI%3D') return fixture('playlist-page2.json');
    if (body.continuation === '4qmFsgJhEiRWTFBMZml4dHVyZS1wYWdlLTM%3D') return fixture('playlist-page3.json');
    return undefined;
  };

  it('loads a playlist through two continuation pages, leaving deleted videos out', async () => {
    const calls = mockInnerTube({ browse });
    node = nodeWith();
    const result = await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(calls.map((c) => c.body.browseId ?? c.body.continuation)).toEqual([`VL${LIST}`, '4qmFsgJhEiRWTFBMZml4dHVyZS1wYWdlLTI%3D', '4qmFsgJhEiRWTFBMZml4dHVyZS1wYWdlLTM%3D']);
    const { playlist } = result;
    expect(playlist.name).toBe('Fixture playlist');
    expect(playlist.uri).toBe(`https://www.youtube.com/playlist?list=${LIST}`);
    expect(playlist.selectedIndex).toBeUndefined();
    expect(playlist.tracks.map((t) => t.identifier)).toEqual(['plVideo0000', 'plVideo0001', 'plVideo0003', 'plVideo0004', 'plVideo0005', 'plVideo0006', 'plVideo0007', 'plVideo0008']);
    expect(playlist.tracks[0]).toMatchObject({ title: 'First song', author: 'Fixture Channel', durationMs: 200_000, isStream: false, artworkUrl: 'https://i.ytimg.com/vi/plVideo0000/hqdefault.jpg?sqp=fixture2' });
  });

  it('stops at maxPlaylistTracks without loading further pages', async () => {
    const calls = mockInnerTube({ browse });
    node = nodeWith({ maxPlaylistTracks: 3 });
    const result = await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(3);
    expect(calls).toHaveLength(1);
  });

  it('watch?v=...&list=... gives the playlist with the selected track marked', async () => {
    mockInnerTube({ browse });
    node = nodeWith();
    const result = await node.resolve(`https://www.youtube.com/watch?v=plVideo0005&list=${LIST}&index=6`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.selectedIndex).toBe(4);
    expect(result.playlist.tracks[4]!.identifier).toBe('plVideo0005');
  });

  /** Playlist page 1 with `edit` applied to its first page's entries (by video ID) and to the answer. */
  const editedPlaylist = (edit: (entries: Map<string, any>, answer: any) => void) => (body: any) => {
    if (body.browseId !== `VL${LIST}`) return browse(body);
    const answer = fixture('playlist-page1.json');
    const list = answer.contents.twoColumnBrowseResultsRenderer.tabs[0].tabRenderer.content.sectionListRenderer.contents[0].itemSectionRenderer.contents[0].playlistVideoListRenderer.contents;
    edit(new Map(list.filter((e: any) => e.playlistVideoRenderer).map((e: any) => [e.playlistVideoRenderer.videoId, e.playlistVideoRenderer])), answer);
    return answer;
  };
  const ownerRuns = { runs: [{ text: 'Playlist Owner', navigationEndpoint: { browseEndpoint: { browseId: 'UCplaylistowner00000000', canonicalBaseUrl: '/@owner' } } }] };
  const withOwner = {
    sidebar: (answer: any) => answer.sidebar.playlistSidebarRenderer.items.push({ playlistSidebarSecondaryInfoRenderer: { videoOwner: { videoOwnerRenderer: { title: ownerRuns, navigationEndpoint: ownerRuns.runs[0]!.navigationEndpoint, thumbnail: { thumbnails: [] } } } } }),
    header: (answer: any) =>
      (answer.header = {
        playlistHeaderRenderer: {
          playlistId: LIST,
          title: { simpleText: 'Fixture playlist' },
          numVideosText: { runs: [{ text: '9' }, { text: ' videos' }] },
          ownerText: ownerRuns,
          ownerEndpoint: ownerRuns.runs[0]!.navigationEndpoint,
          viewCountText: { simpleText: '1,234 views' },
          shareData: { canShare: true },
          isEditable: false,
          privacy: 'PUBLIC',
          editableDetails: { canDelete: false },
          stats: [{ runs: [{ text: '9' }, { text: ' videos' }] }, { simpleText: '1,234 views' }],
          briefStats: [{ runs: [{ text: '9' }, { text: ' videos' }] }],
        },
      }),
  };

  it.each(['sidebar', 'header'] as const)('15.17: an entry without a byline is credited to the playlist\'s owner (owner in the %s), never "N/A"', async (where) => {
    mockInnerTube({
      browse: editedPlaylist((entries, answer) => {
        delete entries.get('plVideo0001').shortBylineText;
        withOwner[where](answer);
      }),
    });
    node = nodeWith();
    const result = await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks[0]).toMatchObject({ identifier: 'plVideo0000', author: 'Fixture Channel' });
    expect(result.playlist.tracks[1]).toMatchObject({ identifier: 'plVideo0001', author: 'Playlist Owner', title: 'Second song' });
  });

  it('15.17: without a byline, an owner or a title, an entry says Unknown and its video ID, never "N/A"', async () => {
    mockInnerTube({
      browse: editedPlaylist((entries) => {
        const entry = entries.get('plVideo0001');
        delete entry.shortBylineText;
        entry.title = { runs: [], accessibility: entry.title.accessibility };
      }),
    });
    node = nodeWith();
    const result = await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks[1]).toMatchObject({ identifier: 'plVideo0001', author: 'Unknown', title: 'plVideo0001' });
  });

  it('15.17: a search result without an owner line says Unknown, never "N/A"', async () => {
    mockInnerTube({
      search: () => {
        const answer = fixture('search-videos.json');
        const video = answer.contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer.contents[0].itemSectionRenderer.contents[1].videoRenderer;
        for (const key of ['ownerText', 'longBylineText', 'shortBylineText']) delete video[key];
        return answer;
      },
    });
    node = nodeWith();
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(result.tracks[0]).toMatchObject({ identifier: 'Z8KYabgkMbw', author: 'Unknown' });
  });

  const membersOnlyBadge = { metadataBadgeRenderer: { icon: { iconType: 'SPONSORSHIP_STAR' }, style: 'BADGE_STYLE_TYPE_MEMBERS_ONLY', label: 'Members only', trackingParams: 'CAEQ' } };

  it('15.18: members-only playlist entries (the badge, or a "Members only" label) are left out as not playable', async () => {
    mockInnerTube({
      browse: (body: any) => {
        if (body.browseId === `VL${LIST}`) {
          return editedPlaylist((entries) => {
            entries.get('plVideo0001').badges = [membersOnlyBadge];
          })(body);
        }
        const answer = browse(body) as any;
        if (body.continuation === '4qmFsgJhEiRWTFBMZml4dHVyZS1wYWdlLTI%3D') {
          // The newer view-model form: a thumbnail badge whose text is the label.
          const entry = answer.onResponseReceivedActions[0].appendContinuationItemsAction.continuationItems[0].playlistVideoRenderer;
          entry.thumbnailOverlays = [{ thumbnailOverlayBadgeViewModel: { thumbnailBadges: [{ thumbnailBadgeViewModel: { text: 'Members only', badgeStyle: 'THUMBNAIL_OVERLAY_BADGE_STYLE_DEFAULT' } }] } }];
        }
        return answer;
      },
    });
    node = nodeWith();
    const result = await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks.map((t) => t.identifier)).toEqual(['plVideo0000', 'plVideo0003', 'plVideo0005', 'plVideo0006', 'plVideo0007', 'plVideo0008']);
  });

  it('15.18: a members-only search result is left out too; a title that says "Members only" is not a badge', async () => {
    mockInnerTube({
      search: () => {
        const answer = fixture('search-videos.json');
        const items = answer.contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer.contents[0].itemSectionRenderer.contents;
        items[1].videoRenderer.badges = [membersOnlyBadge];
        items[2].videoRenderer.title = { runs: [{ text: 'Members only' }] };
        return answer;
      },
    });
    node = nodeWith();
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(result.tracks.map((t) => t.identifier)).toEqual(['0YWt4Ai8q_g', 'jfKfPfyJRdk', 'UEQSkaqrMZA']);
  });

  it('15.20: a playlist with nothing playable (members-only, deleted) is empty; with a video in the URL, the video', async () => {
    const single = (body: any) => {
      const answer = fixture('playlist-page1.json');
      const list = answer.contents.twoColumnBrowseResultsRenderer.tabs[0].tabRenderer.content.sectionListRenderer.contents[0].itemSectionRenderer.contents[0].playlistVideoListRenderer;
      list.contents = list.contents.filter((e: any) => e.playlistVideoRenderer).map((e: any) => ({ playlistVideoRenderer: { ...e.playlistVideoRenderer, badges: [membersOnlyBadge] } }));
      return body.browseId === `VL${LIST}` ? answer : undefined;
    };
    const calls = mockInnerTube({ browse: single, player: () => fixture('player-ok.json') });
    node = nodeWith();
    expect(await node.resolve(`https://www.youtube.com/playlist?list=${LIST}`)).toEqual({ type: 'empty' });
    expect((await resolveTrack(node, `https://www.youtube.com/watch?v=${VIDEO}&list=${LIST}`)).identifier).toBe(VIDEO);
    expect(calls.map((c) => c.endpoint)).toEqual(['browse', 'browse', 'player']);
  });

  it('a mix (list=RD...) falls back to the single video without asking for the list', async () => {
    const calls = mockInnerTube({ player: () => fixture('player-ok.json') });
    node = nodeWith();
    const track = await resolveTrack(node, `https://www.youtube.com/watch?v=${VIDEO}&list=RD${VIDEO}&start_radio=1`);
    expect(track.identifier).toBe(VIDEO);
    expect(calls.map((c) => c.endpoint)).toEqual(['player']);
  });

  const missingList = { alerts: [{ alertRenderer: { type: 'ERROR', text: { runs: [{ text: 'The playlist does not exist.' }] } } }] };

  it('a list that cannot be loaded falls back to the video; a playlist URL alone is NOT_FOUND', async () => {
    const calls = mockInnerTube({ browse: () => missingList, player: () => fixture('player-ok.json') });
    node = nodeWith();
    const track = await resolveTrack(node, `https://www.youtube.com/watch?v=${VIDEO}&list=PLgone000000000000`);
    expect(track.identifier).toBe(VIDEO);
    expect(calls.map((c) => c.endpoint)).toEqual(['browse', 'player']);
    const error = await node.resolve('https://www.youtube.com/playlist?list=PLgone000000000000').catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as SpenceError).message).toContain('The playlist does not exist.');
  });

  it('a live video resolves as a stream without length; opening it says live is not supported yet', async () => {
    mockInnerTube({ player: () => fixture('player-live.json') });
    node = nodeWith();
    const track = await resolveTrack(node, 'https://www.youtube.com/watch?v=jfKfPfyJRdk');
    expect(track).toMatchObject({ title: 'lofi hip hop radio 📚 beats to relax/study to', author: 'Lofi Girl', durationMs: null, isStream: true, isSeekable: false, artworkUrl: 'https://i.ytimg.com/vi/jfKfPfyJRdk/maxresdefault_live.jpg' });
    const error = await node.openMedia(track).catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect((error as SpenceError).message).toMatch(/live streams are not supported yet/);
  });

  it.each([
    ['player-login-required.json', 'UNAVAILABLE', /LOGIN_REQUIRED.*Sign in to confirm your age This video may be inappropriate for some users\./],
    ['player-unplayable-region.json', 'UNAVAILABLE', /UNPLAYABLE.*Video unavailable The uploader has not made this video available in your country/],
    ['player-live-offline.json', 'UNAVAILABLE', /LIVE_STREAM_OFFLINE.*This live event will begin in 3 hours\./],
    ['player-error-unavailable.json', 'NOT_FOUND', /ERROR.*This video is unavailable/],
  ])('%s becomes %s with YouTube\'s reason', async (name, expected, message) => {
    const calls = mockInnerTube({ player: () => fixture(name) });
    node = nodeWith();
    const error = await node.resolve(`https://www.youtube.com/watch?v=${VIDEO}`).catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: expected, source: 'youtube' });
    expect((error as SpenceError).message).toMatch(message);
    // A refusal may be one client's: the others are asked. "Does not exist" is the same for all.
    expect(calls.map((c) => c.client)).toEqual(expected === 'NOT_FOUND' ? ['VISIONOS'] : ['VISIONOS', 'ANDROID_VR', 'iOS']);
  });

  it('a client that refuses the video at resolve is followed by the next one', async () => {
    const calls = mockInnerTube({ player: (client) => (client === 'VISIONOS' ? fixture('player-login-required.json') : fixture('player-ok.json')) });
    node = nodeWith();
    expect((await resolveTrack(node, `https://youtu.be/${VIDEO}`)).durationMs).toBe(208_000);
    expect(calls.map((c) => c.client)).toEqual(['VISIONOS', 'ANDROID_VR']);
  });

  it('15.19: a /player answer about another video is refused, and the next client is asked', async () => {
    const other = () => {
      const answer = fixture('player-ok.json');
      answer.videoDetails = { ...answer.videoDetails, videoId: 'otherVideo1', title: 'Another video', author: 'Someone else', lengthSeconds: '61' };
      return answer;
    };
    const calls = mockInnerTube({ player: (client) => (client === 'VISIONOS' ? other() : fixture('player-ok.json')) });
    node = nodeWith();
    const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
    expect(track).toMatchObject({ identifier: VIDEO, title: expect.stringContaining('On & On'), author: 'NoCopyrightSounds', durationMs: 208_000 });
    expect(calls.map((c) => c.client)).toEqual(['VISIONOS', 'ANDROID_VR']);

    // Every client answering about another video: nothing is returned under the requested ID.
    nock.cleanAll();
    mockInnerTube({ player: () => other() });
    const error = await nodeWith({ cacheTtlMs: 0 }).resolve(`https://www.youtube.com/watch?v=${VIDEO}`).catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM', source: 'youtube' });
    expect((error as SpenceError).message).toMatch(/another video's details \(otherVideo1\)/);
  });

  it('a network failure is NETWORK with a clear message, at once and without retries', async () => {
    let attempts = 0;
    nock('https://www.youtube.com').persist().post(/youtubei/).query(true).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 142.250.0.1:443' })
      .on('request', () => attempts++);
    node = nodeWith();
    // "At once", without a clock: timers are frozen, so a failure that waited on a backoff or a
    // retry delay would never arrive; it arrives, from a single attempt.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      const error = await node.resolve(`https://youtu.be/${VIDEO}`).catch((e: SpenceError) => e);
      expect(error).toMatchObject({ code: 'NETWORK', source: 'youtube' });
      expect((error as SpenceError).message).toMatch(/Could not reach YouTube \(www\.youtube\.com\).*ECONNREFUSED/);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(attempts).toBeLessThanOrEqual(1);
  });

  it('with no network at all (connections refused by policy), search fails fast with NETWORK', async () => {
    node = nodeWith();
    const error = await node.resolve('ytsearch:anything').catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect((error as SpenceError).message).toMatch(/Could not reach YouTube \(www\.youtube\.com\)/);
  });

  it('HTTP 429 is RATE_LIMITED with Retry-After', async () => {
    mockInnerTube({ search: () => [429, { error: { code: 429 } }, { 'retry-after': '30' }] });
    node = nodeWith();
    const error = await node.resolve('ytsearch:test').catch((e: SpenceError) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 30_000 });
  });

  it('HTTP 429 with Retry-After as an HTTP-date: the wait until that date (RFC 9110 §10.2.3; issue 14 item 6)', async () => {
    // Only Date is faked: the wait is read against a known "now", with nothing waited for real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 2, 3, 4, 5) });
    try {
      const at = new Date(Date.now() + 90_000).toUTCString(); // "Fri, 02 Jan 2026 03:05:35 GMT"
      mockInnerTube({ search: () => [429, { error: { code: 429 } }, { 'retry-after': at }] });
      node = nodeWith();
      const error = await node.resolve('ytsearch:test').catch((e: SpenceError) => e);
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 90_000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('an unresponsive InnerTube times out as NETWORK after requestTimeoutMs; the caller\'s abort is ABORTED', async () => {
    // InnerTube never answers (its answers wait at a gate opened only at the end).
    const held = gate();
    nock('https://www.youtube.com').persist().post(/youtubei/).query(true).reply(async () => {
      await held.pass();
      return [200, {}];
    });
    // requestTimeoutMs is a real timer inside the client: this part waits its 100 ms.
    node = nodeWith({ requestTimeoutMs: 100 });
    const timedOut = await node.resolve('ytsearch:slow').catch((e: SpenceError) => e);
    expect(timedOut).toMatchObject({ code: 'NETWORK' });
    expect((timedOut as SpenceError).message).toMatch(/did not answer within 100 ms/);
    // The caller's abort, once its request is in flight.
    const slow = nodeWith();
    const asked = held.arrived;
    const controller = new AbortController();
    const aborted = code(slow.resolve('ytsearch:slower', { signal: controller.signal }));
    expect(await until(() => held.arrived > asked)).toBe(true);
    controller.abort();
    expect(await aborted).toBe('ABORTED');
    held.open();
    await slow.close();
  });

  it('an unknown client name in the chain is refused at construction', () => {
    expect(() => youtubeProvider({ clients: ['VISIONOS', 'NOKIA_3310'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('InnerTube answering HTTP 500 is UPSTREAM', async () => {
    mockInnerTube({ search: () => [500, { error: { code: 500, message: 'Internal error' } }] });
    node = nodeWith();
    expect(await code(node.resolve('ytsearch:test'))).toBe('UPSTREAM');
  });

  describe('opening: client chain and formats, against a loopback media server', () => {
    let server: MediaServer;
    beforeAll(async () => {
      server = await startMediaServer({ '/videoplayback': { body: webm, type: 'audio/webm' } });
    });
    afterAll(async () => server.close());

    /** Format URLs on the loopback server, tagged with the client and itag that gave them. */
    const local = (client: string) => (format: YoutubeFormat): YoutubeFormat => ({
      ...format,
      url: `${server.url('/videoplayback')}?itag=${format.itag}&c=${client}`,
      contentLength: String(webm.length),
    });
    const ciphered = (format: YoutubeFormat): YoutubeFormat => {
      const { url: _url, ...rest } = format;
      return { ...rest, contentLength: String(webm.length), signatureCipher: `s=AOq0QJ8wRAIgfixture&sp=sig&url=${encodeURIComponent(server.url('/videoplayback'))}%3Fitag%3D${format.itag}%26c%3DWEB` };
    };

    async function firstRequest(node: Node, track: Track): Promise<string> {
      const before = server.requests.length;
      const media = await node.openMedia(track);
      expect(media.container).toBe('webm');
      expect(media.contentLength).toBe(webm.length);
      const iterator = media.read(0, { signal: new AbortController().signal })[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return?.();
      media.close();
      return server.requests[before]!;
    }

    it('opens itag 251 from the first client', async () => {
      const calls = mockInnerTube({ player: (client) => playerWith(local(client)) });
      node = nodeWith();
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      expect(await firstRequest(node, track)).toMatch(/itag=251&c=VISIONOS bytes=0-/);
      // The open used the resolve's fresh player answer: one /player request in all.
      expect(calls).toHaveLength(1);
    });

    it('falls back to the next client when the first gives no usable format', async () => {
      const calls = mockInnerTube({ player: (client) => playerWith(client === 'VISIONOS' ? ciphered : local(client)) });
      node = nodeWith();
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      expect(await firstRequest(node, track)).toMatch(/itag=251&c=ANDROID_VR /);
      expect(calls.map((c) => c.client)).toEqual(['VISIONOS', 'ANDROID_VR']);
    });

    it('follows a configured chain, and a refusing client is skipped at open too', async () => {
      const calls = mockInnerTube({ player: (client) => (client === 'iOS' ? fixture('player-login-required.json') : playerWith(local(client))) });
      node = nodeWith({ clients: ['IOS', 'ANDROID'], cacheTtlMs: 0 });
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      expect(await firstRequest(node, track)).toMatch(/itag=251&c=ANDROID /);
      expect(calls.map((c) => c.client)).toEqual(['iOS', 'ANDROID']);
    });

    it('15.19: at open, a client whose /player answer is about another video is skipped', async () => {
      const calls = mockInnerTube({
        player: (client) => {
          const answer = playerWith(local(client));
          return client === 'ANDROID_VR' ? { ...answer, videoDetails: { ...answer.videoDetails, videoId: 'otherVideo1' } } : answer;
        },
      });
      node = nodeWith({ clients: ['ANDROID_VR', 'IOS'] });
      const track = node.decodeTrack(encodeTrackInfo({ source: 'youtube', identifier: VIDEO, uri: `https://www.youtube.com/watch?v=${VIDEO}`, title: 't', author: 'a', durationMs: 208_000, isStream: false, isSeekable: true }));
      expect(await firstRequest(node, track)).toMatch(/itag=251&c=iOS /);
      expect(calls.map((c) => c.client)).toEqual(['ANDROID_VR', 'iOS']);
    });

    it.each([
      [[251, 250, 249, 140], 251],
      [[249, 250, 140], 250],
      [[140, 249], 249],
    ])('prefers 251 > 250 > 249 (formats %j -> %i)', async (itags, expected) => {
      mockInnerTube({ player: (client) => playerWith((f) => (itags.includes(f.itag) ? local(client)(f) : null)) });
      node = nodeWith();
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      expect(await firstRequest(node, track)).toMatch(new RegExp(`itag=${expected}&`));
    });

    it('without any WebM Opus format from any client: UNAVAILABLE naming what each client gave', async () => {
      mockInnerTube({ player: (client) => playerWith((f) => (f.itag === 140 ? local(client)(f) : null)) });
      node = nodeWith();
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      const error = await node.openMedia(track).catch((e: SpenceError) => e);
      expect(error).toMatchObject({ code: 'UNAVAILABLE' });
      expect((error as SpenceError).message).toMatch(/VISIONOS: no WebM Opus format.*ANDROID_VR.*IOS/);
    });

    it('uses the decipher option for ciphered formats', async () => {
      const calls = mockInnerTube({ player: () => playerWith(ciphered) });
      const seen: YoutubeFormat[] = [];
      node = nodeWith({
        clients: ['WEB'],
        signatureTimestamp: 20_245,
        decipher: (format, { videoId, client }) => {
          seen.push(format);
          const params = new URLSearchParams(format.signatureCipher);
          return `${params.get('url')}&sig=${params.get('s')}&v=${videoId}&via=${client}`;
        },
      });
      const track = await resolveTrack(node, `https://youtu.be/${VIDEO}`);
      expect(await firstRequest(node, track)).toMatch(/itag=251&c=WEB&sig=AOq0QJ8wRAIgfixture&v=K4DyBUG242c&via=WEB /);
      expect(seen.map((f) => f.itag)).toEqual([251]);
      expect(calls[0]!.body.playbackContext).toEqual({ contentPlaybackContext: { signatureTimestamp: 20_245 } });
    });

    it('refuses a decoded track whose identifier is not a video ID', async () => {
      mockInnerTube({});
      node = nodeWith();
      const forged = node.decodeTrack(encodeTrackInfo({ source: 'youtube', identifier: '../../etc', uri: 'x', title: 'x', author: 'x', durationMs: 1, isStream: false, isSeekable: true }));
      expect(await code(node.openMedia(forged))).toBe('INVALID_TRACK');
    });
  });
});
