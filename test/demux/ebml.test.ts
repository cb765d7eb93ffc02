import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import { ChunkQueue } from '../../src/demux/chunk-queue.js';
import {
  UNKNOWN_SIZE, newElementHeader, readElementHeader, readElementHeaderIn, readFloatIn, readStringIn, readUintIn, vintLength,
} from '../../src/demux/webm/ebml.js';

function queueOf(...chunks: number[][]): ChunkQueue {
  const q = new ChunkQueue();
  for (const c of chunks) q.push(Uint8Array.from(c));
  return q;
}

function header(bytes: number[], split = 1) {
  // Feed as `split`-byte chunks so reads straddle chunk boundaries.
  const q = new ChunkQueue();
  for (let i = 0; i < bytes.length; i += split) q.push(Uint8Array.from(bytes.slice(i, i + split)));
  const h = newElementHeader();
  return readElementHeader(q, 0, h) ? h : null;
}

describe('EBML variable-size integers (RFC 8794 §4)', () => {
  it('reads VINT_WIDTH from the leading zero bits', () => {
    expect(vintLength(0x80)).toBe(1);
    expect(vintLength(0xff)).toBe(1);
    expect(vintLength(0x40)).toBe(2);
    expect(vintLength(0x20)).toBe(3);
    expect(vintLength(0x10)).toBe(4);
    expect(vintLength(0x08)).toBe(5);
    expect(vintLength(0x04)).toBe(6);
    expect(vintLength(0x02)).toBe(7);
    expect(vintLength(0x01)).toBe(8);
    expect(vintLength(0x00)).toBe(0);
  });
});

describe('element headers (RFC 8794 §5, §6)', () => {
  it('reads 1- to 4-byte IDs as numbers with their marker bits', () => {
    expect(header([0xa3, 0x81])).toEqual({ id: 0xa3, size: 1, headerLength: 2 });
    expect(header([0x42, 0x86, 0x81])).toEqual({ id: 0x4286, size: 1, headerLength: 3 });
    expect(header([0x2a, 0xd7, 0xb1, 0x83])).toEqual({ id: 0x2ad7b1, size: 3, headerLength: 4 });
    expect(header([0x1a, 0x45, 0xdf, 0xa3, 0x9f])).toEqual({ id: 0x1a45dfa3, size: 31, headerLength: 5 });
  });

  it('reads sizes of every length 1..8, in any chunking', () => {
    for (let width = 1; width <= 8; width++) {
      const bytes = [0xa3];
      // value 5 encoded on `width` bytes
      for (let i = 0; i < width; i++) bytes.push(i === 0 ? (0x80 >> (width - 1)) | (width === 1 ? 5 : 0) : i === width - 1 ? 5 : 0);
      for (const split of [1, 2, 100]) expect(header(bytes, split)).toEqual({ id: 0xa3, size: 5, headerLength: 1 + width });
    }
  });

  it('reads the all-ones unknown size for every length', () => {
    for (let width = 1; width <= 8; width++) {
      const bytes = [0x1f, 0x43, 0xb6, 0x75];
      for (let i = 0; i < width; i++) bytes.push(i === 0 ? (0xff >> (width - 1)) : 0xff);
      expect(header(bytes)?.size).toBe(UNKNOWN_SIZE);
    }
    // All ones but one bit is a real (large) size, not unknown.
    expect(header([0xa3, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])?.size).toBe(2 ** 56 - 2);
  });

  it('reads sizes above 2^32 without 32-bit overflow', () => {
    expect(header([0xa3, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00])?.size).toBe(2 ** 32);
    expect(header([0xa3, 0x08, 0x80, 0x00, 0x00, 0x05])?.size).toBe(2 ** 31 + 5);
    expect(header([0xa3, 0x1f, 0xff, 0xff, 0xfe])?.size).toBe(2 ** 28 - 2);
  });

  it('returns false (needs more) until the whole header is there', () => {
    const h = newElementHeader();
    expect(readElementHeader(queueOf(), 0, h)).toBe(false);
    expect(readElementHeader(queueOf([0x1a]), 0, h)).toBe(false);
    expect(readElementHeader(queueOf([0x1a, 0x45, 0xdf, 0xa3]), 0, h)).toBe(false);
    expect(readElementHeader(queueOf([0x1a, 0x45, 0xdf, 0xa3, 0x01, 0, 0]), 0, h)).toBe(false);
    expect(readElementHeader(queueOf([0x1a, 0x45], [0xdf, 0xa3, 0x84]), 0, h)).toBe(true);
  });

  it('refuses invalid IDs and sizes with DEMUX', () => {
    const h = newElementHeader();
    for (const bytes of [[0x00, 0x81], [0x08, 0x00, 0x00, 0x00, 0x00, 0x81], [0xa3, 0x00]]) {
      let error: unknown;
      try { readElementHeader(queueOf(bytes), 0, h); } catch (e) { error = e; }
      expect(isSpenceError(error, 'DEMUX')).toBe(true);
    }
  });

  it('readElementHeaderIn refuses children that overrun the parent or have unknown size', () => {
    const h = newElementHeader();
    expect(() => readElementHeaderIn(Uint8Array.of(0xa3, 0x85, 1, 2), 0, 4, h)).toThrow(/overruns/);
    expect(() => readElementHeaderIn(Uint8Array.of(0xa3, 0xff), 0, 2, h)).toThrow(/unknown size/);
    readElementHeaderIn(Uint8Array.of(0xa3, 0x82, 1, 2), 0, 4, h);
    expect(h).toEqual({ id: 0xa3, size: 2, headerLength: 2 });
  });
});

describe('typed values (RFC 8794 §7)', () => {
  it('reads unsigned integers of 0..8 bytes', () => {
    expect(readUintIn(Uint8Array.of(), 0, 0)).toBe(0);
    expect(readUintIn(Uint8Array.of(0x0f, 0x42, 0x40), 0, 3)).toBe(1_000_000);
    expect(readUintIn(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0), 0, 8)).toBe(2 ** 56);
    expect(() => readUintIn(new Uint8Array(9), 0, 9)).toThrow();
  });

  it('reads 4- and 8-byte floats', () => {
    const b4 = new Uint8Array(4); new DataView(b4.buffer).setFloat32(0, 30008);
    const b8 = new Uint8Array(8); new DataView(b8.buffer).setFloat64(0, 1234.5678);
    expect(readFloatIn(b4, 0, 4)).toBe(30008);
    expect(readFloatIn(b8, 0, 8)).toBe(1234.5678);
    expect(readFloatIn(b8, 0, 0)).toBe(0);
    expect(() => readFloatIn(b8, 0, 3)).toThrow();
  });

  it('reads NUL-padded strings', () => {
    expect(readStringIn(Uint8Array.of(0x41, 0x5f, 0x4f, 0x50, 0x55, 0x53, 0, 0), 0, 8)).toBe('A_OPUS');
  });
});
