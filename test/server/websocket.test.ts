/**
 * The WebSocket of `spence serve` against Lavalink's docs/api/websocket.md and index.md
 * ("Resuming"): the handshake (401, 400, Session-Resumed, an optional Client-Name), `ready`,
 * `stats` (with `frameStats`), `playerUpdate` every `playerUpdateInterval`, each event with its
 * fields (TrackStartEvent, TrackEndEvent with every reason, TrackExceptionEvent,
 * WebSocketClosedEvent), resuming with the events queued while away, a session closed when not
 * resumable or not resumed in time, and a client that does not read is dropped rather than
 * buffered without bound. Playback runs on the server's ManualClock, which the tests advance.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EventJson, PlayerJson, PlayerUpdateJson, ServerMessage, StatsJson, TrackJson, VoiceLink, VoiceLinkContext } from '../../src/server/index.js';
import { DetachedVoiceLink } from '../../src/server/index.js';
import type { PlayerFrameStats } from '../../src/player/types.js';
import { PASSWORD, USER_ID, handshakeStatus, startTestServer } from './harness.js';
import type { TestServer, WsClient } from './harness.js';

const GUILD = '817327181659111454';
type Ready = { op: 'ready'; resumed: boolean; sessionId: string };
type Event<T extends EventJson['type']> = Extract<EventJson, { type: T }>;

const isEvent = <T extends EventJson['type']>(type: T) => (m: ServerMessage): boolean => m.op === 'event' && m.type === type;

let t: TestServer;

async function trackOf(identifier: string): Promise<TrackJson> {
  const res = await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(identifier)}`);
  const result = res.json as { loadType: string; data: TrackJson | TrackJson[] };
  return Array.isArray(result.data) ? result.data[0]! : result.data;
}

async function session(client: WsClient): Promise<string> {
  return (await client.next<Ready>((m) => m.op === 'ready')).sessionId;
}

describe('handshake', () => {
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it('refuses a wrong password with 401, a missing User-Id with 400, another path with 404', async () => {
    const url = `ws://127.0.0.1:${t.port}/v4/websocket`;
    expect(await handshakeStatus(url, { Authorization: 'nope', 'User-Id': USER_ID })).toBe(401);
    expect(await handshakeStatus(url, { 'User-Id': USER_ID })).toBe(401);
    expect(await handshakeStatus(url, { Authorization: PASSWORD })).toBe(400);
    expect(await handshakeStatus(url, { Authorization: PASSWORD, 'User-Id': 'bot' })).toBe(400);
    expect(await handshakeStatus(`ws://127.0.0.1:${t.port}/v3/websocket`, { Authorization: PASSWORD, 'User-Id': USER_ID })).toBe(404);
  });

  it('answers Session-Resumed: false, then ready and stats (frameStats null without voice)', async () => {
    const client = await t.connect();
    expect(client.upgradeHeaders['session-resumed']).toBe('false');
    expect(client.upgradeHeaders['lavalink-api-version']).toBe('4');
    const ready = await client.next<Ready>((m) => m.op === 'ready');
    expect(ready).toEqual({ op: 'ready', resumed: false, sessionId: expect.stringMatching(/^[a-z0-9]{16}$/) });
    expect(client.messages[0]).toBe(ready);
    const stats = await client.next<{ op: 'stats' } & StatsJson>((m) => m.op === 'stats');
    expect(stats).toEqual({
      op: 'stats',
      players: 0,
      playingPlayers: 0,
      uptime: expect.any(Number),
      memory: { free: expect.any(Number), used: expect.any(Number), allocated: expect.any(Number), reservable: expect.any(Number) },
      cpu: { cores: expect.any(Number), systemLoad: expect.any(Number), lavalinkLoad: expect.any(Number) },
      frameStats: null,
    });
    // ... and again a minute later.
    const from = client.messages.length;
    await t.clock.advance(59_000);
    await t.settle(() => true);
    expect(client.messages.slice(from).filter((m) => m.op === 'stats')).toHaveLength(0);
    await client.next((m) => m.op === 'stats', from);
    expect(client.messages.slice(from).filter((m) => m.op === 'stats')).toHaveLength(1);
  });

  it('gives every connection its own session', async () => {
    const a = await session(await t.connect());
    const b = await session(await t.connect());
    expect(a).not.toBe(b);
  });
});

describe('Client-Name', () => {
  let log: string[];
  beforeEach(async () => {
    log = [];
    t = await startTestServer({ options: { log: (line) => log.push(line) } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('is optional, as in Lavalink: the session names the client, in the log and in server.sessions; without it, accepted with a request for it', async () => {
    const named = await session(await t.connect({ 'Client-Name': 'shoukaku/4.3.0' }));
    expect(t.server.sessions.find((s) => s.id === named)?.clientName).toBe('shoukaku/4.3.0');
    expect(log).toContain(`session ${named} opened by "shoukaku/4.3.0"`);

    // The harness always sends a Client-Name; this client sends none.
    const bare = new WebSocket(`ws://127.0.0.1:${t.port}/v4/websocket`, { headers: { Authorization: PASSWORD, 'User-Id': USER_ID } });
    await new Promise((resolve, reject) => bare.once('open', resolve).once('error', reject));
    await t.settle(() => t.server.sessions.length === 2);
    const anonymous = t.server.sessions.find((s) => s.id !== named)!;
    expect(anonymous.clientName).toBeNull();
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`^session ${anonymous.id} opened by a client without a Client-Name header`)));
    bare.terminate();
  });
});

describe('player events and updates', () => {
  let client: WsClient;
  let sessionId: string;
  const playerPath = (): string => `/v4/sessions/${sessionId}/players/${GUILD}`;

  beforeEach(async () => {
    t = await startTestServer({ config: { playerUpdateInterval: 5 } });
    client = await t.connect();
    sessionId = await session(client);
  });
  afterEach(async () => {
    await t.close();
  });

  it('TrackStartEvent, playerUpdate every 5 s with the position, TrackEndEvent finished', async () => {
    const track = await trackOf('lbsearch:Short WebM');
    const patched = await t.rest('PATCH', playerPath(), { track: { encoded: track.encoded, userData: { n: 1 } } });
    expect(patched.status).toBe(200);
    const start = await client.next<Event<'TrackStartEvent'>>(isEvent('TrackStartEvent'));
    expect(start).toEqual({ op: 'event', type: 'TrackStartEvent', guildId: GUILD, track: { ...track, userData: { n: 1 } } });
    const first = await client.next<PlayerUpdateJson>((m) => m.op === 'playerUpdate');
    expect(first).toEqual({ op: 'playerUpdate', guildId: GUILD, state: { time: expect.any(Number), position: expect.any(Number), connected: false, ping: -1 } });
    const end = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'));
    expect(end).toEqual({ op: 'event', type: 'TrackEndEvent', guildId: GUILD, track: { ...track, userData: { n: 1 } }, reason: 'finished' });
    // A 2 s track: its first update at the start, none 5 s later (updates stop with the track).
    expect(client.messages.filter((m) => m.op === 'playerUpdate')).toHaveLength(1);
  });

  it('sends playerUpdate every playerUpdateInterval while a track is loaded, paused or not', async () => {
    const track = await trackOf(t.media.url('/sample.webm'));
    await t.rest('PATCH', playerPath(), { track: { encoded: track.encoded } });
    const start = await client.next(isEvent('TrackStartEvent'));
    const from = client.messages.indexOf(start);
    const updates = (): PlayerUpdateJson[] => client.messages.slice(from).filter((m): m is PlayerUpdateJson => m.op === 'playerUpdate');
    await t.drive(() => updates().length >= 1);
    const at = t.clock.now();
    await t.drive(() => updates().length >= 2);
    expect(t.clock.now() - at).toBeGreaterThanOrEqual(4_980);
    expect(updates()[1]!.state.position).toBeGreaterThan(updates()[0]!.state.position + 4_000);
    await t.rest('PATCH', playerPath(), { paused: true });
    await t.drive(() => updates().length >= 4);
    const [a, b] = updates().slice(-2);
    expect(b!.state.position).toBe(a!.state.position);
  });

  it('TrackEndEvent replaced, then stopped; DELETE ends with cleanup', async () => {
    const long = await trackOf(t.media.url('/sample.webm'));
    const short = await trackOf('lbsearch:Short Ogg');
    await t.rest('PATCH', playerPath(), { track: { encoded: long.encoded } });
    await client.next(isEvent('TrackStartEvent'));
    await t.rest('PATCH', playerPath(), { track: { encoded: short.encoded } });
    const replaced = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'));
    expect(replaced.reason).toBe('replaced');
    expect(replaced.track.encoded).toBe(long.encoded);
    const from = client.messages.length;
    await client.next(isEvent('TrackStartEvent'), client.messages.indexOf(replaced));
    await t.rest('PATCH', playerPath(), { track: { encoded: null } });
    const stopped = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'), from);
    expect(stopped).toMatchObject({ reason: 'stopped', track: { encoded: short.encoded } });
    await t.rest('PATCH', playerPath(), { track: { encoded: long.encoded } });
    const started = await client.next(isEvent('TrackStartEvent'), client.messages.indexOf(stopped) + 1);
    await t.rest('DELETE', playerPath());
    const cleanup = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'), client.messages.indexOf(started));
    expect(cleanup.reason).toBe('cleanup');
  });

  it('TrackExceptionEvent with the Exception, then TrackEndEvent loadFailed', async () => {
    const real = await trackOf(t.media.url('/sample.webm'));
    // The same track on a path the media server does not have: the open fails.
    const gone = await trackOf(t.media.url('/sample.webm'));
    const { encodeLavaplayerTrack, decodeLavaplayerTrack } = await import('../../src/server/index.js');
    const decoded = decodeLavaplayerTrack(gone.encoded);
    const missing = encodeLavaplayerTrack({ ...decoded, identifier: t.media.url('/gone.webm'), uri: t.media.url('/gone.webm') });
    expect(real.encoded).not.toBe(missing);
    await t.rest('PATCH', playerPath(), { track: { encoded: missing } });
    const exception = await client.next<Event<'TrackExceptionEvent'>>(isEvent('TrackExceptionEvent'));
    expect(exception).toEqual({
      op: 'event',
      type: 'TrackExceptionEvent',
      guildId: GUILD,
      track: expect.objectContaining({ encoded: missing }),
      exception: { message: expect.any(String), severity: expect.stringMatching(/^(common|suspicious|fault)$/), cause: expect.any(String), causeStackTrace: expect.any(String) },
    });
    const end = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'));
    expect(end).toMatchObject({ reason: 'loadFailed', track: { encoded: missing } });
    expect(client.messages.indexOf(end)).toBeGreaterThan(client.messages.indexOf(exception));
  });

  it('endTime ends the track as finished there; position starts the track there', async () => {
    const track = await trackOf(t.media.url('/sample.webm'));
    await t.rest('PATCH', playerPath(), { track: { encoded: track.encoded }, position: 3_000, endTime: 4_000 });
    const start = await client.next(isEvent('TrackStartEvent'));
    const startedAt = t.clock.now();
    const player = (await t.rest('GET', playerPath())).json as PlayerJson;
    expect(player.state.position).toBeGreaterThanOrEqual(2_900);
    expect(player.state.position).toBeLessThan(3_200);
    const end = await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'), client.messages.indexOf(start));
    expect(end.reason).toBe('finished');
    // About a second of audio, then the end: not the 10 s of the track.
    expect(t.clock.now() - startedAt).toBeLessThan(2_000);
    expect(t.clock.now() - startedAt).toBeGreaterThan(800);
  });

  it('starts a string that holds a position there, as lavaplayer does', async () => {
    const track = await trackOf(t.media.url('/sample.webm'));
    const { encodeLavaplayerTrack, decodeLavaplayerTrack } = await import('../../src/server/index.js');
    const at5s = encodeLavaplayerTrack({ ...decodeLavaplayerTrack(track.encoded), position: 5_000n });
    await t.rest('PATCH', playerPath(), { track: { encoded: at5s } });
    await client.next(isEvent('TrackStartEvent'));
    const player = (await t.rest('GET', playerPath())).json as PlayerJson;
    expect(player.state.position).toBeGreaterThanOrEqual(4_900);
    expect(player.track?.encoded).toBe(at5s);
  });

  it('seeks with position', async () => {
    const track = await trackOf(t.media.url('/sample.webm'));
    await t.rest('PATCH', playerPath(), { track: { encoded: track.encoded } });
    await client.next(isEvent('TrackStartEvent'));
    const sought = await t.rest('PATCH', playerPath(), { position: 6_000 });
    expect(sought.status).toBe(200);
    await t.run(200);
    const after = (await t.rest('GET', playerPath())).json as PlayerJson;
    expect(after.state.position).toBeGreaterThanOrEqual(5_900);
  });

  it('WebSocketClosedEvent carries the voice close code, reason and byRemote', async () => {
    await t.close();
    let context: VoiceLinkContext | undefined;
    t = await startTestServer({
      voiceLinks: (c): VoiceLink => {
        context = c;
        return new DetachedVoiceLink();
      },
    });
    client = await t.connect();
    sessionId = await session(client);
    await t.rest('PATCH', playerPath(), { voice: { token: 't', endpoint: 'e', sessionId: 's', channelId: '1' } });
    expect(context?.guildId).toBe(GUILD);
    expect(context?.userId).toBe(USER_ID);
    context!.onClose({ code: 4006, reason: 'Your session is no longer valid.', byRemote: true });
    const closed = await client.next(isEvent('WebSocketClosedEvent'));
    expect(closed).toEqual({ op: 'event', type: 'WebSocketClosedEvent', guildId: GUILD, code: 4006, reason: 'Your session is no longer valid.', byRemote: true });
  });
});

describe('frameStats', () => {
  afterEach(async () => {
    await t.close();
  });

  it('averages per player over the last minute the frames sent and nulled through connected voice links', async () => {
    // A link that says it is connected and connects its player to an output that cannot send (the
    // player holds, so the track stays loaded), with the player's frame counts the test sets.
    const counts: PlayerFrameStats[] = [];
    t = await startTestServer({
      voiceLinks: (context) => {
        context.player.connect({ state: { status: 'connecting' }, prepare() {}, dispatch() {} });
        counts.push(context.player.frameStats as PlayerFrameStats);
        return { state: null, connected: true, ping: 12, update() {}, destroy() {} };
      },
    });
    const client = await t.connect();
    const id = await session(client);
    const track = await trackOf(t.media.url('/sample.webm'));
    for (const guild of [GUILD, '817327181659111455']) await t.rest('PATCH', `/v4/sessions/${id}/players/${guild}`, { track: { encoded: track.encoded } });
    expect(((await t.rest('GET', `/v4/sessions/${id}/players/${GUILD}`)).json as PlayerJson).state).toMatchObject({ connected: true, ping: 12 });
    // First minute: counted from its end on.
    await t.clock.advance(60_000);
    counts[0]!.sent = 2990;
    counts[0]!.nulled = 4;
    counts[1]!.sent = 2980;
    counts[1]!.nulled = 10;
    const from = client.messages.length;
    await t.clock.advance(60_000);
    const stats = await client.next<{ op: 'stats' } & StatsJson>((m) => m.op === 'stats' && (m as StatsJson).frameStats != null, from);
    // (2990 + 2980) / 2 sent, (4 + 10) / 2 nulled, 3000 - (2985 + 7) deficit.
    expect(stats.frameStats).toEqual({ sent: 2985, nulled: 7, deficit: 8 });
    expect(stats).toMatchObject({ players: 2, playingPlayers: 2 });
  });
});

describe('resuming', () => {
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it('replays the events of the time away, answers Session-Resumed: true and ready resumed, then a playerUpdate per player', async () => {
    const first = await t.connect();
    const id = await session(first);
    expect((await t.rest('PATCH', `/v4/sessions/${id}`, { resuming: true, timeout: 60 })).status).toBe(200);
    const short = await trackOf('lbsearch:Short WebM');
    const long = await trackOf(t.media.url('/sample.webm'));
    await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { track: { encoded: short.encoded } });
    await first.next(isEvent('TrackStartEvent'));
    await first.close();
    await t.settle(() => t.server.sessions.find((s) => s.id === id)?.connected === false);
    // Away: the short track finishes; the client does not see it.
    const seen = first.messages.length;
    await t.run(3_000);
    expect(first.messages.length).toBe(seen);
    await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { track: { encoded: long.encoded } });
    await t.run(2_000);
    const second = await t.connect({ 'Session-Id': id });
    expect(second.upgradeHeaders['session-resumed']).toBe('true');
    const ready = await second.next<Ready>((m) => m.op === 'ready');
    expect(ready).toEqual({ op: 'ready', resumed: true, sessionId: id });
    const update = await second.next<PlayerUpdateJson>((m) => m.op === 'playerUpdate');
    const replayed = second.messages.slice(1, second.messages.indexOf(update)).filter((m) => m.op === 'event') as EventJson[];
    expect(replayed.map((e) => [e.type, 'reason' in e ? e.reason : undefined, 'track' in e ? e.track.encoded : undefined])).toEqual([
      ['TrackEndEvent', 'finished', short.encoded],
      ['TrackStartEvent', undefined, long.encoded],
    ]);
    expect(update.guildId).toBe(GUILD);
    // The players are the same; the session can be controlled again.
    expect(((await t.rest('GET', `/v4/sessions/${id}/players/${GUILD}`)).json as PlayerJson).track?.encoded).toBe(long.encoded);
  });

  it('closes a session that is not resumable when its WebSocket closes: players destroyed', async () => {
    const client = await t.connect();
    const id = await session(client);
    await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { volume: 10 });
    await client.close();
    await t.settle(() => t.server.sessions.every((s) => s.id !== id));
    expect((await t.rest('GET', `/v4/sessions/${id}/players`)).status).toBe(404);
    const again = await t.connect({ 'Session-Id': id });
    expect(again.upgradeHeaders['session-resumed']).toBe('false');
    expect((await again.next<Ready>((m) => m.op === 'ready')).resumed).toBe(false);
  });

  it('closes a resumable session after its timeout', async () => {
    const client = await t.connect();
    const id = await session(client);
    await t.rest('PATCH', `/v4/sessions/${id}`, { resuming: true, timeout: 10 });
    await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { volume: 10 });
    await client.close();
    await t.settle(() => t.server.sessions.find((s) => s.id === id)?.connected === false);
    await t.clock.advance(9_000);
    expect((await t.rest('GET', `/v4/sessions/${id}/players`)).status).toBe(200);
    await t.clock.advance(2_000);
    expect((await t.rest('GET', `/v4/sessions/${id}/players`)).status).toBe(404);
    const again = await t.connect({ 'Session-Id': id });
    expect(again.upgradeHeaders['session-resumed']).toBe('false');
  });
});

describe('sources the config leaves off', () => {
  afterEach(async () => {
    await t.close();
  });

  it('refuses HTTP URLs and local files: not loaded, and a client-made string for them does not play', async () => {
    t = await startTestServer({ config: { sources: { youtube: false, soundcloud: false, http: false, local: false, spotify: false, applemusic: false, deezer: false } } });
    const client = await t.connect();
    const id = await session(client);
    expect((await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(t.media.url('/sample.webm'))}`)).json).toEqual({ loadType: 'empty', data: {} });
    expect((await t.rest('GET', '/v4/loadtracks?identifier=%2Fetc%2Fpasswd')).json).toEqual({ loadType: 'empty', data: {} });
    const { encodeLavaplayerTrack, writeProbeInfo } = await import('../../src/server/index.js');
    const crafted = (sourceName: string, identifier: string): string =>
      encodeLavaplayerTrack({ title: 'x', author: 'x', length: 1000n, identifier, isStream: false, uri: identifier, artworkUrl: null, isrc: null, sourceName, details: writeProbeInfo({ probe: 'mp3', parameters: null }), position: 0n });
    for (const [guild, encoded] of [
      [GUILD, crafted('http', t.media.url('/sample.webm'))],
      ['817327181659111499', crafted('local', '/etc/passwd')],
    ] as const) {
      const from = client.messages.length;
      await t.rest('PATCH', `/v4/sessions/${id}/players/${guild}`, { track: { encoded } });
      const exception = await client.next<Event<'TrackExceptionEvent'>>(isEvent('TrackExceptionEvent'), from);
      expect(exception.guildId).toBe(guild);
      expect(exception.exception.message).toMatch(/No provider named/);
      expect((await client.next<Event<'TrackEndEvent'>>(isEvent('TrackEndEvent'), from)).reason).toBe('loadFailed');
    }
    expect(t.media.requests).toEqual([]);
  });
});

describe('bounded memory', () => {
  afterEach(async () => {
    await t.close();
  });

  it('drops a client that does not read its messages once its unsent bytes pass the limit', async () => {
    t = await startTestServer({ config: { maxWebSocketBufferBytes: 64 * 1024 } });
    const client = await t.connect();
    const id = await session(client);
    // The client stops reading: the kernel's buffers fill, then the server's.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const track = await trackOf(t.media.url('/sample.webm'));
    const userData = { blob: 'x'.repeat(400_000) };
    let closed = false;
    for (let i = 0; i < 80 && !closed; i++) {
      // Each PATCH ends one track and starts another: two events carrying the 400 kB userData.
      const res = await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { track: { encoded: track.encoded, userData } });
      closed = res.status === 404;
      if (!closed) await t.drive(() => true);
    }
    // Not resumable: dropping the socket closed the session.
    expect(closed).toBe(true);
  });

  it('keeps at most maxResumeQueue events for a session away, then closes it', async () => {
    t = await startTestServer({ config: { maxResumeQueue: 3 } });
    const client = await t.connect();
    const id = await session(client);
    await t.rest('PATCH', `/v4/sessions/${id}`, { resuming: true });
    const track = await trackOf(t.media.url('/sample.webm'));
    await client.close();
    await t.settle(() => t.server.sessions.find((s) => s.id === id)?.connected === false);
    let status = 200;
    for (let i = 0; i < 10 && status === 200; i++) {
      status = (await t.rest('PATCH', `/v4/sessions/${id}/players/${GUILD}`, { track: { encoded: track.encoded } })).status;
      await t.clock.advance(1_000);
    }
    expect(status).toBe(404);
  });
});
