/**
 * DAVE's per-sender key ratchet (protocol.md, "Sender Key Derivation"): the base secret is the MLS
 * exporter's `MLS-Exporter("Discord Secure Frames v0", little-endian u64 user ID, 16)` (changelog
 * 1.1.1 fixed the endianness to little), and the ratchet is RFC 9420 §9.1's secret-tree ratchet
 * over it: for generation j, key_j = DeriveTreeSecret(secret_j, "key", j, 16) and
 * secret_{j+1} = DeriveTreeSecret(secret_j, "secret", j, 32), with SHA-256 (ciphersuite 2).
 */
import { createHmac } from 'node:crypto';

/** RFC 5869 §2.3 HKDF-Expand with SHA-256. */
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; blocks.length * 32 < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** RFC 9420 §2.1.2: a variable-size vector's length prefix (lengths < 16384 here). */
function varint(n: number): Buffer {
  return n < 64 ? Buffer.of(n) : Buffer.of(0x40 | (n >> 8), n & 0xff);
}

/** RFC 9420 §8: ExpandWithLabel(secret, label, context, length). */
export function expandWithLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  const fullLabel = Buffer.from(`MLS 1.0 ${label}`);
  const info = Buffer.concat([Buffer.of(length >> 8, length & 0xff), varint(fullLabel.length), fullLabel, varint(context.length), context]);
  return hkdfExpand(secret, info, length);
}

/** RFC 9420 §9: DeriveTreeSecret(secret, label, generation, length), the generation a uint32. */
function deriveTreeSecret(secret: Uint8Array, label: string, generation: number, length: number): Buffer {
  const context = Buffer.alloc(4);
  context.writeUInt32BE(generation >>> 0);
  return expandWithLabel(secret, label, context, length);
}

/** One sender's media keys in one epoch, by generation (the nonce's top byte). */
export class KeyRatchet {
  #secret: Uint8Array;
  #next = 0;
  readonly #keys = new Map<number, Buffer>();

  constructor(baseSecret: Uint8Array) {
    this.#secret = baseSecret;
  }

  /** The AES-128-GCM key for `generation` (ratcheting forward as needed), or null once passed and erased. */
  key(generation: number): Buffer | null {
    const cached = this.#keys.get(generation);
    if (cached !== undefined) return cached;
    if (generation < this.#next) return null;
    while (this.#next <= generation) {
      this.#keys.set(this.#next, deriveTreeSecret(this.#secret, 'key', this.#next, 16));
      this.#secret = deriveTreeSecret(this.#secret, 'secret', this.#next, 32);
      this.#next++;
    }
    return this.#keys.get(generation)!;
  }
}

/** The exporter context for a sender: its user ID as a little-endian u64. */
export function senderContext(userId: string): Buffer {
  const context = Buffer.alloc(8);
  context.writeBigUInt64LE(BigInt(userId));
  return context;
}

/** The exporter label for sender base secrets. */
export const SENDER_KEY_LABEL = 'Discord Secure Frames v0';
