// The SoundCloud provider against nock fixtures modelled on the recorded api-v2 exchanges
// (fixtures/soundcloud): inputs, tracks, playlists with ID-only entries, search, client id discovery
// and refresh, preview-only and geo-blocked tracks, format choice, and the errors.
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { SpenceError, createTrack } from '../../src/provider-kit.js';
import type { Track } from '../../src/provider-kit.js';
import { chooseTranscoding, soundcloudProvider } from '../../providers/soundcloud/index.js';
import type { ScTrack, SoundcloudProviderOptions } from '../../providers/soundcloud/index.js';
import { parseTrackIdentifier } from '../../providers/soundcloud/urls.js';
import { codeOf } from '../helpers/errors.js';
import { until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';

const text = (name: string) => readFileSync(new URL(`../../fixtures/soundcloud/${name}`, import.meta.url), 'utf8');
const fixture = (name: string) => JSON.parse(text(name));
const API = 'https://api-v2.soundcloud.com';
const PAGE = 'https://soundcloud.com';
const CDN = 'https://a-v2.sndcdn.com';
const OPUS_CDN = 'https://cf-hls-opus-media.sndcdn.com';
const CLIENT_ID = 'TestClientId0123456789abcdefghij';
const TRACK = fixture('track.json') as ScTrack;
const TRACK_URL = 'https://soundcloud.com/blakewhiten/hard-to-break';

/** The SpenceError `promise` rejects with; fails the test when it resolves or throws anything else. */
async function errorOf(promise: Promise<unknown>): Promise<SpenceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SpenceError);
    return error as SpenceError;
  }
  throw new Error('expected a rejection');
}

let nodes: Node[] = [];
function node(options: SoundcloudProviderOptions = { clientId: CLIENT_ID }) {
  const n = new Node({
    providers: [soundcloudProvider(options)],
    // No DNS in the default suite: every host "resolves" to a public address.
    http: { lookup: async () => [{ address: '18.66.2.10', family: 4 }] },
  });
  nodes.push(n);
  return n;
}

/** The api-v2 host, expecting `clientId` on every request. */
const api = () => nock(API);

/** A track as a stored one would come back: only its identifier matters to open(). */
function stored(id: string): Track {
  return createTrack({ source: 'soundcloud', identifier: id, uri: `https://soundcloud.com/x/${id}`, title: 't', author: 'a', durationMs: 1000, isStream: false, isSeekable: true });
}

afterEach(async () => {
  nock.cleanAll();
  for (const n of nodes) await n.close();
  nodes = [];
});

describe('soundcloud provider: inputs', () => {
  it('recognises track and playlist pages, short links, api URLs and the embedded player; nothing else', () => {
    const p = soundcloudProvider({ clientId: CLIENT_ID });
    const yes = [
      'https://soundcloud.com/blakewhiten/hard-to-break',
      'https://www.soundcloud.com/blakewhiten/hard-to-break?utm_source=clipboard&si=abc',
      'https://m.soundcloud.com/blakewhiten/hard-to-break',
      'https://soundcloud.com/blakewhiten/hard-to-break/s-AbCdEf123',
      'https://soundcloud.com/blakewhiten/sets/hard-to-break-ep',
      'https://soundcloud.com/blakewhiten/sets/hard-to-break-ep/s-XyZ987',
      'https://on.soundcloud.com/aBcD1234',
      'https://api.soundcloud.com/tracks/2167944333',
      'https://api.soundcloud.com/tracks/soundcloud%3Atracks%3A2167944333',
      'https://api-v2.soundcloud.com/tracks/2167944333',
      'https://api.soundcloud.com/playlists/1960000001',
      'https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F2167944333&auto_play=false',
    ];
    const no = [
      'https://soundcloud.com/blakewhiten',
      'https://soundcloud.com/blakewhiten/tracks',
      'https://soundcloud.com/blakewhiten/likes',
      'https://soundcloud.com/blakewhiten/sets',
      'https://soundcloud.com/discover/sets/weekly',
      'https://soundcloud.com/search?q=x',
      'https://soundcloud.com/blakewhiten/hard-to-break/comments/extra',
      'https://api.soundcloud.com/users/1440582758',
      'https://api.soundcloud.com/tracks/not-a-number',
      'https://evil.com/blakewhiten/hard-to-break',
      'https://soundcloud.com.evil.com/blakewhiten/hard-to-break',
      'ftp://soundcloud.com/blakewhiten/hard-to-break',
      'hard to break',
    ];
    for (const raw of yes) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(true);
    for (const raw of no) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(false);
    expect(p.searchPrefixes).toEqual(['scsearch']);
  });

  it('track identifiers are numeric IDs, with the secret token of a private track', () => {
    expect(parseTrackIdentifier('2167944333')).toEqual({ id: '2167944333' });
    expect(parseTrackIdentifier('2167944333/s-AbC123')).toEqual({ id: '2167944333', secretToken: 's-AbC123' });
    for (const bad of ['', 'abc', '12/34', '1/s-ok/x', '../../etc', '123?x=1']) expect(parseTrackIdentifier(bad), bad).toBeNull();
  });
});

describe('soundcloud provider: resolving', () => {
  it('resolves a track page through /resolve: title, uploader, ISRC, album, artwork, duration', async () => {
    api().get('/resolve').query({ url: TRACK_URL, client_id: CLIENT_ID }).reply(200, TRACK);
    const result = await node().resolve('https://m.soundcloud.com/blakewhiten/hard-to-break?utm_medium=text&si=123');
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track).toMatchObject({
      source: 'soundcloud',
      identifier: '2167944333',
      uri: TRACK_URL,
      title: 'Hard to Break',
      author: 'Blake Whiten',
      artists: ['Blake Whiten'],
      album: 'Hard to Break',
      isrc: 'USWB12503619',
      durationMs: 201_865,
      artworkUrl: 'https://i1.sndcdn.com/artworks-4avLIZcwwxeq-0-t500x500.jpg',
      isStream: false,
      isSeekable: true,
    });
    expect(nock.isDone()).toBe(true);
  });

  it('api and api-v2 track URLs (the URN form of `uri` too) go to /tracks/{id}; api playlist URLs to /playlists/{id}', async () => {
    api().get('/tracks/2167944333').query({ client_id: CLIENT_ID }).times(3).reply(200, TRACK);
    const n = node();
    for (const url of [
      'https://api.soundcloud.com/tracks/soundcloud%3Atracks%3A2167944333',
      'https://api-v2.soundcloud.com/tracks/2167944333',
      'https://w.soundcloud.com/player/?url=https%3A%2F%2Fapi.soundcloud.com%2Ftracks%2F2167944333',
    ]) {
      const result = await n.resolve(url);
      expect(result.type === 'track' && result.track.title, url).toBe('Hard to Break');
    }
    const playlist = fixture('playlist.json');
    playlist.tracks = playlist.tracks.slice(0, 2);
    api().get('/playlists/1960000001').query({ client_id: CLIENT_ID }).reply(200, playlist);
    const list = await n.resolve('https://api.soundcloud.com/playlists/1960000001');
    expect(list.type === 'playlist' && list.playlist.tracks.length).toBe(2);
  });

  it('a private track keeps its secret token: in the identifier, and on the request when opened', async () => {
    api().get('/resolve').query({ url: `${TRACK_URL}/s-AbC123`, client_id: CLIENT_ID }).reply(200, { ...TRACK, secret_token: 's-AbC123', sharing: 'private' });
    const n = node();
    const result = await n.resolve(`${TRACK_URL}/s-AbC123`);
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track.identifier).toBe('2167944333/s-AbC123');
    api().get('/tracks/2167944333').query({ secret_token: 's-AbC123', client_id: CLIENT_ID }).reply(200, fixture('track-blocked.json'));
    expect(await codeOf(n.openTrack(result.track, { signal: AbortSignal.timeout(5000) }))).toBe('UNAVAILABLE');
    expect(nock.isDone()).toBe(true);
  });

  it('follows an on.soundcloud.com short link hop by hop to the page it names, without its tracking query', async () => {
    nock('https://on.soundcloud.com').get('/aBcD1234').reply(302, '', { location: 'https://soundcloud.com/blakewhiten/hard-to-break?ref=clipboard&p=i&c=1' });
    api().get('/resolve').query({ url: TRACK_URL, client_id: CLIENT_ID }).reply(200, TRACK);
    const result = await node().resolve('https://on.soundcloud.com/aBcD1234');
    expect(result.type === 'track' && result.track.identifier).toBe('2167944333');
  });

  it('a short link that leaves SoundCloud, or leads nowhere, is refused without following it', async () => {
    nock('https://on.soundcloud.com').get('/evil').reply(302, '', { location: 'https://evil.example.com/track' });
    nock('https://on.soundcloud.com').get('/gone').reply(404, 'Not found');
    const n = node();
    expect(await codeOf(n.resolve('https://on.soundcloud.com/evil'))).toBe('UNSUPPORTED_INPUT');
    expect(await codeOf(n.resolve('https://on.soundcloud.com/gone'))).toBe('NOT_FOUND');
    expect(nock.isDone()).toBe(true);
  });

  it('a playlist: every track, the ID-only entries fetched with /tracks?ids= in batches of 50, in order', async () => {
    const playlist = fixture('playlist.json');
    const idOnly = Array.from({ length: 60 }, (_, i) => ({ id: 3000000000 + i, kind: 'track', monetization_model: 'MONETIZE', policy: 'MONETIZE' }));
    playlist.tracks = [...playlist.tracks.slice(0, 2), ...idOnly];
    playlist.track_count = 62;
    const full = (id: number) => ({ ...TRACK, id, title: `Track ${id}`, permalink_url: `https://soundcloud.com/blakewhiten/t${id}` });
    const batches: string[] = [];
    api().get('/resolve').query({ url: 'https://soundcloud.com/blakewhiten/sets/hard-to-break-ep', client_id: CLIENT_ID }).reply(200, playlist);
    api()
      .get('/tracks')
      .query((q) => q.client_id === CLIENT_ID && typeof q.ids === 'string')
      .times(2)
      .reply((uri) => {
        const ids = new URL(uri, API).searchParams.get('ids')!.split(',').map(Number);
        batches.push(`${ids.length}`);
        // Answered out of order, one deleted (3000000005), one now geo-blocked (3000000007).
        return [200, ids.filter((id) => id !== 3000000005).reverse().map((id) => (id === 3000000007 ? { ...full(id), policy: 'BLOCK' } : full(id)))];
      });
    const result = await node().resolve('https://soundcloud.com/blakewhiten/sets/hard-to-break-ep');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(batches).toEqual(['50', '10']);
    expect(result.playlist.name).toBe('Hard to Break EP');
    expect(result.playlist.uri).toBe('https://soundcloud.com/blakewhiten/sets/hard-to-break-ep');
    const titles = result.playlist.tracks.map((t) => t.title);
    expect(titles.slice(0, 2)).toEqual(['Hard to Break', 'Second Song']);
    expect(titles.slice(2)).toEqual(idOnly.map((e) => e.id).filter((id) => id !== 3000000005 && id !== 3000000007).map((id) => `Track ${id}`));
  });

  it('15.20: a set with nothing playable (every track geo-blocked, preview-only or gone) is empty, as a YouTube playlist is', async () => {
    const playlist = fixture('playlist.json');
    playlist.tracks = [
      { ...TRACK, id: 4000000001, policy: 'BLOCK', media: { transcodings: [] } },
      { ...TRACK, id: 4000000002, policy: 'SNIP' },
      { id: 4000000003, kind: 'track', policy: 'MONETIZE' },
    ];
    api().get('/resolve').query({ url: 'https://soundcloud.com/blakewhiten/sets/hard-to-break-ep', client_id: CLIENT_ID }).reply(200, playlist);
    api().get('/playlists/1960000001').query({ client_id: CLIENT_ID }).reply(200, { ...playlist, tracks: [] });
    // The ID-only entry is gone: /tracks?ids= leaves it out.
    api().get('/tracks').query({ ids: '4000000003', client_id: CLIENT_ID }).reply(200, []);
    const n = node();
    expect(await n.resolve('https://soundcloud.com/blakewhiten/sets/hard-to-break-ep')).toEqual({ type: 'empty' });
    expect(await n.resolve('https://api.soundcloud.com/playlists/1960000001')).toEqual({ type: 'empty' });
  });

  it('scsearch: searches tracks; preview-only and geo-blocked results are left out', async () => {
    api().get('/search/tracks').query({ q: 'hard to break', limit: 20, offset: 0, client_id: CLIENT_ID }).reply(200, fixture('search.json'));
    api().get('/search/tracks').query({ q: 'nothing at all', limit: 20, offset: 0, client_id: CLIENT_ID }).reply(200, { collection: [], next_href: null });
    const n = node();
    const result = await n.resolve('scsearch:hard to break');
    if (result.type !== 'search') throw new Error(result.type);
    expect(result.tracks.map((t) => t.identifier)).toEqual(['2167944333']);
    expect((await n.resolve('scsearch:nothing at all')).type).toBe('empty');
  });

  it('a missing page is NOT_FOUND; a user page is UNSUPPORTED_INPUT', async () => {
    api().get('/resolve').query({ url: 'https://soundcloud.com/nobody/nothing', client_id: CLIENT_ID }).reply(404, {});
    api().get('/resolve').query({ url: 'https://soundcloud.com/blakewhiten/popular', client_id: CLIENT_ID }).reply(200, { kind: 'user', id: 1440582758, username: 'Blake Whiten' });
    const n = node();
    expect(await codeOf(n.resolve('https://soundcloud.com/nobody/nothing'))).toBe('NOT_FOUND');
    expect(await codeOf(n.resolve('https://soundcloud.com/blakewhiten/popular'))).toBe('UNSUPPORTED_INPUT');
  });
});

describe('soundcloud provider: client id', () => {
  it('discovers the client id from the page\'s hydration data (apiClient), once, and caches it', async () => {
    const page = nock(PAGE).get('/').once().reply(200, text('page.html'), { 'content-type': 'text/html' });
    api().get('/resolve').query({ url: TRACK_URL, client_id: 'HydratedClientId0123456789abcdef' }).times(2).reply(200, TRACK);
    const n = node({});
    await n.resolve(TRACK_URL);
    await n.resolve(`${TRACK_URL}?again=1`);
    expect(page.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  it('without hydration data, scans the page\'s sndcdn.com scripts (last first) for client_id, and only those', async () => {
    nock(PAGE).get('/').reply(200, text('page-no-hydration.html'), { 'content-type': 'text/html' });
    nock(CDN).get('/assets/49-8c2f7d1e.js').reply(200, text('app-script.js'));
    const vendor = nock(CDN).get('/assets/0-5b1e9a3c.js').reply(200, text('vendor-script.js'));
    const evil = nock('https://evil.example.com').get('/client.js').reply(200, 'client_id:"EvilClientId0123456789abcdefghij"');
    api().get('/resolve').query({ url: TRACK_URL, client_id: 'ScriptClientId0123456789abcdefgh' }).reply(200, TRACK);
    const result = await node({}).resolve(TRACK_URL);
    expect(result.type).toBe('track');
    expect(vendor.isDone()).toBe(false); // the id was in the last script
    expect(evil.isDone()).toBe(false);
  });

  it('a 401 drops the client id, discovers a fresh one and retries once', async () => {
    api().get('/resolve').query({ url: TRACK_URL, client_id: 'StaleClientId0123456789abcdefghi' }).reply(401, { errors: [{ error_message: 'invalid client_id' }] });
    // The fresh id comes from the page's script (this page has no hydration data).
    nock(PAGE).get('/').reply(200, text('page-no-hydration.html'));
    nock(CDN).get('/assets/49-8c2f7d1e.js').reply(200, text('app-script.js'));
    api().get('/resolve').query({ url: TRACK_URL, client_id: 'ScriptClientId0123456789abcdefgh' }).reply(200, TRACK);
    const result = await node({ clientId: 'StaleClientId0123456789abcdefghi' }).resolve(TRACK_URL);
    expect(result.type === 'track' && result.track.title).toBe('Hard to Break');
    expect(nock.isDone()).toBe(true);
  });

  it('a second 401 in a row is UPSTREAM; a page with no client id anywhere is UPSTREAM naming the option', async () => {
    api().get('/resolve').query(true).times(2).reply(401, {});
    nock(PAGE).get('/').reply(200, text('page.html'));
    const error = await errorOf(node({ clientId: 'StaleClientId0123456789abcdefghi' }).resolve(TRACK_URL));
    expect(error).toBeInstanceOf(SpenceError);
    expect((error as SpenceError).code).toBe('UPSTREAM');

    nock(PAGE).get('/').reply(200, '<html><script src="https://a-v2.sndcdn.com/assets/1-a.js"></script></html>');
    nock(CDN).get('/assets/1-a.js').reply(200, 'var nothing = 1;');
    const none = await errorOf(node({}).resolve(TRACK_URL));
    expect((none as SpenceError).code).toBe('UPSTREAM');
    expect((none as SpenceError).message).toMatch(/clientId/);
  });
});

describe('soundcloud provider: opening', () => {
  const opusTranscoding = TRACK.media!.transcodings!.find((t) => t.preset === 'opus_0_0')!;
  const opusPath = new URL(opusTranscoding.url).pathname;

  it('chooses Opus HLS, never an encrypted stream; then MP3 progressive, MP3 HLS, AAC', () => {
    const all = TRACK.media!.transcodings!;
    expect(chooseTranscoding(all)).toMatchObject({ kind: 'opus-hls', transcoding: { preset: 'opus_0_0' } });
    const noOpus = all.filter((t) => t.preset !== 'opus_0_0');
    expect(chooseTranscoding(noOpus)).toMatchObject({ kind: 'mp3-progressive', transcoding: { format: { protocol: 'progressive' } } });
    expect(chooseTranscoding(noOpus.filter((t) => t.format?.protocol !== 'progressive'))).toMatchObject({ kind: 'mp3-hls' });
    const aac = { url: `${API}/media/x/aac/stream/hls`, preset: 'aac_160k', format: { protocol: 'hls', mime_type: 'audio/mp4; codecs="mp4a.40.2"' } };
    expect(chooseTranscoding([...all.filter((t) => t.format?.protocol?.includes('encrypted')), aac])).toMatchObject({ kind: 'aac-hls' });
    expect(chooseTranscoding(all.filter((t) => t.format?.protocol?.includes('encrypted')))).toBeNull();
    expect(chooseTranscoding([{ ...opusTranscoding, drm: { scheme: 'widevine' } }])).toBeNull();
    expect(chooseTranscoding([{ ...opusTranscoding, snipped: true }])).toBeNull();
  });

  it('asks the Opus transcoding with client_id and track_authorization, and reads its playlist as Ogg', async () => {
    api().get('/tracks/2167944333').query({ client_id: CLIENT_ID }).reply(200, TRACK);
    api().get(opusPath).query({ client_id: CLIENT_ID, track_authorization: TRACK.track_authorization! }).reply(200, fixture('transcoding-opus.json'));
    const playlist = nock(OPUS_CDN)
      .get('/playlist/85861ce1-ef04-4651-9687-3b9054ed4d71.64.opus/playlist.m3u8')
      .query(true)
      .reply(200, '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:10\n#EXTINF:9.98,\n/media/0/1000/85861ce1.64.opus?Policy=x\n#EXT-X-ENDLIST\n');
    const media = await node().openMedia(stored('2167944333'), { signal: AbortSignal.timeout(5000) });
    expect(media.container).toBe('ogg');
    media.close();
    expect(playlist.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  it('a preview-only (snipped) track is UNAVAILABLE at resolve and at open, saying so', async () => {
    const snipped = fixture('track-snipped.json');
    api().get('/resolve').query({ url: 'https://soundcloud.com/blakewhiten/go-plus-song', client_id: CLIENT_ID }).reply(200, snipped);
    api().get('/tracks/1111111111').query({ client_id: CLIENT_ID }).reply(200, snipped);
    const n = node();
    const atResolve = await errorOf(n.resolve('https://soundcloud.com/blakewhiten/go-plus-song'));
    expect(atResolve).toMatchObject({ code: 'UNAVAILABLE', source: 'soundcloud' });
    expect(atResolve.message).toMatch(/preview-only \(snipped\)/);
    const atOpen = await errorOf(n.openTrack(stored('1111111111'), { signal: AbortSignal.timeout(5000) }));
    expect(atOpen).toMatchObject({ code: 'UNAVAILABLE' });
    expect(atOpen.message).toMatch(/snipped/);
  });

  it('a geo-blocked track (policy BLOCK, no transcodings) is UNAVAILABLE; so is a transcoding answering 404', async () => {
    const blocked = fixture('track-blocked.json');
    api().get('/resolve').query({ url: 'https://soundcloud.com/blakewhiten/not-here', client_id: CLIENT_ID }).reply(200, blocked);
    api().get('/tracks/2222222222').query({ client_id: CLIENT_ID }).reply(200, blocked);
    const n = node();
    const atResolve = await errorOf(n.resolve('https://soundcloud.com/blakewhiten/not-here'));
    expect(atResolve).toMatchObject({ code: 'UNAVAILABLE' });
    expect(atResolve.message).toMatch(/geo-blocked/);
    expect(await codeOf(n.openTrack(stored('2222222222'), { signal: AbortSignal.timeout(5000) }))).toBe('UNAVAILABLE');

    api().get('/tracks/2167944333').query({ client_id: CLIENT_ID }).reply(200, TRACK);
    api().get(opusPath).query(true).reply(404, { errors: [{ error_message: '404 - Not Found' }] });
    const refused = await errorOf(n.openTrack(stored('2167944333'), { signal: AbortSignal.timeout(5000) }));
    expect(refused).toMatchObject({ code: 'UNAVAILABLE' });
    expect(refused.message).toMatch(/geo-blocked, private or removed/);
  });

  it('an AAC-only track fails to open with UNAVAILABLE (AAC is not wired into the transcoding path); encrypted-only says DRM', async () => {
    // The MP3-only fixture with its MP3 transcodings turned into unencrypted AAC HLS (MP3 plays now: soundcloud-media.test.ts).
    const mp3Only = fixture('track-mp3-only.json') as ScTrack;
    const aacOnly = { ...mp3Only, media: { transcodings: mp3Only.media!.transcodings!.map((t) => (t.format?.mime_type === 'audio/mpeg'
      ? { ...t, preset: 'aac_160k', format: { protocol: 'hls', mime_type: 'audio/mp4; codecs="mp4a.40.2"' } }
      : t)) } };
    api().get('/tracks/3333333333').query({ client_id: CLIENT_ID }).reply(200, aacOnly);
    api().get('/tracks/4444444444').query({ client_id: CLIENT_ID }).reply(200, fixture('track-encrypted-only.json'));
    const n = node();
    const aac = await errorOf(n.openTrack(stored('3333333333'), { signal: AbortSignal.timeout(5000) }));
    expect(aac).toMatchObject({ code: 'UNAVAILABLE' });
    expect(aac.message).toMatch(/only available as AAC \(aac-hls\); AAC is not wired into the transcoding path/);
    const drm = await errorOf(n.openTrack(stored('4444444444'), { signal: AbortSignal.timeout(5000) }));
    expect(drm).toMatchObject({ code: 'UNAVAILABLE' });
    expect(drm.message).toMatch(/only encrypted/);
    expect(nock.isDone()).toBe(true);
  });

  it('a stored track whose identifier is not a track ID is INVALID_TRACK, with no request', async () => {
    expect(await codeOf(node().openTrack(stored('../../admin'), { signal: AbortSignal.timeout(5000) }))).toBe('INVALID_TRACK');
  });

  it('a transcoding URL off the API host never gets the client id', async () => {
    const track = { ...TRACK, media: { transcodings: [{ ...opusTranscoding, url: 'https://evil.example.com/media/stream/hls' }] } };
    api().get('/tracks/2167944333').query(true).reply(200, track);
    const evil = nock('https://evil.example.com').get(/.*/).reply(200, {});
    expect(await codeOf(node().openTrack(stored('2167944333'), { signal: AbortSignal.timeout(5000) }))).toBe('UPSTREAM');
    expect(evil.isDone()).toBe(false);
  });
});

describe('soundcloud provider: errors', () => {
  it('429 is RATE_LIMITED with retryAfterMs (a short Retry-After is waited out once)', async () => {
    api().get('/resolve').query(true).reply(429, {}, { 'retry-after': '30' });
    const error = await errorOf(node().resolve(TRACK_URL));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 30_000 });

    api().get('/resolve').query(true).reply(429, {}, { 'retry-after': '0' });
    api().get('/resolve').query(true).reply(200, TRACK);
    expect((await node().resolve(TRACK_URL)).type).toBe('track');
  });

  it('a connection failure is NETWORK; a 5xx or non-JSON answer is UPSTREAM; an abort is ABORTED', async () => {
    api().get('/resolve').query(true).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(await codeOf(node().resolve(TRACK_URL))).toBe('NETWORK');
    api().get('/resolve').query(true).reply(503, 'Service Unavailable');
    expect(await codeOf(node().resolve(TRACK_URL))).toBe('UPSTREAM');
    api().get('/resolve').query(true).reply(200, '<html>not json</html>');
    expect(await codeOf(node().resolve(TRACK_URL))).toBe('UPSTREAM');
    // The answer never comes: the caller aborts once the request is in flight.
    const held = gate();
    api().get('/resolve').query(true).reply(async () => {
      await held.pass();
      return [200, TRACK];
    });
    const controller = new AbortController();
    const resolving = codeOf(node().resolve(TRACK_URL, { signal: controller.signal }));
    expect(await until(() => held.arrived > 0)).toBe(true);
    controller.abort();
    expect(await resolving).toBe('ABORTED');
  });
});
