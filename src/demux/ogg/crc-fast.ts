/**
 * The Ogg page CRC (RFC 3533 §6) in WebAssembly SIMD, several times faster than the JS CRC of
 * crc.ts: 16 byte-at-a-time CRCs run side by side in the lanes of a v128, one over each 16-byte
 * piece of every 256-byte block of the page, and are combined at the end (the module is generated
 * by scripts/build-crc-wasm.mjs, which shows the steps). It rests on two properties of this CRC
 * (MSB-first, polynomial P = 0x04C11DB7, initial value 0, no final XOR):
 *
 * - it is linear: crc(A xor B) = crc(A) xor crc(B) for messages of one length, so a page's CRC is
 *   the XOR of the CRCs of the 16 messages that keep one lane's bytes and zero the others; and a
 *   register followed by n zero bytes becomes register * x^(8n) mod P, a linear map of its 32 bits
 *   that four lookups compute (for the 240 bytes between a lane's pieces, and the Horner rule
 *   that combines the lanes at the end);
 * - zero bytes in front of a message leave its CRC unchanged (from register 0 they keep it 0), so
 *   a page of any length is padded in front to a whole number of blocks.
 *
 * No zlib: Node's `zlib.crc32` is the reflected CRC-32, which would need every byte's bits reversed
 * first (a pass and a copy), and Node 24's build runs zlib's table loop (~4 GB/s), no faster than
 * this. Node 20 (V8 11.3) has no relaxed SIMD: there the JS CRC is used.
 *
 * Use: {@link loadWindow} copies a run of a buffer (at most {@link WINDOW_SIZE} bytes, which holds
 * any Ogg page) into the module's memory once; {@link windowPageCrc} then computes the CRC of each
 * page inside that run. The memory is shared by every demuxer, so a window is only valid until
 * the next {@link loadWindow} call, and callers use it within one synchronous parse. Where
 * WebAssembly's SIMD (relaxed swizzle, bulk memory) is missing, {@link fastCrcAvailable} is false
 * and callers keep the JS CRC.
 *
 * @module
 */

import { CRC_SIMD_LAYOUT as LAYOUT, CRC_SIMD_WASM_BASE64 } from './crc-simd-wasm.js';
import { oggCrcZeros, oggPageCrc } from './crc.js';
import { CRC_FIELD } from './ogg-page.js';
import { copyAlignment } from '../shared-copy.js';

/** The window: 128 KiB, twice the largest Ogg page (65,307 bytes, RFC 3533 §6); the module's memory has room past it for `windowShift`. */
export const WINDOW_SIZE = 2 * 65536;

interface SimdCrc {
  /** The module's memory as bytes (never grown, so this view stays valid). */
  memory: Uint8Array;
  crc: (p: number, length: number) => number;
}

/** Instantiated on first use; `null` once that failed (no WebAssembly, or no SIMD). */
let simd: SimdCrc | null | undefined;
/**
 * Where the current window starts past `LAYOUT.window`: its source's byte offset modulo 8. A
 * player's reads land in shared memory (its read-ahead), copied from word by word only so
 * (`../shared-copy.ts`): unaligned, 16 KiB took ~16 µs instead of ~1 µs, for every Ogg refill.
 */
let windowShift = 0;

/** True when the WebAssembly CRC can be used (checked once). */
export function fastCrcAvailable(): boolean {
  if (simd === undefined) simd = load();
  return simd !== null;
}

/**
 * Copies `bytes[start, end)` (at most {@link WINDOW_SIZE} bytes) into the module's memory, where
 * {@link windowPageCrc} reads it. Requires {@link fastCrcAvailable}.
 */
export function loadWindow(bytes: Uint8Array, start: number, end: number): void {
  windowShift = copyAlignment(bytes, start);
  simd!.memory.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), LAYOUT.window + windowShift);
}

/**
 * The Ogg CRC of the page at `[offset, offset + length)` of the current window, with the page's
 * CRC field taken as zero (RFC 3533 §6). The window is left as it was, since a resynchronising
 * caller may try a page that overlaps a rejected one.
 */
export function windowPageCrc(offset: number, length: number): number {
  return pageCrcIn(simd!, offset, length);
}

function pageCrcIn({ memory, crc }: SimdCrc, offset: number, length: number): number {
  const at = LAYOUT.window + windowShift + offset;
  const field = at + CRC_FIELD;
  const b0 = memory[field]!;
  const b1 = memory[field + 1]!;
  const b2 = memory[field + 2]!;
  const b3 = memory[field + 3]!;
  memory[field] = 0;
  memory[field + 1] = 0;
  memory[field + 2] = 0;
  memory[field + 3] = 0;
  const value = crc(at, length) >>> 0;
  memory[field] = b0;
  memory[field + 1] = b1;
  memory[field + 2] = b2;
  memory[field + 3] = b3;
  return value;
}

function load(): SimdCrc | null {
  try {
    if (typeof WebAssembly === 'undefined') return null;
    const binary = atob(CRC_SIMD_WASM_BASE64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
    const crc = instance.exports.crc as SimdCrc['crc'];
    writeTables(memory);
    const result: SimdCrc = { memory, crc };
    return selfCheck(result) ? result : null;
  } catch {
    return null; // no WebAssembly SIMD (or WebAssembly at all): the JS CRC is used
  }
}

/** Writes the lookup tables the module reads (their layout is described in scripts/build-crc-wasm.mjs). */
function writeTables(memory: Uint8Array): void {
  const words = new DataView(memory.buffer);
  // The byte table: T[n] is register n << 24 followed by one zero byte.
  const table = (n: number): number => oggCrcZeros(n << 24, 1);
  for (let k = 0; k < 4; k++) {
    for (let n = 0; n < 16; n++) {
      memory[LAYOUT.step + 16 * k + n] = (table(n) >>> (8 * k)) & 0xff;
      memory[LAYOUT.step + 64 + 16 * k + n] = (table(n << 4) >>> (8 * k)) & 0xff;
    }
  }
  // Register bit b followed by the other 15 lanes' pieces (a lane's skip), and by one piece (a Horner step).
  const skip = Array.from({ length: 32 }, (_, b) => oggCrcZeros(1 << b, 15 * LAYOUT.piece));
  const horner = Array.from({ length: 32 }, (_, b) => oggCrcZeros(1 << b, LAYOUT.piece));
  const combine = (basis: number[], bits: number, value: number): number => {
    let out = 0;
    for (let b = 0; b < 8; b++) if (value & (1 << b)) out ^= basis[bits + b]!;
    return out;
  };
  for (let k = 0; k < 4; k++) {
    for (let h = 0; h < 2; h++) {
      for (let n = 0; n < 16; n++) {
        const value = combine(skip, 8 * k + 4 * h, n);
        for (let j = 0; j < 4; j++) memory[LAYOUT.skip + 16 * ((2 * k + h) * 4 + j) + n] = (value >>> (8 * j)) & 0xff;
      }
    }
    for (let n = 0; n < 256; n++) words.setUint32(LAYOUT.horner + 1024 * k + 4 * n, combine(horner, 8 * k, n), true);
  }
}

/** Compares with the JS CRC on pages of lengths around the block size, so a platform that computes otherwise falls back. */
function selfCheck(candidate: SimdCrc): boolean {
  const bytes = new Uint8Array(600);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  windowShift = 0;
  candidate.memory.set(bytes, LAYOUT.window);
  for (const length of [27, 255, 256, 257, 600]) {
    if (pageCrcIn(candidate, 0, length) !== oggPageCrc(bytes, 0, length)) return false;
  }
  return true;
}
