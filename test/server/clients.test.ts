/**
 * Black-box: two real Lavalink client libraries from the npm registry, unchanged (Shoukaku and
 * lavalink-client), against `spence serve` on loopback: connect, load a track, a playlist and a
 * search (media from the loopback media server), join a guild's voice (the voice updates a
 * Discord gateway would send, including Lavalink 4.2's channelId), play, pause, seek, set the
 * volume and filters, stop, destroy; their events arrive as they expect. A link cut between the
 * bot and the node (a TCP proxy) makes each client reconnect and resume, and the events of the
 * outage reach it. Playback is paced on the server's ManualClock, advanced by the test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connector, Shoukaku } from 'shoukaku';
import type { NodeOption, Player as ShoukakuPlayer, TrackEndEvent, TrackStartEvent } from 'shoukaku';
import { LavalinkManager } from 'lavalink-client';
import type { Player as LlPlayer, Track as LlTrack } from 'lavalink-client';
import type { PlayerJson } from '../../src/server/index.js';
import { PASSWORD, USER_ID, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { startTcpProxy } from './tcp-proxy.js';
import type { TcpProxy } from './tcp-proxy.js';

const GUILD = '817327181659111454';
const CHANNEL = '987654321098765432';
const VOICE = { session_id: 'discord-voice-session', token: 'discord-voice-token', endpoint: 'voice.example:443' };

let t: TestServer;
let proxy: TcpProxy;

beforeEach(async () => {
  t = await startTestServer();
  proxy = await startTcpProxy(t.port);
});
afterEach(async () => {
  await proxy.close();
  await t.close();
});

/** Resolves with the promise's value, driving the server's clock while it is pending. */
async function driven<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  tracked.catch(() => {});
  await t.drive(() => settled, maxMs);
  return tracked;
}

/** The next `event` on `emitter` (any of the clients' emitters) whose arguments `match`. */
function nextEvent<A extends unknown[]>(emitter: object, event: string, match: (...args: A) => boolean = () => true): Promise<A> {
  const target = emitter as { on(e: string, l: (...a: A) => void): unknown; off(e: string, l: (...a: A) => void): unknown };
  return new Promise((resolve) => {
    const listener = (...args: A): void => {
      if (!match(...args)) return;
      target.off(event, listener);
      resolve(args);
    };
    target.on(event, listener);
  });
}

async function serverPlayer(sessionId: string): Promise<PlayerJson> {
  const res = await t.rest('GET', `/v4/sessions/${sessionId}/players/${GUILD}`);
  expect(res.status).toBe(200);
  return res.json as PlayerJson;
}

// ------------------------------------------------------------------------------------- Shoukaku

/** Shoukaku's connector to a "Discord" that answers voice state updates as the gateway does. */
class TestDiscord extends Connector {
  readonly sent: { op: number; d: { guild_id: string; channel_id: string | null } }[] = [];
  getId(): string {
    return USER_ID;
  }
  sendPacket(_shard: number, payload: unknown): void {
    const packet = payload as (typeof this.sent)[number];
    this.sent.push(packet);
    const { guild_id, channel_id } = packet.d;
    setImmediate(() => {
      this.raw({ t: 'VOICE_STATE_UPDATE', d: { guild_id, channel_id, user_id: USER_ID, session_id: VOICE.session_id, self_deaf: false, self_mute: false } });
      if (channel_id !== null) this.raw({ t: 'VOICE_SERVER_UPDATE', d: { guild_id, token: VOICE.token, endpoint: VOICE.endpoint } });
    });
  }
  listen(): void {}
  start(nodes: NodeOption[]): void {
    this.ready(nodes);
  }
}

describe('Shoukaku', () => {
  async function connect(options: Partial<ConstructorParameters<typeof Shoukaku>[2]> = {}): Promise<{ shoukaku: Shoukaku; discord: TestDiscord }> {
    const discord = new TestDiscord({});
    const nodes: NodeOption[] = [{ name: 'spence', url: `127.0.0.1:${proxy.port}`, auth: PASSWORD }];
    const shoukaku = new Shoukaku(discord, nodes, { reconnectTries: 1000, reconnectInterval: 0.02, restTimeout: 30, ...options });
    shoukaku.on('error', () => {});
    if (process.env.DEBUG_SHOUKAKU) shoukaku.on('debug', (...a: unknown[]) => console.log(...a));
    const ready = nextEvent(shoukaku, 'ready');
    discord.start(nodes);
    await ready;
    return { shoukaku, discord };
  }

  it('loads, plays, pauses, seeks, sets volume and filters, stops and destroys, with its events', async () => {
    const { shoukaku, discord } = await connect();
    const node = shoukaku.nodes.get('spence')!;
    const sessionId = node.sessionId!;
    expect(sessionId).toMatch(/^[a-z0-9]{16}$/);

    const single = await node.rest.resolve(t.media.url('/sample.webm'));
    expect(single?.loadType).toBe('track');
    const playlist = await node.rest.resolve(t.media.url('/playlist'));
    expect(playlist?.loadType).toBe('playlist');
    if (playlist?.loadType !== 'playlist') throw new Error('not a playlist');
    expect(playlist.data.info).toEqual({ name: 'Loopback', selectedTrack: 1 });
    expect(playlist.data.tracks).toHaveLength(3);
    const search = await node.rest.resolve('lbsearch:short');
    expect(search?.loadType).toBe('search');
    if (search?.loadType !== 'search' || single?.loadType !== 'track') throw new Error('unexpected load types');
    const decoded = await node.rest.decode(single.data.encoded);
    expect(decoded?.info.identifier).toBe(single.data.info.identifier);

    const player: ShoukakuPlayer = await shoukaku.joinVoiceChannel({ guildId: GUILD, channelId: CHANNEL, shardId: 0 });
    expect(discord.sent[0]).toMatchObject({ op: 4, d: { guild_id: GUILD, channel_id: CHANNEL } });
    expect((await serverPlayer(sessionId)).voice).toEqual({ token: VOICE.token, endpoint: VOICE.endpoint, sessionId: VOICE.session_id, channelId: CHANNEL });

    const started = nextEvent<[TrackStartEvent]>(player, 'start');
    await player.playTrack({ track: { encoded: single.data.encoded } });
    const [start] = await driven(started);
    expect(start.track.encoded).toBe(single.data.encoded);
    expect(player.track).toBe(single.data.encoded);

    await player.setPaused(true);
    expect((await serverPlayer(sessionId)).paused).toBe(true);
    const pausedAt = (await serverPlayer(sessionId)).state.position;
    await t.run(1_000);
    expect((await serverPlayer(sessionId)).state.position).toBe(pausedAt);
    await player.setPaused(false);

    await player.seekTo(6_000);
    const [update] = await driven(nextEvent<[{ state: { position: number } }]>(player, 'update'));
    expect(update.state.position).toBeGreaterThanOrEqual(5_900);

    await player.setGlobalVolume(40);
    // Lavalink's filters replace the previous ones whole, so a client sets them together.
    await player.setTimescale({ speed: 1.25 });
    expect((await serverPlayer(sessionId)).filters).toEqual({ timescale: { speed: 1.25 } });
    await player.setFilters({ timescale: { speed: 1.25 }, equalizer: [{ band: 3, gain: 0.25 }] });
    const withFilters = await serverPlayer(sessionId);
    expect(withFilters.volume).toBe(40);
    expect(withFilters.filters).toEqual({ timescale: { speed: 1.25 }, equalizer: [{ band: 3, gain: 0.25 }] });
    await player.clearFilters();
    expect((await serverPlayer(sessionId)).filters).toEqual({ volume: 1, equalizer: [] });

    const ended = nextEvent<[TrackEndEvent]>(player, 'end');
    await player.stopTrack();
    const [end] = await driven(ended);
    expect(end.reason).toBe('stopped');

    const short = search.data[0]!;
    const finished = nextEvent<[TrackEndEvent]>(player, 'end');
    await player.playTrack({ track: { encoded: short.encoded } });
    const [done] = await driven(finished);
    expect(done).toMatchObject({ reason: 'finished', track: { encoded: short.encoded } });

    await shoukaku.leaveVoiceChannel(GUILD);
    expect((await t.rest('GET', `/v4/sessions/${sessionId}/players/${GUILD}`)).status).toBe(404);
    expect(discord.sent.at(-1)).toMatchObject({ op: 4, d: { guild_id: GUILD, channel_id: null } });
  });

  it('resumes after the link to the node drops, and gets the events it missed', async () => {
    const { shoukaku } = await connect({ resume: true, resumeTimeout: 60 });
    const node = shoukaku.nodes.get('spence')!;
    const sessionId = node.sessionId!;
    await driven(new Promise<void>((resolve) => {
      // Shoukaku enables resuming right after ready; wait for the server to have it.
      const check = (): void => void (t.server.sessions.find((s) => s.id === sessionId)?.resuming ? resolve() : setTimeout(check, 5));
      check();
    }));
    const player = await shoukaku.joinVoiceChannel({ guildId: GUILD, channelId: CHANNEL, shardId: 0 });
    const short = await node.rest.resolve('lbsearch:short webm');
    if (short?.loadType !== 'search') throw new Error('no search result');
    const started = nextEvent(player, 'start');
    await player.playTrack({ track: { encoded: short.data[0]!.encoded } });
    await driven(started);

    const ends: TrackEndEvent[] = [];
    player.on('end', (e) => ends.push(e));
    const resumed = nextEvent<[string, boolean]>(shoukaku, 'ready', (_name, wasResumed) => wasResumed);
    proxy.cut();
    await t.settle(() => t.server.sessions.find((s) => s.id === sessionId)?.connected === false);
    // The track finishes during the outage.
    await t.run(3_000);
    expect(ends).toHaveLength(0);
    proxy.restore();
    const [, wasResumed] = await driven(resumed);
    expect(wasResumed).toBe(true);
    expect(node.sessionId).toBe(sessionId);
    await t.settle(() => ends.length > 0);
    expect(ends.map((e) => e.reason)).toEqual(['finished']);
    await shoukaku.leaveVoiceChannel(GUILD);
  });
});

// ------------------------------------------------------------------------------ lavalink-client

describe('lavalink-client', () => {
  async function connect(sessionId?: string): Promise<LavalinkManager> {
    const manager: LavalinkManager = new LavalinkManager({
      nodes: [{ id: 'spence', host: '127.0.0.1', port: proxy.port, authorization: PASSWORD, retryAmount: 1000, retryDelay: 20, enablePingOnStatsCheck: false, ...(sessionId ? { sessionId } : {}) }],
      sendToShard: (_guildId, payload) => {
        const { guild_id, channel_id } = (payload as { d: { guild_id: string; channel_id: string | null } }).d;
        setImmediate(() => {
          void manager.sendRawData({ t: 'VOICE_STATE_UPDATE', d: { guild_id, channel_id, user_id: USER_ID, session_id: VOICE.session_id } } as never);
          if (channel_id !== null) void manager.sendRawData({ t: 'VOICE_SERVER_UPDATE', d: { guild_id, token: VOICE.token, endpoint: VOICE.endpoint } } as never);
        });
      },
      client: { id: USER_ID, username: 'spence-tests' },
      // The node has no YouTube: the bot's searches default to the loopback source's prefix.
      playerOptions: { defaultSearchPlatform: 'lbsearch' as never },
      autoSkip: true,
    });
    manager.nodeManager.on('error', () => {});
    const connected = nextEvent(manager.nodeManager, 'connect');
    await manager.init({ id: USER_ID, username: 'spence-tests' });
    await connected;
    const node = manager.nodeManager.nodes.get('spence')!;
    await t.settle(() => typeof node.sessionId === 'string' && node.sessionId.length > 0);
    return manager;
  }

  async function join(manager: LavalinkManager): Promise<LlPlayer> {
    const player = manager.createPlayer({ guildId: GUILD, voiceChannelId: CHANNEL, textChannelId: '1', selfDeaf: true, volume: 100 });
    await player.connect();
    const node = manager.nodeManager.nodes.get('spence')!;
    await t.settle(() => t.server.sessions.find((s) => s.id === node.sessionId)?.players === 1);
    return player;
  }

  it('loads, plays, pauses, seeks, sets volume and filters, stops and destroys, with its events', async () => {
    const manager = await connect();
    const node = manager.nodeManager.nodes.get('spence')!;
    expect(node.info?.sourceManagers).toEqual(['loopback', 'http']);
    const player = await join(manager);
    expect((await serverPlayer(node.sessionId!)).voice).toEqual({ token: VOICE.token, endpoint: VOICE.endpoint, sessionId: VOICE.session_id, channelId: CHANNEL });

    const single = await player.search({ query: t.media.url('/sample.webm') }, { id: 'requester' });
    expect(single.loadType).toBe('track');
    const playlist = await player.search({ query: t.media.url('/playlist') }, { id: 'requester' });
    expect(playlist.loadType).toBe('playlist');
    expect(playlist.playlist?.name).toBe('Loopback');
    expect(playlist.tracks).toHaveLength(3);
    expect(playlist.playlist?.selectedTrack?.info.identifier).toBe('short.webm');
    const search = await player.search({ query: 'short', source: 'lbsearch' as never }, { id: 'requester' });
    expect(search.loadType).toBe('search');
    expect(search.tracks.map((tr) => tr.info.title)).toEqual(['Short WebM', 'Short Ogg']);

    const started = nextEvent<[LlPlayer, LlTrack | null]>(manager, 'trackStart');
    await player.queue.add(single.tracks[0]!);
    await player.play();
    const [, startedTrack] = await driven(started);
    expect(startedTrack?.encoded).toBe(single.tracks[0]!.encoded);
    expect(player.playing).toBe(true);

    await player.pause();
    expect((await serverPlayer(node.sessionId!)).paused).toBe(true);
    await player.resume();
    expect((await serverPlayer(node.sessionId!)).paused).toBe(false);

    await player.seek(5_000);
    await driven(nextEvent(manager, 'playerUpdate', (_old: unknown, p: LlPlayer) => p.lastPosition >= 4_900));

    await player.setVolume(70);
    await player.filterManager.setSpeed(1.5);
    await player.filterManager.toggleTremolo(4, 0.5);
    const withFilters = await serverPlayer(node.sessionId!);
    expect(withFilters.volume).toBe(70);
    expect(withFilters.filters).toMatchObject({ timescale: { speed: 1.5 }, tremolo: { frequency: 4, depth: 0.5 } });
    await player.filterManager.resetFilters();
    expect((await serverPlayer(node.sessionId!)).filters).not.toHaveProperty('timescale.speed', 1.5);

    // The queue's next track plays after the first when it is stopped; then the queue ends.
    await player.queue.add(search.tracks[0]!);
    const ended = nextEvent<[LlPlayer, LlTrack | null, { reason: string }]>(manager, 'trackEnd');
    const nextStarted = nextEvent<[LlPlayer, LlTrack | null]>(manager, 'trackStart', (_p, tr) => tr?.encoded === search.tracks[0]!.encoded);
    await player.skip();
    const [, , endPayload] = await driven(ended);
    expect(endPayload.reason).toBe('stopped');
    await driven(nextStarted);
    const queueEnd = nextEvent(manager, 'queueEnd');
    await driven(queueEnd);

    await player.destroy();
    expect((await t.rest('GET', `/v4/sessions/${node.sessionId}/players/${GUILD}`)).status).toBe(404);
    await manager.nodeManager.nodes.get('spence')!.destroy('done', true);
  });

  it('resumes its session after a drop with the Session-Id it keeps, and gets the events it missed', async () => {
    const first = await connect();
    const node = first.nodeManager.nodes.get('spence')!;
    const sessionId = node.sessionId!;
    await node.updateSession(true, 60);
    // A bot that resumes keeps its session id in the node options (lavalink-client sends it as Session-Id).
    node.options.sessionId = sessionId;
    const player = await join(first);
    const short = await player.search({ query: 'short webm', source: 'lbsearch' as never }, { id: 'requester' });
    await player.queue.add(short.tracks[0]!);
    const started = nextEvent(first, 'trackStart');
    await player.play();
    await driven(started);

    const raw: { op: string; type?: string; reason?: string; resumed?: boolean }[] = [];
    first.nodeManager.on('raw', (_n, payload) => void raw.push(payload as (typeof raw)[number]));
    const resumedEvent = nextEvent(first.nodeManager, 'resumed');
    proxy.cut();
    await t.settle(() => t.server.sessions.find((s) => s.id === sessionId)?.connected === false);
    await t.run(3_000);
    expect(raw).toHaveLength(0);
    proxy.restore();
    await driven(resumedEvent);
    expect(node.sessionId).toBe(sessionId);
    const ready = raw.find((p) => p.op === 'ready');
    expect(ready).toMatchObject({ resumed: true });
    await t.settle(() => raw.some((p) => p.type === 'TrackEndEvent'));
    expect(raw.filter((p) => p.op === 'event').map((p) => [p.type, p.reason])).toEqual([['TrackEndEvent', 'finished']]);
    await player.destroy();
    await node.destroy('done', true);
  });
});
