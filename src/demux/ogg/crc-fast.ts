/**
 * The Ogg page CRC (RFC 3533 §6) at native speed, through Node's `zlib.crc32`.
 *
 * The Ogg CRC is the MSB-first ("direct") CRC-32 with polynomial 0x04C11DB7, initial value 0 and
 * no final XOR. zlib's CRC-32 is the same polynomial reflected (0xEDB88320), LSB-first, with
 * initial value and final XOR 0xFFFFFFFF. Running the reflected algorithm over bytes whose bits
 * have been reversed is the direct algorithm with its register bit-reversed, so:
 *
 *   oggCrc(data) = bitrev32(~zlib.crc32(bitrevEachByte(data), 0xFFFFFFFF))
 *
 * (seeding zlib with 0xFFFFFFFF makes its internal register start at 0, and `~` undoes its final
 * XOR). zlib.crc32 runs several GB/s (carry-less multiply folding), where the JS slicing-by-16
 * loop of crc.ts runs 1-2 GB/s; reversing bits in JS would cost more than it saves, so a 152-byte
 * WebAssembly SIMD module (bitrev.wat) does it at memory speed.
 *
 * Use: {@link reverseWindow} copies a run of a buffer (at most {@link WINDOW_SIZE} bytes, which
 * holds any Ogg page) into the module's memory and reverses it once; {@link windowPageCrc} then
 * computes the CRC of each page inside that run. The memory is shared by every demuxer, so a
 * window is only valid until the next {@link reverseWindow} call, and callers use it within one
 * synchronous parse. When WebAssembly SIMD or `zlib.crc32` (Node >= 20.15) is missing,
 * {@link fastCrcAvailable} is false and callers keep the JS CRC.
 *
 * @module
 */

import * as zlib from 'node:zlib';
import { BITREV_WASM_BASE64 } from './bitrev-wasm.js';
import { oggCrc } from './crc.js';

/** The window: 128 KiB (the module's 2 memory pages), twice the largest Ogg page (65,307 bytes, RFC 3533 §6). */
export const WINDOW_SIZE = 2 * 65536;

interface Bitrev {
  /** The module's memory as bytes (never grown, so this view stays valid). */
  memory: Uint8Array;
  buffer: ArrayBuffer;
  rev: (length: number) => void;
  crc32: (data: Uint8Array, value: number) => number;
}

/** Instantiated on first use; `null` once instantiation failed (no SIMD, no zlib.crc32). */
let bitrev: Bitrev | null | undefined;

function load(): Bitrev | null {
  try {
    const crc32 = (zlib as { crc32?: unknown }).crc32;
    if (typeof crc32 !== 'function' || typeof WebAssembly === 'undefined') return null;
    const binary = atob(BITREV_WASM_BASE64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = instance.exports.memory as WebAssembly.Memory;
    const rev = instance.exports.rev as (length: number) => void;
    const buffer = memory.buffer;
    const result: Bitrev = { memory: new Uint8Array(buffer), buffer, rev, crc32: crc32 as Bitrev['crc32'] };
    // Self-check against the JS CRC on a few bytes, so a platform that computes otherwise falls back.
    const probe = Uint8Array.of(0x4f, 0x67, 0x67, 0x53, 0x00, 0x02, 0xff, 0x81, 0x7e, 0x11, 0xc3, 0x5a, 0xa5, 0x3c, 0x01, 0x80, 0x99);
    result.memory.set(probe, 0);
    rev(probe.length);
    return windowCrcWith(result, 0, probe.length) === oggCrc(probe) ? result : null;
  } catch {
    return null; // no WebAssembly SIMD (or WebAssembly at all): the JS CRC is used
  }
}

/** True when the native path can be used (checked once). */
export function fastCrcAvailable(): boolean {
  if (bitrev === undefined) bitrev = load();
  return bitrev !== null;
}

/**
 * Copies `bytes[start, end)` (at most {@link WINDOW_SIZE} bytes) into the shared memory with every
 * byte's bits reversed. Requires {@link fastCrcAvailable}.
 */
export function reverseWindow(bytes: Uint8Array, start: number, end: number): void {
  const b = bitrev!;
  b.memory.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), 0);
  b.rev(end - start);
}

/**
 * The Ogg CRC of the page at `[offset, offset + length)` of the current window, with the page's
 * CRC field (bytes 22-25) taken as zero (RFC 3533 §6). The window is left as it was, since a
 * resynchronising caller may try a page that overlaps a rejected one.
 */
export function windowPageCrc(offset: number, length: number): number {
  const m = bitrev!.memory;
  const field = offset + 22;
  // Zero reversed is zero, so the field is zeroed in place and restored afterwards.
  const b0 = m[field]!;
  const b1 = m[field + 1]!;
  const b2 = m[field + 2]!;
  const b3 = m[field + 3]!;
  m[field] = 0;
  m[field + 1] = 0;
  m[field + 2] = 0;
  m[field + 3] = 0;
  const crc = windowCrcWith(bitrev!, offset, length);
  m[field] = b0;
  m[field + 1] = b1;
  m[field + 2] = b2;
  m[field + 3] = b3;
  return crc;
}

function windowCrcWith(b: Bitrev, offset: number, length: number): number {
  // Seed 0xFFFFFFFF: zlib inverts it, so its register starts at the Ogg CRC's initial 0.
  return bitrev32(~b.crc32(new Uint8Array(b.buffer, offset, length), 0xffffffff));
}

/** Reverses the 32 bits of `x` (swap halves, bytes, nibbles, pairs, bits); returns it unsigned. */
function bitrev32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}
