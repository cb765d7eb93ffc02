/**
 * What spence's receiving side (src/voice/receive/rtp-tap.ts) relies on in @discordjs/voice, the
 * optional peer, pinned so that an upgrade changing it fails here, loudly, rather than in a
 * recording: the networking state of a ready connection (its UDP socket's raw datagrams, its
 * WebSocket's JSON packets, the negotiated mode and key, the DAVE session's `decrypt`), the SSRC
 * map and its `update` event, the library's receiver leaving unsubscribed packets alone (so DAVE
 * sees each frame once), and the state changes the tap follows through a 4015 resume, a 4006
 * reconnect and destruction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version, type VoiceConnection } from '@discordjs/voice';
import { BaseNode } from '../../src/node/node.js';
import { createDiscordJsOutput } from '../../src/voice/index.js';
import { createTransportDecryptor } from '../../src/voice/receive/transport-crypto.js';
import { emptyRtpHeader, readRtpHeader, rtpPayload } from '../../src/voice/receive/rtp.js';
import { startVoiceServer, type VoiceServer } from '../helpers/voice-server/index.js';
import { SimulatedCall } from '../helpers/voice-server/speakers.js';
import { eventually, joinTestChannel, until } from './helpers.js';

const SPEAKER = '720000000000000001';
const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);
const OPUS = Buffer.from('fc0102030405060708', 'hex');

/** What the tap reads of a ready connection's networking (0.19.2's shapes). */
interface NetworkingState {
  code: number;
  udp: { on(event: 'message', listener: (message: Buffer) => void): void; off(event: 'message', listener: (message: Buffer) => void): void };
  ws: { on(event: 'packet', listener: (packet: { op: number; d: any }) => void): void };
  connectionData: { encryptionMode: string; secretKey: Uint8Array };
  dave?: { decrypt(packet: Buffer, userId: string): Buffer | null };
}

function networkingOf(connection: VoiceConnection): { networking: { on: unknown; state: NetworkingState }; state: NetworkingState } {
  const state = connection.state;
  if (state.status !== 'ready') throw new Error(`connection ${state.status}`);
  const networking = (state as unknown as { networking: { on: unknown; state: NetworkingState } }).networking;
  return { networking, state: networking.state };
}

async function ready(connection: VoiceConnection): Promise<void> {
  const output = createDiscordJsOutput(connection);
  await until(() => output.state.status === 'ready', (wake) => output.subscribe(wake), 10_000, 'the connection and its DAVE group');
  output.close?.();
}

describe('@discordjs/voice: what spence receiving relies on', () => {
  let server: VoiceServer;
  beforeAll(async () => {
    server = await startVoiceServer({ daveMembers: [SPEAKER] });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is 0.19.x; a ready connection has the networking state, SSRC map and DAVE decryptor the tap reads', async () => {
    expect(version).toMatch(/^0\.19\./);
    const { connection, errors } = joinTestChannel(server);
    await ready(connection);
    const session = server.sessions.at(-1)!;
    const keys = server.sessionKeys(session)!;
    const { networking, state } = networkingOf(connection);
    expect(typeof networking.on).toBe('function');
    expect(state.code).toBe(4);
    expect(state.connectionData.encryptionMode).toBe(keys.mode);
    expect(state.connectionData.secretKey).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(state.connectionData.secretKey)).toEqual(keys.secretKey);
    expect(typeof state.dave?.decrypt).toBe('function');

    const call = await SimulatedCall.open(server, session);
    const speaker = await call.speaker(SPEAKER);
    // Speaking (op 5) fills the receiver's public SSRC map, announced by an `update` event.
    const updates: unknown[] = [];
    connection.receiver.ssrcMap.on('update', (_old, data) => updates.push(data));
    const packets: { op: number; d: any }[] = [];
    state.ws.on('packet', (packet) => packets.push(packet));
    speaker.announce();
    await eventually(() => connection.receiver.ssrcMap.get(speaker.ssrc) !== undefined, 5_000, 'the SSRC');
    expect(connection.receiver.ssrcMap.get(speaker.ssrc)).toMatchObject({ userId: SPEAKER, audioSSRC: speaker.ssrc });
    expect(updates).toEqual([expect.objectContaining({ userId: SPEAKER, audioSSRC: speaker.ssrc })]);
    // Clients Connect and Client Disconnect reach the WebSocket's `packet` event as parsed JSON.
    call.connect(['720000000000000009']);
    call.disconnect('720000000000000009');
    await eventually(() => packets.some((p) => p.op === 13), 5_000, 'op 13');
    expect(packets.filter((p) => p.op === 11 || p.op === 13).map((p) => [p.op, p.d])).toEqual([
      [11, { user_ids: ['720000000000000009'] }],
      [13, { user_id: '720000000000000009' }],
    ]);

    // The UDP socket emits each datagram as a Buffer; it opens with the negotiated mode and key,
    // and the DAVE session decrypts the member's frame (and lets the silence frame through).
    const raw: Buffer[] = [];
    const onMessage = (message: Buffer) => raw.push(message);
    state.udp.on('message', onMessage);
    speaker.send(7, 960, OPUS);
    speaker.send(8, 1920, SILENCE);
    await eventually(() => raw.length >= 2, 5_000, 'the datagrams');
    state.udp.off('message', onMessage);
    expect(Buffer.isBuffer(raw[0])).toBe(true);
    const decryptor = createTransportDecryptor(state.connectionData.encryptionMode, state.connectionData.secretKey)!;
    const [audio, silence] = raw.map((message) => {
      const header = emptyRtpHeader();
      expect(readRtpHeader(message, header)).toBe(true);
      return Buffer.from(rtpPayload(message, header, decryptor.open(message, header.headerLength)!)!);
    });
    expect(audio).not.toEqual(OPUS); // end-to-end encrypted
    expect(state.dave!.decrypt(audio!, SPEAKER)).toEqual(OPUS);
    expect(state.dave!.decrypt(silence!, SPEAKER)).toEqual(SILENCE);
    // Nothing subscribed: the library's receiver decrypted nothing (DAVE refuses a frame twice).
    expect(connection.receiver.subscriptions.size).toBe(0);
    expect(errors).toEqual([]);
    await call.close();
    connection.destroy();
  });

  it('the tap follows the connection through a 4015 resume and a 4006 reconnect, and ends with it', async () => {
    const { connection, errors } = joinTestChannel(server);
    await ready(connection);
    const node = new BaseNode();
    const listener = node.listen(connection);
    const members: string[] = [];
    listener.on('memberConnect', (userId) => members.push(userId));
    const ended = new Promise((resolve) => listener.once('end', resolve));

    // One call per gateway session (a resumed session keeps it: the member's DAVE nonces go on).
    const calls = new Map<string, { call: SimulatedCall; speaker: Awaited<ReturnType<SimulatedCall['speaker']>> }>();
    /** A member of the current session speaks once, and connects: both must reach the listener. */
    const exchange = async (userId: string, sequence: number) => {
      const session = server.sessions.at(-1)!;
      let entry = calls.get(session);
      if (entry === undefined) {
        const call = await SimulatedCall.open(server, session);
        calls.set(session, (entry = { call, speaker: await call.speaker(SPEAKER) }));
      }
      const { call, speaker } = entry;
      speaker.announce();
      await eventually(() => connection.receiver.ssrcMap.get(speaker.ssrc) !== undefined, 5_000, 'the SSRC');
      const before = listener.stats.packets;
      speaker.send(sequence, sequence * 960, OPUS);
      call.connect([userId]);
      await eventually(() => listener.stats.packets === before + 1 && members.includes(userId), 5_000, `the packet and op 11 (${userId})`);
    };

    await exchange('720000000000000011', 1);
    server.close(4015); // resume: same networking, a new WebSocket
    await eventually(() => connection.state.status !== 'ready', 5_000, 'the resume to start');
    await ready(connection);
    await exchange('720000000000000012', 2);
    server.close(4006); // a new session: new networking, socket, key and DAVE group
    await eventually(() => connection.state.status !== 'ready', 5_000, 'the reconnect to start');
    await ready(connection);
    await exchange('720000000000000013', 3);
    expect(listener.stats).toMatchObject({ packets: 3, rejected: 0, undecryptable: 0 });

    for (const { call } of calls.values()) await call.close();
    connection.destroy();
    const summary = await ended;
    expect(summary).toMatchObject({ speakers: [{ userId: SPEAKER, packets: 3 }] });
    expect(listener.status).toBe('stopped');
    expect(errors).toEqual([]);
    await node.destroy();
  });
});
