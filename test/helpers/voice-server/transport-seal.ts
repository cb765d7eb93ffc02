/**
 * The voice UDP transport encryption, send side (what a Discord voice server does to the audio it
 * forwards to a client), for the simulated speakers: the two `rtpsize` modes as transport-crypto.ts
 * describes them, RTP (its header, CSRCs and extension preamble authenticated) and RTCP (its first
 * 8 bytes authenticated). AES-256-GCM through `node:crypto`, XChaCha20-Poly1305 through
 * @noble/ciphers: neither is the code the client under test decrypts with.
 */
import { createCipheriv } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { TransportMode } from './transport-crypto.js';

/** Seals `plain` after the authenticated `header` with nonce counter `counter`: header, ciphertext and tag, counter. */
export function sealPacket(mode: TransportMode, key: Uint8Array, header: Uint8Array, plain: Uint8Array, counter: number): Buffer {
  const nonce = Buffer.alloc(4);
  nonce.writeUInt32BE(counter >>> 0);
  let sealed: Uint8Array;
  if (mode === 'aead_aes256_gcm_rtpsize') {
    const cipher = createCipheriv('aes-256-gcm', key, Buffer.concat([nonce, Buffer.alloc(8)]), { authTagLength: 16 });
    cipher.setAAD(header);
    sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  } else {
    sealed = xchacha20poly1305(key, Buffer.concat([nonce, Buffer.alloc(20)]), header).encrypt(plain);
  }
  return Buffer.concat([header, sealed, nonce]);
}

/** An RTP fixed header (RFC 3550 §5.1) for Opus (payload type 120), no CSRCs. With `extension`, its 4-byte preamble follows (one-byte form, `words` 32-bit words). */
export function rtpHeader(sequence: number, timestamp: number, ssrc: number, extensionWords?: number): Buffer {
  const header = Buffer.alloc(extensionWords === undefined ? 12 : 16);
  header[0] = extensionWords === undefined ? 0x80 : 0x90;
  header[1] = 120;
  header.writeUInt16BE(sequence & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  if (extensionWords !== undefined) {
    header.writeUInt16BE(0xbede, 12);
    header.writeUInt16BE(extensionWords, 14);
  }
  return header;
}
