/**
 * The Ogg page CRC in WebAssembly SIMD (crc-fast.ts) against the JS CRC (crc.ts), and the two
 * properties of the CRC its lanes rest on: linearity (a register followed by zero bytes, and the
 * XOR of messages) and leading zero bytes leaving the CRC unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oggCrc, oggCrcUpdate, oggCrcZeros, oggPageCrc } from '../../src/demux/ogg/crc.js';
import { fastCrcAvailable, loadWindow, windowPageCrc, WINDOW_SIZE } from '../../src/demux/ogg/crc-fast.js';

/** Deterministic bytes (xorshift32), so that every length below is tried on the same data. */
function noise(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('the Ogg CRC properties the lanes rest on', () => {
  it('zero bytes in front of a message leave its CRC unchanged (initial value 0)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, zeros) => {
      const padded = new Uint8Array(zeros + bytes.length);
      padded.set(bytes, zeros);
      expect(oggCrc(padded)).toBe(oggCrc(bytes));
    }), { numRuns: 300 });
  });

  it('crc(A then B) = crc(A) followed by |B| zero bytes, XOR crc(B); and crc(A xor B) = crc(A) xor crc(B)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
      const ab = new Uint8Array(a.length + b.length);
      ab.set(a);
      ab.set(b, a.length);
      expect(oggCrc(ab)).toBe((oggCrcZeros(oggCrc(a), b.length) ^ oggCrc(b)) >>> 0);
      const c = b.subarray(0, Math.min(a.length, b.length));
      const x = a.slice(0, c.length).map((v, i) => v ^ c[i]!);
      expect(oggCrc(x)).toBe((oggCrc(a.subarray(0, c.length)) ^ oggCrc(c)) >>> 0);
      expect(oggCrcUpdate(oggCrc(a), b)).toBe(oggCrc(ab));
    }), { numRuns: 300 });
  });
});

describe('the WebAssembly Ogg CRC', () => {
  it('is available on every Node the package supports (>= 22.12: WebAssembly relaxed SIMD and bulk memory)', () => {
    expect(fastCrcAvailable()).toBe(true);
  });

  it('equals the JS CRC for every page length up to 1100 bytes (every block padding, one to five blocks)', () => {
    const bytes = noise(1100 + 16, 0x2545f491);
    for (const start of [0, 5]) {
      loadWindow(bytes, start, bytes.length);
      for (let length = 27; length <= 1100; length++) {
        if (windowPageCrc(0, length) !== oggPageCrc(bytes, start, length)) expect.fail(`length ${length} at offset ${start}`);
      }
    }
  });

  it('equals the JS CRC for any page length and offset, and leaves the window as it was', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 40, maxLength: WINDOW_SIZE }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % 8;
        const length = 27 + (b % (bytes.length - start - 26)); // 27 (a bare page header) to the end
        loadWindow(bytes, start, bytes.length);
        expect(windowPageCrc(0, length)).toBe(oggPageCrc(bytes, start, length));
        // A second page in the same window, overlapping the first one's CRC field.
        if (length > 40) expect(windowPageCrc(10, length - 10)).toBe(oggPageCrc(bytes, start + 10, length - 10));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the JS CRC on a full window read from shared memory at every offset modulo 8 (a player\'s read-ahead)', () => {
    const noiseBytes = noise(WINDOW_SIZE + 16, 0x7654321);
    for (let offset = 0; offset < 8; offset++) {
      const shared = new Uint8Array(new SharedArrayBuffer(WINDOW_SIZE + 16), offset, WINDOW_SIZE);
      shared.set(noiseBytes.subarray(0, WINDOW_SIZE));
      loadWindow(shared, 0, WINDOW_SIZE);
      const length = 65_307;
      expect(windowPageCrc(WINDOW_SIZE - length, length)).toBe(oggPageCrc(shared, WINDOW_SIZE - length, length));
      expect(windowPageCrc(3, 1000)).toBe(oggPageCrc(shared, 3, 1000));
    }
  });

  it('equals the JS CRC on the largest page (65,307 bytes) at the end of a full window', () => {
    const bytes = noise(WINDOW_SIZE, 0x1234567);
    loadWindow(bytes, 0, bytes.length);
    const length = 65_307;
    expect(windowPageCrc(WINDOW_SIZE - length, length)).toBe(oggPageCrc(bytes, WINDOW_SIZE - length, length));
    expect(windowPageCrc(0, length)).toBe(oggPageCrc(bytes, 0, length));
  });
});
