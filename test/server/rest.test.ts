/**
 * Every REST route of `spence serve` against the shapes of Lavalink's docs/api/rest.md (v4.2):
 * track loading (the five result shapes), decoding, sessions and players, info, version, stats,
 * the route planner, and the errors (401, 400 naming the field, 404 for an unknown session or
 * player, 405, 413, Lavalink's error JSON with `trace` on `?trace=true`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResultJson, PlayerJson, TrackJson } from '../../src/server/index.js';
import { PASSWORD, startTestServer } from './harness.js';
import type { TestServer, WsClient } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = (JSON.parse(readFileSync(path.resolve(here, '../../../shared/lavalink/encoded-tracks.json'), 'utf8')) as { vectors: { id: string; encoded: string }[] }).vectors;
const RICKROLL = vectors.find((v) => v.id === 'lavalink-docs-rickroll-v2')!.encoded;

/** Lavalink's Track object, field by field. */
function expectTrackShape(track: unknown): asserts track is TrackJson {
  expect(track).toEqual({
    encoded: expect.stringMatching(/^[A-Za-z0-9+/]+={0,2}$/),
    info: {
      identifier: expect.any(String),
      isSeekable: expect.any(Boolean),
      author: expect.any(String),
      length: expect.any(Number),
      isStream: expect.any(Boolean),
      position: expect.any(Number),
      title: expect.any(String),
      uri: expect.toSatisfy((v) => v === null || typeof v === 'string'),
      artworkUrl: expect.toSatisfy((v) => v === null || typeof v === 'string'),
      isrc: expect.toSatisfy((v) => v === null || typeof v === 'string'),
      sourceName: expect.any(String),
    },
    pluginInfo: expect.any(Object),
    userData: expect.any(Object),
  });
}

function expectError(res: { status: number; json: unknown }, status: number, message: RegExp | string, pathName: string): void {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({
    timestamp: expect.any(Number),
    status,
    error: expect.any(String),
    message: typeof message === 'string' ? message : expect.stringMatching(message),
    path: pathName,
  });
}

let t: TestServer;
let ws: WsClient;
let sessionId: string;

beforeAll(async () => {
  t = await startTestServer({ config: { filters: { volume: true, equalizer: true, karaoke: false, timescale: true, tremolo: true, vibrato: true, distortion: true, rotation: true, channelMix: true, lowPass: true } } });
  ws = await t.connect();
  sessionId = (await ws.next<{ op: 'ready'; sessionId: string; resumed: boolean }>((m) => m.op === 'ready')).sessionId;
});
afterAll(async () => {
  await t?.close();
});

describe('authorization', () => {
  it.each(['/version', '/v4/info', '/v4/stats', '/v4/loadtracks?identifier=x', '/v4/sessions/x/players'])('answers 401 with Lavalink\'s error JSON without the password: %s', async (p) => {
    const res = await t.rest('GET', p, undefined, { Authorization: 'wrong' });
    expectError(res, 401, 'Unauthorized', p.split('?')[0]!);
    expect(res.headers.get('lavalink-api-version')).toBe('4');
  });
});

describe('info, version, stats, route planner', () => {
  it('GET /version answers the version as text', async () => {
    const res = await t.rest('GET', '/version');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^4\.2\.0\+spence\./);
  });

  it('GET /v4/info has every field of the Info Response', async () => {
    const res = await t.rest('GET', '/v4/info');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      version: { semver: expect.stringMatching(/^4\.2\.0/), major: 4, minor: 2, patch: 0, preRelease: null, build: expect.any(String) },
      buildTime: expect.any(Number),
      git: { branch: expect.any(String), commit: expect.any(String), commitTime: expect.any(Number) },
      jvm: expect.any(String),
      lavaplayer: expect.any(String),
      sourceManagers: ['loopback', 'http'],
      filters: ['volume', 'equalizer', 'timescale', 'tremolo', 'vibrato', 'distortion', 'rotation', 'channelMix', 'lowPass'],
      plugins: [],
    });
  });

  it('GET /v4/stats has the Stats object, without frameStats', async () => {
    const res = await t.rest('GET', '/v4/stats');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      players: expect.any(Number),
      playingPlayers: expect.any(Number),
      uptime: expect.any(Number),
      memory: { free: expect.any(Number), used: expect.any(Number), allocated: expect.any(Number), reservable: expect.any(Number) },
      cpu: { cores: expect.any(Number), systemLoad: expect.any(Number), lavalinkLoad: expect.any(Number) },
    });
    // Every figure fits the 64-bit integers clients read them into (the reservable memory of a process without limit did not).
    const stats = res.json as { memory: Record<string, number> };
    for (const value of Object.values(stats.memory)) expect(Number.isSafeInteger(value)).toBe(true);
  });

  it.each([
    ['GET', '/v4/routeplanner/status'],
    ['POST', '/v4/routeplanner/free/address'],
    ['POST', '/v4/routeplanner/free/all'],
  ])('%s %s answers 204 (no route planner)', async (method, p) => {
    const res = await t.rest(method, p, method === 'POST' && p.endsWith('address') ? { address: '1.0.0.1' } : undefined);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('answers 404 for an unknown route and 405 for a wrong method, in Lavalink\'s error JSON', async () => {
    expectError(await t.rest('GET', '/v4/nothing'), 404, 'Not Found', '/v4/nothing');
    expectError(await t.rest('POST', '/v4/info', {}), 405, /not supported/, '/v4/info');
  });

  it('adds the stack trace with ?trace=true, and only then', async () => {
    const withTrace = await t.rest('GET', '/v4/sessions/nope/players?trace=true');
    expect(withTrace.status).toBe(404);
    expect((withTrace.json as { trace: string }).trace).toMatch(/Session not found/);
    const without = await t.rest('GET', '/v4/sessions/nope/players');
    expect(without.json).not.toHaveProperty('trace');
  });
});

describe('GET /v4/loadtracks', () => {
  const load = async (identifier: string): Promise<LoadResultJson> => {
    const res = await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(identifier)}`);
    expect(res.status).toBe(200);
    return res.json as LoadResultJson;
  };

  it('track: a URL of the http source', async () => {
    const result = await load(t.media.url('/sample.webm'));
    expect(result.loadType).toBe('track');
    const track = result.data as TrackJson;
    expectTrackShape(track);
    expect(track.info).toMatchObject({ sourceName: 'http', identifier: t.media.url('/sample.webm'), isStream: false, isSeekable: true, position: 0 });
    expect(track.info.length).toBeGreaterThan(9_900);
  });

  it('playlist: info.name and info.selectedTrack, pluginInfo, tracks', async () => {
    const result = await load(t.media.url('/playlist'));
    expect(result).toEqual({ loadType: 'playlist', data: { info: { name: 'Loopback', selectedTrack: 1 }, pluginInfo: {}, tracks: expect.any(Array) } });
    const tracks = (result.data as { tracks: TrackJson[] }).tracks;
    expect(tracks.map((tr) => tr.info.identifier)).toEqual(['sample.webm', 'short.webm', 'short.opus']);
    tracks.forEach(expectTrackShape);
  });

  it('search: a search prefix answers an array of tracks', async () => {
    const result = await load('lbsearch:short');
    expect(result.loadType).toBe('search');
    const tracks = result.data as TrackJson[];
    expect(tracks.map((tr) => tr.info.title)).toEqual(['Short WebM', 'Short Ogg']);
    tracks.forEach(expectTrackShape);
  });

  it.each([
    ['a search without results', 'lbsearch:nothing at all'],
    ['plain text (Lavalink does not search it)', 'never gonna give you up'],
    ['a prefix no source has', 'spsearch:anything'],
    ['a file the media server does not have (404)', '__MISSING__'],
    ['bytes that are no audio', '__NOT_MEDIA__'],
  ])('empty: %s', async (_what, identifier) => {
    const input = identifier === '__MISSING__' ? t.media.url('/missing.webm') : identifier === '__NOT_MEDIA__' ? t.media.url('/not-media.bin') : identifier;
    expect(await load(input)).toEqual({ loadType: 'empty', data: {} });
  });

  it('error: the Exception object with message, severity, cause and causeStackTrace', async () => {
    // The file is refused (403): the item cannot be played here, which Lavalink calls common.
    t.media.faults.plan = (request) => (request.path === '/short.opus' ? { kind: 'status', status: 403 } : undefined);
    try {
      const result = await load(t.media.url('/short.opus'));
      expect(result).toEqual({
        loadType: 'error',
        data: { message: expect.stringMatching(/403/), severity: 'common', cause: expect.any(String), causeStackTrace: expect.any(String) },
      });
    } finally {
      delete t.media.faults.plan;
    }
  });

  it('answers 400 without an identifier', async () => {
    expectError(await t.rest('GET', '/v4/loadtracks'), 400, /identifier/, '/v4/loadtracks');
  });
});

describe('decoding', () => {
  it('GET /v4/decodetrack decodes a Lavalink node\'s string (encodedTrack, or track as Shoukaku sends)', async () => {
    for (const param of ['encodedTrack', 'track']) {
      const res = await t.rest('GET', `/v4/decodetrack?${param}=${encodeURIComponent(RICKROLL)}`);
      expect(res.status).toBe(200);
      expectTrackShape(res.json);
      expect(res.json).toEqual({
        encoded: RICKROLL,
        info: {
          identifier: 'dQw4w9WgXcQ',
          isSeekable: true,
          author: 'RickAstleyVEVO',
          length: 212000,
          isStream: false,
          position: 0,
          title: 'Rick Astley - Never Gonna Give You Up',
          uri: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
          artworkUrl: null,
          isrc: null,
          sourceName: 'youtube',
        },
        pluginInfo: {},
        userData: {},
      });
    }
  });

  it('decodes what loadtracks encoded to the same Track', async () => {
    const loaded = (await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(t.media.url('/sample.webm'))}`)).json as { data: TrackJson };
    const decoded = await t.rest('GET', `/v4/decodetrack?encodedTrack=${encodeURIComponent(loaded.data.encoded)}`);
    expect(decoded.json).toEqual(loaded.data);
  });

  it('POST /v4/decodetracks decodes an array', async () => {
    const some = vectors.slice(0, 5).map((v) => v.encoded);
    const res = await t.rest('POST', '/v4/decodetracks', some);
    expect(res.status).toBe(200);
    const tracks = res.json as TrackJson[];
    expect(tracks.map((tr) => tr.encoded)).toEqual(some);
    tracks.forEach(expectTrackShape);
  });

  it('answers 400 for a corrupt string, a missing one, a body that is not an array of strings or not JSON', async () => {
    expectError(await t.rest('GET', '/v4/decodetrack?encodedTrack=QUJD'), 400, /corrupt/, '/v4/decodetrack');
    expectError(await t.rest('GET', '/v4/decodetrack'), 400, /No track/, '/v4/decodetrack');
    expectError(await t.rest('POST', '/v4/decodetracks', { tracks: [] }), 400, /array/, '/v4/decodetracks');
    expectError(await t.rest('POST', '/v4/decodetracks', '[1, 2'), 400, /not valid JSON/, '/v4/decodetracks');
    expectError(await t.rest('POST', '/v4/decodetracks', [RICKROLL, 'garbage!']), 400, /corrupt/, '/v4/decodetracks');
  });

  it('answers 413 for a body over the limit, before reading it', async () => {
    const huge = JSON.stringify(Array.from({ length: 20_000 }, () => RICKROLL));
    expect(huge.length).toBeGreaterThan(t.server.config.maxRequestBytes);
    expectError(await t.rest('POST', '/v4/decodetracks', huge), 413, /bytes/, '/v4/decodetracks');
  });
});

describe('sessions and players', () => {
  const guild = '817327181659111454';
  const playerPath = (g = guild, s = sessionId): string => `/v4/sessions/${s}/players/${g}`;
  const voice = { token: 'token', endpoint: 'voice.example:443', sessionId: 'discord-session', channelId: '123456789012345678' };

  it('GET players of an unknown session: 404 Session not found', async () => {
    expectError(await t.rest('GET', '/v4/sessions/unknown0000000/players'), 404, 'Session not found', '/v4/sessions/unknown0000000/players');
  });

  it('GET an unknown player: 404 Player not found', async () => {
    expectError(await t.rest('GET', playerPath('1')), 404, 'Player not found', playerPath('1'));
  });

  it('PATCH with a voice state without channelId: 400 (Lavalink 4.2)', async () => {
    const res = await t.rest('PATCH', playerPath(), { voice: { token: 't', endpoint: 'e', sessionId: 's' } });
    expectError(res, 400, /channelId/, playerPath());
  });

  it.each([
    ['a body that is not an object', [1, 2], /JSON object/],
    ['volume of the wrong type', { volume: 'loud' }, /volume/],
    ['paused of the wrong type', { paused: 'yes' }, /paused/],
    ['endTime 0', { endTime: 0 }, /endTime/],
    ['both track.encoded and track.identifier', { track: { encoded: RICKROLL, identifier: 'x' } }, /both/],
    ['both track and encodedTrack', { track: { encoded: RICKROLL }, encodedTrack: RICKROLL }, /both/],
    ['userData that is not an object', { track: { userData: 5 } }, /userData/],
    ['a filter out of range', { filters: { timescale: { speed: -1 } } }, /timescale\.speed/],
    ['a filter the config turned off', { filters: { karaoke: { level: 1 } } }, /disabled in the config: karaoke/],
    ['an unknown filter', { filters: { reverb: {} } }, /reverb/],
    ['a voice state that is not an object', { voice: 'x' }, /voice/],
  ])('PATCH with %s: 400', async (_what, body, message) => {
    expectError(await t.rest('PATCH', playerPath(), body), 400, message, playerPath());
  });

  it('PATCH in an unknown session: 404 Session not found; an invalid guild id: 400', async () => {
    expectError(await t.rest('PATCH', playerPath(guild, 'nosuchsession000'), { volume: 50 }), 404, 'Session not found', playerPath(guild, 'nosuchsession000'));
    expectError(await t.rest('PATCH', playerPath('not-a-guild'), { volume: 50 }), 400, /guild id/, playerPath('not-a-guild'));
  });

  it('PATCH creates the player and answers the Player object', async () => {
    const res = await t.rest('PATCH', playerPath(), { voice });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      guildId: guild,
      track: null,
      volume: 100,
      paused: false,
      state: { time: expect.any(Number), position: 0, connected: false, ping: -1 },
      voice,
      filters: {},
    });
  });

  it('PATCH with a track, volume, paused, filters and userData; GET answers the same player', async () => {
    const track = ((await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(t.media.url('/sample.webm'))}`)).json as { data: TrackJson }).data;
    const filters = { volume: 0.8, equalizer: [{ band: 0, gain: 0.2 }], timescale: { speed: 1.1 } };
    const res = await t.rest('PATCH', playerPath(), { track: { encoded: track.encoded, userData: { requester: 'me' } }, volume: 50, paused: true, filters });
    expect(res.status).toBe(200);
    const player = res.json as PlayerJson;
    expect(player).toMatchObject({ guildId: guild, volume: 50, paused: true, filters });
    expect(player.track).toEqual({ ...track, userData: { requester: 'me' }, info: { ...track.info, position: expect.any(Number) } });
    const got = await t.rest('GET', playerPath());
    expect(got.status).toBe(200);
    expect((got.json as PlayerJson).track?.encoded).toBe(track.encoded);
    const list = await t.rest('GET', `/v4/sessions/${sessionId}/players`);
    expect((list.json as PlayerJson[]).map((p) => p.guildId)).toEqual([guild]);
  });

  it('PATCH with a volume out of 0-1000 clamps it, as lavaplayer does (not a 400); GET answers the clamped volume', async () => {
    const loud = await t.rest('PATCH', playerPath(), { volume: 1500 });
    expect(loud.status).toBe(200);
    expect((loud.json as PlayerJson).volume).toBe(1000);
    expect(((await t.rest('GET', playerPath())).json as PlayerJson).volume).toBe(1000);
    const negative = await t.rest('PATCH', playerPath(), { volume: -5 });
    expect(negative.status).toBe(200);
    expect((negative.json as PlayerJson).volume).toBe(0);
    expect(((await t.rest('GET', playerPath())).json as PlayerJson).volume).toBe(0);
  });

  it('PATCH with noReplace keeps the playing track', async () => {
    const before = (await t.rest('GET', playerPath())).json as PlayerJson;
    const res = await t.rest('PATCH', `${playerPath()}?noReplace=true`, { track: { encoded: RICKROLL } });
    expect((res.json as PlayerJson).track?.encoded).toBe(before.track?.encoded);
  });

  it('PATCH with track.identifier loads one track; a playlist or nothing is a 400', async () => {
    const res = await t.rest('PATCH', playerPath(), { track: { identifier: 'lbsearch:sample' } });
    expectError(res, 400, /search result/, playerPath());
    const none = await t.rest('PATCH', playerPath(), { track: { identifier: 'lbsearch:nothing' } });
    expectError(none, 400, /No track/, playerPath());
    const ok = await t.rest('PATCH', playerPath(), { track: { identifier: t.media.url('/short.webm') } });
    expect(ok.status).toBe(200);
    expect((ok.json as PlayerJson).track?.info.identifier).toBe(t.media.url('/short.webm'));
  });

  it('PATCH with encoded null stops the track', async () => {
    const res = await t.rest('PATCH', playerPath(), { track: { encoded: null } });
    expect((res.json as PlayerJson).track).toBeNull();
  });

  it('DELETE destroys the player: 204, then 404', async () => {
    const res = await t.rest('DELETE', playerPath());
    expect(res.status).toBe(204);
    expectError(await t.rest('GET', playerPath()), 404, 'Player not found', playerPath());
  });

  it('PATCH /v4/sessions/{id} sets resuming and timeout and answers them', async () => {
    const res = await t.rest('PATCH', `/v4/sessions/${sessionId}`, { resuming: true, timeout: 30 });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ resuming: true, timeout: 30 });
    expect((await t.rest('PATCH', `/v4/sessions/${sessionId}`, { resuming: false })).json).toEqual({ resuming: false, timeout: 30 });
    expectError(await t.rest('PATCH', `/v4/sessions/${sessionId}`, { timeout: -1 }), 400, /timeout/, `/v4/sessions/${sessionId}`);
    expectError(await t.rest('PATCH', '/v4/sessions/nosuchsession000', { resuming: true }), 404, 'Session not found', '/v4/sessions/nosuchsession000');
  });

  it('the password is the only credential: Authorization compared whole', async () => {
    expect((await t.rest('GET', '/version', undefined, { Authorization: `${PASSWORD}x` })).status).toBe(401);
    expect((await t.rest('GET', '/version', undefined, { Authorization: PASSWORD.slice(0, -1) })).status).toBe(401);
  });
});
