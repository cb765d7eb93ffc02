import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { deezerProvider } from '../../providers/deezer/index.js';
import { ioTurns, until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/deezer/${name}`, import.meta.url), 'utf8'));
const API = 'https://api.deezer.com';

function node(options: Parameters<typeof deezerProvider>[0] = {}) {
  // Public hosts only; the lookup keeps the URL guard off the real DNS.
  return new Node({ providers: [deezerProvider(options)], http: { lookup: async () => [{ address: '185.60.92.36', family: 4 }] } });
}

/** A `/playlist/{id}/tracks` page of `count` entries from `start`, cloned from the recorded entry. */
function page(start: number, count: number, total: number) {
  const item = fixture('playlist-tracks-item.json');
  const data = Array.from({ length: count }, (_, i) => ({ ...item, id: 5_000_000 + start + i, title: `Track ${start + i}`, link: `https://www.deezer.com/track/${5_000_000 + start + i}` }));
  const next = start + count < total ? `${API}/playlist/908622995/tracks?index=${start + count}&limit=100` : undefined;
  return { data, total, ...(next ? { next } : {}) };
}

afterEach(() => nock.cleanAll());

describe('deezer provider', () => {
  it('recognises Deezer URLs and short links, nothing else', () => {
    const p = deezerProvider();
    const yes = ['https://www.deezer.com/track/3135556', 'https://www.deezer.com/en/album/302127', 'https://deezer.com/fr/playlist/908622995?utm_source=x', 'https://www.deezer.com/pt-br/track/1', 'https://deezer.page.link/Jc2zwsEiiuWCGDu17', 'https://link.deezer.com/s/30Ot5yDE8SEeLFyN2D0YG'];
    const no = ['https://www.deezer.com/artist/27', 'https://www.deezer.com/track/abc', 'https://evil.com/track/1', 'https://open.spotify.com/track/x', 'deezer track'];
    for (const raw of yes) expect(p.canResolve({ raw, url: new URL(raw) }), raw).toBe(true);
    for (const raw of no) expect(p.canResolve({ raw, url: URL.canParse(raw) ? new URL(raw) : null }), raw).toBe(false);
    expect(p.metadataOnly).toBe(true);
  });

  it('resolves a track with ISRC, artists, album and artwork', async () => {
    nock(API).get('/track/3135556').reply(200, fixture('track-3135556.json'));
    const result = await node().resolve('https://www.deezer.com/en/track/3135556');
    expect(result.type).toBe('track');
    if (result.type !== 'track') return;
    expect(result.track).toMatchObject({
      source: 'deezer',
      identifier: '3135556',
      uri: 'https://www.deezer.com/track/3135556',
      title: 'Harder, Better, Faster, Stronger',
      author: 'Daft Punk',
      artists: ['Daft Punk'],
      album: 'Discovery',
      durationMs: 224_000,
      isrc: 'GBDUW0000059',
      isStream: false,
      isSeekable: true,
    });
    expect(result.track.artworkUrl).toContain('1000x1000');
    expect(node().decodeTrack(result.track.encoded)).toEqual(result.track);
  });

  it('resolves an album, paging the rest of its tracks, with the album filled in', async () => {
    nock(API).get('/album/302127').reply(200, fixture('album-302127.json'));
    nock(API).get('/album/302127/tracks').query({ index: 2, limit: 100 }).reply(200, fixture('album-302127-tracks-index2.json'));
    const result = await node().resolve('https://www.deezer.com/album/302127');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('Discovery');
    expect(result.playlist.uri).toBe('https://www.deezer.com/album/302127');
    expect(result.playlist.tracks.map((t) => t.title)).toEqual(['One More Time', 'Aerodynamic', 'Digital Love', 'Harder, Better, Faster, Stronger']);
    expect(result.playlist.tracks.every((t) => t.album === 'Discovery' && t.author === 'Daft Punk')).toBe(true);
    expect(result.playlist.tracks[3]!.isrc).toBe('GBDUW0000059');
    expect(nock.isDone()).toBe(true);
  });

  it('a playlist whose entries are all gone, and an album without tracks, are empty, as for every provider (issue 15 item 20)', async () => {
    const playlist = fixture('playlist-908622995.json');
    playlist.nb_tracks = 2;
    playlist.tracks = { data: [null, { id: 1, title: 'An episode', type: 'episode' }] };
    const album = fixture('album-302127.json');
    album.nb_tracks = 0;
    album.tracks = { data: [] };
    nock(API).get('/playlist/908622995').reply(200, playlist);
    nock(API).get('/album/302127').reply(200, album);
    expect(await node().resolve('https://www.deezer.com/playlist/908622995')).toEqual({ type: 'empty' });
    expect(await node().resolve('https://www.deezer.com/album/302127')).toEqual({ type: 'empty' });
  });

  it('resolves a playlist over several pages, in order, without any other request', async () => {
    nock(API).get('/playlist/908622995').reply(200, fixture('playlist-908622995.json'));
    nock(API).get('/playlist/908622995/tracks').query({ index: 1, limit: 100 }).reply(200, page(1, 100, 250));
    nock(API).get('/playlist/908622995/tracks').query({ index: 101, limit: 100 }).reply(200, page(101, 100, 250));
    nock(API).get('/playlist/908622995/tracks').query({ index: 201, limit: 100 }).reply(200, page(201, 49, 250));
    const result = await node().resolve('https://www.deezer.com/us/playlist/908622995');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.name).toBe('Deezer Hits');
    expect(result.playlist.tracks).toHaveLength(250);
    expect(result.playlist.tracks[0]).toMatchObject({ title: 'Blinding Lights', author: 'The Weeknd', album: 'After Hours', durationMs: 200_000 });
    expect(result.playlist.tracks[1]!.title).toBe('Track 1');
    expect(result.playlist.tracks[249]!.title).toBe('Track 249');
    expect(nock.isDone()).toBe(true);
  });

  it('loads a 10,000-track playlist in 100 requests with a bounded concurrency', async () => {
    const header = { ...fixture('playlist-908622995.json'), nb_tracks: 10_000 };
    header.tracks = { data: page(0, 100, 10_000).data, checksum: 'x' };
    nock(API).get('/playlist/908622995').reply(200, header);
    let active = 0;
    let peak = 0;
    let requests = 1;
    nock(API)
      .get('/playlist/908622995/tracks')
      .query(true)
      .times(99)
      .reply(async function (uri) {
        requests++;
        active++;
        peak = Math.max(peak, active);
        // In flight for a few turns of the event loop (no time), while other pages may start.
        await ioTurns(3);
        active--;
        const index = Number(new URL(uri, API).searchParams.get('index'));
        return [200, page(index, 100, 10_000)];
      });
    const result = await node({ pageConcurrency: 4 }).resolve('https://www.deezer.com/playlist/908622995');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(10_000);
    expect(result.playlist.tracks[9_999]!.title).toBe('Track 9999');
    expect(requests).toBe(100);
    expect(peak).toBeLessThanOrEqual(4);
  });

  it('stops at maxTracks', async () => {
    nock(API).get('/playlist/908622995').reply(200, fixture('playlist-908622995.json'));
    nock(API).get('/playlist/908622995/tracks').query({ index: 1, limit: 100 }).reply(200, page(1, 100, 250));
    const result = await node({ maxTracks: 50 }).resolve('https://www.deezer.com/playlist/908622995');
    if (result.type !== 'playlist') throw new Error(result.type);
    expect(result.playlist.tracks).toHaveLength(50);
  });

  it('follows deezer.page.link and link.deezer.com short links hop by hop', async () => {
    nock('https://deezer.page.link').get('/Jc2zwsEiiuWCGDu17').reply(302, '', { location: 'https://www.deezer.com/us/track/3135556?utm_campaign=clipboard-generic&utm_source=user_sharing&deferredFl=1' });
    nock('https://link.deezer.com').get('/s/30Ot5yDE8SEeLFyN2D0YG').reply(302, '', { location: 'https://deezer.page.link/Jc2zwsEiiuWCGDu17' });
    nock('https://deezer.page.link').get('/Jc2zwsEiiuWCGDu17').reply(302, '', { location: 'https://www.deezer.com/us/track/3135556' });
    nock(API).get('/track/3135556').twice().reply(200, fixture('track-3135556.json'));
    const n = node();
    const a = await n.resolve('https://deezer.page.link/Jc2zwsEiiuWCGDu17');
    const b = await n.resolve('https://link.deezer.com/s/30Ot5yDE8SEeLFyN2D0YG');
    expect(a.type === 'track' && a.track.identifier).toBe('3135556');
    expect(b.type === 'track' && b.track.identifier).toBe('3135556');
    expect(nock.isDone()).toBe(true);
  });

  it('refuses a short link that leaves Deezer, and one that does not redirect', async () => {
    nock('https://deezer.page.link').get('/evil').reply(302, '', { location: 'https://evil.example/track/1' });
    await expect(node().resolve('https://deezer.page.link/evil')).rejects.toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    nock('https://link.deezer.com').get('/s/gone').reply(404, 'Not found');
    await expect(node().resolve('https://link.deezer.com/s/gone')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    nock('https://link.deezer.com').get('/s/page').reply(200, '<html></html>');
    await expect(node().resolve('https://link.deezer.com/s/page')).rejects.toMatchObject({ code: 'UPSTREAM' });
  });

  it('maps errors inside a 200 body: 800 NOT_FOUND, 4 RATE_LIMITED, others UPSTREAM', async () => {
    nock(API).get('/track/1').reply(200, fixture('error-no-data.json'));
    nock(API).get('/track/2').reply(200, fixture('error-quota.json'));
    nock(API).get('/track/3').reply(200, fixture('error-oauth.json'));
    nock(API).get('/track/4').reply(503, 'Service Unavailable');
    nock(API).get('/track/5').reply(200, '<html>maintenance</html>');
    const n = node();
    await expect(n.resolve('https://www.deezer.com/track/1')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('track 1') });
    const quota = await n.resolve('https://www.deezer.com/track/2').catch((e) => e);
    expect(quota).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 5000 });
    await expect(n.resolve('https://www.deezer.com/track/3')).rejects.toMatchObject({ code: 'UPSTREAM', message: expect.stringContaining('OAuthException') });
    await expect(n.resolve('https://www.deezer.com/track/4')).rejects.toMatchObject({ code: 'UPSTREAM', message: expect.stringContaining('503') });
    await expect(n.resolve('https://www.deezer.com/track/5')).rejects.toMatchObject({ code: 'UPSTREAM' });
  });

  it('a quota error on a later page fails the whole playlist as RATE_LIMITED', async () => {
    nock(API).get('/playlist/908622995').reply(200, fixture('playlist-908622995.json'));
    nock(API).get('/playlist/908622995/tracks').query(true).times(3).reply(200, fixture('error-quota.json'));
    await expect(node().resolve('https://www.deezer.com/playlist/908622995')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('honours the signal and reports network failures', async () => {
    // The answer never comes: the caller aborts once the request is in flight.
    const held = gate();
    nock(API).get('/track/3135556').reply(async () => {
      await held.pass();
      return [200, fixture('track-3135556.json')];
    });
    const controller = new AbortController();
    const resolving = node().resolve('https://www.deezer.com/track/3135556', { signal: controller.signal });
    expect(await until(() => held.arrived > 0)).toBe(true);
    controller.abort();
    await expect(resolving).rejects.toMatchObject({ code: 'ABORTED' });
    nock(API).get('/track/7').replyWithError('socket hang up');
    await expect(node().resolve('https://www.deezer.com/track/7')).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
