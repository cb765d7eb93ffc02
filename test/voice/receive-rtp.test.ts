/**
 * The receive side's RTP and RTCP reading and its transport decryption: HChaCha20 against the
 * XChaCha draft's test vector, both `rtpsize` modes against independent encryptors (node:crypto's
 * AES-GCM, @noble/ciphers' XChaCha20-Poly1305), a tampered packet refused, the header extension
 * and padding stripped, RTCP reports parsed.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { describe, expect, it } from 'vitest';
import { createTransportDecryptor, hchacha20Subkey, RTCP_AAD_LENGTH, type TransportMode } from '../../src/voice/receive/transport-crypto.js';
import { emptyRtpHeader, isRtcp, parseRtcp, readRtpHeader, rtpPayload } from '../../src/voice/receive/rtp.js';

/** Seals `plain` after `aad` the way a Discord voice server does, with nonce counter `counter`. */
function seal(mode: TransportMode, key: Uint8Array, aad: Uint8Array, plain: Uint8Array, counter: number): Buffer {
  const nonce4 = Buffer.alloc(4);
  nonce4.writeUInt32BE(counter);
  let sealed: Uint8Array;
  if (mode === 'aead_aes256_gcm_rtpsize') {
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.concat([nonce4, Buffer.alloc(8)]));
    cipher.setAAD(aad);
    sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  } else {
    sealed = xchacha20poly1305(key, Buffer.concat([nonce4, Buffer.alloc(20)]), aad).encrypt(plain);
  }
  return Buffer.concat([aad, sealed, nonce4]);
}

function rtpHeader(sequence: number, timestamp: number, ssrc: number, options: { extensionWords?: number; padding?: boolean; csrcs?: number } = {}): Buffer {
  const csrcs = options.csrcs ?? 0;
  const header = Buffer.alloc(12 + 4 * csrcs + (options.extensionWords !== undefined ? 4 : 0));
  header[0] = 0x80 | (options.padding ? 0x20 : 0) | (options.extensionWords !== undefined ? 0x10 : 0) | csrcs;
  header[1] = 120;
  header.writeUInt16BE(sequence, 2);
  header.writeUInt32BE(timestamp, 4);
  header.writeUInt32BE(ssrc, 8);
  if (options.extensionWords !== undefined) {
    header.writeUInt16BE(0xbede, 12 + 4 * csrcs);
    header.writeUInt16BE(options.extensionWords, 14 + 4 * csrcs);
  }
  return header;
}

describe('transport decryption', () => {
  it('HChaCha20 gives the XChaCha draft §2.2.1 test vector', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const nonce = Buffer.from('000000090000004a0000000031415927', 'hex');
    expect(hchacha20Subkey(key, nonce).toString('hex')).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('%s: opens RTP and RTCP sealed by another implementation, refuses a tampered packet', (mode) => {
    const key = randomBytes(32);
    const decryptor = createTransportDecryptor(mode, key)!;
    expect(decryptor.mode).toBe(mode);
    const header = rtpHeader(65535, 4_000_000_000, 0xdeadbeef, { extensionWords: 1 });
    const extension = Buffer.from('10ab0000', 'hex');
    const opus = Buffer.from('fc0102030405', 'hex');
    for (const counter of [0, 1, 0xffffffff]) {
      const packet = seal(mode, key, header, Buffer.concat([extension, opus]), counter);
      const h = emptyRtpHeader();
      expect(readRtpHeader(packet, h)).toBe(true);
      expect(h).toMatchObject({ sequence: 65535, timestamp: 4_000_000_000, ssrc: 0xdeadbeef, payloadType: 120, extension: true, headerLength: 16 });
      const plain = decryptor.open(packet, h.headerLength)!;
      expect(Buffer.from(rtpPayload(packet, h, plain)!)).toEqual(opus);
      const tampered = Buffer.from(packet);
      tampered[20]! ^= 1;
      expect(decryptor.open(tampered, h.headerLength)).toBeNull();
    }
    // RTCP: the first 8 bytes (header, sender SSRC) are authenticated, the rest sealed.
    const rr = Buffer.from('81c90007' + '00000001' + '0000abcd' + '05fffffe' + '0001ffff' + '00000010' + '11223344' + '00000100', 'hex');
    const rtcp = seal(mode, key, rr.subarray(0, RTCP_AAD_LENGTH), rr.subarray(RTCP_AAD_LENGTH), 7);
    expect(isRtcp(rtcp)).toBe(true);
    const opened = decryptor.open(rtcp, RTCP_AAD_LENGTH)!;
    expect(Buffer.concat([rtcp.subarray(0, 8), opened])).toEqual(rr);
  });

  it('knows only the two rtpsize modes and 32-byte keys', () => {
    expect(createTransportDecryptor('xsalsa20_poly1305', randomBytes(32))).toBeNull();
    expect(createTransportDecryptor('aead_aes256_gcm_rtpsize', randomBytes(16))).toBeNull();
  });
});

describe('RTP and RTCP reading', () => {
  it('reads CSRCs into the authenticated header and strips padding', () => {
    const packet = Buffer.concat([rtpHeader(7, 960, 42, { csrcs: 2, padding: true }), Buffer.alloc(1)]);
    const h = emptyRtpHeader();
    expect(readRtpHeader(packet, h)).toBe(true);
    expect(h).toMatchObject({ headerLength: 20, padding: true, extension: false });
    const plain = Buffer.from('fc0a0b000003', 'hex'); // three bytes of padding, the last says 3
    expect(Buffer.from(rtpPayload(packet, h, plain)!).toString('hex')).toBe('fc0a0b');
  });

  it('refuses what is not RTP version 2', () => {
    const h = emptyRtpHeader();
    expect(readRtpHeader(Buffer.alloc(8), h)).toBe(false);
    expect(readRtpHeader(Buffer.from('40780001000000000000002a', 'hex'), h)).toBe(false);
    expect(isRtcp(rtpHeader(1, 1, 1))).toBe(false);
  });

  it('parses a compound RTCP packet: a sender report with a block, then a receiver report', () => {
    const sr = Buffer.from(
      '81c8000c' + '0000002a' + '83aa7e80' + '80000000' + '00003c00' + '00000064' + '00001f40' +
      '0000abcd' + '80000003' + '00010005' + '00000020' + '7e808000' + '00008000',
      'hex',
    );
    const rr = Buffer.from('80c90001' + '0000002a', 'hex');
    const [sender, receiver] = parseRtcp(Buffer.concat([sr, rr]));
    expect(sender).toEqual({
      type: 'sender',
      ssrc: 42,
      ntpSeconds: 0x83aa7e80 + 0.5,
      rtpTimestamp: 0x3c00,
      packetCount: 100,
      octetCount: 8000,
      reports: [{ ssrc: 0xabcd, fractionLost: 0.5, cumulativeLost: 3, highestSequence: 0x10005, jitter: 32, lastSenderReport: 0x7e808000, delaySinceLastSenderReport: 0x8000 }],
    });
    expect(receiver).toEqual({ type: 'receiver', ssrc: 42, reports: [] });
  });
});
