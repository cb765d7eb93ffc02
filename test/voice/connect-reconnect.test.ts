/**
 * A connected player through the connection's troubles in mid-track, both transport modes, DAVE
 * on: a forced 4015 (the client resumes the session), a 4006 (a new session: new SSRC, new DAVE
 * group) and a move to another voice server each continue with no packet lost or repeated (the
 * player holds while the connection cannot send); a 4014 (kicked) ends the link with `voiceClose`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceConnection } from '@discordjs/voice';
import type { ManualClock } from '../../src/player/clock.js';
import type { Node } from '../../src/node.js';
import type { Player } from '../../src/player/player.js';
import type { VoiceCloseEvent } from '../../src/player/types.js';
import type { Track } from '../../src/resolve/track.js';
import { startVoiceServer, type TestVoiceChannel, type TransportMode, type VoiceServer } from '../helpers/voice-server/index.js';
import { audioOf, hexes, joinTestChannel, play, playFor, sequenceGaps, sourcePackets, until, voiceNode } from './helpers.js';

const FILE = 'mkvmerge-cbr.webm';

describe.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('a connection in trouble mid-track (%s, DAVE on)', (mode) => {
  let server: VoiceServer;
  let other: VoiceServer;
  let node: Node;
  let clock: ManualClock;
  let track: (file: string) => Promise<Track>;
  let connection: VoiceConnection;
  let channel: TestVoiceChannel;
  let player: Player;
  let errors: Error[];

  beforeAll(async () => {
    server = await startVoiceServer({ modes: [mode] });
    other = await startVoiceServer({ modes: [mode] });
    ({ node, clock, track } = voiceNode());
  });
  afterAll(async () => {
    node.destroy();
    await server.stop();
    await other.stop();
  });
  afterEach(() => {
    player.destroy();
    connection.destroy();
  });

  /** A player connected to a fresh channel and playing `FILE`, once 25 packets reached `server`. */
  async function playing(): Promise<{ session: string; ended: () => boolean }> {
    ({ connection, channel, errors } = joinTestChannel(server));
    player = node.createPlayer();
    player.connect(connection);
    const output = player.output!;
    await until(() => output.state?.status === 'ready', (wake) => output.subscribe!(wake), 10_000, 'the connection');
    const session = server.sessions.at(-1)!;
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await player.load(await track(FILE));
    await play(clock, () => server.packetsOf(session).length >= 25);
    return { session, ended: () => ended };
  }

  it('4015: the client resumes the session; the track goes on in it, nothing lost or repeated', async () => {
    const source = hexes(await sourcePackets(FILE));
    const { session, ended } = await playing();
    server.close(4015, session);
    await play(clock, ended);
    await play(clock, () => server.packetsOf(session).length >= source.length + 5);
    expect(server.sessions.at(-1)).toBe(session);
    expect(audioOf(server, session)).toEqual(source);
    expect(server.packetsOf(session).every((p) => p.e2ee || p.payload.length === 3)).toBe(true);
    expect(sequenceGaps(server.packetsOf(session))).toEqual([]);
    expect(new Set(server.packetsOf(session).map((p) => p.ssrc)).size).toBe(1);
    expect(server.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('4006: a new session (new SSRC, new DAVE group); the track goes on there from the next packet', async () => {
    const source = hexes(await sourcePackets(FILE));
    const { session: first, ended } = await playing();
    server.close(4006, first);
    await play(clock, () => server.sessions.at(-1) !== first);
    const second = server.sessions.at(-1)!;
    await play(clock, ended);
    await play(clock, () => server.packetsOf(second).filter((p) => p.payload.length === 3).length >= 5);
    expect(audioOf(server, first, second)).toEqual(source);
    expect(server.packetsOf(second).filter((p) => p.payload.length > 3).every((p) => p.e2ee)).toBe(true);
    expect(sequenceGaps(server.packetsOf(second))).toEqual([]);
    expect(server.packetsOf(second)[0]!.ssrc).not.toBe(server.packetsOf(first)[0]!.ssrc);
    // Held while the connection had no session: the slots counted as deficit.
    expect(player.frameStats.deficit).toBeGreaterThan(0);
    expect(server.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('a move to another voice server: the track goes on there from the next packet', async () => {
    const source = hexes(await sourcePackets(FILE));
    const { session: first, ended } = await playing();
    const before = other.sessions.length;
    channel.moveTo(other);
    await play(clock, () => other.sessions.length > before);
    const second = other.sessions.at(-1)!;
    await play(clock, ended);
    await play(clock, () => other.packetsOf(second).filter((p) => p.payload.length === 3).length >= 5);
    expect([...audioOf(server, first), ...audioOf(other, second)]).toEqual(source);
    expect(other.packetsOf(second).filter((p) => p.payload.length > 3).every((p) => p.e2ee)).toBe(true);
    expect(sequenceGaps(other.packetsOf(second))).toEqual([]);
    expect(server.errors).toEqual([]);
    expect(other.errors).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('4014 (kicked): the link ends with voiceClose; the bot may join again and connect the player again', async () => {
    const source = hexes(await sourcePackets(FILE));
    const { session: first, ended } = await playing();
    const closes: VoiceCloseEvent[] = [];
    // What a bot does that wants to go on: hold the track while it decides.
    player.on('voiceClose', (event) => {
      closes.push(event);
      player.pause();
    });
    server.close(4014, first);
    await until(() => closes.length > 0, (wake) => (player.on('voiceClose', wake), () => player.off('voiceClose', wake)), 10_000, 'voiceClose');
    expect(closes).toEqual([{ code: 4014, reason: 'Disconnected' }]);
    expect(player.output).toBeNull();
    // Disconnected for good: not a connection to play into.
    expect(() => player.connect(connection)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    const sent = server.packetsOf(first).length;
    await playFor(clock, 200);
    expect(server.packetsOf(first).length).toBe(sent);
    // Joined again (a new session), connected again: the rest of the track.
    connection.rejoin();
    player.connect(connection);
    player.resume();
    await play(clock, () => server.sessions.at(-1) !== first);
    const second = server.sessions.at(-1)!;
    await play(clock, ended);
    await play(clock, () => server.packetsOf(second).filter((p) => p.payload.length === 3).length >= 5);
    expect(audioOf(server, first, second)).toEqual(source);
    expect(sequenceGaps(server.packetsOf(second))).toEqual([]);
    expect(closes).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
