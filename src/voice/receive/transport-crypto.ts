/**
 * Transport decryption of what a Discord voice server sends, in the two modes it offers
 * ("Voice Connections", "Transport Encryption Modes"): `aead_aes256_gcm_rtpsize` and
 * `aead_xchacha20_poly1305_rtpsize`. A packet is
 *
 *   [authenticated header][ciphertext][16-byte tag][4-byte nonce counter]
 *
 * where the authenticated header is RTP's fixed header, CSRCs and extension preamble, or RTCP's
 * first 8 bytes (its header and sender SSRC). The full nonce is the counter followed by zeros: 12
 * bytes for AES-GCM, 24 for XChaCha20.
 *
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3) is ChaCha20-Poly1305 (RFC 8439, which
 * `node:crypto` has) keyed with HChaCha20(key, nonce[0..16]) and nonced with four zero bytes and
 * nonce[16..24]. HChaCha20 (§2.2) is computed here: twenty ChaCha rounds over the key and the
 * first 16 nonce bytes, keeping words 0-3 and 12-15.
 *
 * @module
 */

import type * as NodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';

let crypto: typeof NodeCrypto | undefined;

/**
 * `node:crypto`, loaded by the first decryptor rather than at import: loading it costs several ms
 * of a cold `import('spence')`, and only a node that listens to voice needs it. It is a built-in,
 * so `process.getBuiltinModule` loads it synchronously.
 */
function nodeCrypto(): typeof NodeCrypto {
  return (crypto ??= process.getBuiltinModule('node:crypto'));
}

/** The transport encryption modes spence decrypts. */
export type TransportMode = 'aead_aes256_gcm_rtpsize' | 'aead_xchacha20_poly1305_rtpsize';

const TAG_BYTES = 16;
const NONCE_BYTES = 4;

/** Decrypts packets of one session: its mode and secret key. */
export interface TransportDecryptor {
  readonly mode: TransportMode;
  /**
   * The plaintext of `packet` whose first `aadLength` bytes are authenticated in the clear, or
   * null when it is too short or does not authenticate.
   */
  open(packet: Uint8Array, aadLength: number): Buffer | null;
}

/** "expand 32-byte k" (RFC 8439 §2.3). */
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** HChaCha20(key, nonce16) into `out` (32 bytes), with `s` as scratch (16 words). */
function hchacha20(key: Uint32Array, nonce: Uint8Array, s: Uint32Array, out: Buffer): void {
  s.set(SIGMA, 0);
  s.set(key, 4);
  for (let i = 0; i < 4; i++) s[12 + i] = (nonce[4 * i]! | (nonce[4 * i + 1]! << 8) | (nonce[4 * i + 2]! << 16) | (nonce[4 * i + 3]! << 24)) >>> 0;
  let x0 = s[0]!, x1 = s[1]!, x2 = s[2]!, x3 = s[3]!, x4 = s[4]!, x5 = s[5]!, x6 = s[6]!, x7 = s[7]!;
  let x8 = s[8]!, x9 = s[9]!, x10 = s[10]!, x11 = s[11]!, x12 = s[12]!, x13 = s[13]!, x14 = s[14]!, x15 = s[15]!;
  for (let round = 0; round < 10; round++) {
    // Column round, then diagonal round (RFC 8439 §2.3), each four quarter rounds (§2.1).
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12); x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12); x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12); x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12); x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12); x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12); x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12); x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12); x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
  }
  out.writeUInt32LE(x0 >>> 0, 0);
  out.writeUInt32LE(x1 >>> 0, 4);
  out.writeUInt32LE(x2 >>> 0, 8);
  out.writeUInt32LE(x3 >>> 0, 12);
  out.writeUInt32LE(x12 >>> 0, 16);
  out.writeUInt32LE(x13 >>> 0, 20);
  out.writeUInt32LE(x14 >>> 0, 24);
  out.writeUInt32LE(x15 >>> 0, 28);
}

/** HChaCha20 of a 32-byte key and a 16-byte nonce (exported for its test vector). */
export function hchacha20Subkey(key: Uint8Array, nonce16: Uint8Array): Buffer {
  const out = Buffer.alloc(32);
  hchacha20(keyWords(key), nonce16, new Uint32Array(16), out);
  return out;
}

function keyWords(key: Uint8Array): Uint32Array {
  const words = new Uint32Array(8);
  for (let i = 0; i < 8; i++) words[i] = (key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24)) >>> 0;
  return words;
}

/*
 * Keys are given to `createDecipheriv` as KeyObjects: with a Buffer, Node prepares a key object on
 * every call, which costs several times the decryption of a voice packet (measured on Node 24:
 * ~50-80 µs against ~8 µs, and ~4 µs for `createSecretKey`).
 */

/**
 * Opens `packet` (authenticated header of `aadLength` bytes, ciphertext, tag, then the 4-byte
 * nonce counter) with an AEAD: the plaintext, or null when it does not authenticate.
 */
function openSealed(algorithm: 'aes-256-gcm' | 'chacha20-poly1305', key: KeyObject, iv: Buffer, packet: Uint8Array, aadLength: number): Buffer | null {
  const end = packet.length - NONCE_BYTES;
  try {
    // Two calls: Node's typings have one overload per kind of algorithm.
    const decipher =
      algorithm === 'aes-256-gcm'
        ? nodeCrypto().createDecipheriv(algorithm, key, iv, { authTagLength: TAG_BYTES })
        : nodeCrypto().createDecipheriv(algorithm, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(packet.subarray(0, aadLength));
    decipher.setAuthTag(packet.subarray(end - TAG_BYTES, end));
    const plain = decipher.update(packet.subarray(aadLength, end - TAG_BYTES));
    decipher.final();
    return plain;
  } catch {
    return null;
  }
}

/** True when `packet` is long enough for a header of `aadLength`, a tag and the nonce. */
function sealedFits(packet: Uint8Array, aadLength: number): boolean {
  return packet.length - NONCE_BYTES - aadLength >= TAG_BYTES;
}

class AesGcmDecryptor implements TransportDecryptor {
  readonly mode = 'aead_aes256_gcm_rtpsize' as const;
  readonly #key: KeyObject;
  /** The 12-byte nonce: the counter, then zeros (copied by each decipher at creation). */
  readonly #iv = Buffer.alloc(12);

  constructor(key: Uint8Array) {
    this.#key = nodeCrypto().createSecretKey(key);
  }

  open(packet: Uint8Array, aadLength: number): Buffer | null {
    if (!sealedFits(packet, aadLength)) return null;
    this.#iv.set(packet.subarray(packet.length - NONCE_BYTES), 0);
    return openSealed('aes-256-gcm', this.#key, this.#iv, packet, aadLength);
  }
}

class XChaChaDecryptor implements TransportDecryptor {
  readonly mode = 'aead_xchacha20_poly1305_rtpsize' as const;
  readonly #key: Uint32Array;
  readonly #nonce16 = new Uint8Array(16);
  readonly #scratch = new Uint32Array(16);
  readonly #subkey = Buffer.alloc(32);
  /** ChaCha20-Poly1305's 12-byte nonce: four zero bytes and the XChaCha nonce's last 8, zeros here. */
  readonly #ietfNonce = Buffer.alloc(12);

  constructor(key: Uint8Array) {
    this.#key = keyWords(key);
  }

  open(packet: Uint8Array, aadLength: number): Buffer | null {
    if (!sealedFits(packet, aadLength)) return null;
    // The 24-byte nonce is the 4 counter bytes and 20 zeros: its first 16 bytes key HChaCha20.
    this.#nonce16.set(packet.subarray(packet.length - NONCE_BYTES), 0);
    hchacha20(this.#key, this.#nonce16, this.#scratch, this.#subkey);
    return openSealed('chacha20-poly1305', nodeCrypto().createSecretKey(this.#subkey), this.#ietfNonce, packet, aadLength);
  }
}

/** A decryptor for a session's negotiated `mode` and 32-byte secret key; null for a mode spence does not know. */
export function createTransportDecryptor(mode: string, key: Uint8Array): TransportDecryptor | null {
  if (key.length !== 32) return null;
  if (mode === 'aead_aes256_gcm_rtpsize') return new AesGcmDecryptor(key);
  if (mode === 'aead_xchacha20_poly1305_rtpsize') return new XChaChaDecryptor(key);
  return null;
}

/** The authenticated header length of an RTCP packet in these modes: its header and sender SSRC. */
export const RTCP_AAD_LENGTH = 8;
