import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { appleMusicProvider } from '../../providers/applemusic/index.js';
import type { AppleMusicProviderOptions } from '../../providers/applemusic/index.js';
import { until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/applemusic/${name}`, import.meta.url), 'utf8'));
const CATALOG = 'https://api.music.apple.com';
const ITUNES = 'https://itunes.apple.com';
const TOKEN = 'eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRk8ifQ.eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzM1Njg5NjAwLCJleHAiOjE3NTEyNDE2MDB9.c2lnbmF0dXJl';
const PL = 'pl.f4d106fed2bd41149aaacabb233eb5eb';

function node(options: AppleMusicProviderOptions = {}) {
  return new Node({ providers: [appleMusicProvider(options)], http: { lookup: async () => [{ address: '17.253.144.10', family: 4 }] } });
}
const catalog = () => nock(CATALOG, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

afterEach(() => nock.cleanAll());

describe('applemusic provider: inputs', () => {
  it('recognises music.apple.com songs, albums (with ?i=) and playlists', () => {
    const p = appleMusicProvider();
    const yes = [
      'https://music.apple.com/us/album/after-hours/1499378108',
      'https://music.apple.com/us/album/blinding-lights/1499378108?i=1499378615',
      'https://music.apple.com/gb/song/blinding-lights/1499378615',
      'https://music.apple.com/us/song/1499378615',
      `https://music.apple.com/us/playlist/todays-hits/${PL}`,
      'https://music.apple.com/album/1499378108',
    ];
    const no = ['https://music.apple.com/us/artist/the-weeknd/479756766', 'https://music.apple.com/us/playlist/x/1234', 'https://music.apple.com/us/album/x/pl.abc', 'https://evil.com/us/album/x/1', 'apple music'];
    for (const raw of yes) expect(p.canResolve({ raw, url: new URL(raw) }), raw).toBe(true);
    for (const raw of no) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(false);
    expect(p.metadataOnly).toBe(true);
  });
});

describe('applemusic provider: catalog API (developer token)', () => {
  it('resolves a song with its ISRC and artwork', async () => {
    catalog().get('/v1/catalog/gb/songs/1499378615').reply(200, fixture('catalog-song-1499378615.json'));
    const n = node({ developerToken: TOKEN });
    const result = await n.resolve('https://music.apple.com/gb/song/blinding-lights/1499378615');
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track).toMatchObject({
      source: 'applemusic',
      identifier: '1499378615',
      uri: 'https://music.apple.com/us/album/blinding-lights/1499378108?i=1499378615',
      title: 'Blinding Lights',
      author: 'The Weeknd',
      artists: ['The Weeknd'],
      album: 'After Hours',
      durationMs: 200040,
      isrc: 'USUG11904206',
      isStream: false,
    });
    expect(result.track.artworkUrl).toMatch(/\/1000x1000bb\.jpg$/);
    expect(n.decodeTrack(result.track.encoded)).toEqual(result.track);
  });

  it('an album URL with ?i= is that song', async () => {
    catalog().get('/v1/catalog/us/songs/1499378615').reply(200, fixture('catalog-song-1499378615.json'));
    const result = await node({ developerToken: TOKEN }).resolve('https://music.apple.com/us/album/blinding-lights/1499378108?i=1499378615');
    expect(result.type === 'track' && result.track.identifier).toBe('1499378615');
  });

  it('resolves an album, following `next`', async () => {
    catalog().get('/v1/catalog/us/albums/1499378108').reply(200, fixture('catalog-album-1499378108.json'));
    catalog().get('/v1/catalog/us/albums/1499378108/tracks').query({ offset: 2 }).reply(200, fixture('catalog-album-1499378108-tracks-offset2.json'));
    const result = await node({ developerToken: TOKEN }).resolve('https://music.apple.com/us/album/after-hours/1499378108');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('After Hours');
    expect(result.playlist.uri).toBe('https://music.apple.com/us/album/after-hours/1499378108');
    expect(result.playlist.tracks.map((t) => [t.title, t.isrc])).toEqual([
      ['Alone Again', 'USUG12000658'],
      ['Too Late', 'USUG12000659'],
      ['Blinding Lights', 'USUG11904206'],
    ]);
    expect(nock.isDone()).toBe(true);
  });

  it('a playlist of music videos only, and an album the lookup lists no song of, are empty, as for every provider (issue 15 item 20)', async () => {
    const playlist = fixture(`catalog-playlist-${PL}.json`);
    const tracks = playlist.data[0].relationships.tracks;
    tracks.data = tracks.data.map((song: { id: string }) => ({ ...song, type: 'music-videos' }));
    delete tracks.next;
    catalog().get(`/v1/catalog/us/playlists/${PL}`).reply(200, playlist);
    expect(await node({ developerToken: TOKEN }).resolve(`https://music.apple.com/us/playlist/todays-hits/${PL}`)).toEqual({ type: 'empty' });
    const lookup = fixture('lookup-album-1499378108.json');
    lookup.results = lookup.results.filter((r: { wrapperType: string }) => r.wrapperType === 'collection');
    nock(ITUNES).get('/lookup').query(true).reply(200, lookup);
    expect(await node().resolve('https://music.apple.com/us/album/after-hours/1499378108')).toEqual({ type: 'empty' });
  });

  it('resolves a playlist over several pages, skipping music videos', async () => {
    catalog().get(`/v1/catalog/us/playlists/${PL}`).reply(200, fixture(`catalog-playlist-${PL}.json`));
    catalog().get(`/v1/catalog/us/playlists/${PL}/tracks`).query({ offset: 2 }).reply(200, fixture(`catalog-playlist-${PL}-tracks-offset2.json`));
    catalog().get(`/v1/catalog/us/playlists/${PL}/tracks`).query({ offset: 4 }).reply(200, fixture(`catalog-playlist-${PL}-tracks-offset4.json`));
    const result = await node({ developerToken: TOKEN }).resolve(`https://music.apple.com/us/playlist/todays-hits/${PL}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('Today’s Hits');
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(['Blinding Lights', 'Levitating', 'drivers license', 'STAY']);
    expect(result.playlist.tracks[3]).toMatchObject({ author: 'The Kid LAROI & Justin Bieber', isrc: 'USSM12103949' });
    expect(nock.isDone()).toBe(true);
  });

  it('stops paging at maxTracks', async () => {
    catalog().get(`/v1/catalog/us/playlists/${PL}`).reply(200, fixture(`catalog-playlist-${PL}.json`));
    const result = await node({ developerToken: TOKEN, maxTracks: 2 }).resolve(`https://music.apple.com/us/playlist/todays-hits/${PL}`);
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(2);
  });

  it('maps errors: 404 NOT_FOUND, 429 RATE_LIMITED, 401 names the token option without the token', async () => {
    catalog().get('/v1/catalog/us/songs/1').reply(404, fixture('catalog-error-404.json'));
    catalog().get('/v1/catalog/us/songs/2').reply(429, fixture('catalog-error-429.json'), { 'retry-after': '10' });
    catalog().get('/v1/catalog/us/songs/3').reply(401, '');
    catalog().get('/v1/catalog/us/songs/4').reply(500, '');
    const n = node({ developerToken: TOKEN });
    await expect(n.resolve('https://music.apple.com/us/song/x/1')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('Resource Not Found') });
    await expect(n.resolve('https://music.apple.com/us/song/x/2')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 10_000 });
    const refused = await n.resolve('https://music.apple.com/us/song/x/3').catch((e) => e);
    expect(refused).toMatchObject({ code: 'UPSTREAM', message: expect.stringContaining('developerToken') });
    expect(inspect(refused, { depth: 10 })).not.toContain(TOKEN);
    await expect(n.resolve('https://music.apple.com/us/song/x/4')).rejects.toMatchObject({ code: 'UPSTREAM' });
  });

  it('reads Retry-After in both its forms: an HTTP-date too (issue 14 item 6)', async () => {
    const at = new Date(Date.now() + 90_000);
    catalog().get('/v1/catalog/us/songs/5').reply(429, fixture('catalog-error-429.json'), { 'retry-after': at.toUTCString() });
    const limited = await node({ developerToken: TOKEN }).resolve('https://music.apple.com/us/song/x/5').catch((e) => e);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.retryAfterMs).toBeGreaterThan(80_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(90_000);
  });

  it('honours the signal', async () => {
    // The answer never comes: the caller aborts once the request is in flight.
    const held = gate();
    catalog().get('/v1/catalog/us/songs/1499378615').reply(async () => {
      await held.pass();
      return [200, fixture('catalog-song-1499378615.json')];
    });
    const controller = new AbortController();
    const resolving = node({ developerToken: TOKEN }).resolve('https://music.apple.com/us/song/x/1499378615', { signal: controller.signal });
    expect(await until(() => held.arrived > 0)).toBe(true);
    controller.abort();
    await expect(resolving).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('applemusic provider: iTunes Lookup API (no token)', () => {
  it('resolves a song without ISRC, with a larger artwork and a clean URL', async () => {
    nock(ITUNES).get('/lookup').query({ id: '1499378615', entity: 'song', country: 'us', limit: '200' }).reply(200, fixture('lookup-song-1499378615.json'), { 'content-type': 'text/javascript; charset=utf-8' });
    const result = await node().resolve('https://music.apple.com/us/album/blinding-lights/1499378108?i=1499378615');
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track).toMatchObject({ identifier: '1499378615', title: 'Blinding Lights', author: 'The Weeknd', album: 'After Hours', durationMs: 200040 });
    expect(result.track.isrc).toBeUndefined();
    expect(result.track.uri).toBe('https://music.apple.com/us/album/blinding-lights/1499378108?i=1499378615');
    expect(result.track.artworkUrl).toMatch(/\/600x600bb\.jpg$/);
  });

  it('resolves an album in the URL storefront', async () => {
    nock(ITUNES).get('/lookup').query({ id: '1499378108', entity: 'song', country: 'de', limit: '200' }).reply(200, fixture('lookup-album-1499378108.json'));
    const result = await node().resolve('https://music.apple.com/de/album/after-hours/1499378108');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('After Hours');
    expect(result.playlist.uri).toBe('https://music.apple.com/us/album/after-hours/1499378108');
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(['Alone Again', 'Too Late', 'Blinding Lights']);
  });

  it('an empty lookup is NOT_FOUND; a playlist needs a token (UNAVAILABLE, no request)', async () => {
    nock(ITUNES).get('/lookup').query(true).reply(200, fixture('lookup-empty.json'));
    await expect(node().resolve('https://music.apple.com/us/song/x/42')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(node().resolve(`https://music.apple.com/us/playlist/todays-hits/${PL}`)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('developerToken') });
  });

  it('maps a lookup 429 to RATE_LIMITED', async () => {
    nock(ITUNES).get('/lookup').query(true).reply(429, '');
    await expect(node().resolve('https://music.apple.com/us/song/x/42')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
