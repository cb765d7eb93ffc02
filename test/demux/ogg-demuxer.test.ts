/**
 * OggDemuxer behaviour: CRC, pages, continued packets, OpusTags over pages, chained and
 * multiplexed streams, resync, truncation, restart, limits, and arbitrary chunking.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { oggCrc, oggPageCrc } from '../../src/demux/ogg/crc.js';
import { MAX_OGG_PAGE_SIZE, OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import { parseOpusHead, serializeOpusHead } from '../../src/demux/ogg/opus-head.js';
import { parseOpusTags, serializeOpusTags } from '../../src/demux/ogg/opus-tags.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { oggPage as page } from '../helpers/ogg-page.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'media');
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));

/** Pushes `bytes` in chunks of the given sizes (cycled), then ends. */
function demux(bytes: Uint8Array, sizes: number[] = [65536], demuxer = new OggDemuxer()): OpusPacket[] {
  const out: OpusPacket[] = [];
  let k = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    out.push(...demuxer.push(bytes.subarray(i, i + n)));
    i += n;
  }
  out.push(...demuxer.end());
  return out;
}

/** A compact, comparable signature of packets (vitest's deep equality on typed arrays is slow). */
const sig = (packets: OpusPacket[]): string[] =>
  packets.map((p) => `${p.timestampMs}/${p.durationMs}/${Buffer.from(p.data.buffer, p.data.byteOffset, p.data.length).toString('base64')}`);

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};


/** An Opus packet of `size` bytes: TOC 0xfc (CELT FB 20 ms, one frame), then filler. */
function opusPacket(size: number, fill = 0): Uint8Array {
  const p = new Uint8Array(size).fill(fill);
  p[0] = 0xfc;
  return p;
}

/** Splits the pages of an Ogg file (assumed valid) into an array. */
function pages(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = bytes[i + 26]!;
    let size = 27 + n;
    for (let k = 0; k < n; k++) size += bytes[i + 27 + k]!;
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

function writeStream(packets: Uint8Array[], serial: number, opts: { channels?: number; trim?: number; maxPageDurationMs?: number } = {}): Uint8Array {
  const writer = new OggOpusWriter({ channels: opts.channels ?? 2, preSkip: 312 }, { serial, maxPageDurationMs: opts.maxPageDurationMs ?? 200 });
  const parts: Uint8Array[] = [];
  for (const p of packets) parts.push(...writer.write(p));
  parts.push(...writer.end({ trimSamples: opts.trim ?? 0 }));
  return concat(parts);
}

const headPages = (serial: number): Uint8Array[] => [
  page({ flags: 2, granule: 0n, serial, sequence: 0, lacing: [19], body: serializeOpusHead({ channels: 2, preSkip: 312 }) }),
  page({ granule: 0n, serial, sequence: 1, lacing: [20], body: serializeOpusTags({ vendor: 'test', comments: [] }) }),
];

const expectDemuxError = (fn: () => unknown): void => {
  try { fn(); } catch (e) {
    expect(e).toBeInstanceOf(SpenceError);
    expect((e as SpenceError).code).toBe('DEMUX');
    return;
  }
  expect.fail('expected a DEMUX error');
};

describe('Ogg CRC (RFC 3533 §6)', () => {
  it('matches the CRC-32/POSIX check value without its final XOR', () => {
    // CRC-32/POSIX ("cksum" without the length) of "123456789" is 0x765e7680 with xorout 0xffffffff.
    expect(oggCrc(new TextEncoder().encode('123456789'))).toBe(~0x765e7680 >>> 0);
    expect(oggCrc(new Uint8Array(0))).toBe(0);
  });

  it('the sliced table equals the bitwise definition on any bytes', () => {
    const bitwise = (bytes: Uint8Array): number => {
      let crc = 0;
      for (const b of bytes) {
        crc ^= b << 24;
        for (let i = 0; i < 8; i++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
      }
      return crc >>> 0;
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => oggCrc(bytes) === bitwise(bytes)), { numRuns: 500 });
  });

  it('verifies every page of a real file', () => {
    for (const p of pages(load('opusenc-stereo.opus'))) {
      expect(oggPageCrc(p, 0, p.length)).toBe(new DataView(p.buffer, p.byteOffset).getUint32(22, true));
    }
  });
});

describe('OpusHead and OpusTags (RFC 7845 §5)', () => {
  it('round-trips OpusHead, families 0 and 1', () => {
    const stereo = parseOpusHead(serializeOpusHead({ channels: 2, preSkip: 3840, inputSampleRate: 44100, outputGain: -256 }));
    expect(stereo).toMatchObject({ version: 1, channels: 2, preSkip: 3840, inputSampleRate: 44100, outputGain: -256, channelMappingFamily: 0 });
    const surround = parseOpusHead(serializeOpusHead({ channels: 6, channelMappingFamily: 1, streamCount: 4, coupledCount: 2, channelMapping: [0, 4, 1, 2, 3, 5] }));
    expect(surround.streamCount).toBe(4);
    expect([...surround.channelMapping!]).toEqual([0, 4, 1, 2, 3, 5]);
    expect(parseOpusHead(load('surround-51.opus').subarray(28, 28 + 27)).channels).toBe(6);
  });

  it('rejects invalid OpusHead', () => {
    const good = serializeOpusHead({ channels: 2 });
    expectDemuxError(() => parseOpusHead(good.subarray(0, 18)));
    const badVersion = good.slice(); badVersion[8] = 0x10;
    expectDemuxError(() => parseOpusHead(badVersion));
    const zeroChannels = good.slice(); zeroChannels[9] = 0;
    expectDemuxError(() => parseOpusHead(zeroChannels));
    const threeOnFamily0 = good.slice(); threeOnFamily0[9] = 3;
    expectDemuxError(() => parseOpusHead(threeOnFamily0));
    expect(() => serializeOpusHead({ channels: 6 })).toThrow(SpenceError);
  });

  it('round-trips OpusTags and rejects lengths past the end', () => {
    const tags = { vendor: 'spence ✓', comments: ['TITLE=Ünïcode', 'ARTIST=x'] };
    expect(parseOpusTags(serializeOpusTags(tags))).toEqual(tags);
    const bytes = serializeOpusTags(tags);
    expectDemuxError(() => parseOpusTags(bytes.subarray(0, bytes.length - 1)));
  });
});

describe('OggDemuxer', () => {
  const audio = Array.from({ length: 120 }, (_, i) => opusPacket(20 + ((i * 37) % 700), i));
  const stream = writeStream(audio, 11, { trim: 100 });

  it('exposes info before the first packet and never emits header packets', () => {
    const demuxer = new OggDemuxer();
    const [head, tags] = pages(stream);
    expect(demuxer.push(head!)).toEqual([]);
    expect(demuxer.info).toMatchObject({ container: 'ogg', channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, channelMappingFamily: 0 });
    expect(demuxer.info!.codec).toBe('opus'); // as the WebM demuxer says it: StreamInfo narrows on codec
    expect(demuxer.info!.opusHead!.length).toBe(19);
    expect(demuxer.push(tags!)).toEqual([]);
    expect(demuxer.tags).toEqual({ vendor: 'spence', comments: [] });
  });

  it('yields packets with TOC durations and granule-based timestamps; exposes the end trim', () => {
    const demuxer = new OggDemuxer();
    const packets = demux(stream, [65536], demuxer);
    expect(packets.map((p) => p.data)).toEqual(audio);
    expect(packets.every((p) => p.durationMs === 20)).toBe(true);
    expect(packets.map((p) => p.timestampMs)).toEqual(audio.map((_, i) => i * 20 - 312 / 48));
    expect(demuxer.endTrimSamples).toBe(100);
  });

  it('gives the same packets for any chunking, 1-byte chunks included', () => {
    const whole = demux(stream);
    const wholeSig = sig(whole);
    expect(sig(demux(stream, [1]))).toEqual(wholeSig);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(sig(demux(stream, sizes))).toEqual(wholeSig);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a packet continued over several pages', () => {
    const big = opusPacket(1000, 9);
    // 1000 bytes = lacing 255, 255, 255, 235, spread over four pages of one lacing value each.
    const bytes = concat([
      ...headPages(5),
      page({ serial: 5, sequence: 2, lacing: [255], body: big.subarray(0, 255) }),
      page({ flags: 1, serial: 5, sequence: 3, lacing: [255], body: big.subarray(255, 510) }),
      page({ flags: 1, serial: 5, sequence: 4, lacing: [255], body: big.subarray(510, 765) }),
      page({ flags: 1 | 4, granule: 960n, serial: 5, sequence: 5, lacing: [235, 3], body: concat([big.subarray(765), opusPacket(3)]) }),
    ]);
    for (const sizes of [[65536], [1], [13]]) {
      const packets = demux(bytes, sizes);
      expect(packets.map((p) => p.data)).toEqual([big, opusPacket(3)]);
      expect(packets.map((p) => p.timestampMs)).toEqual([-6.5, 13.5]);
    }
    // A writer splits packets larger than a page body over several pages, too.
    const huge = opusPacket(200_000, 3);
    expect(demux(writeStream([opusPacket(10), huge, opusPacket(10)], 9)).map((p) => p.data.length)).toEqual([10, 200_000, 10]);
  });

  it('reads OpusTags spanning several pages, and skips it when larger than maxElementSize', () => {
    const bytes = load('big-tags.opus');
    const demuxer = new OggDemuxer();
    const packets = demux(bytes, [1000], demuxer);
    expect(packets.length).toBe(101);
    expect(demuxer.tags!.comments.some((c) => c.startsWith('DESCRIPTION=') && c.length === 12 + 66000)).toBe(true);
    const small = new OggDemuxer({ maxElementSize: 10_000 });
    expect(demux(bytes, [4096], small).length).toBe(101);
    expect(small.tags).toBeNull();
    expect(small.bufferedBytes).toBe(0);
  });

  it('refuses an audio packet larger than maxElementSize', () => {
    const bytes = writeStream([opusPacket(10), opusPacket(100_000), opusPacket(10)], 3);
    expectDemuxError(() => demux(bytes, [65536], new OggDemuxer({ maxElementSize: 50_000 })));
  });

  it('continues the packet sequence across chained streams, with each link’s headers', () => {
    const first = audio.slice(0, 50);
    const second = audio.slice(50, 80);
    const bytes = concat([writeStream(first, 100, { channels: 1, trim: 200 }), writeStream(second, 200)]);
    const demuxer = new OggDemuxer();
    const packets = demux(bytes, [333], demuxer);
    expect(packets.map((p) => p.data)).toEqual([...first, ...second]);
    expect(demuxer.info!.channels).toBe(2);
    // Link 1 plays (50 * 960 - 200 - 312) samples; link 2's timeline starts there.
    const link2Start = (50 * 960 - 200 - 312) / 48;
    expect(packets[50]!.timestampMs).toBeCloseTo(link2Start - 312 / 48, 9);
    expect(packets[79]!.timestampMs).toBeCloseTo(link2Start - 312 / 48 + 29 * 20, 9);
    // The chained fixture: two opusenc links with different serials, channels and frame sizes.
    const chained = demux(load('chained.opus'), [1]);
    expect(chained.length).toBe(152);
    // Link 2's first packet starts pre-skip before link 1's trimmed end: where link 1's last packet started here.
    for (let i = 1; i < chained.length; i++) expect(chained[i]!.timestampMs).toBeGreaterThanOrEqual(chained[i - 1]!.timestampMs);
    expect(chained[101]!.timestampMs).toBe((96000 - 312) / 48);
  });

  it('ignores pages of other logical streams (multiplexed Theora + Opus)', () => {
    const demuxer = new OggDemuxer();
    expect(demux(load('multiplexed.ogg'), [100], demuxer).length).toBe(51);
    expect(demuxer.info!.channels).toBe(2);
  });

  it('resyncs on OggS after garbage, including false capture patterns', () => {
    const whole = demux(stream);
    const wholeSig = sig(whole);
    const ps = pages(stream);
    const junk = new TextEncoder().encode('garbage OggS not a page OggS\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0 more');
    const withJunk = concat([junk, ...ps.flatMap((p, i) => (i % 3 === 1 ? [p, junk] : [p]))]);
    expect(sig(demux(withJunk))).toEqual(wholeSig);
    expect(sig(demux(withJunk, [1]))).toEqual(wholeSig);
    expect(sig(demux(withJunk, [7, 3000, 11]))).toEqual(wholeSig);
    // Without per-page CRCs, pages found by resync are still checked: false capture patterns are skipped.
    expect(sig(demux(withJunk, [1], new OggDemuxer({ verifyCrc: false })))).toEqual(wholeSig);
    expect(sig(demux(withJunk, [65536], new OggDemuxer({ verifyCrc: false })))).toEqual(wholeSig);
  });

  it('drops a page with a bad CRC and the packet spanning it, then goes on', () => {
    const big = opusPacket(600, 1);
    const bytes = concat([
      ...headPages(5),
      page({ granule: 960n, serial: 5, sequence: 2, lacing: [5, 255], body: concat([opusPacket(5), big.subarray(0, 255)]) }),
      page({ flags: 1, serial: 5, sequence: 3, lacing: [255], body: big.subarray(255, 510) }),
      page({ flags: 1, granule: 2880n, serial: 5, sequence: 4, lacing: [90, 7], body: concat([big.subarray(510), opusPacket(7)]) }),
      page({ granule: 3840n, serial: 5, sequence: 5, lacing: [8], body: opusPacket(8) }),
    ]);
    expect(demux(bytes).map((p) => p.data.length)).toEqual([5, 600, 7, 8]);
    const corrupt = bytes.slice();
    const ps = pages(bytes);
    const offsetOfPage3 = ps.slice(0, 3).reduce((n, p) => n + p.length, 0);
    corrupt[offsetOfPage3 + 40] = 0x55; // inside the middle page's body (was 0x01)
    for (const sizes of [[65536], [1]]) {
      const packets = demux(corrupt, sizes);
      expect(packets.map((p) => p.data.length)).toEqual([5, 7, 8]);
      // After the loss, the timeline is re-anchored on the next granule position.
      expect(packets.map((p) => p.timestampMs)).toEqual([-6.5, (2880 - 960 - 312) / 48, (2880 - 312) / 48]);
    }
  });

  it('truncated input gives every packet of every complete page, then ends cleanly', () => {
    const whole = demux(stream);
    const wholeSig = sig(whole);
    const ps = pages(stream);
    // After each complete page: how many packets its prefix yields.
    const boundaries: Array<[number, number]> = [];
    let offset = ps[0]!.length;
    for (let i = 1; i < ps.length; i++) {
      offset += ps[i]!.length;
      boundaries.push([offset, demux(concat(ps.slice(0, i + 1))).length]);
    }
    for (let cut = ps[0]!.length + ps[1]!.length; cut <= stream.length; cut += 97) {
      const packets = demux(stream.subarray(0, cut), [1000]);
      const expected = boundaries.filter(([end]) => end <= cut).at(-1)![1];
      expect(packets.length).toBe(expected);
      expect(sig(packets)).toEqual(wholeSig.slice(0, packets.length));
    }
  });

  it('throws DEMUX at end when the headers never completed or there is no Opus stream', () => {
    expectDemuxError(() => demux(new Uint8Array(0)));
    expectDemuxError(() => demux(new TextEncoder().encode('not an ogg file at all, just text')));
    expectDemuxError(() => demux(stream.subarray(0, pages(stream)[0]!.length + 10)));
    const vorbisLike = concat([page({ flags: 2, granule: 0n, sequence: 0, lacing: [7], body: new TextEncoder().encode('\x01vorbis') })]);
    expectDemuxError(() => demux(vorbisLike));
    const demuxer = new OggDemuxer();
    demux(stream, [65536], demuxer);
    expect(() => demuxer.push(new Uint8Array(1))).toThrow(SpenceError);
  });

  it('restartAt() resumes at a page boundary with the right timestamps', () => {
    const whole = demux(stream);
    const ps = pages(stream);
    const demuxer = new OggDemuxer();
    demuxer.push(stream.subarray(0, ps[0]!.length + ps[1]!.length + 500)); // headers and a partial page
    expect(demuxer.bufferedBytes).toBeGreaterThan(0);
    const pageIndex = 4;
    const offset = ps.slice(0, pageIndex).reduce((n, p) => n + p.length, 0);
    // Resume a little before the page, in the previous page's bytes: the demuxer resyncs on OggS.
    demuxer.restartAt(offset - 10);
    expect(demuxer.bufferedBytes).toBe(0);
    const rest: OpusPacket[] = [];
    for (let i = offset - 10; i < stream.length; i += 1000) rest.push(...demuxer.push(stream.subarray(i, i + 1000)));
    rest.push(...demuxer.end());
    expect(demuxer.position).toBe(stream.length);
    expect(sig(rest)).toEqual(sig(whole.slice(whole.length - rest.length)));
    expect(rest.length).toBeLessThan(whole.length);
    expect(rest[0]!.timestampMs).toBe(whole[whole.length - rest.length]!.timestampMs);
    // Restarting at 0 re-reads the headers without starting a new chain link.
    const again = new OggDemuxer();
    again.push(stream);
    again.restartAt(0);
    const replay = [...again.push(stream), ...again.end()];
    expect(sig(replay)).toEqual(sig(whole));
  });

  it('keeps buffered memory within one page plus the packet being gathered', () => {
    const demuxer = new OggDemuxer();
    const bytes = load('big-tags.opus');
    for (let i = 0; i < bytes.length; i += 777) {
      demuxer.push(bytes.subarray(i, i + 777));
      expect(demuxer.bufferedBytes).toBeLessThanOrEqual(MAX_OGG_PAGE_SIZE + 70_000);
    }
  });

  it('throws only SpenceError on mutated, truncated and spliced input, and always finishes', () => {
    const sources = [stream, load('opusenc-stereo.opus'), load('repaged-120ms.opus'), load('chained.opus')];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 5000 }),
        (which, mutations, cutA, cutB, chunk) => {
          const src = sources[which]!;
          const a = cutA % src.length;
          const b = cutB % src.length;
          const bytes = concat([src.subarray(0, Math.max(a, b)), src.subarray(Math.min(a, b))]);
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          const demuxer = new OggDemuxer({ maxElementSize: 100_000 });
          try {
            for (let i = 0; i < bytes.length; i += chunk) {
              demuxer.push(bytes.subarray(i, i + chunk));
              if (demuxer.bufferedBytes > MAX_OGG_PAGE_SIZE + 100_000) throw new Error(`buffered ${demuxer.bufferedBytes} bytes`);
            }
            demuxer.end();
          } catch (e) {
            if (!(e instanceof SpenceError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
