/**
 * The voice output over a real @discordjs/voice connection to the test voice server: its state
 * follows the connection and DAVE (ready only once the MLS group is), packets go out prepared
 * then dispatched and arrive decrypted, RTP timestamps step by each packet's duration, and close
 * codes 4015 (resume), 4014 (kicked) and destroy() show in the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVoiceServer, type VoiceServer } from '../helpers/voice-server/index.js';
import { createDiscordJsOutput, type VoiceOutput, type VoiceOutputState } from '../../src/voice/index.js';
import { joinTestChannel, until } from './helpers.js';

function whenStatus(output: VoiceOutput, status: VoiceOutputState['status']): Promise<void> {
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
    expect(output.prepare(Uint8Array.of(0xfc, 9), 20)).toBe(false);
    expect(output.dispatch()).toBe(false);
    await whenStatus(output, 'ready');
    const start = server.packets.length;
    // Views into a larger buffer, as a player's read-ahead gives them; 40 ms packets.
    const ring = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (let i = 0; i < 5; i++) {
      expect(output.prepare(ring.subarray(i * 4, i * 4 + 4), 40)).toBe(true);
      expect(output.dispatch()).toBe(true);
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
    output.close?.();
    connection.destroy();
  });

  it('goes connecting on 4015 and ready again after the resume, keeping the SSRC and the sequence', async () => {
    const { connection } = joinTestChannel(server, { dave: false });
    const output = createDiscordJsOutput(connection);
    await whenStatus(output, 'ready');
    const statuses: string[] = [];
    output.subscribe((_old, state) => statuses.push(state.status));
    output.prepare(Uint8Array.of(0xfc, 1), 20);
    output.dispatch();
    const session = server.sessions.at(-1)!;
    await server.waitForPackets((p) => p.some((x) => x.session === session));
    server.close(4015, session);
    await whenStatus(output, 'connecting');
    await whenStatus(output, 'ready');
    output.prepare(Uint8Array.of(0xfc, 2), 20);
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
    expect(output.prepare(Uint8Array.of(0xfc), 20)).toBe(false);
    connection.destroy();
  });
});
