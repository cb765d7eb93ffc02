/**
 * ChunkQueue against a model (a plain byte array): borrowed chunks (pushed, `ownLast()`, then the
 * caller's buffer overwritten), owned chunks and skips in any order; the queue's bytes, position
 * and head must always be the model's. Covers the reused carry buffers: a cut element spanning
 * many borrowed reads (both carries in use) and carries moved by compaction.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChunkQueue } from '../../src/demux/chunk-queue.js';

type Op = { kind: 'borrowed' | 'owned'; length: number; seed: number } | { kind: 'skip'; fraction: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('borrowed' as const, 'owned' as const), length: fc.integer({ min: 0, max: 3000 }), seed: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('skip' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i * 7) & 0xff);
}

describe('ChunkQueue', () => {
  it('matches a byte-array model through borrowed and owned pushes, ownLast and skips', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const queue = new ChunkQueue();
        let model: number[] = [];
        let consumed = 0;
        const borrowed = new Uint8Array(4096); // the caller's one read buffer
        for (const o of ops) {
          if (o.kind === 'skip') {
            const n = Math.floor(o.fraction * model.length);
            queue.skip(n);
            model = model.slice(n);
            consumed += n;
          } else {
            const data = bytes(o.length, o.seed);
            if (o.kind === 'owned') {
              queue.push(data);
            } else {
              borrowed.set(data);
              queue.push(borrowed.subarray(0, o.length));
              queue.ownLast();
              borrowed.fill(0xee); // the caller reuses its buffer: nothing may still point into it
            }
            model.push(...data);
          }
          expect(queue.available).toBe(model.length);
          expect(queue.position).toBe(consumed);
          expect([...queue.copy(0, model.length)]).toEqual(model);
          if (model.length > 0) {
            expect(queue.byteAt(model.length - 1)).toBe(model.at(-1));
            expect(queue.head[queue.headStart]).toBe(model[0]);
            expect(queue.headEnd).toBeGreaterThan(queue.headStart);
            expect(queue.headEnd).toBeLessThanOrEqual(queue.head.length);
          } else {
            expect(queue.headEnd - queue.headStart).toBe(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a read at a time, consumed up to a cut element each time, reuses its carry buffers', () => {
    const queue = new ChunkQueue();
    const read = new Uint8Array(1000);
    const carries = new Set<Uint8Array>();
    for (let k = 0; k < 200; k++) {
      read.set(bytes(1000, k));
      queue.push(read);
      queue.skip(queue.available - 100 - (k % 50)); // what a demuxer leaves: the start of a cut block
      queue.ownLast();
      expect(queue.head).not.toBe(read);
      carries.add(queue.head);
      expect(queue.head[queue.headStart]).toBe(bytes(1000, k)[1000 - 100 - (k % 50)]);
    }
    expect(carries.size).toBeLessThanOrEqual(2);
  });

  it('an element arriving a byte at a time is one growing buffer: work linear in its size, borrowed or pushed', () => {
    const n = 1 << 20;
    for (const borrowed of [true, false]) {
      const queue = new ChunkQueue();
      const read = new Uint8Array(1);
      for (let i = 0; i < n; i++) {
        read[0] = i & 0xff;
        queue.push(borrowed ? read : Uint8Array.of(i & 0xff));
        if (borrowed) queue.ownLast(); else queue.packLast();
        if ((i & 0xffff) === 0) expect(queue.byteAt(queue.available - 1)).toBe(i & 0xff); // a read walks no chunk list
      }
      expect(queue.available).toBe(n);
      expect(queue.headEnd - queue.headStart).toBe(n); // one chunk
      const whole = queue.take(n);
      expect(whole[n - 1]).toBe((n - 1) & 0xff);
      expect(queue.work).toBeLessThan(4 * n);
    }
  });

  it('packLast() leaves a large pushed chunk where it is, uncopied', () => {
    const queue = new ChunkQueue();
    const big = new Uint8Array(65_536).fill(3);
    queue.push(big);
    queue.packLast();
    expect(queue.head).toBe(big);
    expect(queue.work).toBe(0);
  });
});
