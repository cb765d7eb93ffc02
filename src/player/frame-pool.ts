/**
 * Where the packets a player hands out get their bytes: small views carved from shared 64 KiB
 * pools, as Node's `Buffer.allocUnsafe()` carves small Buffers from its 8 KiB pool.
 *
 * Why: a player's read-ahead keeps packet bytes in a ring it reuses (see `packet-ring.ts`), so a
 * packet leaving it needs bytes of its own that nothing overwrites, whatever the consumer keeps
 * (a stream's buffer, a queue). One ArrayBuffer per packet would cost more than the rest of the
 * frame's work; a pool is one ArrayBuffer per ~250 packets, which dies young unless a consumer
 * keeps its packets.
 *
 * @module
 */

const POOL_BYTES = 64 * 1024;
/** Larger packets (rare: Opus packets are at most 1275 bytes per frame) get their own buffer. */
const MAX_POOLED = 4 * 1024;

let pool = newPool();
let used = 0;

function newPool(): Uint8Array {
  // Not zero-filled: every byte handed out is written first.
  return new Uint8Array(Buffer.allocUnsafeSlow(POOL_BYTES).buffer, 0, POOL_BYTES);
}

/** A copy of `bytes[start, start + length)` in pooled memory that is never written again. @internal */
export function copyToPool(bytes: Uint8Array, start: number, length: number): Uint8Array {
  const source = new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
  if (length > MAX_POOLED) return source.slice();
  if (used + length > POOL_BYTES) {
    pool = newPool();
    used = 0;
  }
  const at = used;
  pool.set(source, at);
  // 8-byte aligned, as Node's pool does, so a consumer's wider typed view of a packet can work.
  used = (at + length + 7) & ~7;
  return new Uint8Array(pool.buffer, at, length);
}
