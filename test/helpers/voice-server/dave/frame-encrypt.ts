/**
 * DAVE media frame encryption (protocol.md, "Payload Format"), the inverse of frame.ts: what a
 * call member's client does to each Opus frame before sending it, so the test server's simulated
 * speakers send end-to-end encrypted audio. An Opus frame is encrypted whole (no unencrypted
 * ranges): AES-128-GCM with the sender's key for the nonce's generation (its top byte), the tag
 * truncated to 8 bytes, then the ULEB128 nonce, the supplemental size and the 0xFAFA marker. The
 * silence frame is sent as is.
 */
import { createCipheriv } from 'node:crypto';
import { KeyRatchet } from './key-ratchet.js';

const TAG_BYTES = 8;

function uleb128(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** One member's frame encryptor in one epoch. */
export class FrameEncryptor {
  readonly #ratchet: KeyRatchet;
  /** The 32-bit truncated nonce, one per frame (its top byte is the key generation). */
  #nonce = 1;

  constructor(senderSecret: Uint8Array) {
    this.#ratchet = new KeyRatchet(senderSecret);
  }

  encrypt(frame: Uint8Array): Buffer {
    const nonce = this.#nonce++;
    const key = this.#ratchet.key(nonce >>> 24)!;
    const iv = Buffer.alloc(12);
    iv.writeUInt32LE(nonce, 8);
    const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.alloc(0));
    const ciphertext = Buffer.concat([cipher.update(frame), cipher.final()]);
    const nonceBytes = uleb128(nonce);
    const supplemental = TAG_BYTES + nonceBytes.length + 1 + 2;
    return Buffer.concat([ciphertext, cipher.getAuthTag(), nonceBytes, Buffer.of(supplemental, 0xfa, 0xfa)]);
  }
}
