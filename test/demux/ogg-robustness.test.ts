/**
 * The Ogg demuxer on the inputs that issue 15 found and on Ogg's own corner cases (RFC 3533,
 * RFC 7845): repeated header pages (item 3), the packets before a fault (item 4), a bomb of
 * zero-length packets (item 6), chained durations (item 8), lacing values of 255 across pages,
 * the largest page, granule -1, BOS/EOS, serial changes and multiplexed streams.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { demux } from '../../src/demux/demux.js';
import { oggCrc } from '../../src/demux/ogg/crc.js';
import { MAX_OGG_PAGE_SIZE, OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { serializeOpusHead } from '../../src/demux/ogg/opus-head.js';
import { serializeOpusTags } from '../../src/demux/ogg/opus-tags.js';
import { probeMedia } from '../../src/demux/probe.js';
import type { OpusPacket, PacketSink } from '../../src/demux/types.js';
import { oggPage as page, oggPageOffsets } from '../helpers/ogg-page.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'media');
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');
const key = (p: OpusPacket): string => `${md5(p.data)}@${p.timestampMs * 48}/${p.durationMs}`;

/** The pages of a valid Ogg file. */
function pages(bytes: Uint8Array): Uint8Array[] {
  const offsets = oggPageOffsets(bytes);
  return offsets.map((o, i) => bytes.subarray(o, offsets[i + 1] ?? bytes.length));
}

/** A copy of `p` with its page sequence number set to `sequence` and its CRC made good again. */
function renumbered(p: Uint8Array, sequence: number): Uint8Array {
  const copy = p.slice();
  const view = new DataView(copy.buffer);
  view.setUint32(18, sequence, true);
  view.setUint32(22, 0, true);
  view.setUint32(22, oggCrc(copy), true);
  return copy;
}

function pushAll(bytes: Uint8Array, chunk = 65536, demuxer = new OggDemuxer()): OpusPacket[] {
  const out: OpusPacket[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...demuxer.push(bytes.subarray(i, i + chunk)));
  out.push(...demuxer.end());
  return out;
}

/** The chunks as the async iterable demux() reads. */
async function* chunksOf(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

const hasFfprobe = ((): boolean => {
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** ffprobe's packets of `bytes` as `md5@pts/durationMs`. */
function ffprobeKeys(bytes: Uint8Array): string[] {
  const out = execFileSync('ffprobe', ['-v', 'quiet', '-select_streams', 'a:0', '-show_data_hash', 'MD5', '-show_entries', 'packet=pts,duration,data_hash', '-of', 'json', '-i', 'pipe:0'], { input: bytes, encoding: 'utf8' });
  return (JSON.parse(out) as { packets: { pts: number; data_hash: string }[] }).packets.map((p) => `${p.data_hash.slice(4)}@${p.pts}`);
}

const headPages = (serial = 7): Uint8Array[] => [
  page({ flags: 2, granule: 0n, serial, sequence: 0, lacing: [19], body: serializeOpusHead({ channels: 2, preSkip: 312 }) }),
  page({ granule: 0n, serial, sequence: 1, lacing: [20], body: serializeOpusTags({ vendor: 'test', comments: [] }) }),
];

/** An Opus packet: TOC 0xfc (CELT FB 20 ms, one frame, RFC 6716 §3.1), then `size - 1` bytes of `fill`. */
function opus(size: number, fill = 1): Uint8Array {
  const p = new Uint8Array(size).fill(fill);
  p[0] = 0xfc;
  return p;
}

describe('repeated header pages (issue 15 item 3): header packets are never audio', () => {
  const file = load('opusenc-stereo.opus');
  const [head, tags, ...audio] = pages(file);
  const clean = pushAll(file).map(key);

  it('OpusHead and OpusTags pages repeated with the same serial and sequence numbers: the audio only, on time', () => {
    const repeated = concat(head!, tags!, head!, tags!, ...audio);
    for (const chunk of [1, 777, 65536]) expect(pushAll(repeated, chunk).map(key)).toEqual(clean);
    if (hasFfprobe) expect(pushAll(repeated).map((p) => key(p).split('/')[0])).toEqual(ffprobeKeys(repeated));
  });

  it('repeated with their own sequence numbers: the header packets in audio positions are skipped', () => {
    const renumberedAudio = audio.map((p, i) => renumbered(p, 4 + i));
    const repeated = concat(head!, tags!, renumbered(head!, 2), renumbered(tags!, 3), ...renumberedAudio);
    const damage: unknown[] = [];
    expect(pushAll(repeated, 65536, new OggDemuxer({ onDamage: (d) => damage.push(d) })).map(key)).toEqual(clean);
    expect(damage).toEqual([]);
  });

  it('an audio page sent twice is read once', () => {
    expect(pushAll(concat(head!, tags!, audio[0]!, audio[0]!, ...audio.slice(1))).map(key)).toEqual(clean);
  });
});

describe('packets before a fault (issue 15 item 4)', () => {
  // The chained fixture with its second link's OpusHead made invalid (major version 1) behind a good CRC.
  const chained = load('chained.opus');
  const all = pages(chained);
  const second = all.findIndex((p, i) => i > 0 && (p[5]! & 2) !== 0);
  const badHead = all[second]!.slice();
  badHead[28 + 8] = 0x10; // OpusHead version 16: an incompatible major version (RFC 7845 §5.1)
  const bytes = concat(...all.slice(0, second), renumbered(badHead, 0), ...all.slice(second + 1));
  const firstLink = pushAll(concat(...all.slice(0, second))).map(key);

  it('push(), in one chunk: the first link\'s packets, then the error on the next call', () => {
    expect(firstLink.length).toBe(101);
    const demuxer = new OggDemuxer();
    expect(demuxer.push(bytes).map(key)).toEqual(firstLink);
    expect(() => demuxer.end()).toThrow(SpenceError);
    expect(() => demuxer.push(Uint8Array.of(0))).toThrow(/OpusHead/);
  });

  it('feed(), in one chunk: the first link\'s packets to the sink, then the error', () => {
    const got: string[] = [];
    const sink: PacketSink = { packet: (b, s, e, t, d) => got.push(key({ data: b.slice(s, e), timestampMs: t, durationMs: d })) };
    const demuxer = new OggDemuxer();
    expect(() => demuxer.feed(bytes, sink)).toThrow(SpenceError);
    expect(got).toEqual(firstLink);
  });

  it('demux(), in one chunk: the first link\'s packets, then the error', async () => {
    const got: string[] = [];
    const run = async (): Promise<void> => {
      for await (const packet of demux(chunksOf([bytes]))) got.push(key(packet));
    };
    await expect(run()).rejects.toThrow(SpenceError);
    expect(got).toEqual(firstLink);
  });
});

describe('zero-length packets (issue 15 item 6)', () => {
  /** 8 MB of pages of 255 zero-length packets each (RFC 3533 §6: lacing values of 0), then one audio page. */
  const bombPages = Math.ceil((8 * 1024 * 1024) / (27 + 255));
  const zeros = page({ serial: 7, sequence: 2, lacing: new Array<number>(255).fill(0), body: new Uint8Array(0) });
  const bomb = new Uint8Array(2 * 100 + bombPages * zeros.length + 100);
  let at = 0;
  for (const p of headPages()) { bomb.set(p, at); at += p.length; }
  for (let i = 0; i < bombPages; i++) { bomb.set(renumbered(zeros, 2 + i), at); at += zeros.length; }
  const last = page({ flags: 4, serial: 7, granule: 1920n, sequence: 2 + bombPages, lacing: [3, 3], body: concat(opus(3), opus(3, 2)) });
  bomb.set(last, at);
  const input = bomb.subarray(0, at + last.length);
  const expected = [`${md5(opus(3))}@-312/20`, `${md5(opus(3, 2))}@648/20`];

  it('push() in one chunk and in 64 KiB chunks: no packet for them, the audio on time, one page buffered at most', () => {
    expect(pushAll(input, input.length).map(key)).toEqual(expected);
    const demuxer = new OggDemuxer();
    const out: OpusPacket[] = [];
    for (let i = 0; i < input.length; i += 65536) {
      out.push(...demuxer.push(input.subarray(i, i + 65536)));
      expect(demuxer.bufferedBytes).toBeLessThanOrEqual(MAX_OGG_PAGE_SIZE);
    }
    expect(out.map(key)).toEqual(expected);
  });

  it('feed() and demux(): the same', async () => {
    const got: string[] = [];
    new OggDemuxer().feed(input, { packet: (b, s, e, t, d) => got.push(key({ data: b.slice(s, e), timestampMs: t, durationMs: d })) });
    expect(got).toEqual(expected);
    const chunks = Array.from({ length: Math.ceil(input.length / 65536) }, (_, i) => input.subarray(i * 65536, (i + 1) * 65536));
    const streamed: string[] = [];
    for await (const packet of demux(chunksOf(chunks))) streamed.push(key(packet));
    expect(streamed).toEqual(expected);
  });

  it('DTX (RFC 7845 §4.1: TOC bytes with zero-length frames) keeps its duration; empty Ogg packets have none', () => {
    // A 1-byte packet is a TOC with one zero-length frame: 20 ms of concealment, not nothing.
    const bytes = concat(...headPages(), page({ flags: 4, serial: 7, sequence: 2, granule: 2880n, lacing: [3, 0, 1, 0, 0, 3], body: concat(opus(3), Uint8Array.of(0xfc), opus(3, 5)) }));
    expect(pushAll(bytes).map((p) => [p.data.length, p.timestampMs * 48, p.durationMs])).toEqual([[3, -312, 20], [1, 648, 20], [3, 1608, 20]]);
  });
});

describe('lacing, page sizes and granule positions (RFC 3533 §6)', () => {
  it('a packet of exactly 255 bytes ends with a lacing value of 0 on the next page', () => {
    const p255 = opus(255, 4);
    const bytes = concat(
      ...headPages(),
      page({ serial: 7, sequence: 2, lacing: [255], body: p255 }),
      page({ flags: 1 | 4, serial: 7, sequence: 3, granule: 1920n, lacing: [0, 3], body: opus(3) }),
    );
    for (const chunk of [1, 65536]) expect(pushAll(bytes, chunk).map((p) => [p.data.length, p.timestampMs * 48])).toEqual([[255, -312], [3, 648]]);
  });

  it('the largest page (255 segments of 255 bytes) inside a packet continued over three pages, with granule -1', () => {
    const big = opus(255 * 255 * 2 + 100, 9);
    const full = new Array<number>(255).fill(255);
    const first = page({ serial: 7, sequence: 2, lacing: full, body: big.subarray(0, 65025) });
    expect(first.length).toBe(MAX_OGG_PAGE_SIZE);
    const bytes = concat(
      ...headPages(),
      first,
      page({ flags: 1, serial: 7, sequence: 3, lacing: full, body: big.subarray(65025, 130050) }), // granule -1: no packet ends here
      page({ flags: 1 | 4, serial: 7, sequence: 4, granule: 960n, lacing: [100], body: big.subarray(130050) }),
    );
    for (const chunk of [1000, 65536, bytes.length]) {
      const out = pushAll(bytes, chunk);
      expect(out.map((p) => [p.data.length, p.timestampMs * 48])).toEqual([[big.length, -312]]);
      expect(md5(out[0]!.data)).toBe(md5(big));
    }
  });

  it('a BOS page that is also the EOS page holds no audio: the headers alone, no packet, no error', () => {
    const only = page({ flags: 2 | 4, granule: 0n, serial: 3, sequence: 0, lacing: [19], body: serializeOpusHead({ channels: 1 }) });
    const demuxer = new OggDemuxer();
    expect(demuxer.push(only)).toEqual([]);
    expect(demuxer.info?.channels).toBe(1);
    expect(() => demuxer.end()).toThrow(/headers/); // RFC 7845 §3: OpusTags must follow
  });

  it('pages of another serial in the middle, without a BOS page, are not the stream\'s', () => {
    const stray = page({ serial: 99, sequence: 5, granule: 480000n, lacing: [3], body: opus(3, 7) });
    const audio = [
      page({ serial: 7, sequence: 2, granule: 960n, lacing: [3], body: opus(3, 1) }),
      page({ flags: 4, serial: 7, sequence: 3, granule: 1920n, lacing: [3], body: opus(3, 2) }),
    ];
    const out = pushAll(concat(...headPages(), audio[0]!, stray, audio[1]!));
    expect(out.map((p) => [p.data[1], p.timestampMs * 48])).toEqual([[1, -312], [2, 648]]);
  });

  it('two Opus streams multiplexed (two BOS pages first, RFC 3533 §4): the first one is read', () => {
    const [a0, a1] = headPages(7);
    const [b0, b1] = headPages(8);
    const bytes = concat(a0!, b0!, a1!, b1!,
      page({ serial: 8, sequence: 2, granule: 960n, lacing: [3], body: opus(3, 8) }),
      page({ flags: 4, serial: 7, sequence: 2, granule: 960n, lacing: [3], body: opus(3, 7) }),
      page({ flags: 4, serial: 8, sequence: 3, granule: 1920n, lacing: [3], body: opus(3, 8) }));
    expect(pushAll(bytes).map((p) => p.data[1])).toEqual([7]);
  });

  it('hostile capture patterns that each announce a 64 KiB page: only SpenceError, one page buffered at most', () => {
    // "OggS", version 0, then a lacing table of 255 values of 255: every candidate claims the largest page.
    const candidate = concat(new TextEncoder().encode('OggS'), new Uint8Array(22), Uint8Array.of(255), new Uint8Array(255).fill(255));
    const hostile = concat(...headPages(), ...Array.from({ length: 2000 }, () => candidate));
    const demuxer = new OggDemuxer({ resync: true });
    for (let i = 0; i < hostile.length; i += 4096) {
      demuxer.push(hostile.subarray(i, i + 4096));
      expect(demuxer.bufferedBytes).toBeLessThanOrEqual(MAX_OGG_PAGE_SIZE);
    }
    expect(demuxer.end()).toEqual([]);
  });
});

describe('work: linear in the input, whatever its chunking (issue 15, the property suite\'s bound)', () => {
  /** The property suite's bound (test/demux/property.test.ts): 16 per byte, 16 per chunk, 20 000. */
  const bound = (bytes: number, chunks: number): number => 16 * bytes + 16 * chunks + 20_000;
  /** The work of reading `bytes` in `chunk`-byte pieces, through feed() or push(). */
  function workOf(bytes: Uint8Array, chunk: number, feed: boolean): number {
    const demuxer = new OggDemuxer();
    const sink: PacketSink = { packet() {} };
    try {
      for (let i = 0; i < bytes.length; i += chunk) {
        if (feed) demuxer.feed(bytes.subarray(i, i + chunk), sink);
        else demuxer.push(bytes.subarray(i, i + chunk));
      }
      demuxer.end();
    } catch (error) {
      expect(error).toBeInstanceOf(SpenceError);
    }
    return demuxer.work;
  }
  const candidate = concat(new TextEncoder().encode('OggS'), new Uint8Array(22), Uint8Array.of(255), new Uint8Array(255).fill(255));
  let seed = 7;
  const noise = new Uint8Array(24 * 1024).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  const inputs: [string, Uint8Array][] = [
    ['capture patterns that each announce a 64 KiB page', concat(...headPages(), ...Array.from({ length: 400 }, () => candidate))],
    ['noise, no page at all', noise],
    ['the middle of a real file: no headers, pages cut at both ends', load('opusenc-stereo.opus').slice(4000, 4000 + 24 * 1024)],
    ['pages, then noise, then pages', concat(...headPages(), noise, ...headPages(8))],
  ];
  for (const [name, bytes] of inputs) {
    it(`${name}: in 1-byte, 7-byte, 4 KiB chunks and whole, within the bound and within a small factor of one chunk's`, () => {
      const whole = workOf(bytes, bytes.length, false);
      expect(whole).toBeLessThanOrEqual(bound(bytes.length, 1));
      for (const chunk of [1, 7, 4096]) {
        for (const feed of [false, true]) {
          const work = workOf(bytes, chunk, feed);
          const chunks = Math.ceil(bytes.length / chunk);
          expect(work, `${chunk}-byte chunks`).toBeLessThanOrEqual(bound(bytes.length, chunks));
          expect(work, `${chunk}-byte chunks`).toBeLessThanOrEqual(4 * whole + 2 * chunks);
        }
      }
    });
  }
});

describe('chained durations (issue 15 item 8): the sum of the links', () => {
  const bytes = load('chained.opus');
  // Each link plays final granule − pre-skip samples (RFC 7845 §4): read from its BOS and EOS pages here.
  let expectedSamples = 0;
  let preSkip = 0;
  for (const p of pages(bytes)) {
    const view = new DataView(p.buffer, p.byteOffset);
    if (p[5]! & 2) preSkip = view.getUint16(28 + 10, true);
    if (p[5]! & 4) expectedSamples += Number(view.getBigInt64(6, true)) - preSkip;
  }
  const expectedMs = (expectedSamples / 48000) * 1000;

  it('a chained file whose head and tail cover it', () => {
    expect(expectedMs).toBeGreaterThan(3900);
    expect(probeMedia(bytes, bytes, bytes.length)).toMatchObject({ container: 'ogg', durationMs: expectedMs });
    const half = bytes.length >> 1;
    expect(probeMedia(bytes.subarray(0, half + 10), bytes.subarray(half), bytes.length).durationMs).toBe(expectedMs);
  });

  it('a long link that the tail continues, and a link first seen in the tail', () => {
    const opusenc = join(import.meta.dirname, '..', '..', '..', 'shared', 'media', 'opusenc.opus');
    const long = existsSync(opusenc) ? new Uint8Array(readFileSync(opusenc)) : load('opusenc-stereo.opus');
    const single = probeMedia(long, long, long.length).durationMs!;
    expect(probeMedia(long.subarray(0, 8192), long.subarray(long.length - 8192), long.length).durationMs).toBe(single);
    // A short link in the head, a long one spanning the gap into the tail: both counted.
    const chain = concat(load('opusenc-stereo.opus'), long);
    const shortMs = probeMedia(load('opusenc-stereo.opus'), load('opusenc-stereo.opus')).durationMs!;
    expect(probeMedia(chain.subarray(0, 16384), chain.subarray(chain.length - 8192), chain.length).durationMs).toBe(shortMs + single);
  });
});
