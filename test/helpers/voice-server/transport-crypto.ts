/**
 * The voice UDP transport encryption, receive side, for the two modes Discord offers
 * ("Voice Connections", "Transport Encryption Modes"): `aead_aes256_gcm_rtpsize` and
 * `aead_xchacha20_poly1305_rtpsize`. An RTP packet is
 *
 *   [RTP header, CSRCs and the 4-byte extension preamble: additional data][ciphertext + 16-byte tag][4-byte nonce]
 *
 * The 32-bit nonce counter is appended in the clear; the full nonce is those four bytes followed
 * by zeros (12 bytes for AES-GCM, 24 for XChaCha20). With the `rtpsize` modes the extension's
 * body (its length in 32-bit words is in the preamble) is encrypted with the payload and leads it.
 *
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3) is ChaCha20-Poly1305 (RFC 8439) keyed with
 * HChaCha20(key, nonce[0..16]) and nonced with four zero bytes and nonce[16..24]. Node has no
 * HChaCha20, but it has raw ChaCha20: a ChaCha20 block is the rounds' output plus the input
 * state, and HChaCha20 is words 0-3 and 12-15 of the rounds' output, so it is recovered by
 * subtracting the known input words from one keystream block whose counter and nonce words are
 * the 16 nonce bytes.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** The modes the test server can offer. */
export type TransportMode = 'aead_aes256_gcm_rtpsize' | 'aead_xchacha20_poly1305_rtpsize';

/** A parsed, decrypted RTP packet. */
export interface RtpPacket {
  /** The payload type (Discord's Opus: 120). */
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** The decrypted payload (the extension body removed). */
  payload: Buffer;
  /** The nonce counter the sender used. */
  nonce: number;
}

const TAG = 16;
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** HChaCha20(key, nonce16): the 32-byte subkey. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const block = createCipheriv('chacha20', key, nonce16).update(Buffer.alloc(64));
  const out = Buffer.alloc(32);
  const nonce = Buffer.from(nonce16.buffer, nonce16.byteOffset, 16);
  for (let i = 0; i < 4; i++) {
    out.writeUInt32LE((block.readUInt32LE(i * 4) - SIGMA[i]!) >>> 0, i * 4);
    out.writeUInt32LE((block.readUInt32LE(48 + i * 4) - nonce.readUInt32LE(i * 4)) >>> 0, 16 + i * 4);
  }
  return out;
}

/** XChaCha20-Poly1305 decryption; throws when the tag does not verify. */
export function xchacha20poly1305Decrypt(key: Uint8Array, nonce24: Uint8Array, ciphertextAndTag: Uint8Array, aad: Uint8Array): Buffer {
  const subkey = hchacha20(key, nonce24.subarray(0, 16));
  const nonce = Buffer.concat([Buffer.alloc(4), nonce24.subarray(16, 24)]);
  const decipher = createDecipheriv('chacha20-poly1305', subkey, nonce, { authTagLength: TAG });
  decipher.setAAD(aad, { plaintextLength: ciphertextAndTag.length - TAG });
  decipher.setAuthTag(ciphertextAndTag.subarray(ciphertextAndTag.length - TAG));
  return Buffer.concat([decipher.update(ciphertextAndTag.subarray(0, ciphertextAndTag.length - TAG)), decipher.final()]);
}

/** The header length covered by the additional data (RFC 3550 §5.1, §5.3.1 preamble), or -1. */
function headerLength(packet: Uint8Array): number {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return -1;
  let length = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) length += 4;
  return length <= packet.length ? length : -1;
}

/** Decrypts one RTP packet; null when it is not RTP or does not authenticate. */
export function decryptRtp(packet: Buffer, mode: TransportMode, key: Uint8Array): RtpPacket | null {
  const header = headerLength(packet);
  if (header < 0 || packet.length < header + TAG + 4) return null;
  const aad = packet.subarray(0, header);
  const sealed = packet.subarray(header, packet.length - 4);
  const nonceBytes = packet.subarray(packet.length - 4);
  let plain: Buffer;
  try {
    if (mode === 'aead_aes256_gcm_rtpsize') {
      const iv = Buffer.concat([nonceBytes, Buffer.alloc(8)]);
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
    } else {
      plain = xchacha20poly1305Decrypt(key, Buffer.concat([nonceBytes, Buffer.alloc(20)]), sealed, aad);
    }
  } catch {
    return null;
  }
  if (packet[0]! & 0x10) {
    const words = packet.readUInt16BE(header - 2);
    plain = plain.subarray(words * 4);
  }
  return {
    payloadType: packet[1]! & 0x7f,
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: plain,
    nonce: nonceBytes.readUInt32BE(0),
  };
}
