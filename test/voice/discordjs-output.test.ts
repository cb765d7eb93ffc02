/**
 * The voice output over a real @discordjs/voice connection to the test voice server: its state
 * follows the connection and DAVE (ready only once the MLS group is), packets go out prepared
 * then dispatched and arrive decrypted, RTP timestamps step by each packet's duration (modulo
 * 2^32) and sequence numbers wrap at 65536, close codes 4015 (resume), 4014 (kicked) and
 * destroy() show in the state; one output per connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceConnectionStatus } from '@discordjs/voice';
import { startVoiceServer, type VoiceServer } from '../helpers/voice-server/index.js';
import { createDiscordJsOutput, type DiscordJsOutput, type VoiceOutputState } from '../../src/voice/index.js';
import { frameOf, joinTestChannel, until } from './helpers.js';

function whenStatus(output: DiscordJsOutput, status: VoiceOutputState['status']): Promise<void> {
  return until(() => output.state.status === status, (wake) => output.subscribe(wake), 10_000, `output ${status}`);
}

describe('createDiscordJsOutput', () => {
  let server: VoiceServer;
  beforeAll(async () => {
    server = await startVoiceServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is connecting until the DAVE group is ready, then sends what it prepares, end-to-end encrypted', async () => {
    const { connection, errors } = joinTestChannel(server);
    const output = createDiscordJsOutput(connection);
    const seen: string[] = [];
    output.subscribe((_old, state) => seen.push(state.status));
    expect(output.state.status).toBe('connecting');
    // Nothing is prepared or sent while connecting.
    output.prepare(frameOf(Uint8Array.of(0xfc, 9), 20));
    output.dispatch();
    await whenStatus(output, 'ready');
    const start = server.packets.length;
    expect(start).toBe(0);
    // Views into a larger buffer, as a player's read-ahead gives them; 40 ms packets.
    const ring = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (let i = 0; i < 5; i++) {
      output.prepare(frameOf(ring.subarray(i * 4, i * 4 + 4), 40));
      output.dispatch();
    }
    await server.waitForPackets((p) => p.length >= start + 5);
    const got = server.packets.slice(start);
    expect(got.map((p) => p.payload)).toEqual([0, 1, 2, 3, 4].map((i) => Buffer.from(ring.subarray(i * 4, i * 4 + 4))));
    expect(got.every((p) => p.e2ee)).toBe(true);
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequence).toBe((got[i - 1]!.sequence + 1) % 65536);
      expect(got[i]!.timestamp).toBe((got[i - 1]!.timestamp + 1920) % 2 ** 32);
    }
    expect(seen).toEqual(['ready']);
    expect(errors).toEqual([]);
    output.close();
    connection.destroy();
  });

  it('goes connecting on 4015 and ready again after the resume, keeping the SSRC and the sequence', async () => {
    const { connection } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection);
    await whenStatus(output, 'ready');
    const statuses: string[] = [];
    output.subscribe((_old, state) => statuses.push(state.status));
    output.prepare(frameOf(Uint8Array.of(0xfc, 1), 20));
    output.dispatch();
    const session = server.sessions.at(-1)!;
    await server.waitForPackets((p) => p.some((x) => x.session === session));
    server.close(4015, session);
    await whenStatus(output, 'connecting');
    await whenStatus(output, 'ready');
    output.prepare(frameOf(Uint8Array.of(0xfc, 2), 20));
    output.dispatch();
    await server.waitForPackets((p) => p.filter((x) => x.session === session).length >= 2);
    const [a, b] = server.packetsOf(session);
    expect(b!.ssrc).toBe(a!.ssrc);
    expect(b!.sequence).toBe((a!.sequence + 1) % 65536);
    expect(b!.e2ee).toBe(false);
    expect(statuses).toEqual(['connecting', 'ready']);
    connection.destroy();
    expect(output.state.status).toBe('destroyed');
  });

  it('is disconnected with the close code on 4014', async () => {
    const { connection } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection);
    await whenStatus(output, 'ready');
    server.close(4014, server.sessions.at(-1));
    await whenStatus(output, 'disconnected');
    expect(output.state).toEqual({ status: 'disconnected', closeCode: 4014 });
    const before = server.packets.length;
    output.prepare(frameOf(Uint8Array.of(0xfc), 20));
    output.dispatch();
    connection.destroy();
    expect(server.packets.length).toBe(before);
  });

  it('with rejoins, a 4014 is connecting (the owner gives the connection a new voice state), destroyed the end', async () => {
    const { connection, channel } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection, { rejoins: true });
    await whenStatus(output, 'ready');
    const statuses: string[] = [];
    output.subscribe((_old, state) => statuses.push(state.status));
    server.close(4014, server.sessions.at(-1));
    await until(() => connection.state.status === 'disconnected', (wake) => (connection.on('stateChange', wake), () => connection.off('stateChange', wake)), 10_000, 'the disconnect');
    expect(output.state.status).toBe('connecting');
    // A new voice server update (what the Lavalink client sends after WebSocketClosedEvent) reconnects it.
    channel.moveTo(server);
    await whenStatus(output, 'ready');
    connection.destroy();
    expect(statuses).toEqual(['connecting', 'ready', 'destroyed']);
    output.close();
  });

  it('steps sequence numbers across 65536 and timestamps across 2^32 by each packet\'s duration', async () => {
    const { connection } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection);
    await whenStatus(output, 'ready');
    const state = connection.state;
    if (state.status !== VoiceConnectionStatus.Ready || state.networking.state.code !== 4) throw new Error('not ready');
    const data = state.networking.state.connectionData;
    // Near both wraps: 60 and 20 ms packets (2880 and 960 samples) cross 2^32 (where
    // @discordjs/voice alone would restart at 0), six packets cross 65536.
    const durations = [60, 20, 20, 20, 60, 60];
    data.sequence = 65533;
    data.timestamp = 2 ** 32 - 5000;
    const session = server.sessions.at(-1)!;
    durations.forEach((ms, i) => {
      output.prepare(frameOf(Uint8Array.of(0x1b, i), ms));
      output.dispatch();
    });
    await server.waitForPackets(() => server.packetsOf(session).length >= 6);
    const got = server.packetsOf(session);
    expect(got.map((p) => p.sequence)).toEqual([65533, 65534, 65535, 0, 1, 2]);
    expect(got.map((p) => p.timestamp)).toEqual([2 ** 32 - 5000, 2 ** 32 - 2120, 2 ** 32 - 1160, 2 ** 32 - 200, 760, 3640]);
    expect(got.map((p) => p.payload[1])).toEqual([0, 1, 2, 3, 4, 5]);
    output.close();
    connection.destroy();
  });

  it('wraps a connection once at a time: a second output is refused until the first is closed', async () => {
    const { connection } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection);
    expect(() => createDiscordJsOutput(connection)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    output.close();
    createDiscordJsOutput(connection).close();
    connection.destroy();
  });
});
