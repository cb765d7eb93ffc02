/**
 * OggDemuxer.feed (PushDemuxer.feed, PacketSink): for every Ogg file in fixtures/media and
 * ../shared/media, in any chunking, feed() hands the sink exactly the packets push() returns
 * (bytes, timestamps, durations, count), also when the caller reuses one buffer for every chunk
 * and overwrites it as soon as feed() returns. On malformed input it ends in a DEMUX SpenceError
 * (after the packets before the fault) or gives push()'s packets; never another exception.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { oggCrc } from '../../src/demux/ogg/crc.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { OggDemuxerOptions } from '../../src/demux/ogg/ogg-demuxer.js';
import { serializeOpusHead } from '../../src/demux/ogg/opus-head.js';
import { serializeOpusTags } from '../../src/demux/ogg/opus-tags.js';
import type { PacketSink } from '../../src/demux/types.js';
import { mulberry32 as prng } from '../helpers/prng.js';
import { oggPage as page, oggPageOffsets } from '../helpers/ogg-page.js';

const root = join(import.meta.dirname, '..', '..');
const fixturesDir = join(root, 'fixtures', 'media');
const sharedDir = join(root, '..', 'shared', 'media');
const isOgg = (name: string): boolean => /\.(opus|ogg)$/.test(name);

function oggFiles(dir: string): { name: string; bytes: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(isOgg).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}
const fixtures = oggFiles(fixturesDir);
const shared = oggFiles(sharedDir);


/** Chunk sizes, one per call; `random` draws 1 B to 96 KiB, skewed small, from a seeded PRNG. */
type Chunking = { label: string; sizes: () => () => number };
const fixed = (n: number): Chunking => ({ label: `${n}-byte`, sizes: () => () => n });
const randomSizes = (seed: number): Chunking => ({
  label: `random-size (seed ${seed})`,
  sizes: () => {
    const next = prng(seed);
    return () => {
      const r = next();
      return 1 + Math.floor(r * r * r * 96 * 1024);
    };
  },
});
const CHUNKINGS: Chunking[] = [fixed(1), fixed(7), fixed(4093), fixed(65536), randomSizes(1), randomSizes(2)];

/** A packet as a comparable string: timestamp, duration and the bytes. */
const sig = (bytes: Uint8Array, timestampMs: number, durationMs: number): string =>
  `${timestampMs}/${durationMs}/${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')}`;

interface Outcome {
  packets: string[];
  /** The code of the SpenceError that ended the run, or null when it ran to the end. */
  error: string | null;
}

/** Runs `step` over the chunks of `bytes`, then `end()`; a SpenceError ends the run, anything else fails the test. */
function run(bytes: Uint8Array, chunking: Chunking, demuxer: OggDemuxer, step: (chunk: Uint8Array) => void, packets: string[]): Outcome {
  const size = chunking.sizes();
  try {
    for (let i = 0; i < bytes.length; ) {
      const n = size();
      step(bytes.subarray(i, i + n));
      i += n;
    }
    for (const p of demuxer.end()) packets.push(sig(p.data, p.timestampMs, p.durationMs));
  } catch (error) {
    if (!(error instanceof SpenceError)) throw error;
    return { packets, error: error.code };
  }
  return { packets, error: null };
}

function pushAll(bytes: Uint8Array, chunking: Chunking, options?: OggDemuxerOptions): Outcome {
  const demuxer = new OggDemuxer(options);
  const packets: string[] = [];
  return run(bytes, chunking, demuxer, (chunk) => {
    for (const p of demuxer.push(chunk)) {
      // feed() hands no zero-length packet to a sink (it carries no Opus packet, and no duration).
      if (p.data.length > 0) packets.push(sig(p.data, p.timestampMs, p.durationMs));
    }
  }, packets);
}

/** The capture pattern "OggS" (RFC 3533 §6), sown into the garbage that overwrites a fed buffer. */
const OGGS = [0x4f, 0x67, 0x67, 0x53];

/**
 * Feeds `bytes`. With `reuse`, every chunk is first copied into one scratch buffer that is
 * filled with garbage (capture patterns included) right after feed() returns; the sink copies the
 * bytes it is handed and the packets are compared only at the end, so a packet handed out as a
 * view of a chunk, or a chunk kept by the demuxer, shows as a difference.
 */
function feedAll(bytes: Uint8Array, chunking: Chunking, reuse: boolean, options?: OggDemuxerOptions): Outcome {
  const demuxer = new OggDemuxer(options);
  const copies: { data: Uint8Array; timestampMs: number; durationMs: number }[] = [];
  const sink: PacketSink = {
    packet(data, start, end, timestampMs, durationMs) {
      if (!(end > start) || start < 0 || end > data.length) throw new Error(`bad packet range [${start}, ${end}) of ${data.length}`);
      copies.push({ data: data.slice(start, end), timestampMs, durationMs });
    },
  };
  const scratch = reuse ? new Uint8Array(96 * 1024 + 1) : null;
  const garbage = prng(99);
  const outcome = run(bytes, chunking, demuxer, (chunk) => {
    if (scratch === null) {
      demuxer.feed(chunk, sink);
      return;
    }
    scratch.set(chunk);
    try {
      demuxer.feed(scratch.subarray(0, chunk.length), sink);
    } finally {
      for (let i = 0; i < chunk.length; i++) scratch[i] = i % 97 < 4 ? OGGS[i % 97]! : (garbage() * 256) | 0;
    }
  }, []);
  const packets = copies.map((p) => sig(p.data, p.timestampMs, p.durationMs));
  return { packets: [...packets, ...outcome.packets], error: outcome.error };
}

/**
 * Feed's outcome against push's in the same chunking: the same packets when neither fails; when
 * push fails, feed fails the same way, having handed out at least the packets push returned before
 * its failing call (push returns the packets before a fault, and throws on its next call).
 */
function expectSameOutcome(fed: Outcome, pushed: Outcome): void {
  if (pushed.error === null) {
    expect(fed.error).toBeNull();
    expect(fed.packets.length).toBe(pushed.packets.length);
    expect(fed.packets).toEqual(pushed.packets);
    return;
  }
  expect(fed.error).toBe(pushed.error);
  expect(fed.packets.slice(0, pushed.packets.length)).toEqual(pushed.packets);
}

/**
 * When push() in 1-byte chunks fails, each of its calls having completed at most one page, feed
 * has handed out its packets and at most the failing page's: 255 packets at most (RFC 3533 §6).
 */
function expectAtMostOnePageMore(fed: Outcome, bytewise: Outcome): void {
  if (bytewise.error === null) return;
  expect(fed.packets.slice(0, bytewise.packets.length)).toEqual(bytewise.packets);
  expect(fed.packets.length).toBeLessThanOrEqual(bytewise.packets.length + 255);
}

describe('OggDemuxer.feed: the packets push() gives, for every Ogg file', () => {
  it('has Ogg fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(8));
  for (const { dir, files } of [{ dir: 'fixtures/media', files: fixtures }, { dir: '../shared/media', files: shared }]) {
    for (const { name, bytes } of files) {
      describe(`${dir}/${name}`, () => {
        const reference = pushAll(bytes, fixed(65536));
        it('push() reads it whole (the reference)', () => {
          expect(reference.error).toBeNull();
          expect(reference.packets.length).toBeGreaterThan(0);
        });
        for (const chunking of CHUNKINGS) {
          it(`${chunking.label} chunks, fresh and reused buffers`, () => {
            const pushed = pushAll(bytes, chunking);
            expect(pushed).toEqual(reference); // push() itself does not depend on the chunking
            expectSameOutcome(feedAll(bytes, chunking, false), pushed);
            expectSameOutcome(feedAll(bytes, chunking, true), pushed);
          });
        }
        it('verifyCrc: false, random-size chunks into a reused buffer', () => {
          const chunking = randomSizes(3);
          expectSameOutcome(feedAll(bytes, chunking, true, { verifyCrc: false }), pushAll(bytes, chunking, { verifyCrc: false }));
        });
      });
    }
  }
});

// ------------------------------------------------------------------ hand-built pages

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);


/** OpusHead (BOS, pre-skip 312) and OpusTags pages. */
const headPages = (): Uint8Array[] => [
  page({ flags: 2, granule: 0n, sequence: 0, lacing: [19], body: serializeOpusHead({ channels: 2, preSkip: 312 }) }),
  page({ granule: 0n, sequence: 1, lacing: [20], body: serializeOpusTags({ vendor: 'test', comments: [] }) }),
];

// ------------------------------------------------------------------ malformed input


/** Damaged copies of `bytes`, from a seeded PRNG: truncated, with bad CRCs, with garbage. */
function damaged(bytes: Uint8Array, seed: number): { what: string; bytes: Uint8Array }[] {
  const next = prng(seed);
  const at = (n: number): number => Math.floor(next() * n);
  const pages = oggPageOffsets(bytes);
  const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => at(256));
  const out: { what: string; bytes: Uint8Array }[] = [];
  for (let k = 0; k < 3; k++) {
    const cut = 1 + at(bytes.length - 1);
    out.push({ what: `truncated at ${cut}`, bytes: bytes.slice(0, cut) });
  }
  for (let k = 0; k < 3; k++) {
    const copy = bytes.slice();
    const page = pages[at(pages.length)]!;
    const field = page + 22 + at(4); // the stored CRC (RFC 3533 §6)
    copy[field] = copy[field]! ^ (1 + at(255));
    out.push({ what: `bad CRC on the page at ${page}`, bytes: copy });
  }
  for (let k = 0; k < 3; k++) {
    const copy = bytes.slice();
    const i = at(copy.length);
    copy[i] = copy[i]! ^ (1 + at(255));
    out.push({ what: `byte ${i} flipped`, bytes: copy });
  }
  {
    const i = at(bytes.length);
    const junk = randomBytes(1 + at(5000));
    const copy = new Uint8Array(bytes.length + junk.length);
    copy.set(bytes.subarray(0, i));
    copy.set(junk, i);
    copy.set(bytes.subarray(i), i + junk.length);
    out.push({ what: `${junk.length} garbage bytes inserted at ${i}`, bytes: copy });
  }
  out.push({ what: 'garbage only', bytes: randomBytes(20_000) });
  return out;
}

describe('OggDemuxer.feed on malformed input: DEMUX or push()\'s packets, never another exception', () => {
  const small = fixtures.filter((f) => f.bytes.length < 80_000);
  for (const [index, { name, bytes }] of small.entries()) {
    it(`${name}: truncated, bad CRCs, flipped bytes, garbage`, () => {
      for (const { what, bytes: bad } of damaged(bytes, 1000 + index)) {
        const bytewise = pushAll(bad, fixed(1));
        for (const chunking of [fixed(1), fixed(4093), randomSizes(index)]) {
          const pushed = pushAll(bad, chunking);
          if (pushed.error !== null) expect(pushed.error, what).toBe('DEMUX');
          const fed = feedAll(bad, chunking, true);
          expectSameOutcome(fed, pushed);
          expectAtMostOnePageMore(fed, bytewise);
        }
      }
    });
  }

  it('an invalid OpusHead behind a valid CRC: DEMUX from both', () => {
    const bytes = fixtures.find((f) => f.name === 'opusenc-stereo.opus')!.bytes.slice();
    bytes[28 + 8] = 0x10; // OpusHead version 16: major version 1 is incompatible (RFC 7845 §5.1)
    bytes.fill(0, 22, 26);
    new DataView(bytes.buffer).setUint32(22, oggCrc(bytes.subarray(0, oggPageOffsets(bytes)[1])), true);
    for (const chunking of [fixed(1), fixed(65536)]) {
      const pushed = pushAll(bytes, chunking);
      expect(pushed.error).toBe('DEMUX');
      const fed = feedAll(bytes, chunking, true);
      expectSameOutcome(fed, pushed);
      expectAtMostOnePageMore(fed, pushAll(bytes, fixed(1)));
    }
  });

  it('a packet over maxElementSize: DEMUX after the packets before it, and feed() stays failed', () => {
    const big = new Uint8Array(3000).fill(7);
    big[0] = 0xfc;
    // The page completes a 3-byte packet, then starts one whose 1020 bytes so far are over the limit.
    const bytes = concat([...headPages(), page({ sequence: 2, granule: 960n, lacing: [3, 255, 255, 255, 255], body: concat([Uint8Array.of(0xfc, 1, 2), big.subarray(0, 1020)]) })]);
    const demuxer = new OggDemuxer({ maxElementSize: 1000 });
    const got: number[] = [];
    const sink: PacketSink = { packet: (_b, start, end, timestampMs) => got.push(end - start, timestampMs) };
    let thrown: unknown = null;
    try {
      demuxer.feed(bytes, sink);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpenceError);
    expect((thrown as SpenceError).code).toBe('DEMUX');
    expect(got).toEqual([3, (0 - 312) / 48]);
    // push() returns the packet before the fault, then throws on the next call (issue 15 item 4).
    const pushing = new OggDemuxer({ maxElementSize: 1000 });
    expect(pushing.push(bytes).map((p) => [p.data.length, p.timestampMs])).toEqual([[3, (0 - 312) / 48]]);
    expect(() => pushing.push(Uint8Array.of(0))).toThrow(SpenceError);
    expect(() => pushing.end()).toThrow(SpenceError);
    expect(() => demuxer.feed(Uint8Array.of(0), sink)).toThrow(thrown as Error);
  });

  it('feed() after end() throws INVALID_STATE', () => {
    const demuxer = new OggDemuxer();
    demuxer.feed(fixtures[0]!.bytes, { packet: () => undefined });
    demuxer.end();
    try {
      demuxer.feed(Uint8Array.of(0), { packet: () => undefined });
      expect.fail('expected INVALID_STATE');
    } catch (error) {
      expect(error).toBeInstanceOf(SpenceError);
      expect((error as SpenceError).code).toBe('INVALID_STATE');
    }
  });
});

describe('OggDemuxer.feed: packets across pages and empty packets', () => {
  it('packets continued across pages come whole, with the page timing push() gives', () => {
    const long = (n: number, seed: number): Uint8Array => {
      const p = Uint8Array.from({ length: n }, (_, i) => (i * seed) & 0xff);
      p[0] = 0xfc; // CELT FB 20 ms, one frame (RFC 6716 §3.1)
      return p;
    };
    const a = long(600, 31);
    const b = long(700, 17);
    const bytes = concat([
      ...headPages(),
      page({ sequence: 2, granule: 960n, lacing: [3, 255, 255], body: concat([Uint8Array.of(0xfc, 1, 2), a.subarray(0, 510)]) }),
      // Completes `a`, then starts `b`, which reuses the buffer `a` was gathered in.
      page({ flags: 1, sequence: 3, granule: 1920n, lacing: [90, 255, 255], body: concat([a.subarray(510), b.subarray(0, 510)]) }),
      page({ flags: 1 | 4, sequence: 4, granule: 3840n, lacing: [190, 2], body: concat([b.subarray(510), Uint8Array.of(0xfc, 9)]) }),
    ]);
    for (const chunking of [fixed(1), fixed(7), fixed(65536)]) {
      const fed = feedAll(bytes, chunking, true);
      expectSameOutcome(fed, pushAll(bytes, chunking));
      expect(fed.packets).toEqual([
        sig(Uint8Array.of(0xfc, 1, 2), -312 / 48, 20),
        sig(a, (960 - 312) / 48, 20),
        sig(b, (1920 - 312) / 48, 20),
        sig(Uint8Array.of(0xfc, 9), (2880 - 312) / 48, 20),
      ]);
    }
  });

  it('a zero-length packet: push() and feed() skip it (issue 15 item 6); the timing is the same', () => {
    const bytes = concat([
      ...headPages(),
      page({ flags: 4, sequence: 2, granule: 1920n, lacing: [2, 0, 2], body: Uint8Array.of(0xfc, 1, 0xfc, 2) }),
    ]);
    const demuxer = new OggDemuxer();
    const pushed = demuxer.push(bytes);
    expect(pushed.map((p) => p.data.length)).toEqual([2, 2]);
    expect(pushed.map((p) => p.timestampMs)).toEqual([-312 / 48, (960 - 312) / 48]);
    const fed = feedAll(bytes, fixed(65536), false);
    expect(fed.packets).toEqual(pushed.map((p) => sig(p.data, p.timestampMs, p.durationMs)));
  });
});
