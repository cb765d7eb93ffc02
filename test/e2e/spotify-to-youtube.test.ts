// Issue 8, end to end: a Spotify track URL plays through a spence player. Spotify's Web API and
// YouTube's InnerTube answer from nock (fixtures/e2e, fixtures/youtube); the chosen video's itag 251
// URL points at a real loopback HTTP server (Range requests) that serves fixtures/media/sample.webm.
// Nothing is stubbed inside spence: the node's default providers, its mirror and matcher, the media
// fetcher, the WebM demuxer and the player all run as a bot would use them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SpenceError } from '../../src/errors.js';
import { Node } from '../../src/node.js';
import type { TrackEndReason } from '../../src/player/types.js';
import type { Track } from '../../src/resolve/track.js';
import { defaultProviders } from '../../src/default-providers.js';
import type { YoutubeFormat } from '../../providers/youtube/index.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { MediaServer } from '../helpers/media-server.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const json = (path: string): any => JSON.parse(read(path));

const webm = new Uint8Array(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url)));
/** ffprobe's packet list of sample.webm: what the player must hand out, packet for packet. */
const expectedPackets: { size: number; md5: string }[] = json('fixtures/media/sample.webm.packets.json');

const SPOTIFY_ID = '3e2ePaperLanterns00001';
const SPOTIFY_URL = `https://open.spotify.com/track/${SPOTIFY_ID}`;
/** "Paper Lanterns" by "Nova Reyes - Topic": the released recording, last in the video search. */
const RIGHT = 'rT0picSong1';
/** The artist's official music video, 4 s longer (an intro): turned down by the matcher, but a user may pin it. */
const MUSIC_VIDEO = 'officialMV1';
/** What the mirror searches: `"{main artist} - {title}"` on ytmsearch: and ytsearch:, and the quoted ISRC on ytsearch:. */
const QUERY = 'Nova Reyes - Paper Lanterns';
const ISRC_QUERY = '"QZES82600117"';

/** The InnerTube search answers (fixtures/e2e/README.md): decoys first, then the right recording. */
const musicSearch = json('fixtures/e2e/music-search.json');
const videoSearch = json('fixtures/e2e/video-search.json');
const isrcSearch = json('fixtures/e2e/isrc-search.json');
const playerOk = json('fixtures/youtube/player-ok.json');

/** A search answer without the results whose video ID is in `drop` (both renderer shapes). */
function without(answer: any, drop: readonly string[]): any {
  const copy = structuredClone(answer);
  const keep = (item: any) => !drop.includes(item.videoRenderer?.videoId ?? item.musicResponsiveListItemRenderer?.playlistItemData?.videoId);
  const music = copy.contents.tabbedSearchResultsRenderer?.tabs[0].tabRenderer.content.sectionListRenderer.contents[0].musicShelfRenderer;
  if (music) music.contents = music.contents.filter(keep);
  const videos = copy.contents.twoColumnSearchResultsRenderer?.primaryContents.sectionListRenderer.contents[0].itemSectionRenderer;
  if (videos) videos.contents = videos.contents.filter(keep);
  return copy;
}

/** Title, channel and length of each video in the search fixtures, for the /player answers. */
const videoDetails = new Map<string, { title: string; author: string; lengthSeconds: string }>();
for (const answer of [videoSearch, isrcSearch]) {
  for (const item of answer.contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer.contents[0].itemSectionRenderer.contents) {
    const v = item.videoRenderer;
    const [m = '0', s = '0'] = (v.lengthText.simpleText as string).split(':').slice(-2);
    videoDetails.set(v.videoId, { title: v.title.runs[0].text, author: v.ownerText.runs[0].text, lengthSeconds: String(Number(m) * 60 + Number(s)) });
  }
}

const YOUTUBE = 'https://www.youtube.com';
const isSearch = (client: string, query: string) => (body: any) => body?.context?.client?.clientName === client && body.query === query;

/**
 * The three searches the mirror makes, once each. Each is its own scope, so `isDone()` proves
 * that search was made; a fourth search would find no interceptor (see `unmatched`).
 */
function mockSearches(drop: readonly string[] = []): nock.Scope[] {
  return [
    nock(YOUTUBE).post('/youtubei/v1/search', isSearch('WEB_REMIX', QUERY)).query(true).reply(200, without(musicSearch, drop)),
    nock(YOUTUBE).post('/youtubei/v1/search', isSearch('WEB', QUERY)).query(true).reply(200, without(videoSearch, drop)),
    nock(YOUTUBE).post('/youtubei/v1/search', isSearch('WEB', ISRC_QUERY)).query(true).reply(200, without(isrcSearch, drop)),
  ];
}

/** Any search at all, counted and refused: for the plays that must not search. */
function searchSpy(): { count: number } {
  const spy = { count: 0 };
  nock(YOUTUBE).persist().post('/youtubei/v1/search').query(true).reply(() => {
    spy.count++;
    return [500, { error: 'this play must not search' }];
  });
  return spy;
}

/** The Spotify token and track, once each. */
function mockSpotify(): nock.Scope[] {
  return [
    nock('https://accounts.spotify.com').post('/api/token', 'grant_type=client_credentials').reply(200, json('fixtures/spotify/token.json')),
    nock('https://api.spotify.com').get(`/v1/tracks/${SPOTIFY_ID}`).reply(200, json('fixtures/e2e/spotify-track.json')),
  ];
}

describe('a Spotify track plays end to end through its YouTube mirror', () => {
  let server: MediaServer;
  let node: Node;
  /** Video IDs /player was asked for, in order. */
  let playerRequests: string[];
  /** Requests nock had no interceptor for (they fail; a test asserts there were none). */
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; path?: string }) => unmatched.push(`${req.method} ${req.href ?? req.path}`);

  beforeAll(async () => {
    server = await startMediaServer({ '/videoplayback': { body: webm, type: 'audio/webm' } });
    nock.emitter.on('no match', onNoMatch);
  });
  afterAll(async () => {
    nock.emitter.off('no match', onNoMatch);
    await server.close();
  });

  beforeEach(() => {
    unmatched.length = 0;
    server.requests.length = 0;
    playerRequests = [];
    // /player for any video: the OK fixture, described as that video, its formats on the loopback server.
    nock(YOUTUBE).persist().post('/youtubei/v1/player').query(true).reply((_uri, raw) => {
      const videoId = (typeof raw === 'string' ? JSON.parse(raw) : raw).videoId as string;
      playerRequests.push(videoId);
      const formats = (playerOk.streamingData.adaptiveFormats as YoutubeFormat[]).map((format) => ({
        ...format,
        url: `${server.url('/videoplayback')}?id=${videoId}&itag=${format.itag}`,
        contentLength: String(webm.length),
      }));
      return [200, {
        ...playerOk,
        videoDetails: { ...playerOk.videoDetails, videoId, ...videoDetails.get(videoId) },
        streamingData: { ...playerOk.streamingData, adaptiveFormats: formats },
      }, { 'content-type': 'application/json' }];
    });
    // The node's defaults (youtube, spotify, applemusic, deezer, local, http); loopback media allowed.
    node = new Node({ providers: defaultProviders({ spotify: { clientId: 'e2e-client-id', clientSecret: 'e2e-client-secret' } }), http: { allowPrivateAddresses: true } });
  });
  afterEach(async () => {
    await node.destroy();
    nock.cleanAll();
  });

  async function resolveSpotify(): Promise<Track> {
    const result = await node.resolve(SPOTIFY_URL, { signal: AbortSignal.timeout(5_000) });
    if (result.type !== 'track') throw new Error(`expected a track, got ${result.type}`);
    return result.track;
  }

  /**
   * Plays `track` through a pull-mode player until its end, as `spence stream` drains one: the md5
   * of every packet `readFrame()` hands out, and the player's track events.
   */
  async function playThroughPlayer(track: Track): Promise<{ md5s: string[]; sizes: number[]; events: string[] }> {
    const player = node.createPlayer({ mode: 'pull', silenceFrames: 0 });
    const events: string[] = [];
    let ended: TrackEndReason | null = null;
    player.on('trackStart', (t) => events.push(`trackStart ${t.source}:${t.identifier}`));
    player.on('trackEnd', (t, reason) => {
      events.push(`trackEnd ${t.source}:${t.identifier} ${reason}`);
      ended = reason;
    });
    player.on('error', (error) => events.push(`error ${error.code}: ${error.message}`));
    const md5s: string[] = [];
    const sizes: number[] = [];
    try {
      await player.load(track, { signal: AbortSignal.timeout(5_000) });
      const giveUpAt = Date.now() + 8_000;
      while (ended === null && player.state.status !== 'errored') {
        const packet = player.readFrame();
        if (packet !== null) {
          md5s.push(createHash('md5').update(packet.data).digest('hex'));
          sizes.push(packet.data.length);
          continue;
        }
        if (Date.now() > giveUpAt) throw new Error(`the track did not end (${md5s.length} packets read, status ${player.state.status})`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    } finally {
      player.destroy();
    }
    return { md5s, sizes, events };
  }

  function expectSamplePackets(played: { md5s: string[]; sizes: number[] }): void {
    expect(played.md5s).toHaveLength(expectedPackets.length);
    expect(played.sizes).toEqual(expectedPackets.map((p) => p.size));
    played.md5s.forEach((md5, i) => {
      if (md5 !== expectedPackets[i]!.md5) expect.fail(`packet ${i}: md5 ${md5}, expected ${expectedPackets[i]!.md5}`);
    });
  }

  it('resolves without YouTube, searches once, picks the Topic upload among decoys, and plays the packets of its stream', async () => {
    const spotify = mockSpotify();
    const searches = mockSearches();

    const track = await resolveSpotify();
    expect(track).toMatchObject({ source: 'spotify', identifier: SPOTIFY_ID, title: 'Paper Lanterns', artists: ['Nova Reyes'], durationMs: 10_020, isrc: 'QZES82600117' });
    // Resolving a metadata track makes no YouTube request: the match waits for playback.
    expect(searches.map((s) => s.isDone())).toEqual([false, false, false]);
    expect(spotify.every((s) => s.isDone())).toBe(true);

    const played = await playThroughPlayer(track);
    expect(played.events).toEqual([`trackStart spotify:${SPOTIFY_ID}`, `trackEnd spotify:${SPOTIFY_ID} finished`]);
    expectSamplePackets(played);

    // The song search, the video search and the ISRC search were each made.
    expect(searches.map((s) => s.isDone())).toEqual([true, true, true]);
    // Among a same-titled song by another artist, two live versions, a sped-up upload, an acoustic
    // cover, the music video with an intro, an hour-long loop and a wrong ISRC hit, all listed before
    // it, the pick is the "Nova Reyes" song (YouTube Music; the "Nova Reyes - Topic" upload in the
    // video and ISRC searches), and nothing else is good enough to be an alternate.
    expect(playerRequests).toEqual([RIGHT]);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.startsWith(`GET /videoplayback?id=${RIGHT}&itag=251 `))).toBe(true);
    expect(await node.mirror(track)).toMatchObject({ youtubeId: RIGHT, cached: true, pinned: false, alternates: [] });
    expect(unmatched).toEqual([]);
  });

  it('a second play of the same track uses the mirror store: no search, the same video, the same packets', async () => {
    mockSpotify();
    const searches = mockSearches();
    const track = await resolveSpotify();
    expectSamplePackets(await playThroughPlayer(track));
    expect(searches.every((s) => s.isDone())).toBe(true);

    // Drop the resolution cache too, so that only the mirror's store can spare the searches; play a
    // copy decoded from the stored string, as a bot restoring its queue would.
    node.clearCache();
    const spy = searchSpy();
    const again = await playThroughPlayer(node.decodeTrack(track.encoded));
    expect(again.events).toEqual([`trackStart spotify:${SPOTIFY_ID}`, `trackEnd spotify:${SPOTIFY_ID} finished`]);
    expectSamplePackets(again);
    expect(spy.count).toBe(0);
    expect(playerRequests).toEqual([RIGHT, RIGHT]);
    expect(unmatched).toEqual([]);
  });

  it('with only decoys in the results, opening fails with NO_MATCH naming the track, and nothing is played', async () => {
    mockSpotify();
    const searches = mockSearches([RIGHT]);
    const track = await resolveSpotify();

    const error = await node.openTrack(track, { signal: AbortSignal.timeout(5_000) }).then(
      () => expect.fail('opened a track that has no recording on YouTube'),
      (e: SpenceError) => e,
    );
    expect(error).toMatchObject({ name: 'SpenceError', code: 'NO_MATCH' });
    expect(error.message).toContain('"Paper Lanterns" by Nova Reyes');
    expect(error.message).toContain(`(spotify:${SPOTIFY_ID}): none of 8 YouTube results carries the recording`); // 2 songs, 5 videos, 1 ISRC hit
    expect(searches.every((s) => s.isDone())).toBe(true);
    expect(playerRequests).toEqual([]);
    expect(server.requests).toEqual([]);

    // The miss is remembered for a while: a player loading the track again fails at once, without
    // searching, and reports the load as failed.
    const spy = searchSpy();
    const player = node.createPlayer({ mode: 'pull' });
    const ends: string[] = [];
    player.on('trackEnd', (t, reason) => ends.push(`${t.identifier} ${reason}`));
    player.on('error', () => {});
    await expect(player.load(track, { signal: AbortSignal.timeout(5_000) })).rejects.toMatchObject({ code: 'NO_MATCH', message: expect.stringContaining('remembered') });
    expect(ends).toEqual([`${SPOTIFY_ID} loadFailed`]);
    expect(player.state.status).toBe('errored');
    expect(spy.count).toBe(0);
    expect(playerRequests).toEqual([]);
    expect(unmatched).toEqual([]);
  });

  it('a pinned video is played without any search; forgetting the pin makes the next play search', async () => {
    mockSpotify();
    const track = await resolveSpotify();
    const spy = searchSpy();

    expect(await node.pinMirror(track, `https://youtu.be/${MUSIC_VIDEO}`)).toMatchObject({ youtubeId: MUSIC_VIDEO, pinned: true });
    const played = await playThroughPlayer(track);
    expect(played.events).toEqual([`trackStart spotify:${SPOTIFY_ID}`, `trackEnd spotify:${SPOTIFY_ID} finished`]);
    expectSamplePackets(played);
    expect(spy.count).toBe(0);
    expect(playerRequests).toEqual([MUSIC_VIDEO]);
    expect(server.requests.every((r) => r.includes(`id=${MUSIC_VIDEO}&`))).toBe(true);
    expect(await node.mirror(track)).toMatchObject({ youtubeId: MUSIC_VIDEO, pinned: true, cached: true });

    await node.forgetMirror(track);
    nock.cleanAll(); // the spy, which would answer the searches
    const searches = mockSearches();
    expect(await node.mirror(track, { signal: AbortSignal.timeout(5_000) })).toMatchObject({ youtubeId: RIGHT, pinned: false, cached: false });
    expect(searches.every((s) => s.isDone())).toBe(true);
    expect(unmatched).toEqual([]);
  });
});
