/**
 * Decrypts a DAVE protocol media frame (protocol.md, "Payload Format"), codec-unaware as the
 * receiving side is:
 *
 *   [interleaved media frame][8-byte truncated AES-128-GCM tag][ULEB128 nonce]
 *   [ULEB128 unencrypted (offset, length) pairs][1-byte supplemental size][0xFA 0xFA]
 *
 * The supplemental size counts everything after the media frame (tag, nonce, ranges, itself and
 * the marker). The unencrypted ranges are authenticated as additional data and the rest is the
 * ciphertext; the 96-bit nonce is the 32-bit truncated nonce in its low (last) four bytes, in
 * memory order (little-endian), the rest zero; the key is the sender ratchet's key for the
 * generation in the nonce's most significant byte.
 */
import { createDecipheriv } from 'node:crypto';
import type { KeyRatchet } from './key-ratchet.js';

/** The magic marker that ends every protocol frame. */
export const DAVE_MARKER = 0xfafa;
const TAG_BYTES = 8;

/** Why a frame did not decrypt. */
export type FrameFailure = 'not-a-protocol-frame' | 'expired-generation' | 'authentication';

function uleb128(bytes: Uint8Array, at: number, end: number): [value: number, next: number] | null {
  let value = 0;
  let shift = 0;
  for (let i = at; i < end; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
    shift += 7;
    if (shift > 35) return null;
  }
  return null;
}

/** True when `frame` passes the protocol frame check (marker, sizes, well-formed ranges). */
export function isProtocolFrame(frame: Uint8Array): boolean {
  return parse(frame) !== null;
}

interface Parsed {
  mediaEnd: number;
  tag: Uint8Array;
  nonce: number;
  ranges: [offset: number, length: number][];
}

function parse(frame: Uint8Array): Parsed | null {
  const n = frame.length;
  if (n < TAG_BYTES + 1 + 1 + 2) return null;
  if (frame[n - 1] !== 0xfa || frame[n - 2] !== 0xfa) return null;
  const size = frame[n - 3]!;
  if (size < TAG_BYTES + 1 + 1 + 2 || size > n) return null;
  const mediaEnd = n - size;
  const tag = frame.subarray(mediaEnd, mediaEnd + TAG_BYTES);
  const nonce = uleb128(frame, mediaEnd + TAG_BYTES, n - 3);
  if (nonce === null || nonce[0] > 0xffffffff) return null;
  const ranges: [number, number][] = [];
  let at = nonce[1];
  let floor = 0;
  while (at < n - 3) {
    const offset = uleb128(frame, at, n - 3);
    if (offset === null) return null;
    const length = uleb128(frame, offset[1], n - 3);
    if (length === null) return null;
    if (offset[0] < floor || offset[0] + length[0] > mediaEnd) return null;
    ranges.push([offset[0], length[0]]);
    floor = offset[0] + length[0];
    at = length[1];
  }
  return { mediaEnd, tag, nonce: nonce[0], ranges };
}

/** Decrypts `frame` with the sender's ratchet: the media frame, or why not. */
export function decryptFrame(frame: Uint8Array, ratchet: KeyRatchet): Buffer | FrameFailure {
  const parsed = parse(frame);
  if (parsed === null) return 'not-a-protocol-frame';
  const key = ratchet.key(parsed.nonce >>> 24);
  if (key === null) return 'expired-generation';
  const iv = Buffer.alloc(12);
  iv.writeUInt32LE(parsed.nonce, 8);
  const media = frame.subarray(0, parsed.mediaEnd);
  const plainParts: Uint8Array[] = [];
  const cipherParts: Uint8Array[] = [];
  let at = 0;
  for (const [offset, length] of parsed.ranges) {
    cipherParts.push(media.subarray(at, offset));
    plainParts.push(media.subarray(offset, offset + length));
    at = offset + length;
  }
  cipherParts.push(media.subarray(at));
  const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.concat(plainParts));
  decipher.setAuthTag(parsed.tag);
  let decrypted: Buffer;
  try {
    decrypted = Buffer.concat([decipher.update(Buffer.concat(cipherParts)), decipher.final()]);
  } catch {
    return 'authentication';
  }
  // Put the ciphertext ranges' plaintext back between the unencrypted ranges.
  const out = Buffer.alloc(parsed.mediaEnd);
  let read = 0;
  at = 0;
  for (const [offset, length] of parsed.ranges) {
    read += decrypted.copy(out, at, read, read + (offset - at));
    out.set(media.subarray(offset, offset + length), offset);
    at = offset + length;
  }
  decrypted.copy(out, at, read);
  return out;
}
