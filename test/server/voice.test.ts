/**
 * Black-box with voice: Shoukaku and lavalink-client, unchanged, drive `spence serve`, whose
 * player joins the test voice server (TLS gateway, UDP, DAVE on, both transport modes with
 * Shoukaku) from the voice state the client sends: the audio the voice server decrypts (end-to-end, through DAVE) equals the source's
 * packets, in order, then the trailing silence; the Player State says `connected`; a voice server
 * closing the connection reaches the client as WebSocketClosedEvent; after a 4014 the track is
 * held until the client sends its voice state again, and plays on from its place; a new channel (a
 * move) reconnects to a new voice session and the track plays on there.
 */
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LavalinkManager } from 'lavalink-client';
import { Connector, Shoukaku } from 'shoukaku';
import type { NodeOption, Player as ShoukakuPlayer, TrackEndEvent, WebSocketClosedEvent } from 'shoukaku';
import { demux } from '../../src/demux/demux.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { discordVoiceLinks } from '../../src/server/index.js';
import type { PlayerJson, TrackJson } from '../../src/server/index.js';
import { startVoiceServer } from '../helpers/voice-server/index.js';
import type { TransportMode, VoiceServer } from '../helpers/voice-server/index.js';
import { PASSWORD, USER_ID, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GUILD = '817327181659111454';
const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);

async function sourcePackets(file: string): Promise<OpusPacket[]> {
  const packets: OpusPacket[] = [];
  for await (const packet of demux(createReadStream(file))) packets.push({ ...packet, data: Uint8Array.from(packet.data) });
  return packets;
}

/** Resolves once the asynchronous `check` holds (asked every 10 ms), yielding to I/O meanwhile. */
async function poll(t: TestServer, check: () => Promise<boolean>): Promise<void> {
  let done = false;
  const loop = (async () => {
    while (!done) {
      done = await check();
      if (!done) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  await t.settle(() => done);
  await loop;
}

/** Shoukaku's connector to a "Discord" whose voice servers are the test voice server. */
class TestDiscord extends Connector {
  voice!: VoiceServer;
  readonly sessionId = randomBytes(16).toString('hex');
  getId(): string {
    return USER_ID;
  }
  sendPacket(_shard: number, payload: unknown): void {
    const { guild_id, channel_id } = (payload as { d: { guild_id: string; channel_id: string | null } }).d;
    setImmediate(() => {
      this.raw({ t: 'VOICE_STATE_UPDATE', d: { guild_id, channel_id, user_id: USER_ID, session_id: this.sessionId, self_deaf: false, self_mute: false } });
      if (channel_id === null) return;
      const token = this.voice.allow({ guildId: guild_id, channelId: channel_id, userId: USER_ID, sessionId: this.sessionId });
      this.raw({ t: 'VOICE_SERVER_UPDATE', d: { guild_id, token, endpoint: this.voice.endpoint } });
    });
  }
  listen(): void {}
  start(nodes: NodeOption[]): void {
    this.ready(nodes);
  }
}

describe.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('voice through spence serve (%s, DAVE on)', (mode) => {
  let voice: VoiceServer;
  let t: TestServer;
  let shoukaku: Shoukaku;
  let discord: TestDiscord;

  beforeAll(async () => {
    voice = await startVoiceServer({ modes: [mode] });
  });
  afterAll(async () => {
    await voice?.stop();
  });
  beforeEach(async () => {
    t = await startTestServer({ voiceLinks: discordVoiceLinks() });
    discord = new TestDiscord({});
    discord.voice = voice;
    const nodes: NodeOption[] = [{ name: 'spence', url: `127.0.0.1:${t.port}`, auth: PASSWORD }];
    shoukaku = new Shoukaku(discord, nodes, { reconnectTries: 1, restTimeout: 30 });
    shoukaku.on('error', () => {});
    const ready = new Promise((resolve) => shoukaku.once('ready', resolve));
    discord.start(nodes);
    await ready;
  });
  afterEach(async () => {
    await shoukaku.leaveVoiceChannel(GUILD).catch(() => {});
    await t.close();
  });

  async function state(): Promise<PlayerJson> {
    const sessionId = shoukaku.nodes.get('spence')!.sessionId!;
    return (await t.rest('GET', `/v4/sessions/${sessionId}/players/${GUILD}`)).json as PlayerJson;
  }

  async function join(channelId: string): Promise<{ player: ShoukakuPlayer; session: string }> {
    const before = voice.sessions.length;
    const player = await shoukaku.joinVoiceChannel({ guildId: GUILD, channelId, shardId: 0 });
    // Connected: the voice gateway session is up and DAVE's group is ready.
    await t.settle(() => voice.sessions.length > before);
    const session = voice.sessions.at(-1)!;
    await settleState(async () => (await state()).state.connected);
    return { player, session };
  }

  const settleState = (check: () => Promise<boolean>): Promise<void> => poll(t, check);

  it('plays a track into the voice channel: the decrypted audio is the source\'s packets, then silence', async () => {
    const { player, session } = await join('987654321098765432');
    expect((await state()).state).toMatchObject({ connected: true });
    const track = ((await t.rest('GET', '/v4/loadtracks?identifier=lbsearch:short%20webm')).json as { data: TrackJson[] }).data[0]!;
    const source = await sourcePackets(path.join(root, 'fixtures/media/mkvmerge-cbr.webm'));
    const ended = new Promise<TrackEndEvent>((resolve) => player.once('end', resolve));
    await player.playTrack({ track: { encoded: track.encoded } });
    let end: TrackEndEvent | undefined;
    void ended.then((e) => (end = e));
    await t.drive(() => end !== undefined);
    expect(end!.reason).toBe('finished');
    await t.run(200);
    await t.settle(() => voice.packetsOf(session).length >= source.length + 5);
    const got = voice.packetsOf(session);
    expect(got.slice(0, source.length).map((p) => p.payload.toString('hex'))).toEqual(source.map((p) => Buffer.from(p.data).toString('hex')));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(got.slice(source.length, source.length + 5).map((p) => p.payload)).toEqual(Array(5).fill(SILENCE));
    for (let i = 1; i < got.length; i++) expect(got[i]!.sequence, `sequence at ${i}`).toBe((got[i - 1]!.sequence + 1) % 65536);
    expect(voice.errors).toEqual([]);
  });

  it('reports the voice server closing the connection as WebSocketClosedEvent', async () => {
    const { player, session } = await join('987654321098765433');
    const closed = new Promise<WebSocketClosedEvent>((resolve) => player.once('closed', resolve));
    voice.close(4014, session);
    let event: WebSocketClosedEvent | undefined;
    void closed.then((e) => (event = e));
    await t.settle(() => event !== undefined);
    expect(event).toMatchObject({ op: 'event', type: 'WebSocketClosedEvent', guildId: GUILD, code: 4014, reason: 'Disconnected', byRemote: true });
    await settleState(async () => !(await state()).state.connected);
  });

  it('holds the track through a 4014 until the client sends its voice state again, then plays on from its place (nothing lost or repeated)', async () => {
    const channelId = '987654321098765436';
    const { player, session: first } = await join(channelId);
    const track = ((await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(t.media.url('/sample.webm'))}`)).json as { data: TrackJson }).data;
    const source = (await sourcePackets(path.join(root, 'fixtures/media/sample.webm'))).map((p) => Buffer.from(p.data).toString('hex'));
    await player.playTrack({ track: { encoded: track.encoded } });
    await t.drive(() => voice.packetsOf(first).length > 25);
    let closed: WebSocketClosedEvent | undefined;
    player.once('closed', (e) => (closed = e));
    voice.close(4014, first);
    await t.settle(() => closed !== undefined);
    expect(closed).toMatchObject({ code: 4014, reason: 'Disconnected', byRemote: true });
    await settleState(async () => !(await state()).state.connected);
    // Time passes with no connection: the player holds its place, as Lavalink's does.
    const position = (await state()).state.position;
    await t.run(1_000);
    expect((await state()).state.position).toBe(position);
    // The client answers with its voice state (here the same again), and the connection is made anew.
    const before = voice.sessions.length;
    const connection = shoukaku.connections.get(GUILD)!;
    connection.setStateUpdate({ session_id: discord.sessionId, channel_id: channelId, self_deaf: false, self_mute: false });
    connection.setServerUpdate({ token: voice.allow({ guildId: GUILD, channelId, userId: USER_ID, sessionId: discord.sessionId }), endpoint: voice.endpoint, guild_id: GUILD });
    await t.settle(() => voice.sessions.length > before);
    const second = voice.sessions.at(-1)!;
    await settleState(async () => (await state()).state.connected);
    await t.drive(() => voice.packetsOf(second).length > 25);
    const audio = (session: string): string[] => voice.packetsOf(session).map((p) => p.payload.toString('hex')).filter((h) => h !== SILENCE.toString('hex'));
    const heard = [...audio(first), ...audio(second)];
    expect(heard).toEqual(source.slice(0, heard.length));
    expect(voice.errors).toEqual([]);
  });

  it('moves to a new channel: a new voice session, and the track plays on from its place (nothing lost or repeated)', async () => {
    const { player, session: first } = await join('987654321098765434');
    const track = ((await t.rest('GET', `/v4/loadtracks?identifier=${encodeURIComponent(t.media.url('/sample.webm'))}`)).json as { data: TrackJson }).data;
    const source = (await sourcePackets(path.join(root, 'fixtures/media/sample.webm'))).map((p) => Buffer.from(p.data).toString('hex'));
    await player.playTrack({ track: { encoded: track.encoded } });
    await t.drive(() => voice.packetsOf(first).length > 25);
    // The bot moved on its own gateway; Discord sends the new voice state and server, which the client forwards.
    const before = voice.sessions.length;
    const connection = shoukaku.connections.get(GUILD)!;
    connection.setStateUpdate({ session_id: discord.sessionId, channel_id: '987654321098765435', self_deaf: false, self_mute: false });
    connection.setServerUpdate({ token: voice.allow({ guildId: GUILD, channelId: '987654321098765435', userId: USER_ID, sessionId: discord.sessionId }), endpoint: voice.endpoint, guild_id: GUILD });
    await t.settle(() => voice.sessions.length > before);
    const second = voice.sessions.at(-1)!;
    expect(second).not.toBe(first);
    // Time passes while the connection moves: the player holds its place meanwhile.
    await t.run(500);
    await settleState(async () => (await state()).voice.channelId === '987654321098765435' && (await state()).state.connected);
    await t.drive(() => voice.packetsOf(second).length > 25);
    // The first session's audio, then the second's: one run of the track's packets from its start.
    const audio = (session: string): string[] => voice.packetsOf(session).map((p) => p.payload.toString('hex')).filter((h) => h !== SILENCE.toString('hex'));
    const heard = [...audio(first), ...audio(second)];
    expect(heard).toEqual(source.slice(0, heard.length));
    expect(voice.errors).toEqual([]);
  });
});

describe('voice through spence serve with lavalink-client', () => {
  let voice: VoiceServer;
  let t: TestServer;

  beforeAll(async () => {
    voice = await startVoiceServer();
    t = await startTestServer({ voiceLinks: discordVoiceLinks() });
  });
  afterAll(async () => {
    await t?.close();
    await voice?.stop();
  });

  it('plays a search result into the voice channel: the decrypted audio is the source\'s packets', async () => {
    const sessionId = randomBytes(16).toString('hex');
    const channelId = '987654321098765440';
    const manager: LavalinkManager = new LavalinkManager({
      nodes: [{ id: 'spence', host: '127.0.0.1', port: t.port, authorization: PASSWORD, retryAmount: 1, retryDelay: 100, enablePingOnStatsCheck: false }],
      sendToShard: (_guildId, payload) => {
        const { guild_id, channel_id } = (payload as { d: { guild_id: string; channel_id: string | null } }).d;
        setImmediate(() => {
          void manager.sendRawData({ t: 'VOICE_STATE_UPDATE', d: { guild_id, channel_id, user_id: USER_ID, session_id: sessionId } } as never);
          if (channel_id === null) return;
          const token = voice.allow({ guildId: guild_id, channelId: channel_id, userId: USER_ID, sessionId });
          void manager.sendRawData({ t: 'VOICE_SERVER_UPDATE', d: { guild_id, token, endpoint: voice.endpoint } } as never);
        });
      },
      client: { id: USER_ID, username: 'spence-tests' },
      playerOptions: { defaultSearchPlatform: 'lbsearch' as never },
    });
    manager.nodeManager.on('error', () => {});
    const connected = new Promise((resolve) => manager.nodeManager.once('connect', resolve));
    await manager.init({ id: USER_ID, username: 'spence-tests' });
    await connected;
    const node = manager.nodeManager.nodes.get('spence')!;
    await t.settle(() => typeof node.sessionId === 'string' && node.sessionId.length > 0);
    const before = voice.sessions.length;
    const player = manager.createPlayer({ guildId: GUILD, voiceChannelId: channelId, textChannelId: '1', selfDeaf: true });
    await player.connect();
    await t.settle(() => voice.sessions.length > before);
    const session = voice.sessions.at(-1)!;
    await poll(t, async () => ((await t.rest('GET', `/v4/sessions/${node.sessionId}/players/${GUILD}`)).json as PlayerJson).state?.connected === true);
    const result = await player.search({ query: 'short ogg' }, { id: 'requester' });
    expect(result.loadType).toBe('search');
    const source = await sourcePackets(path.join(root, 'fixtures/media/opusenc-stereo.opus'));
    await player.queue.add(result.tracks[0]!);
    let ended = false;
    manager.once('queueEnd', () => (ended = true));
    await player.play();
    await t.drive(() => ended);
    await t.run(200);
    await t.settle(() => voice.packetsOf(session).length >= source.length + 5);
    const got = voice.packetsOf(session);
    expect(got.slice(0, source.length).map((p) => p.payload.toString('hex'))).toEqual(source.map((p) => Buffer.from(p.data).toString('hex')));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(voice.errors).toEqual([]);
    await player.destroy();
    await node.destroy('done', true);
  });
});
