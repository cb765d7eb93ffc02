/**
 * WebmDemuxer behaviour on files built element by element, so that each Matroska feature is
 * exercised on purpose: multi-byte track numbers, interleaved tracks, every lacing, unknown and
 * 8-byte sizes, CRC-32/Void/Tags/Attachments, BlockGroups, Cues, restartAt, limits, truncation,
 * damage skipped and reported, and durations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import type { DemuxDamage, DemuxerOptions, OpusPacket } from '../../src/demux/types.js';
import { parseCues } from '../../src/demux/webm/headers.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';

// ---- a tiny EBML writer (RFC 8794) ----
type Bytes = Uint8Array;
const enc = new TextEncoder();

function cat(...parts: (Bytes | number[])[]): Bytes {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) { out.set(a, o); o += a.length; }
  return out;
}
function idBytes(id: number): number[] {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return out;
}
/** A VINT of `value` on `width` bytes (the smallest that fits when omitted). */
function vint(value: number, width?: number): number[] {
  let w = width ?? 1;
  if (width === undefined) while (value >= 2 ** (7 * w) - 1) w++;
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < w; i++) { out.unshift(v % 256); v = Math.floor(v / 256); }
  out[0]! |= 0x80 >> (w - 1);
  return out;
}
function unknownSize(width = 1): number[] {
  return Array.from({ length: width }, (_, i) => (i === 0 ? 0xff >> (width - 1) : 0xff));
}
interface ElOptions { sizeWidth?: number; unknown?: boolean }
function el(id: number, body: Bytes | Bytes[], options: ElOptions = {}): Bytes {
  const data = Array.isArray(body) ? cat(...body) : body;
  const size = options.unknown ? unknownSize(options.sizeWidth) : vint(data.length, options.sizeWidth);
  return cat(idBytes(id), size, data);
}
function uint(id: number, value: number, options?: ElOptions): Bytes {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return el(id, Uint8Array.from(bytes), options);
}
function float(id: number, value: number, width: 4 | 8 = 8): Bytes {
  const b = new Uint8Array(width);
  if (width === 4) new DataView(b.buffer).setFloat32(0, value); else new DataView(b.buffer).setFloat64(0, value);
  return el(id, b);
}
const str = (id: number, s: string): Bytes => el(id, enc.encode(s));

// Matroska IDs used below (RFC 9559 §5.1).
const EBML = 0x1a45dfa3, DOCTYPE = 0x4282, SEGMENT = 0x18538067, INFO = 0x1549a966, SCALE = 0x2ad7b1;
const DURATION = 0x4489, TRACKS = 0x1654ae6b, ENTRY = 0xae, NUMBER = 0xd7, TYPE = 0x83, CODEC = 0x86;
const PRIVATE = 0x63a2, DELAY = 0x56aa, PREROLL = 0x56bb, AUDIO = 0xe1, CHANNELS = 0x9f, CLUSTER = 0x1f43b675;
const TIMESTAMP = 0xe7, SIMPLE = 0xa3, GROUP = 0xa0, BLOCK = 0xa1, BDURATION = 0x9b, REFERENCE = 0xfb;
const DISCARD = 0x75a2, CUES = 0x1c53bb6b, CUEPOINT = 0xbb, CUETIME = 0xb3, CUEPOS = 0xb7, CUETRACK = 0xf7;
const CUECLUSTER = 0xf1, CRC = 0xbf, VOID = 0xec, TAGS = 0x1254c367, ATTACHMENTS = 0x1941a469, SEEKHEAD = 0x114d9b74;
const SEEK = 0x4dbb, SEEKID = 0x53ab, SEEKPOS = 0x53ac, CHAPTERS = 0x1043a770;

function opusHead(channels = 2, preSkip = 312): Bytes {
  const b = new Uint8Array(19);
  b.set(enc.encode('OpusHead'));
  b[8] = 1; b[9] = channels; b[10] = preSkip & 0xff; b[11] = preSkip >> 8;
  new DataView(b.buffer).setUint32(12, 44100, true);
  new DataView(b.buffer).setInt16(16, -256, true);
  return b;
}
const ebmlHeader = (docType = 'webm'): Bytes => el(EBML, [str(DOCTYPE, docType)]);
function opusTrack(number: number, extra: Bytes[] = [el(PRIVATE, opusHead())]): Bytes {
  return el(ENTRY, [uint(NUMBER, number), uint(TYPE, 2), str(CODEC, 'A_OPUS'), uint(DELAY, 6_500_000), uint(PREROLL, 80_000_000), ...extra]);
}
const videoTrack = (number: number): Bytes => el(ENTRY, [uint(NUMBER, number), uint(TYPE, 1), str(CODEC, 'V_VP8')]);

/** A synthetic Opus packet: TOC byte (RFC 6716 §3.1) plus filler. */
let seed = 1;
function packet(toc: number, length: number): Bytes {
  const b = new Uint8Array(length);
  b[0] = toc;
  for (let i = 1; i < length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = seed >>> 24; }
  return b;
}
const TOC_20MS = 0xfc; // config 31 (CELT 20 ms), stereo, code 0
const TOC_10MS = 0xf4; // config 30 (CELT 10 ms)
const TOC_2_5MS = 0xe4; // config 28 (CELT 2.5 ms)
const TOC_60MS = 0x1c; // config 3 (SILK 60 ms)

type Lacing = 'none' | 'xiph' | 'ebml' | 'fixed';
function blockBody(track: number, relative: number, frames: Bytes[], lacing: Lacing, trackWidth?: number): Bytes {
  const flagBits = { none: 0, xiph: 0x02, fixed: 0x04, ebml: 0x06 }[lacing];
  const rel = [(relative >> 8) & 0xff, relative & 0xff];
  const head: number[] = [...vint(track, trackWidth), ...rel, 0x80 | flagBits];
  if (lacing === 'none') return cat(head, frames[0]!);
  head.push(frames.length - 1);
  for (let i = 0; i < frames.length - 1; i++) {
    const size = frames[i]!.length;
    if (lacing === 'xiph') { let s = size; while (s >= 255) { head.push(255); s -= 255; } head.push(s); }
    if (lacing === 'ebml') {
      if (i === 0) head.push(...vint(size));
      else {
        const diff = size - frames[i - 1]!.length;
        head.push(...vint(diff + (2 ** (7 * 2 - 1) - 1), 2)); // signed VINT on 2 bytes
      }
    }
  }
  return cat(head, ...frames);
}
const simpleBlock = (track: number, rel: number, frames: Bytes[], lacing: Lacing = 'none', trackWidth?: number): Bytes =>
  el(SIMPLE, blockBody(track, rel, frames, lacing, trackWidth));

function file(segmentChildren: Bytes[], segmentOptions: ElOptions = {}): Bytes {
  return cat(ebmlHeader(), el(SEGMENT, segmentChildren, segmentOptions));
}
const info = (scale = 1_000_000, duration?: number): Bytes => el(INFO, [uint(SCALE, scale), ...(duration === undefined ? [] : [float(DURATION, duration, 4)])]);

function run(bytes: Bytes, chunkSize: number, options?: DemuxerOptions): { packets: OpusPacket[]; demuxer: WebmDemuxer } {
  const demuxer = new WebmDemuxer(options);
  const packets: OpusPacket[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) packets.push(...demuxer.push(bytes.subarray(i, i + chunkSize)));
  packets.push(...demuxer.end());
  return { packets, demuxer };
}
/** Demuxes in several chunkings, checks they agree, returns the packets. */
function demuxAll(bytes: Bytes, options?: { maxElementSize?: number }): { packets: OpusPacket[]; demuxer: WebmDemuxer } {
  const whole = run(bytes, bytes.length || 1, options);
  for (const size of [1, 3, 17, 4096]) {
    const other = run(bytes, size, options).packets;
    expect(other.map(summary)).toEqual(whole.packets.map(summary));
  }
  return whole;
}
const summary = (p: OpusPacket) => ({ data: Array.from(p.data), t: p.timestampMs, d: p.durationMs });
function expectDemuxError(fn: () => unknown, message?: RegExp): void {
  let error: unknown;
  try { fn(); } catch (e) { error = e; }
  expect(isSpenceError(error, 'DEMUX'), String(error)).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
}

describe('WebmDemuxer: tracks', () => {
  it('picks the A_OPUS track whatever its number: 2-byte track number, video first, interleaved blocks', () => {
    const a = [packet(TOC_20MS, 40), packet(TOC_20MS, 41), packet(TOC_20MS, 42)];
    const v = packet(0x10, 100);
    const bytes = file([
      info(),
      el(TRACKS, [videoTrack(1), opusTrack(300)]),
      el(CLUSTER, [
        uint(TIMESTAMP, 1000),
        simpleBlock(1, 0, [v]),
        simpleBlock(300, 0, [a[0]!]),
        simpleBlock(1, 33, [v]),
        simpleBlock(300, 20, [a[1]!], 'none', 3), // the same number on a 3-byte VINT
        simpleBlock(44, 20, [v]), // 44 = 300 & 0x7f... an unrelated track
        simpleBlock(300, 40, [a[2]!]),
      ]),
    ]);
    const { packets, demuxer } = demuxAll(bytes);
    expect(packets.map((p) => Array.from(p.data))).toEqual(a.map((x) => Array.from(x)));
    expect(packets.map((p) => p.timestampMs)).toEqual([1000, 1020, 1040]);
    expect(packets.every((p) => p.durationMs === 20)).toBe(true);
    expect(demuxer.info).toMatchObject({ container: 'webm', channels: 2, preSkip: 312, inputSampleRate: 44100, outputGain: -256, channelMappingFamily: 0, seekPreRollNs: 80_000_000 });
  });

  it('falls back to CodecDelay and Audio.Channels without an OpusHead', () => {
    const bytes = file([el(TRACKS, [opusTrack(1, [el(AUDIO, [uint(CHANNELS, 1)])])]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [packet(TOC_20MS, 9)])])]);
    const { demuxer } = demuxAll(bytes);
    expect(demuxer.info).toMatchObject({ channels: 1, preSkip: 312, inputSampleRate: 48000 });
    expect(demuxer.info?.opusHead).toBeUndefined();
  });

  it('refuses a file without an Opus track', () => {
    const bytes = file([el(TRACKS, [el(ENTRY, [uint(NUMBER, 1), uint(TYPE, 2), str(CODEC, 'A_VORBIS')])]), el(CLUSTER, [uint(TIMESTAMP, 0)])]);
    expectDemuxError(() => run(bytes, 1000), /no Opus audio track/i);
  });

  it('refuses input that is not EBML, and a DocType that is not webm/matroska', () => {
    expectDemuxError(() => run(enc.encode('RIFF....WAVEfmt '), 4));
    expectDemuxError(() => run(cat(el(EBML, [str(DOCTYPE, 'mp4')])), 100), /DocType/);
  });

  it('reads TimestampScale and a 4-byte float Duration', () => {
    const bytes = file([info(20_832, 48_000), el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 48_000), simpleBlock(1, 960, [packet(TOC_20MS, 5)])])]);
    const { packets, demuxer } = demuxAll(bytes);
    expect(demuxer.info?.durationMs).toBeCloseTo(999.936, 6);
    expect(packets[0]!.timestampMs).toBeCloseTo(((48_000 + 960) * 20_832) / 1e6, 9);
  });
});

describe('WebmDemuxer: blocks and lacing', () => {
  const frames = [packet(TOC_20MS, 300), packet(TOC_10MS, 20), packet(TOC_2_5MS, 600), packet(TOC_60MS, 255), packet(TOC_20MS, 1)];
  for (const lacing of ['xiph', 'ebml'] as const) {
    it(`splits ${lacing} lacing into one packet per frame, timed by the TOC durations`, () => {
      const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 100), simpleBlock(1, -5, frames, lacing)])]);
      const { packets } = demuxAll(bytes);
      expect(packets.map((p) => Array.from(p.data))).toEqual(frames.map((f) => Array.from(f)));
      expect(packets.map((p) => p.durationMs)).toEqual([20, 10, 2.5, 60, 20]);
      expect(packets.map((p) => p.timestampMs)).toEqual([95, 115, 125, 127.5, 187.5]);
    });
  }

  it('splits laces of more than 8 frames (up to 256), and shorter ones after them, in every lacing and chunking', () => {
    // A demuxer's lace sizes have room for 8 frames until a lace has more: they must grow then.
    const many = Array.from({ length: 256 }, (_, i) => packet(TOC_20MS, 1 + (i % 7)));
    const nine = Array.from({ length: 9 }, () => packet(TOC_20MS, 40));
    const three = [packet(TOC_20MS, 5), packet(TOC_20MS, 6), packet(TOC_20MS, 7)];
    for (const lacing of ['xiph', 'ebml', 'fixed'] as const) {
      const laces = lacing === 'fixed' ? [nine, three.map(() => packet(TOC_20MS, 6)), Array.from({ length: 256 }, () => packet(TOC_20MS, 3))] : [three, many, nine, three];
      const blocks = laces.map((frames, i) => simpleBlock(1, i * 100, frames, lacing));
      const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), ...blocks])]);
      const want = laces.flat().map((f) => Array.from(f));
      for (const chunk of [bytes.length, 7]) {
        const { packets } = run(bytes, chunk);
        expect(packets.map((p) => Array.from(p.data)), `${lacing}, ${chunk}-byte chunks`).toEqual(want);
      }
    }
  });

  it('splits fixed-size lacing', () => {
    const same = [packet(TOC_20MS, 80), packet(TOC_20MS, 80), packet(TOC_20MS, 80)];
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, same, 'fixed')])]);
    const { packets } = demuxAll(bytes);
    expect(packets.map((p) => Array.from(p.data))).toEqual(same.map((f) => Array.from(f)));
    expect(packets.map((p) => p.timestampMs)).toEqual([0, 20, 40]);
  });

  it('refuses lace sizes that do not fit the block', () => {
    const body = blockBody(1, 0, [packet(TOC_20MS, 10), packet(TOC_20MS, 10)], 'xiph');
    body[5] = 200; // first frame claims 200 bytes
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), el(SIMPLE, body)])]);
    // Damage, which resync: false refuses (the default skips it: see "damage" below).
    expectDemuxError(() => run(bytes, 7, { resync: false }));
  });

  it('refuses them the same way when the block lies whole in one chunk (read in place)', () => {
    for (const [lacing, at, value, message] of [
      ['xiph', 5, 200, /Lace sizes exceed the block/],
      ['ebml', 5, 0, /Invalid EBML lace size/],
      ['fixed', 4, 5, /Fixed-size lace does not divide evenly/],
    ] as const) {
      const body = blockBody(1, 0, [packet(TOC_20MS, 10), packet(TOC_20MS, 10)], lacing);
      body[at] = value;
      const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), el(SIMPLE, body)])]);
      expectDemuxError(() => run(bytes, bytes.length, { resync: false }), message);
      expectDemuxError(() => run(bytes, 7, { resync: false }), message);
    }
  });

  it('reads BlockGroups (Block, BlockDuration, ReferenceBlock, DiscardPadding), including the last one', () => {
    const p = [packet(TOC_20MS, 50), packet(TOC_20MS, 51), packet(TOC_20MS, 52)];
    const group = (rel: number, frame: Bytes, extra: Bytes[]): Bytes => el(GROUP, [el(BLOCK, blockBody(1, rel, [frame], 'none')), ...extra]);
    const bytes = file([
      el(TRACKS, [opusTrack(1)]),
      el(CLUSTER, [
        uint(TIMESTAMP, 0),
        group(0, p[0]!, [uint(BDURATION, 20)]),
        simpleBlock(1, 20, [p[1]!]),
        group(40, p[2]!, [uint(REFERENCE, 0xff), uint(BDURATION, 20), uint(DISCARD, 13_500_000)]),
      ]),
    ]);
    const { packets } = demuxAll(bytes);
    expect(packets.map((x) => Array.from(x.data))).toEqual(p.map((x) => Array.from(x)));
    expect(packets.map((x) => x.timestampMs)).toEqual([0, 20, 40]);
  });

  it('yields nothing for zero-length frames, as ffprobe does', () => {
    const f = [packet(TOC_20MS, 10), new Uint8Array(0), packet(TOC_20MS, 7)];
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [
      uint(TIMESTAMP, 0), simpleBlock(1, 0, [new Uint8Array(0)]), simpleBlock(1, 40, f, 'xiph'), simpleBlock(1, 100, [packet(TOC_20MS, 5)]),
    ])]);
    const { packets } = demuxAll(bytes);
    expect(packets.map((p) => [p.data.length, p.timestampMs])).toEqual([[10, 40], [7, 60], [5, 100]]);
  });

  it('copies each packet out of the input: no view on a pushed chunk, no overlap, big packets alone', () => {
    const frames = [packet(TOC_20MS, 30), packet(TOC_20MS, 31), packet(TOC_20MS, 3000)];
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, frames, 'xiph')])]);
    const { packets } = run(bytes, bytes.length);
    for (const p of packets) expect(p.data.buffer).not.toBe(bytes.buffer);
    expect(packets[2]!.data.buffer.byteLength).toBe(3000);
    packets[0]!.data.fill(0); // writing into one packet leaves the others alone
    expect(Array.from(packets[1]!.data)).toEqual(Array.from(frames[1]!));
    // A slab holds only packet bytes, at most 16 KiB of them.
    expect(packets[0]!.data.buffer.byteLength).toBeLessThanOrEqual(16 * 1024);
  });

  it('gives a packet over 2 KiB memory of its own when its SimpleBlocks are read in place', () => {
    const frames = [packet(TOC_20MS, 30), packet(TOC_20MS, 3000), packet(TOC_20MS, 31)];
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), ...frames.map((f, i) => simpleBlock(1, 20 * i, [f], 'none'))])]);
    const { packets } = run(bytes, bytes.length);
    expect(packets.map((p) => Array.from(p.data))).toEqual(frames.map((f) => Array.from(f)));
    expect(packets[1]!.data.buffer.byteLength).toBe(3000);
    expect(packets[0]!.data.buffer).toBe(packets[2]!.data.buffer);
  });
});

describe('WebmDemuxer: structure', () => {
  const a = [packet(TOC_20MS, 60), packet(TOC_20MS, 61), packet(TOC_20MS, 62), packet(TOC_20MS, 63)];

  it('reads unknown-size Segment and Clusters, each ended by the next Cluster, Cues or Tags', () => {
    const bytes = file([
      info(),
      el(TRACKS, [opusTrack(1)]),
      el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [a[0]!]), simpleBlock(1, 20, [a[1]!])], { unknown: true }),
      el(CLUSTER, [uint(TIMESTAMP, 40), simpleBlock(1, 0, [a[2]!])], { unknown: true, sizeWidth: 8 }),
      el(TAGS, [el(0x7373, [])]),
      el(CLUSTER, [uint(TIMESTAMP, 60), simpleBlock(1, 0, [a[3]!])], { unknown: true, sizeWidth: 3 }),
      el(CUES, [el(CUEPOINT, [uint(CUETIME, 0), el(CUEPOS, [uint(CUETRACK, 1), uint(CUECLUSTER, 5)])])]),
    ], { unknown: true });
    const { packets, demuxer } = demuxAll(bytes);
    expect(packets.map((p) => p.timestampMs)).toEqual([0, 20, 40, 60]);
    expect(packets.map((p) => Array.from(p.data))).toEqual(a.map((x) => Array.from(x)));
    expect(demuxer.cues).toEqual([{ timeMs: 0, byteOffset: demuxer.segmentDataOffset + 5 }]);
  });

  it("keeps a Cues element's entries in one typed array (CueTime, CueTrack, CueClusterPosition each), the audio track's seek points from them", () => {
    // Two tracks' positions in one CuePoint, and a CuePoint of the other track only.
    const cues = el(CUES, [
      el(CUEPOINT, [uint(CUETIME, 0), el(CUEPOS, [uint(CUETRACK, 2), uint(CUECLUSTER, 7)]), el(CUEPOS, [uint(CUETRACK, 1), uint(CUECLUSTER, 5)])]),
      el(CUEPOINT, [uint(CUETIME, 1000), el(CUEPOS, [uint(CUETRACK, 2), uint(CUECLUSTER, 900)])]),
      el(CUEPOINT, [uint(CUETIME, 500), el(CUEPOS, [uint(CUETRACK, 1), uint(CUECLUSTER, 400)])]),
    ]);
    const table = parseCues(cues.subarray(4 + 1));
    expect(table).toBeInstanceOf(Float64Array);
    expect(Array.from(table)).toEqual([0, 2, 7, 0, 1, 5, 1000, 2, 900, 500, 1, 400]);
    const bytes = file([info(), el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [a[0]!])]), cues]);
    const { demuxer } = demuxAll(bytes);
    const base = demuxer.segmentDataOffset;
    expect(demuxer.cues).toEqual([{ timeMs: 0, byteOffset: base + 5 }, { timeMs: 500, byteOffset: base + 400 }]);
  });

  it('reads 8-byte sizes everywhere, and skips CRC-32, Void, Tags, Chapters and SeekHead', () => {
    const w = { sizeWidth: 8 };
    const crc = el(CRC, Uint8Array.of(1, 2, 3, 4));
    const bytes = cat(
      el(EBML, [crc, str(DOCTYPE, 'matroska')], w),
      el(SEGMENT, [
        crc,
        el(SEEKHEAD, [crc, el(SEEK, [el(SEEKID, Uint8Array.from(idBytes(CUES))), uint(SEEKPOS, 12345)])], w),
        el(VOID, new Uint8Array(40), w),
        el(INFO, [crc, uint(SCALE, 1_000_000, w)], w),
        el(TRACKS, [crc, el(ENTRY, [crc, uint(NUMBER, 1, w), uint(TYPE, 2, w), el(CODEC, enc.encode('A_OPUS'), w), el(PRIVATE, opusHead(1, 100), w)], w)], w),
        el(CHAPTERS, new Uint8Array(30), w),
        el(CLUSTER, [crc, uint(TIMESTAMP, 0, w), el(VOID, new Uint8Array(3), w), el(SIMPLE, blockBody(1, 0, [a[0]!], 'none'), w)], w),
        el(TAGS, new Uint8Array(50), w),
      ], w),
    );
    const { packets, demuxer } = demuxAll(bytes);
    expect(packets.map((p) => Array.from(p.data))).toEqual([Array.from(a[0]!)]);
    expect(demuxer.info).toMatchObject({ channels: 1, preSkip: 100 });
    expect(demuxer.cuesByteOffset).toBe(demuxer.segmentDataOffset + 12345);
  });

  it("takes the Cues' position from the first SeekHead that states one", () => {
    const seek = (id: number, position: number): Bytes => el(SEEK, [el(SEEKID, Uint8Array.from(idBytes(id))), uint(SEEKPOS, position)]);
    const a = [packet(TOC_20MS, 10)];
    const withHeads = (...heads: Bytes[][]): Bytes =>
      cat(el(EBML, [str(DOCTYPE, 'webm')]), el(SEGMENT, [...heads.map((h) => el(SEEKHEAD, h)), el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, a)])]));
    const offset = (bytes: Bytes): number | null => {
      const { demuxer } = demuxAll(bytes);
      return demuxer.cuesByteOffset === null ? null : demuxer.cuesByteOffset - demuxer.segmentDataOffset;
    };
    expect(offset(withHeads([seek(TRACKS, 40)]))).toBeNull();
    expect(offset(withHeads([seek(TRACKS, 40)], [seek(CUES, 777)]))).toBe(777);
    expect(offset(withHeads([seek(CUES, 555), seek(CUES, 666)], [seek(CUES, 777)]))).toBe(555);
  });

  it('skips an Attachments element far larger than maxElementSize without buffering it', () => {
    const big = new Uint8Array(200_000);
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(ATTACHMENTS, big), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [a[0]!])])]);
    const demuxer = new WebmDemuxer({ maxElementSize: 1024 });
    const packets: OpusPacket[] = [];
    for (let i = 0; i < bytes.length; i += 4096) {
      packets.push(...demuxer.push(bytes.subarray(i, i + 4096)));
      expect(demuxer.bufferedBytes).toBeLessThanOrEqual(1024 + 12);
    }
    demuxer.end();
    expect(packets).toHaveLength(1);
  });

  it('refuses an element it must buffer when it exceeds maxElementSize, before buffering it', () => {
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [packet(TOC_20MS, 5000)])])]);
    const demuxer = new WebmDemuxer({ maxElementSize: 1000, resync: false });
    expectDemuxError(() => { for (let i = 0; i < bytes.length; i += 64) demuxer.push(bytes.subarray(i, i + 64)); }, /maxElementSize/);
    expect(demuxer.bufferedBytes).toBe(0);
  });

  it('refuses an unknown size on an element other than Segment or Cluster', () => {
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(TAGS, new Uint8Array(4), { unknown: true })]);
    expectDemuxError(() => run(bytes, 100, { resync: false }), /unknown size/);
  });
});

describe('WebmDemuxer: truncation and errors', () => {
  const p = [packet(TOC_20MS, 70), packet(TOC_20MS, 71), packet(TOC_20MS, 72)];
  const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), ...p.map((x, i) => simpleBlock(1, i * 20, [x]))])]);

  it('gives every complete packet of a truncated file, then ends cleanly', () => {
    for (let cut = bytes.length - 1; cut > bytes.length - 80; cut--) {
      const { packets } = run(bytes.subarray(0, cut), 5);
      expect(packets.length).toBeLessThan(3);
      packets.forEach((x, i) => expect(Array.from(x.data)).toEqual(Array.from(p[i]!)));
    }
  });

  it('throws DEMUX from end() when the input stopped inside the headers', () => {
    expectDemuxError(() => run(bytes.subarray(0, 30), 5), /headers/);
    expectDemuxError(() => new WebmDemuxer().end());
  });

  it('returns the packets before a fault, then throws on the next call', () => {
    const broken = cat(bytes.subarray(0, bytes.length), [0x00, 0x00, 0x00]);
    const demuxer = new WebmDemuxer({ resync: false });
    const packets = demuxer.push(broken);
    expect(packets).toHaveLength(3);
    expectDemuxError(() => demuxer.end());
    expectDemuxError(() => demuxer.push(Uint8Array.of(1)));
  });
});

describe('WebmDemuxer: Cues and restartAt', () => {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const sample = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/sample.webm')));
  const short = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/short-frames.webm')));

  it('parses Cues into absolute cluster offsets that start Clusters', () => {
    for (const bytes of [sample, short]) {
      const { demuxer } = run(bytes, 65_536);
      const cues = demuxer.cues!;
      expect(cues.length).toBeGreaterThan(0);
      for (const cue of cues) expect(Array.from(bytes.subarray(cue.byteOffset, cue.byteOffset + 4))).toEqual([0x1f, 0x43, 0xb6, 0x75]);
      expect(cues.map((c) => c.timeMs)).toEqual([...cues.map((c) => c.timeMs)].sort((x, y) => x - y));
    }
  });

  it('has Cues before the first packet when the file puts them in front', () => {
    const demuxer = new WebmDemuxer();
    let firstPacketSeen = false;
    for (let i = 0; i < short.length && !firstPacketSeen; i += 64) firstPacketSeen = demuxer.push(short.subarray(i, i + 64)).length > 0;
    expect(demuxer.cues?.length).toBeGreaterThan(1);
  });

  it('restarts at a cue: the same packets as a full read from there, with absolute timestamps', () => {
    const full = run(short, 65_536);
    const cue = full.demuxer.cues![2]!;
    const demuxer = new WebmDemuxer();
    // Read just the headers, then jump.
    let offset = 0;
    while (demuxer.info === null) demuxer.push(short.subarray(offset, (offset += 100)));
    demuxer.restartAt(cue.byteOffset);
    const after: OpusPacket[] = [];
    for (let i = cue.byteOffset; i < short.length; i += 7) after.push(...demuxer.push(short.subarray(i, i + 7)));
    after.push(...demuxer.end());
    const expected = full.packets.filter((x) => x.timestampMs >= cue.timeMs);
    expect(after.map(summary)).toEqual(expected.map(summary));
    expect(after[0]!.timestampMs).toBe(cue.timeMs);
  });

  it('loads Cues fetched separately from the SeekHead offset', () => {
    const demuxer = new WebmDemuxer();
    demuxer.push(sample.subarray(0, 4096));
    const at = demuxer.cuesByteOffset!;
    expect(demuxer.cues).toBeNull();
    const points = demuxer.loadCues(sample.subarray(at));
    expect(points).toEqual(run(sample, 65_536).demuxer.cues);
  });

  it('refuses restartAt before the headers', () => {
    expect(() => new WebmDemuxer().restartAt(100)).toThrow(/headers/);
  });
});

describe('WebmDemuxer: damage after the headers is skipped and reported', () => {
  const p = Array.from({ length: 6 }, (_, i) => packet(TOC_20MS, 50 + i));
  const damages = (bytes: Bytes, options: DemuxerOptions = {}): { packets: OpusPacket[]; damage: DemuxDamage[] } => {
    let damage: DemuxDamage[] = [];
    let first: OpusPacket[] | null = null;
    for (const size of [bytes.length, 1, 3, 17, 4096]) {
      const seen: DemuxDamage[] = [];
      const { packets } = run(bytes, size, { ...options, onDamage: (d) => seen.push(d) });
      if (first === null) {
        first = packets;
        damage = seen;
      } else {
        expect(packets.map(summary)).toEqual(first.map(summary)); // any chunking, the same outcome
        expect(seen).toEqual(damage);
      }
    }
    return { packets: first!, damage };
  };
  const offsetOf = (bytes: Bytes, part: Bytes): number => Buffer.from(bytes).indexOf(Buffer.from(part));

  it('a block whose lace sizes do not fit: skipped to the next block of the Cluster, one packet lost', () => {
    const body = blockBody(1, 20, [p[1]!, p[2]!], 'xiph');
    body[5] = 200; // the first frame claims 200 bytes
    const bad = el(SIMPLE, body);
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!]), bad, simpleBlock(1, 60, [p[3]!])])]);
    const { packets, damage } = damages(bytes);
    expect(packets.map((x) => x.timestampMs)).toEqual([0, 60]);
    const start = offsetOf(bytes, bad);
    expect(damage).toEqual([{ start, end: start + bad.length, packetsLost: 2, lostMs: 40, reason: expect.stringMatching(/lace/i) }]);
  });

  it('garbage inside a Cluster (an ID it cannot hold, a size that overruns it): the next block', () => {
    const garbage = Uint8Array.of(0x5c, 0xbf, 0x81, 0x00, 0x12, 0x34, 0xa3, 0xff, 0xff, 0xff);
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [
      uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!]), garbage, simpleBlock(1, 20, [p[1]!]), simpleBlock(1, 40, [p[2]!]),
    ])]);
    const { packets, damage } = damages(bytes);
    expect(packets.map((x) => Array.from(x.data))).toEqual([p[0], p[1], p[2]].map((x) => Array.from(x!)));
    const start = offsetOf(bytes, garbage);
    expect(damage).toEqual([{ start, end: start + garbage.length, packetsLost: 0, lostMs: 0, reason: expect.any(String) }]);
  });

  it('a damaged Cluster header: resumes at the next Cluster, and counts the packets lost from the timestamps', () => {
    const damaged = el(CLUSTER, [uint(TIMESTAMP, 40), simpleBlock(1, 0, [p[2]!]), simpleBlock(1, 20, [p[3]!])]);
    damaged[1] = 0x00; // the Cluster ID is no longer one: 1F 00 B6 75 is not a valid element here
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!]), simpleBlock(1, 20, [p[1]!])]),
      damaged, el(CLUSTER, [uint(TIMESTAMP, 80), simpleBlock(1, 0, [p[4]!]), simpleBlock(1, 20, [p[5]!])])]);
    const { packets, damage } = damages(bytes);
    expect(packets.map((x) => x.timestampMs)).toEqual([0, 20, 80, 100]);
    const start = offsetOf(bytes, damaged);
    expect(damage).toEqual([{ start, end: start + damaged.length, packetsLost: 2, lostMs: 40, reason: expect.any(String) }]);
  });

  it('an element of unknown size where none may be, and a block over maxElementSize: skipped to the next Cluster', () => {
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(TAGS, new Uint8Array(4), { unknown: true }),
      el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [packet(TOC_20MS, 2000)]), simpleBlock(1, 20, [p[0]!])]),
      el(CLUSTER, [uint(TIMESTAMP, 40), simpleBlock(1, 0, [p[1]!])])]);
    const { packets, damage } = damages(bytes, { maxElementSize: 1000 });
    // The oversized block takes its Cluster's next block with it (a block resumes only where one may).
    expect(packets.map((x) => x.timestampMs)).toEqual([20, 40]);
    expect(damage.map((d) => d.reason)).toEqual([expect.stringMatching(/unknown size/), expect.stringMatching(/maxElementSize/)]);
  });

  it('damage that runs to the end of the input is reported to the end; nothing is lost that can be counted', () => {
    const bytes = cat(file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!])])]), [0x00, 0x00, 0x00]);
    const { packets, damage } = damages(bytes);
    expect(packets).toHaveLength(1);
    expect(damage).toEqual([{ start: bytes.length - 3, end: bytes.length, packetsLost: null, lostMs: null, reason: expect.any(String) }]);
  });

  it('a Cluster ID inside a known-size Cluster ends it: its size was wrong, no byte is damaged', () => {
    const next = el(CLUSTER, [uint(TIMESTAMP, 20), simpleBlock(1, 0, [p[1]!])]);
    const inner = cat(uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!]));
    const cluster = cat(idBytes(CLUSTER), vint(inner.length + next.length), inner); // claims the next Cluster too
    const bytes = file([el(TRACKS, [opusTrack(1)]), cluster, next]);
    const { packets, damage } = damages(bytes);
    expect(packets.map((x) => x.timestampMs)).toEqual([0, 20]);
    expect(damage).toEqual([]);
  });

  it('resync: false makes the first damage a DEMUX error, after the packets before it', () => {
    const garbage = Uint8Array.of(0x5c, 0xbf, 0x81, 0x00);
    const bytes = file([el(TRACKS, [opusTrack(1)]), el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [p[0]!]), garbage, simpleBlock(1, 20, [p[1]!])])]);
    const demuxer = new WebmDemuxer({ resync: false });
    expect(demuxer.push(bytes)).toHaveLength(1);
    expectDemuxError(() => demuxer.end(), /cannot be inside/);
  });

  it('damage in the headers is an error whatever resync says: there is no track to resume', () => {
    const bytes = file([el(INFO, [uint(SCALE, 1_000_000)]), Uint8Array.of(0x00, 0x00), el(TRACKS, [opusTrack(1)])]);
    expectDemuxError(() => run(bytes, 5));
  });

  it('skips another track\'s blocks over maxElementSize as they stream past (a video key frame)', () => {
    const bytes = file([el(TRACKS, [videoTrack(1), opusTrack(2)]), el(CLUSTER, [
      uint(TIMESTAMP, 0), simpleBlock(2, 0, [p[0]!]), simpleBlock(1, 0, [packet(0x10, 50_000)]), simpleBlock(2, 20, [p[1]!]),
    ])]);
    const damage: DemuxDamage[] = [];
    const demuxer = new WebmDemuxer({ maxElementSize: 1024, onDamage: (d) => damage.push(d) });
    const packets: OpusPacket[] = [];
    for (let i = 0; i < bytes.length; i += 512) {
      packets.push(...demuxer.push(bytes.subarray(i, i + 512)));
      expect(demuxer.bufferedBytes).toBeLessThanOrEqual(1024 + 12);
    }
    packets.push(...demuxer.end());
    expect(packets.map((x) => x.timestampMs)).toEqual([0, 20]);
    expect(damage).toEqual([]);
  });
});

describe('WebmDemuxer: durations', () => {
  const a = [packet(TOC_20MS, 30), packet(TOC_20MS, 31), packet(TOC_60MS, 32)];
  const body = (duration: number | undefined): Bytes => file([info(1_000_000, duration), el(TRACKS, [opusTrack(1)]),
    el(CLUSTER, [uint(TIMESTAMP, 0), simpleBlock(1, 0, [a[0]!]), simpleBlock(1, 20, [a[1]!]), simpleBlock(1, 40, [a[2]!])])]);

  it('a Duration of 0 (Firefox\'s MediaRecorder) is unknown until the end, then measured', () => {
    const demuxer = new WebmDemuxer();
    const bytes = body(0);
    demuxer.push(bytes.subarray(0, bytes.length - 1));
    expect(demuxer.info?.durationMs).toBeUndefined();
    demuxer.push(bytes.subarray(bytes.length - 1));
    demuxer.end();
    // The last packet ends at 100 ms; the OpusHead's pre-skip (312 samples, 6.5 ms) is not played.
    expect(demuxer.info?.durationMs).toBeCloseTo(100 - 6.5, 9);
  });

  it('a stated Duration is kept as it is, and a missing one is measured too', () => {
    const stated = run(body(12_345), 100).demuxer;
    expect(stated.info?.durationMs).toBe(12_345);
    const missing = run(body(undefined), 100).demuxer;
    expect(missing.info?.durationMs).toBeCloseTo(93.5, 9);
  });
});

