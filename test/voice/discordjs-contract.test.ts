/**
 * What spence relies on in @discordjs/voice (the optional peer), pinned so an upgrade that changes
 * it fails here, loudly, rather than in a player: the three methods spence's output calls, their
 * behaviour with the connection not ready, the RTP sequence and timestamp steps of a dispatch,
 * DAVE's passthrough before its group is ready and for the silence frame, and the state spence
 * reads (DAVE session's protocol version and privacy code; the networking's connection data).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceConnection, VoiceConnectionStatus, entersState, version } from '@discordjs/voice';
import { startVoiceServer, type VoiceServer } from '../helpers/voice-server/index.js';
import { joinTestChannel, until } from './helpers.js';
import type { DiscordJsVoiceConnection } from '../../src/voice/index.js';

const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);

describe('@discordjs/voice: what spence relies on', () => {
  let server: VoiceServer;
  beforeAll(async () => {
    server = await startVoiceServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is 0.19.x and has prepareAudioPacket, dispatchAudio and setSpeaking on VoiceConnection', () => {
    expect(version).toMatch(/^0\.19\./);
    for (const method of ['prepareAudioPacket', 'dispatchAudio', 'setSpeaking'] as const) {
      expect(typeof VoiceConnection.prototype[method]).toBe('function');
    }
  });

  it('prepares nothing before ready; a dispatch steps the sequence by 1 and the timestamp by 960; DAVE passes the silence frame through', async () => {
    const { connection, errors } = joinTestChannel(server);
    // The structural type spence uses is satisfied by the real class.
    const typed: DiscordJsVoiceConnection = connection;
    expect(typed).toBe(connection);
    expect(connection.prepareAudioPacket(Buffer.of(0xfc, 0, 0))).toBeUndefined();
    expect(connection.dispatchAudio()).toBeUndefined();

    await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
    const state = connection.state;
    if (state.status !== VoiceConnectionStatus.Ready) throw new Error('not ready');
    const networking = state.networking.state;
    if (networking.code !== 4) throw new Error('networking not ready');
    // DAVE negotiated: protocol version 1; until the MLS group exists there is no privacy code.
    expect(networking.dave?.protocolVersion).toBe(1);
    const before = networking.dave?.voicePrivacyCode ?? null;
    // A packet prepared now goes out in the clear (davey passes frames through until its group is ready).
    connection.prepareAudioPacket(Buffer.of(0xfc, 0xaa, 0xbb));
    expect(connection.dispatchAudio()).toBe(true);
    await server.waitForPackets((p) => p.length >= 1);
    if (before === null) expect(server.packets[0]!.e2ee).toBe(false);

    await until(() => Boolean(networking.dave?.voicePrivacyCode), (wake) => {
      connection.on('transitioned', wake);
      return () => connection.off('transitioned', wake);
    }, 10_000, 'the DAVE transition');
    expect(networking.dave!.voicePrivacyCode).toMatch(/^\d{30}$/);

    const data = networking.connectionData;
    const seq = data.sequence;
    const ts = data.timestamp;
    expect(connection.prepareAudioPacket(Buffer.of(0xfc, 1, 2))).toBeInstanceOf(Buffer);
    expect(data.sequence).toBe(seq);
    expect(connection.dispatchAudio()).toBe(true);
    expect(data.sequence).toBe((seq + 1) % 65536);
    expect(data.timestamp).toBe((ts + 960) % 2 ** 32);
    expect(connection.dispatchAudio()).toBe(false); // consumed
    connection.prepareAudioPacket(SILENCE);
    connection.dispatchAudio();
    await server.waitForPackets((p) => p.length >= 3);
    const [, audio, silence] = server.packets;
    expect(audio!.e2ee).toBe(true);
    expect(audio!.payload).toEqual(Buffer.of(0xfc, 1, 2));
    expect(audio!.sequence).toBe(seq);
    expect(audio!.timestamp).toBe(ts);
    expect(silence!.e2ee).toBe(false);
    expect(silence!.payload).toEqual(SILENCE);
    // Speaking went on with the first dispatch; setSpeaking(false) sends it off.
    connection.setSpeaking(false);
    await server.waitForMessages((m) => m.filter((x) => x.op === 5).length >= 2);
    expect(server.messages.filter((m) => m.op === 5).map((m) => (m.d as { speaking: number }).speaking)).toEqual([1, 0]);
    expect(errors).toEqual([]);
    connection.destroy();
  });
});
