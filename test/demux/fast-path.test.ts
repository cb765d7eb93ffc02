/**
 * The demuxers' fast paths against their general paths.
 *
 * WebM reads SimpleBlocks in place when a block lies whole in the head chunk; in 5-byte chunks no
 * block ever does (a SimpleBlock takes at least 6 bytes before its frame), so 5-byte chunking runs
 * the general state machine only, and every other chunking must give the same packets (bytes,
 * timestamps, durations) and the same failure. Ogg copies the packets of a page in one run into a
 * shared slab (its WebAssembly CRC is checked against the JS one in ogg-crc.test.ts), WebM the
 * SimpleBlocks a chunk holds whole, with zeros where their headers were.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { OpusPacket, PushDemuxer } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Kind = 'webm' | 'ogg';
function mediaFiles(kind: Kind): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const dir of [path.join(repoRoot, 'fixtures/media'), path.resolve(repoRoot, '../shared/media')]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const isWebm = name.endsWith('.webm');
      const isOgg = name.endsWith('.ogg') || name.endsWith('.opus');
      if ((kind === 'webm' && isWebm) || (kind === 'ogg' && isOgg)) out.push({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) });
    }
  }
  return out;
}

const newDemuxer = (kind: Kind, maxElementSize?: number): PushDemuxer =>
  kind === 'webm' ? new WebmDemuxer({ maxElementSize }) : new OggDemuxer({ maxElementSize });

interface Outcome { packets: OpusPacket[]; error: string | null }

/** Feeds `bytes` as Buffers cut at `sizes` (cycled); collects every packet and the failure, if any. */
function run(kind: Kind, bytes: Uint8Array, sizes: number[], maxElementSize?: number): Outcome {
  const demuxer = newDemuxer(kind, maxElementSize);
  const packets: OpusPacket[] = [];
  const chunks: Buffer[] = [];
  try {
    for (let offset = 0, i = 0; offset < bytes.length; i++) {
      const size = sizes[i % sizes.length]!;
      // Buffers, as Node streams deliver them: Buffer#slice is a view, which a packet must never be.
      const chunk = Buffer.from(bytes.subarray(offset, offset + size));
      chunks.push(chunk);
      packets.push(...demuxer.push(chunk));
      offset += size;
    }
    packets.push(...demuxer.end());
  } catch (error) {
    if (!(error instanceof SpenceError)) throw error;
    return { packets, error: error.code };
  } finally {
    const pushed = new Set(chunks.map((c) => c.buffer));
    for (const packet of packets) if (pushed.has(packet.data.buffer)) expect.fail('a packet is a view on a pushed chunk');
  }
  return { packets, error: null };
}

/**
 * `actual` must equal `expected`; except that where the Ogg demuxer fails, the packets completed
 * earlier in the failing push are not returned (its push throws), so there only a prefix is due.
 */
function expectSame(kind: Kind, actual: Outcome, expected: Outcome): void {
  expect(actual.error).toBe(expected.error);
  if (kind === 'ogg' && expected.error !== null) expect(actual.packets.length).toBeLessThanOrEqual(expected.packets.length);
  else expect(actual.packets.length).toBe(expected.packets.length);
  for (let i = 0; i < actual.packets.length; i++) {
    const a = actual.packets[i]!;
    const e = expected.packets[i]!;
    if (a.timestampMs !== e.timestampMs || a.durationMs !== e.durationMs || Buffer.compare(a.data, e.data) !== 0) {
      expect.fail(`packet ${i}: ${a.data.length} bytes at ${a.timestampMs} ms (${a.durationMs} ms), expected ${e.data.length} bytes at ${e.timestampMs} ms (${e.durationMs} ms)`);
    }
  }
}

for (const kind of ['webm', 'ogg'] as const) {
  describe(`${kind}: chunkings agree with the general path`, () => {
    const files = mediaFiles(kind);
    it('has media files', () => expect(files.length).toBeGreaterThan(0));
    for (const { name, bytes } of files) {
      it(name, () => {
        const general = run(kind, bytes, [5]);
        expect(general.error).toBe(null);
        expectSame(kind, run(kind, bytes, [bytes.length]), general);
        expectSame(kind, run(kind, bytes, [65_536]), general);
        expectSame(kind, run(kind, bytes, [4093, 17, 65_536, 301, 6, 1 << 20]), general);
      });
    }

    it('mutated files give the same packets and failure in any chunking', () => {
      const prefixes = files.map((f) => f.bytes.slice(0, 24 * 1024));
      const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
      fc.assert(
        fc.property(
          fc.constantFrom(...prefixes), fc.array(mutation, { minLength: 1, maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(undefined, 300, 4096),
          (prefix, mutations, sizes, limit) => {
            const bytes = prefix.slice();
            for (const m of mutations) bytes[m.at % bytes.length] = m.value;
            const general = run(kind, bytes, [5], limit);
            expectSame(kind, run(kind, bytes, [bytes.length], limit), general);
            expectSame(kind, run(kind, bytes, sizes, limit), general);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
}

describe('Ogg packet storage', () => {
  it('small packets share a slab of at most 64 KiB, never a pushed chunk', () => {
    const file = mediaFiles('ogg')[0]!;
    const { packets } = run('ogg', file.bytes, [file.bytes.length]);
    expect(packets.length).toBeGreaterThan(0);
    for (const p of packets) expect(p.data.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it("a slab holds packet bytes and zeros, never stale memory, whatever the chunking", () => {
    // The slabs are shared with every other packet made in this process (src/demux/slab-sink.ts), so
    // bytes outside this run's packets may be other packets' bytes; what must never be there is
    // freed memory: a run of the 0xA5 poison below.
    const POISON_RUN = 16;
    const file = mediaFiles('ogg')[0]!;
    for (const sizes of [[file.bytes.length], [65_536], [4093, 17, 301], [100]]) {
      // Freed memory full of 0xA5, which an uninitialised allocation may get back.
      for (let i = 0; i < 64; i++) new Uint8Array(Buffer.allocUnsafeSlow(64 * 1024).buffer).fill(0xa5);
      const { packets } = run('ogg', file.bytes, sizes);
      const covered = new Map<ArrayBufferLike, Uint8Array>();
      for (const { data } of packets) {
        let mask = covered.get(data.buffer);
        if (!mask) covered.set(data.buffer, (mask = new Uint8Array(data.buffer.byteLength)));
        mask.fill(1, data.byteOffset, data.byteOffset + data.length);
      }
      for (const [buffer, mask] of covered) {
        const bytes = new Uint8Array(buffer);
        let run = 0;
        for (let i = 0; i < bytes.length; i++) {
          run = !mask[i] && bytes[i] === 0xa5 ? run + 1 : 0;
          if (run === POISON_RUN) expect.fail(`bytes ${i - POISON_RUN + 1}-${i} of a ${bytes.length}-byte slab are freed memory, in no packet (chunks of ${sizes.join(', ')})`);
        }
      }
    }
  });
});

describe('WebM packet storage', () => {
  it("a chunk's SimpleBlocks are copied in runs: shared slabs, and zeros where their headers were", () => {
    for (const file of mediaFiles('webm')) {
      for (const sizes of [[file.bytes.length], [65_536], [4093, 17, 301]]) {
        const { packets } = run('webm', file.bytes, sizes);
        const byBuffer = new Map<ArrayBufferLike, Uint8Array[]>();
        for (const { data } of packets) byBuffer.set(data.buffer, [...(byBuffer.get(data.buffer) ?? []), data]);
        if (sizes[0] === file.bytes.length && packets.length > 100) expect(byBuffer.size, file.name).toBeLessThan(packets.length / 4);
        for (const [buffer, views] of byBuffer) {
          expect(buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
          views.sort((a, b) => a.byteOffset - b.byteOffset);
          const memory = new Uint8Array(buffer);
          for (let k = 1; k < views.length; k++) {
            const gap = memory.subarray(views[k - 1]!.byteOffset + views[k - 1]!.length, views[k]!.byteOffset);
            if (!gap.every((b) => b === 0)) expect.fail(`${file.name}: non-zero bytes between two packets in a slab (chunks of ${sizes.join(', ')})`);
          }
        }
      }
    }
  });
});
