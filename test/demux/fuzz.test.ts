/**
 * Property tests on bad input: mutated, truncated and spliced conformance files, fed in random
 * chunkings to both demuxers. Whatever the bytes, a demuxer throws nothing but SpenceError, every
 * run finishes, and what it buffers stays under its limit. 10,000+ runs in all (kept fast by
 * using file prefixes of a few KiB).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { MAX_OGG_PAGE_SIZE, OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { DEFAULT_MAX_ELEMENT_SIZE } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { MAX_HEADER_LENGTH } from '../../src/demux/webm/ebml.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PREFIX = 12 * 1024;

type Kind = 'webm' | 'ogg';
function corpus(kind: Kind): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of [path.join(repoRoot, 'fixtures/media'), path.resolve(repoRoot, '../shared/media')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const isWebm = name.endsWith('.webm') || name.endsWith('.mka') || name.endsWith('.mkv');
      const isOgg = name.endsWith('.ogg') || name.endsWith('.opus');
      if ((kind === 'webm' && !isWebm) || (kind === 'ogg' && !isOgg)) continue;
      const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
      out.push(bytes.slice(0, PREFIX));
      // A window from the middle too: clusters/pages without the headers, and the file's tail.
      if (bytes.length > 3 * PREFIX) out.push(bytes.slice(bytes.length - PREFIX));
    }
  }
  return out;
}

const files: Record<Kind, Uint8Array[]> = { webm: corpus('webm'), ogg: corpus('ogg') };
const LIMITS = [256, 2048, DEFAULT_MAX_ELEMENT_SIZE];

/** The most a demuxer may hold after a push returns. */
function bound(kind: Kind, limit: number): number {
  return kind === 'webm' ? limit + MAX_HEADER_LENGTH : limit + MAX_OGG_PAGE_SIZE;
}

function feed(kind: Kind, bytes: Uint8Array, chunkSizes: number[], limit: number): void {
  const demuxer = kind === 'webm' ? new WebmDemuxer({ maxElementSize: limit }) : new OggDemuxer({ maxElementSize: limit });
  try {
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      const size = chunkSizes[i % chunkSizes.length]!;
      demuxer.push(bytes.subarray(offset, offset + size));
      offset += size;
      if (demuxer.bufferedBytes > bound(kind, limit)) throw new Error(`buffered ${demuxer.bufferedBytes} bytes over the ${limit}-byte limit`);
    }
    demuxer.end();
  } catch (error) {
    if (!(error instanceof SpenceError)) throw error;
    expect(error.code === 'DEMUX' || error.code === 'INVALID_STATE').toBe(true);
  }
}

const chunkings = fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 8 });
const limit = fc.constantFrom(...LIMITS);

function fileArb(kind: Kind) {
  return fc.integer({ min: 0, max: files[kind].length - 1 }).map((i) => files[kind][i]!);
}

/** Byte mutations: set, flip bits, insert, delete, at random offsets. */
const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'flip', 'insert', 'delete', 'ones'),
  value: fc.integer({ min: 0, max: 255 }),
  length: fc.integer({ min: 1, max: 16 }),
});
function mutate(bytes: Uint8Array, mutations: { at: number; op: string; value: number; length: number }[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.op === 'set') out[at] = m.value;
    else if (m.op === 'flip') out[at] = out[at]! ^ (1 << (m.value & 7));
    else if (m.op === 'ones') out.fill(0xff, at, at + m.length); // e.g. unknown sizes, huge sizes
    else if (m.op === 'insert') {
      const next = new Uint8Array(out.length + m.length);
      next.set(out.subarray(0, at)); next.fill(m.value, at, at + m.length); next.set(out.subarray(at), at + m.length);
      out = next;
    } else {
      const end = Math.min(out.length, at + m.length);
      const next = new Uint8Array(out.length - (end - at));
      next.set(out.subarray(0, at)); next.set(out.subarray(end), at);
      out = next;
    }
  }
  return out;
}

for (const kind of ['webm', 'ogg'] as const) {
  describe.skipIf(files[kind].length === 0)(`fuzz: ${kind}`, () => {
    const runs = kind === 'webm' ? 2000 : 1400;

    it(`mutated files throw only SpenceError and stay bounded (${runs} runs)`, () => {
      fc.assert(fc.property(fileArb(kind), fc.array(mutation, { minLength: 1, maxLength: 12 }), chunkings, limit,
        (bytes, mutations, chunks, max) => feed(kind, mutate(bytes, mutations), chunks, max)), { numRuns: runs });
    });

    it(`truncated files throw only SpenceError and stay bounded (${runs} runs)`, () => {
      fc.assert(fc.property(fileArb(kind), fc.nat(), chunkings, limit,
        (bytes, cut, chunks, max) => feed(kind, bytes.subarray(0, cut % (bytes.length + 1)), chunks, max)), { numRuns: runs });
    });

    it(`spliced files throw only SpenceError and stay bounded (${runs} runs)`, () => {
      fc.assert(fc.property(fileArb(kind), fc.oneof(fileArb('webm'), fileArb('ogg')), fc.nat(), fc.nat(), chunkings, limit,
        (a, b, cutA, cutB, chunks, max) => {
          const head = a.subarray(0, cutA % (a.length + 1));
          const tail = b.subarray(cutB % (b.length + 1));
          const spliced = new Uint8Array(head.length + tail.length);
          spliced.set(head); spliced.set(tail, head.length);
          feed(kind, spliced, chunks, max);
        }), { numRuns: runs });
    });
  });
}

describe('fuzz: corpus', () => {
  it('has files to mutate', () => {
    expect(files.webm.length).toBeGreaterThan(0);
  });
});
