/**
 * `player.connect(connection)`: a spence player's packets into a real @discordjs/voice connection
 * to the test voice server, from the node's scheduler (prepare, then dispatch), in both transport
 * modes with DAVE on: every packet of the source arrives once, in order, its decrypted payload
 * equal to the source packet; RTP sequence numbers consecutive (across 65536), timestamps
 * advancing by each packet's duration at 48 kHz (across 2^32), one SSRC; Speaking before the
 * first packet and off after the five silence frames. A player connected before the connection is
 * ready holds from its first packet. The player runs on a ManualClock (no timing is asserted); the
 * voice server and the connection's sockets run in real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceConnectionStatus, type VoiceConnection } from '@discordjs/voice';
import type { ManualClock } from '../../src/player/clock.js';
import type { Node } from '../../src/node.js';
import type { Track } from '../../src/resolve/track.js';
import { startVoiceServer, type TransportMode, type VoiceServer } from '../helpers/voice-server/index.js';
import { SILENCE, hexes, joinTestChannel, play, recordSends, sequenceGaps, sourcePackets, until, voiceNode } from './helpers.js';

/** Sets the connection's next RTP sequence number and timestamp (to start a test near their wraps). */
function startAt(connection: VoiceConnection, sequence: number, timestamp: number): void {
  const state = connection.state;
  if (state.status !== VoiceConnectionStatus.Ready || state.networking.state.code !== 4) throw new Error('not ready');
  state.networking.state.connectionData.sequence = sequence;
  state.networking.state.connectionData.timestamp = timestamp;
}

describe.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('player.connect(connection) (%s, DAVE on)', (mode) => {
  let server: VoiceServer;
  let node: Node;
  let clock: ManualClock;
  let track: (file: string) => Promise<Track>;
  beforeAll(async () => {
    server = await startVoiceServer({ modes: [mode] });
    ({ node, clock, track } = voiceNode());
  });
  afterAll(async () => {
    node.destroy();
    await server.stop();
  });

  it.each(['mkvmerge-cbr.webm', 'mono-60ms.opus'])('%s: every packet once, in order, decrypted equal; RTP consecutive across the wraps; Speaking around the run', async (name) => {
    const source = await sourcePackets(name);
    const { connection, errors } = joinTestChannel(server);
    const player = node.createPlayer();
    player.connect(connection);
    const output = player.output!;
    await until(() => output.state?.status === 'ready', (wake) => output.subscribe!(wake), 10_000, 'the connection and its DAVE group');
    const session = server.sessions.at(-1)!;
    // Near both wraps: the track crosses sequence 65535 → 0 and timestamp 2^32 - 1 → 0.
    startAt(connection, 65_500, 2 ** 32 - 48_000);
    const sends = recordSends(connection);
    const stats = player.frameStats;

    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await player.load(await track(name));
    await play(clock, () => ended);
    await play(clock, () => server.packetsOf(session).length >= source.length + 5).catch((error: Error) => {
      throw new Error(`${error.message}; gaps: ${sequenceGaps(server.packetsOf(session)).join(', ') || 'none'}; stats ${JSON.stringify(stats)}; connection errors: ${errors.map(String).join('; ')}`);
    });
    await server.waitForMessages((m) => m.filter((x) => x.session === session && x.op === 5).length >= 2);

    const got = server.packetsOf(session);
    expect(hexes(got.slice(0, source.length))).toEqual(hexes(source));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(got.slice(source.length).map((p) => p.payload)).toEqual(Array(5).fill(SILENCE));
    expect(new Set(got.map((p) => p.ssrc)).size).toBe(1);
    expect(got[0]!.sequence).toBe(65_500);
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequence, `sequence at ${i}`).toBe((got[i - 1]!.sequence + 1) % 65536);
      const duration = i - 1 < source.length ? source[i - 1]!.durationMs : 20;
      expect(got[i]!.timestamp, `timestamp at ${i}`).toBe((got[i - 1]!.timestamp + Math.round(duration * 48)) % 2 ** 32);
    }
    expect(got.at(-1)!.timestamp).toBeLessThan(got[0]!.timestamp); // it did wrap
    // Speaking on before the first packet, off after the last silence frame (as sent; the server has them).
    expect(sends.join(',').replace(/packet(,packet)*/, 'packets')).toBe('speaking 1,packets,speaking 0');
    expect(sends.filter((s) => s === 'packet')).toHaveLength(got.length);
    const speaking = server.messages.filter((m) => m.session === session && m.op === 5);
    expect(speaking.map((m) => (m.d as { speaking: number }).speaking)).toEqual([1, 0]);
    expect(stats).toEqual({ sent: source.length + 5, nulled: 0, deficit: 0 });
    expect(server.errors).toEqual([]);
    expect(errors).toEqual([]);
    player.destroy();
    connection.destroy();
  });

  it('connected and playing before the connection is ready, holds from the first packet: nothing lost', async () => {
    const source = await sourcePackets('opusenc-stereo.opus');
    const { connection, errors } = joinTestChannel(server);
    const player = node.createPlayer();
    player.connect(connection);
    expect(player.output!.state).toEqual({ status: 'connecting' });
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await player.load(await track('opusenc-stereo.opus'));
    await play(clock, () => ended);
    const session = server.sessions.at(-1)!;
    await play(clock, () => server.packetsOf(session).length >= source.length + 5);
    const got = server.packetsOf(session);
    expect(hexes(got.slice(0, source.length))).toEqual(hexes(source));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(sequenceGaps(got)).toEqual([]);
    // The slots the connection (and then its DAVE group) was not ready for.
    expect(player.frameStats.deficit).toBeGreaterThan(0);
    expect(player.frameStats.sent).toBe(source.length + 5);
    expect(errors).toEqual([]);
    player.destroy();
    connection.destroy();
  });
});
