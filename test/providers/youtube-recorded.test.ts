// The real recorded InnerTube exchanges in ../shared/reference/recorded (when that folder is there),
// replayed through nock: proves the provider reads what YouTube really sends, and asks as the
// recorded clients asked.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { createTrack } from '../../src/provider-kit.js';
import type { ProviderContext, Track } from '../../src/provider-kit.js';
import { youtubeProvider } from '../../providers/youtube/index.js';
import { chooseFormat, isLiveNow, playabilityError } from '../../providers/youtube/player.js';
import type { PlayerResponse } from '../../providers/youtube/player.js';

const recorded = new URL('../../../shared/reference/recorded/', import.meta.url);
const available = existsSync(fileURLToPath(recorded));

interface Exchange {
  request: { url: string; dataToSend: number[] };
  response: { responseCode: number; responseBody: string };
}
const load = (name: string): Exchange => JSON.parse(readFileSync(new URL(name, recorded), 'utf8'));
const sentBody = (exchange: Exchange) => JSON.parse(Buffer.from(exchange.request.dataToSend).toString('utf8'));

/**
 * Replays `exchange`'s response for `endpoint`, recording what we sent; `answer`, when given,
 * answers a request instead (returning its body) or leaves it to the recording (undefined).
 */
function replay(endpoint: string, exchange: Exchange, answer?: (sent: any) => unknown): any[] {
  const bodies: any[] = [];
  nock('https://www.youtube.com')
    .persist()
    .post(`/youtubei/v1/${endpoint}`)
    .query(true)
    .reply((_uri, body) => {
      const sent = typeof body === 'string' ? JSON.parse(body) : body;
      bodies.push(sent);
      const own = answer?.(sent);
      return [own === undefined ? exchange.response.responseCode : 200, own === undefined ? exchange.response.responseBody : JSON.stringify(own), { 'content-type': 'application/json; charset=UTF-8' }];
    });
  return bodies;
}

/**
 * A WEB search answer's ranked video IDs (the top-level videos of its section list, in order), the
 * IDs inside its shelves, one ranked video's renderer and the continuation token.
 */
function rankedAndShelved(answer: any): { ranked: string[]; shelved: string[]; firstVideo: any; token: string } {
  const sections: any[] = answer.contents.twoColumnSearchResultsRenderer.primaryContents.sectionListRenderer.contents;
  const items: any[] = sections.flatMap((section) => section.itemSectionRenderer?.contents ?? []);
  const ranked = items.filter((item) => item.videoRenderer).map((item) => item.videoRenderer.videoId as string);
  const shelved = JSON.stringify(items.filter((item) => !item.videoRenderer)).match(/"videoId":"[\w-]{11}"/g)?.map((match) => match.slice(11, -1)) ?? [];
  const token = sections.find((section) => section.continuationItemRenderer)?.continuationItemRenderer.continuationEndpoint.continuationCommand.token;
  return { ranked, shelved: [...new Set(shelved)].filter((id) => !ranked.includes(id)), firstVideo: items.find((item) => item.videoRenderer).videoRenderer, token };
}

describe.skipIf(!available)('youtube provider on the recorded exchanges (../shared/reference/recorded)', () => {
  let node: Node | undefined;
  afterEach(async () => {
    nock.cleanAll();
    await node?.close();
    node = undefined;
  });

  it('player (VISIONOS): resolves the recorded video, asking as the recorded client asked', async () => {
    const exchange = load('youtube-player-visionos.json');
    const bodies = replay('player', exchange);
    node = new Node({ providers: [youtubeProvider()] });
    const result = await node.resolve('https://www.youtube.com/watch?v=K4DyBUG242c');
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track).toMatchObject({
      identifier: 'K4DyBUG242c',
      title: 'Cartoon, Jéja - On & On (feat. Daniel Levi) | Electronic Pop | NCS - Copyright Free Music',
      author: 'NoCopyrightSounds',
      durationMs: 208_000,
      isStream: false,
      isSeekable: true,
    });
    const recordedClient = sentBody(exchange).context.client;
    expect(bodies[0]).toMatchObject({ videoId: 'K4DyBUG242c', contentCheckOk: true, racyCheckOk: true });
    expect(bodies[0].context.client).toMatchObject({ clientName: recordedClient.clientName, clientVersion: recordedClient.clientVersion, deviceMake: recordedClient.deviceMake, platform: recordedClient.platform });
  });

  it('player (VISIONOS): the recorded formats give itag 251 with a plain URL, its length and Cues range', async () => {
    const response = JSON.parse(load('youtube-player-visionos.json').response.responseBody) as PlayerResponse;
    expect(playabilityError(response, 'K4DyBUG242c')).toBeNull();
    expect(isLiveNow(response)).toBe(false);
    const format = chooseFormat(response, [251, 250, 249], false)!;
    expect(format).toMatchObject({ itag: 251, mimeType: 'audio/webm; codecs="opus"', contentLength: '3531061' });
    expect(format.url).toMatch(/^https:\/\/rr5---sn-25ge7nsk\.googlevideo\.com\/videoplayback\?.*itag=251/);
    expect(format.indexRange).toEqual({ start: '266', end: '619' });
    expect(chooseFormat(response, [250, 249], false)!.itag).toBe(250);
  });

  it('player (VISIONOS): open() hands the recorded 251 URL and length to the media fetcher', async () => {
    replay('player', load('youtube-player-visionos.json'));
    const checked: string[] = [];
    const dispatcher = new Agent();
    const context: ProviderContext = {
      signal: new AbortController().signal,
      // Stands in for the node's guard, which would resolve googlevideo's name (no network here).
      urlGuard: { allowPrivateAddresses: false, check: async (url) => (checked.push(String(url)), new URL(url)) },
      dispatcher,
      createTrack,
    };
    const track: Track = createTrack({ source: 'youtube', identifier: 'K4DyBUG242c', uri: 'https://www.youtube.com/watch?v=K4DyBUG242c', title: 't', author: 'a', durationMs: 208_000, isStream: false, isSeekable: true });
    const media = await youtubeProvider().open!(track, context);
    expect(media).toMatchObject({ container: 'webm', contentLength: 3_531_061 });
    expect(checked).toHaveLength(1);
    expect(checked[0]).toMatch(/itag=251&.*clen=3531061/);
    media.close();
    await dispatcher.close();
  });

  it('search (WEB): reads the recorded answer\'s ranked videos, in order, with the recorded filter (15.16: no shelf videos)', async () => {
    const exchange = load('youtube-search.json');
    const bodies = replay('search', exchange);
    node = new Node({ providers: [youtubeProvider()] });
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    // Both filters start with type=video (field 2 { field 2: 1 }); the recorded one adds a flag.
    const filter = (params: string) => [...Buffer.from(decodeURIComponent(params), 'base64').subarray(0, 4)];
    expect(bodies[0].query).toBe('test');
    expect(filter(bodies[0].params)).toEqual(filter(sentBody(exchange).params));
    expect(filter(bodies[0].params)).toEqual([0x12, 0x02, 0x10, 0x01]);
    // The ranked results are the section list's top-level videos; shelves ("Popular in <city>",
    // "Channels new to you") hold YouTube's suggestions, which push ranked results out when counted.
    const answer = JSON.parse(exchange.response.responseBody);
    const { ranked, shelved } = rankedAndShelved(answer);
    expect(shelved.length).toBeGreaterThan(0);
    expect(result.tracks.map((t) => t.identifier)).toEqual(ranked.slice(0, 20));
    expect(result.tracks.some((t) => shelved.includes(t.identifier))).toBe(false);
    expect(result.tracks[0]).toMatchObject({ identifier: 'Z8KYabgkMbw', title: 'Blind Test TOUT GENRE | 140 extraits', author: 'Blind Test & Chill', durationMs: 2_840_000 });
    for (const track of result.tracks) {
      expect(track.identifier).toMatch(/^[\w-]{11}$/);
      expect(track.title.length).toBeGreaterThan(0);
      expect(track.author.length).toBeGreaterThan(0);
      expect(track.author).not.toBe('N/A');
      expect(track.durationMs).toBeGreaterThan(0);
      expect(track.artworkUrl).toMatch(/^https:\/\/i\d?\.ytimg\.com\/vi\//);
    }
  });

  it('search (WEB): a searchLimit beyond the recorded page asks for its continuation with the recorded token (15.16)', async () => {
    const exchange = load('youtube-search.json');
    const answer = JSON.parse(exchange.response.responseBody);
    const { ranked, firstVideo, token } = rankedAndShelved(answer);
    // The next page, in the shape of a continuation answer: appended item sections, then none.
    const more = Array.from({ length: 8 }, (_, i) => ({ videoRenderer: { ...firstVideo, videoId: `nextPage00${i}` } }));
    const bodies = replay('search', exchange, (sent) =>
      sent.continuation ? { onResponseReceivedCommands: [{ appendContinuationItemsAction: { continuationItems: [{ itemSectionRenderer: { contents: more } }], targetId: 'search-feed' } }] } : undefined,
    );
    node = new Node({ providers: [youtubeProvider({ searchLimit: ranked.length + 5 })] });
    const result = await node.resolve('ytsearch:test');
    if (result.type !== 'search') throw new Error(result.type);
    expect(bodies.map((b) => b.continuation)).toEqual([undefined, token]);
    expect(result.tracks.map((t) => t.identifier)).toEqual([...ranked, ...more.slice(0, 5).map((m) => m.videoRenderer.videoId)]);
  });

  it('music search (WEB_REMIX, songs): reads all twenty songs with artists, album and duration', async () => {
    const exchange = load('youtube-music-search-songs.json');
    const bodies = replay('search', exchange);
    node = new Node({ providers: [youtubeProvider()] });
    const result = await node.resolve('ytmsearch:mocromaniac');
    if (result.type !== 'search') throw new Error(result.type);
    expect(bodies[0]).toMatchObject({ query: 'mocromaniac', context: { client: { clientName: sentBody(exchange).context.client.clientName } } });
    expect(result.tracks).toHaveLength(20);
    expect(result.tracks[0]).toMatchObject({ identifier: 'HhQGHxWZCd0', title: 'Boom Boom Boom', artists: ['MocroManiac'], album: 'Boom Boom Boom', durationMs: 171_000 });
    // An artist without a channel link is plain text in the answer: still read.
    expect(result.tracks[19]).toMatchObject({ title: 'Mocro Maniac', artists: ['Hassan Twil and Hawara'], author: 'Hassan Twil and Hawara', album: 'Mocro Maniac', durationMs: 210_000 });
    for (const track of result.tracks) {
      expect(track.artists?.length).toBeGreaterThan(0);
      expect(track.album?.length).toBeGreaterThan(0);
      expect(track.durationMs).toBeGreaterThan(0);
    }
  });
});
