/**
 * The test voice server itself: its crypto against independent implementations and published
 * vectors, the gateway's v8 buffered resume, tokens, a move between two servers, and the server
 * in another process. (What @discordjs/voice does against it is in the other voice tests.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, createCipheriv } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { VoiceConnectionStatus, entersState } from '@discordjs/voice';
import { startVoiceServer, startVoiceServerProcess, type VoiceServer } from '../helpers/voice-server/index.js';
import { hchacha20, xchacha20poly1305Decrypt, decryptRtp } from '../helpers/voice-server/transport-crypto.js';
import { KeyRatchet } from '../helpers/voice-server/dave/key-ratchet.js';
import { decryptFrame, isProtocolFrame } from '../helpers/voice-server/dave/frame.js';
import { eventually, joinTestChannel } from './helpers.js';

describe('test voice server: crypto', () => {
  it('HChaCha20 matches draft-irtf-cfrg-xchacha §2.2.1’s test vector', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const nonce = Buffer.from('000000090000004a0000000031415927', 'hex');
    expect(hchacha20(key, nonce).toString('hex')).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('XChaCha20-Poly1305 opens what @noble/ciphers seals, and refuses a forged tag', () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(32);
      const nonce = randomBytes(24);
      const aad = randomBytes(12);
      const message = randomBytes(1 + i * 13);
      const sealed = xchacha20poly1305(key, nonce, aad).encrypt(message);
      expect(xchacha20poly1305Decrypt(key, nonce, sealed, aad)).toEqual(message);
      sealed[sealed.length - 1]! ^= 1;
      expect(() => xchacha20poly1305Decrypt(key, nonce, sealed, aad)).toThrow();
    }
  });

  it('decrypts an aead_aes256_gcm_rtpsize packet with a header extension', () => {
    const key = randomBytes(32);
    const header = Buffer.from('9078123400000960000004d2bede0001', 'hex'); // X bit, one 32-bit word of extension
    const extension = Buffer.from('10ff0000', 'hex');
    const opus = Buffer.of(0xfc, 1, 2, 3);
    const nonce = Buffer.from('00000007', 'hex');
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.concat([nonce, Buffer.alloc(8)]));
    cipher.setAAD(header);
    const sealed = Buffer.concat([cipher.update(Buffer.concat([extension, opus])), cipher.final(), cipher.getAuthTag()]);
    const packet = decryptRtp(Buffer.concat([header, sealed, nonce]), 'aead_aes256_gcm_rtpsize', key);
    expect(packet).toMatchObject({ payloadType: 120, sequence: 0x1234, timestamp: 0x960, ssrc: 1234, nonce: 7 });
    expect(packet!.payload).toEqual(opus);
    expect(decryptRtp(Buffer.concat([header, sealed, Buffer.from('00000008', 'hex')]), 'aead_aes256_gcm_rtpsize', key)).toBeNull();
  });

  it('the DAVE key ratchet gives libdave’s generation-0 key for a known base secret', () => {
    const ratchet = new KeyRatchet(Uint8Array.of(206, 221, 97, 177, 184, 161, 202, 105, 4, 101, 84, 40, 44, 247, 11, 123));
    expect([...ratchet.key(0)!]).toEqual([117, 48, 249, 169, 148, 94, 45, 46, 6, 208, 101, 31, 123, 42, 134, 75]);
    expect(ratchet.key(3)).toHaveLength(16);
    expect(ratchet.key(1)).not.toBeNull(); // kept
  });

  it('a DAVE frame round-trips (AES-128-GCM, 8-byte tag, ULEB128 nonce, 0xFAFA) and a tampered one fails', () => {
    const ratchet = new KeyRatchet(randomBytes(16));
    const nonce = 0x01000081; // generation 1, a two-byte... five-byte ULEB128
    const iv = Buffer.alloc(12);
    iv.writeUInt32LE(nonce, 8);
    const media = Buffer.from('fc0102030405', 'hex');
    const cipher = createCipheriv('aes-128-gcm', ratchet.key(1)!, iv, { authTagLength: 8 });
    const sealed = Buffer.concat([cipher.update(media), cipher.final()]);
    const tag = cipher.getAuthTag();
    const leb = Buffer.of(0x81, 0x81, 0x80, 0x08); // 0x01000081 in ULEB128
    const footer = Buffer.concat([tag, leb]);
    const frame = Buffer.concat([sealed, footer, Buffer.of(footer.length + 3, 0xfa, 0xfa)]);
    expect(isProtocolFrame(frame)).toBe(true);
    expect(decryptFrame(frame, ratchet)).toEqual(media);
    frame[0]! ^= 1;
    expect(decryptFrame(frame, ratchet)).toBe('authentication');
    expect(isProtocolFrame(Buffer.of(0xf8, 0xff, 0xfe))).toBe(false);
  });
});

describe('test voice server: gateway', () => {
  let server: VoiceServer;
  beforeAll(async () => {
    server = await startVoiceServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses a token it did not issue (4004)', async () => {
    const { connection, channel } = joinTestChannel(server, { dave: false });
    channel.server = { endpoint: server.endpoint, allow: () => 'nope' };
    // The connection joins with the forged token and is closed; @discordjs/voice then signals again.
    const sessions = server.sessions.length;
    const code = await new Promise<number>((resolve) => server.once('refused', resolve));
    expect(code).toBe(4004);
    expect(server.sessions).toHaveLength(sessions);
    connection.destroy();
  });

  it('numbers its messages and re-delivers the unacknowledged ones on resume (v8)', async () => {
    const { connection } = joinTestChannel(server);
    await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
    await new Promise<void>((resolve) => server.once('daveReady', () => resolve()));
    const session = server.sessions.at(-1)!;
    // On 4015 the client resumes with the last sequence it saw; what was sent meanwhile comes again.
    server.close(4015, session);
    server.notify(session, 5, { user_id: '900000000000000001', ssrc: 4242, speaking: 1 });
    await server.waitForMessages((m) => m.some((x) => x.session === session && x.op === 7));
    const resume = server.messages.find((x) => x.session === session && x.op === 7)!.d as { seq_ack: number };
    expect(resume.seq_ack).toBeGreaterThanOrEqual(5);
    await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
    await eventually(() => connection.receiver.ssrcMap.get(4242) !== undefined, 5_000, 'the re-delivered Speaking');
    expect(connection.receiver.ssrcMap.get(4242)?.userId).toBe('900000000000000001');
    connection.destroy();
  });

  it('answers a move to another server: the client identifies there and sends its audio there', async () => {
    const other = await startVoiceServer({ dave: false });
    try {
      const { connection, channel } = joinTestChannel(server, { dave: false });
      await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
      channel.moveTo(other);
      await entersState(connection, VoiceConnectionStatus.Connecting, 10_000);
      await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
      connection.prepareAudioPacket(Buffer.of(0xfc, 7));
      connection.dispatchAudio();
      await other.waitForPackets((p) => p.length === 1);
      expect(other.packets[0]!.payload).toEqual(Buffer.of(0xfc, 7));
      connection.destroy();
    } finally {
      await other.stop();
    }
  });

  it('runs in another process, and reports what it received', async () => {
    const remote = await startVoiceServerProcess({ dave: false });
    try {
      const { connection } = joinTestChannel(remote, { dave: false });
      await entersState(connection, VoiceConnectionStatus.Ready, 10_000);
      for (let i = 0; i < 3; i++) {
        connection.prepareAudioPacket(Buffer.of(0xfc, i));
        connection.dispatchAudio();
      }
      let stats = await remote.stats();
      for (let i = 0; i < 50 && stats.packets < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stats = await remote.stats();
      }
      expect(stats).toMatchObject({ packets: 3, sessions: 1, lost: 0, duplicates: 0, rejected: 0 });
      connection.destroy();
    } finally {
      await remote.stop();
    }
  });
});
