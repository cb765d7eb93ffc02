import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { ManualClock } from '../../src/player/clock.js';
import { spotifyProvider } from '../../providers/spotify/index.js';
import type { SpotifyProviderOptions } from '../../providers/spotify/index.js';
import { ioTurns, until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/spotify/${name}`, import.meta.url), 'utf8'));
const API = 'https://api.spotify.com';
const ACCOUNTS = 'https://accounts.spotify.com';
const CLIENT_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CLIENT_SECRET = 'S3CR3Tf00dfacecafebabe0123456789';
const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
const TOKEN = fixture('token.json').access_token as string;

function node(options: SpotifyProviderOptions = {}, clock?: ManualClock) {
  return new Node({
    providers: [spotifyProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options })],
    http: { lookup: async () => [{ address: '35.186.224.25', family: 4 }] },
    ...(clock ? { clock } : {}),
  });
}

function tokenEndpoint(times = 1, body: object = fixture('token.json')) {
  return nock(ACCOUNTS, { reqheaders: { authorization: BASIC } })
    .post('/api/token', 'grant_type=client_credentials')
    .times(times)
    .reply(200, body);
}

const api = () => nock(API, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

/** Playlist entries `start..start+count-1`, cloned from the recorded entry. */
function entries(start: number, count: number) {
  const entry = fixture('playlist-entry.json');
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const id = `t${String(n).padStart(21, '0')}`;
    return { ...entry, item: { ...entry.item, id, name: `Track ${n}`, external_urls: { spotify: `https://open.spotify.com/track/${id}` } } };
  });
}

function playlistHeader(total: number, firstCount: number) {
  const header = fixture('playlist-3cEYpjA9oz9GiPac4AsH4n.json');
  header.items = { ...header.items, total, items: entries(0, firstCount), next: total > firstCount ? `${API}/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items?offset=100&limit=100` : null };
  return header;
}

afterEach(() => nock.cleanAll());

describe('spotify provider: inputs', () => {
  it('recognises open.spotify.com URLs (intl, embed), spotify: URIs and spotify.link', () => {
    const p = spotifyProvider({ clientId: 'x', clientSecret: 'y' });
    const yes = [
      'https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b',
      'https://open.spotify.com/intl-fr/track/0VjIjW4GlUZAMYd2vXMi3b?si=abc',
      'https://open.spotify.com/embed/album/4yP0hdKOZPNshxUOjY0cZj',
      'https://open.spotify.com/intl-pt/embed/playlist/3cEYpjA9oz9GiPac4AsH4n',
      'https://open.spotify.com/artist/1Xyo4u8uXC1ZmMpatF05PJ',
      'https://open.spotify.com/user/spotify/playlist/3cEYpjA9oz9GiPac4AsH4n',
      'spotify:track:0VjIjW4GlUZAMYd2vXMi3b',
      'spotify:playlist:3cEYpjA9oz9GiPac4AsH4n',
      'https://spotify.link/ZxOaQ4eBkDb',
    ];
    const no = ['https://open.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ', 'https://open.spotify.com/track/short', 'https://evil.com/track/0VjIjW4GlUZAMYd2vXMi3b', 'spotify:show:512ojhOuo1ktJprKbVcKyQ', 'blinding lights'];
    for (const raw of yes) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(true);
    for (const raw of no) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(false);
    expect(p.metadataOnly).toBe(true);
  });
});

describe('spotify provider: resolving', () => {
  it('resolves a track with the app token: ISRC, artists, album, largest artwork', async () => {
    tokenEndpoint();
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const n = node();
    const result = await n.resolve('https://open.spotify.com/intl-de/track/0VjIjW4GlUZAMYd2vXMi3b?si=1234');
    if (result.type !== 'track') throw new Error(result.type);
    expect(result.track).toMatchObject({
      source: 'spotify',
      identifier: '0VjIjW4GlUZAMYd2vXMi3b',
      uri: 'https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b',
      title: 'Blinding Lights',
      author: 'The Weeknd',
      artists: ['The Weeknd'],
      album: 'After Hours',
      durationMs: 200040,
      isrc: 'USUG11904206',
      artworkUrl: 'https://i.scdn.co/image/ab67616d0000b2738863bc11d2aa12b54f5aeb36',
      isStream: false,
      isSeekable: true,
    });
    expect(n.decodeTrack(result.track.encoded)).toEqual(result.track);
    expect(nock.isDone()).toBe(true);
  });

  it('passes the market when configured', async () => {
    tokenEndpoint();
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').query({ market: 'SE' }).reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const result = await node({ market: 'SE' }).resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b');
    expect(result.type).toBe('track');
  });

  it('resolves an album, filling album and artwork into its simplified tracks', async () => {
    tokenEndpoint();
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj').reply(200, fixture('album-4yP0hdKOZPNshxUOjY0cZj.json'));
    const result = await node().resolve('https://open.spotify.com/album/4yP0hdKOZPNshxUOjY0cZj');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('After Hours');
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(['Alone Again', 'Blinding Lights', 'After Hours']);
    expect(result.playlist.tracks[1]).toMatchObject({ album: 'After Hours', artworkUrl: 'https://i.scdn.co/image/ab67616d0000b2738863bc11d2aa12b54f5aeb36', durationMs: 200040 });
  });

  it('pages a long album 50 at a time', async () => {
    const item = fixture('album-track-item.json');
    const tracksOf = (start: number, count: number) => Array.from({ length: count }, (_, i) => ({ ...item, id: `a${String(start + i).padStart(21, '0')}`, name: `Part ${start + i}` }));
    const album = fixture('album-4yP0hdKOZPNshxUOjY0cZj.json');
    album.name = 'Box Set';
    album.tracks = { ...album.tracks, total: 120, items: tracksOf(0, 50), next: `${API}/v1/albums/4yP0hdKOZPNshxUOjY0cZj/tracks?offset=50&limit=50` };
    tokenEndpoint();
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj').reply(200, album);
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj/tracks').query({ offset: 50, limit: 50 }).reply(200, { items: tracksOf(50, 50), total: 120, offset: 50, limit: 50 });
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj/tracks').query({ offset: 100, limit: 50 }).reply(200, { items: tracksOf(100, 20), total: 120, offset: 100, limit: 50 });
    const result = await node().resolve('spotify:album:4yP0hdKOZPNshxUOjY0cZj');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(Array.from({ length: 120 }, (_, i) => `Part ${i}`));
    expect(result.playlist.tracks.every((t) => t.album === 'Box Set')).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  it('reads playlist entries from `item`, falling back to `track`; skips episodes, local files and removed tracks', async () => {
    tokenEndpoint();
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query({ additional_types: 'track' }).reply(200, fixture('playlist-3cEYpjA9oz9GiPac4AsH4n.json'));
    const result = await node().resolve('https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('Spotify Web API Testing playlist');
    expect(result.playlist.uri).toBe('https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n');
    expect(result.playlist.tracks.map((t) => [t.title, t.author, t.isrc])).toEqual([
      ['Api', 'Odiseo', 'DEKC41200989'],
      ['Is', 'Vlasta Marek', 'FR2X41475057'],
    ]);
  });

  it('a playlist of nothing playable (removed and local entries) and an empty album are empty, as for every provider (issue 15 item 20)', async () => {
    const header = fixture('playlist-3cEYpjA9oz9GiPac4AsH4n.json');
    const entry = fixture('playlist-entry.json');
    header.items = { ...header.items, total: 2, next: null, items: [{ ...entry, item: null, track: null }, { ...entry, is_local: true, item: { ...entry.item, id: null, is_local: true } }] };
    const album = fixture('album-4yP0hdKOZPNshxUOjY0cZj.json');
    album.tracks = { ...album.tracks, total: 0, items: [], next: null };
    tokenEndpoint();
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query(true).reply(200, header);
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj').reply(200, album);
    const n = node();
    expect(await n.resolve('https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n')).toEqual({ type: 'empty' });
    expect(await n.resolve('https://open.spotify.com/album/4yP0hdKOZPNshxUOjY0cZj')).toEqual({ type: 'empty' });
  });

  it('pages a playlist through /playlists/{id}/items, 100 at a time, in order', async () => {
    tokenEndpoint();
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query({ additional_types: 'track' }).reply(200, playlistHeader(250, 100));
    // The second page answers after the third (once the third is asked, or after a bounded number
    // of event-loop turns if the pages are fetched one by one): the result is in order anyway.
    let thirdAsked = false;
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items').query({ offset: 100, limit: 100, additional_types: 'track' }).reply(async () => {
      await until(() => thirdAsked, 200);
      return [200, { items: entries(100, 100), total: 250 }];
    });
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items').query({ offset: 200, limit: 100, additional_types: 'track' }).reply(() => {
      thirdAsked = true;
      return [200, { items: entries(200, 50), total: 250 }];
    });
    const result = await node().resolve('https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(Array.from({ length: 250 }, (_, i) => `Track ${i}`));
    expect(nock.isDone()).toBe(true);
  });

  it('fetches the first page from /items when the playlist object carries none', async () => {
    const header = fixture('playlist-3cEYpjA9oz9GiPac4AsH4n.json');
    delete header.items;
    tokenEndpoint();
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query(true).reply(200, header);
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items').query({ offset: 0, limit: 100, additional_types: 'track' }).reply(200, { items: entries(0, 100), total: 130 });
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items').query({ offset: 100, limit: 100, additional_types: 'track' }).reply(200, { items: entries(100, 30), total: 130 });
    const result = await node().resolve('spotify:playlist:3cEYpjA9oz9GiPac4AsH4n');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(130);
  });

  it('loads a 10,000-track playlist in 100 pages, at most 4 at once, with one token', async () => {
    tokenEndpoint();
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query(true).reply(200, playlistHeader(10_000, 100));
    let pages = 1;
    let active = 0;
    let peak = 0;
    api()
      .get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items')
      .query(true)
      .times(99)
      .reply(async function (uri) {
        pages++;
        active++;
        peak = Math.max(peak, active);
        // In flight for a few turns of the event loop (no time), while other pages may start.
        await ioTurns(3);
        active--;
        const offset = Number(new URL(uri, API).searchParams.get('offset'));
        return [200, { items: entries(offset, 100), total: 10_000 }];
      });
    const result = await node({ pageConcurrency: 4 }).resolve('https://open.spotify.com/playlist/3cEYpjA9oz9GiPac4AsH4n');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(10_000);
    expect(result.playlist.tracks[9_999]!.title).toBe('Track 9999');
    expect(pages).toBe(100);
    expect(peak).toBeLessThanOrEqual(4);
    expect(nock.isDone()).toBe(true);
  });

  it("resolves an artist's top tracks, named after the artist", async () => {
    tokenEndpoint();
    api().get('/v1/artists/1Xyo4u8uXC1ZmMpatF05PJ/top-tracks').query({ market: 'US' }).reply(200, fixture('artist-top-tracks-1Xyo4u8uXC1ZmMpatF05PJ.json'));
    const result = await node().resolve('https://open.spotify.com/artist/1Xyo4u8uXC1ZmMpatF05PJ');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('The Weeknd: top tracks');
    expect(result.playlist.tracks.map((t) => t.artists)).toEqual([['The Weeknd'], ['The Weeknd', 'Daft Punk']]);
  });

  it('follows spotify.link short links, HEAD first, GET when HEAD does not redirect', async () => {
    tokenEndpoint();
    nock('https://spotify.link').head('/ZxOaQ4eBkDb').reply(307, '', { location: 'https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b?si=Qz9k&utm_source=copy-link&_branch_match_id=1' });
    nock('https://spotify.link').head('/hEaDlEsS').reply(200, '');
    nock('https://spotify.link').get('/hEaDlEsS').reply(302, '', { location: 'https://spotify.app.link/hEaDlEsS?_p=c1' });
    nock('https://spotify.app.link').head('/hEaDlEsS').query(true).reply(307, '', { location: 'https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b' });
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').twice().reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const n = node();
    const a = await n.resolve('https://spotify.link/ZxOaQ4eBkDb');
    const b = await n.resolve('https://spotify.link/hEaDlEsS');
    expect(a.type === 'track' && a.track.title).toBe('Blinding Lights');
    expect(b.type === 'track' && b.track.title).toBe('Blinding Lights');
    expect(nock.isDone()).toBe(true);
  });

  it('refuses a short link that leaves Spotify', async () => {
    nock('https://spotify.link').head('/evil').reply(302, '', { location: 'http://169.254.169.254/latest/meta-data' });
    await expect(node().resolve('https://spotify.link/evil')).rejects.toMatchObject({ code: 'UNSUPPORTED_INPUT' });
  });
});

describe('spotify provider: tokens', () => {
  it('shares one token request between concurrent calls and reuses the token', async () => {
    // The token's answer is held until both calls are waiting on it.
    const held = gate();
    const token = nock(ACCOUNTS).post('/api/token').reply(async () => {
      await held.pass();
      return [200, fixture('token.json')];
    });
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').times(3).reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const n = node({});
    const both = Promise.all([n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b'), n.resolve('https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b')]);
    expect(await until(() => held.arrived > 0)).toBe(true);
    await ioTurns();
    held.open();
    await both;
    n.clearCache();
    await n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b');
    expect(token.isDone()).toBe(true);
    expect(nock.isDone()).toBe(true);
  });

  it('refreshes a token before it expires', async () => {
    // expires_in 60 s is inside the one-minute refresh margin: every call fetches a new one.
    tokenEndpoint(2, { ...fixture('token.json'), expires_in: 60 });
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').twice().reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const n = node();
    await n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b');
    n.clearCache();
    await n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b');
    expect(nock.isDone()).toBe(true);
  });

  it('drops a token the API refuses (401) and retries once with a new one', async () => {
    tokenEndpoint(2);
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(401, fixture('error-401-expired.json'));
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    expect((await node().resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).type).toBe('track');
    expect(nock.isDone()).toBe(true);
  });

  it('a 401 with a fresh token too is UPSTREAM naming the credentials options, as for every service (issue 14 item 6)', async () => {
    tokenEndpoint(2);
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').twice().reply(401, fixture('error-401-expired.json'));
    const error = await node().resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b').catch((e) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM', source: 'spotify', message: expect.stringContaining('spotify.clientId and spotify.clientSecret') });
    expect(`${error.message} ${inspect(error, { depth: 10 })}`).not.toContain(CLIENT_SECRET);
    expect(nock.isDone()).toBe(true);
  });

  it('reports refused credentials without the secret anywhere', async () => {
    nock(ACCOUNTS).post('/api/token').reply(400, fixture('token-invalid-client.json'));
    const error = await node().resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b').catch((e) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM', message: expect.stringContaining('invalid_client') });
    const everything = `${error.message} ${inspect(error, { depth: 10 })} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(CLIENT_SECRET);
    expect(everything).not.toContain(BASIC.slice(6));
  });

  it('reports an unreachable token endpoint without the secret', async () => {
    // (With an error `code` such as ECONNRESET, superagent under nock never settles; the provider's
    // 15 s guard then reports NETWORK. A plain error keeps this test fast.)
    nock(ACCOUNTS).post('/api/token').replyWithError('socket hang up');
    const error = await node().resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b').catch((e) => e);
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect(inspect(error, { depth: 10 })).not.toContain(BASIC.slice(6));
  });

  it('asks for credentials when there are none', async () => {
    const saved = { id: process.env.SPOTIFY_CLIENT_ID, secret: process.env.SPOTIFY_CLIENT_SECRET };
    delete process.env.SPOTIFY_CLIENT_ID;
    delete process.env.SPOTIFY_CLIENT_SECRET;
    try {
      const n = new Node({ providers: [spotifyProvider()] });
      await expect(n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('SPOTIFY_CLIENT_ID') });
    } finally {
      if (saved.id !== undefined) process.env.SPOTIFY_CLIENT_ID = saved.id;
      if (saved.secret !== undefined) process.env.SPOTIFY_CLIENT_SECRET = saved.secret;
    }
  });

  it('reads credentials from the environment', async () => {
    process.env.SPOTIFY_CLIENT_ID = CLIENT_ID;
    process.env.SPOTIFY_CLIENT_SECRET = CLIENT_SECRET;
    try {
      tokenEndpoint();
      api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
      const n = new Node({ providers: [spotifyProvider()] });
      expect((await n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).type).toBe('track');
    } finally {
      delete process.env.SPOTIFY_CLIENT_ID;
      delete process.env.SPOTIFY_CLIENT_SECRET;
    }
  });
});

describe('spotify provider: errors', () => {
  it('a playlist the app may not read is UNAVAILABLE with Spotify\'s reason (403 on /items, 404 on the playlist)', async () => {
    tokenEndpoint();
    const header = fixture('playlist-3cEYpjA9oz9GiPac4AsH4n.json');
    delete header.items;
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n').query(true).reply(200, header);
    api().get('/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items').query(true).reply(403, fixture('error-403.json'));
    api().get('/v1/playlists/37i9dQZF1DXcBWIGoYBM5M').query(true).reply(404, fixture('error-404.json'));
    const n = node();
    const forbidden = await n.resolve('spotify:playlist:3cEYpjA9oz9GiPac4AsH4n').catch((e) => e);
    expect(forbidden).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('Forbidden') });
    const editorial = await n.resolve('https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M').catch((e) => e);
    expect(editorial).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('Resource not found') });
  });

  it("artist top tracks refused to the app are UNAVAILABLE", async () => {
    tokenEndpoint();
    api().get('/v1/artists/1Xyo4u8uXC1ZmMpatF05PJ/top-tracks').query(true).reply(403, fixture('error-403.json'));
    await expect(node().resolve('spotify:artist:1Xyo4u8uXC1ZmMpatF05PJ')).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('top tracks') });
  });

  it('a missing track or an invalid id is NOT_FOUND', async () => {
    tokenEndpoint();
    api().get('/v1/tracks/0000000000000000000000').reply(404, fixture('error-404.json'));
    api().get('/v1/tracks/zzzzzzzzzzzzzzzzzzzzzz').reply(400, fixture('error-400-invalid-id.json'));
    const n = node();
    await expect(n.resolve('spotify:track:0000000000000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(n.resolve('spotify:track:zzzzzzzzzzzzzzzzzzzzzz')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('Invalid base62 id') });
  });

  it('429: a short Retry-After is waited out once; a long one is RATE_LIMITED with retryAfterMs', async () => {
    tokenEndpoint();
    const clock = new ManualClock();
    let retriedAt: number | undefined;
    const limitedOnce = api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(429, fixture('error-429.json'), { 'retry-after': '1' });
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(() => {
      retriedAt = clock.now();
      return [200, fixture('track-0VjIjW4GlUZAMYd2vXMi3b.json')];
    });
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj').reply(429, fixture('error-429.json'), { 'retry-after': '30' });
    const n = node({}, clock);
    const resolving = n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b');
    // The wait runs on the node's clock: once the 429 is in and only the wait is armed, the retry
    // comes when (and only when) the clock has moved the second Retry-After asked for.
    await until(() => limitedOnce.isDone() && clock.pendingTimers === 1);
    await clock.advance(999);
    await until(() => false, 20);
    expect(retriedAt).toBeUndefined();
    await clock.advance(1);
    expect((await resolving).type).toBe('track');
    expect(retriedAt).toBe(1000);
    const limited = await n.resolve('spotify:album:4yP0hdKOZPNshxUOjY0cZj').catch((e) => e);
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 30_000 });
  });

  it('429 with maxRetryWaitMs 0 fails at once; a second 429 after the wait fails too', async () => {
    tokenEndpoint();
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(429, fixture('error-429.json'), { 'retry-after': '1' });
    await expect(node({ maxRetryWaitMs: 0 }).resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1000 });
    tokenEndpoint();
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').twice().reply(429, fixture('error-429.json'), { 'retry-after': '0' });
    await expect(node().resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 0 });
  });

  it('5xx is UPSTREAM; an aborted call is ABORTED, also while waiting out a 429', async () => {
    tokenEndpoint();
    api().get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(502, 'Bad gateway');
    const n = node();
    await expect(n.resolve('spotify:track:0VjIjW4GlUZAMYd2vXMi3b')).rejects.toMatchObject({ code: 'UPSTREAM', message: expect.stringContaining('502') });
    api().get('/v1/albums/4yP0hdKOZPNshxUOjY0cZj').reply(429, fixture('error-429.json'), { 'retry-after': '2' });
    await expect(n.resolve('spotify:album:4yP0hdKOZPNshxUOjY0cZj', { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
