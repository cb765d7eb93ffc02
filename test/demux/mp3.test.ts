/**
 * Mp3Demuxer: MPEG audio frames as packets (times counted in samples, durations from the header),
 * in any chunking and through feed(); the Info frame in front of the first audio frame; tags
 * (ID3v2 anywhere, ID3v1, APEv2) skipped as they stream past, never buffered; junk between frames
 * skipped and reported as damage (or refused with resync: false); a truncated last frame dropped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import { mp3FrameHeader } from '../../src/demux/mp3/frame-header.js';
import { Mp3Demuxer } from '../../src/demux/mp3/mp3-demuxer.js';
import { id3v2Size } from '../../src/demux/mp3/tags.js';
import type { DemuxDamage, DemuxerOptions, OpusPacket } from '../../src/demux/types.js';

const media = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media');
const file = new Uint8Array(readFileSync(path.join(media, 'tone-44k.mp3')));
/** The file: a 45-byte ID3v2 tag, LAME's Info frame, then 116 audio frames of 1152 samples at 44.1 kHz. */
const tag = id3v2Size(file);
const info = mp3FrameHeader(file, tag)!;
const audio = file.subarray(tag + info.frameBytes);

function demux(bytes: Uint8Array, size: number, options: DemuxerOptions = {}): OpusPacket[] {
  const demuxer = new Mp3Demuxer(options);
  const out: OpusPacket[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(...demuxer.push(bytes.subarray(at, at + size)));
  out.push(...demuxer.end());
  return out;
}
const hex = (p: OpusPacket) => Buffer.from(p.data).toString('hex');
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** The file's audio frames, as byte arrays. */
function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + 4 <= audio.length;) {
    const header = mp3FrameHeader(audio, at)!;
    out.push(audio.subarray(at, at + header.frameBytes));
    at += header.frameBytes;
  }
  return out;
}

/** An ID3v2.4 tag with `body` bytes of payload (id3.org v2.4 §3.1: syncsafe size). */
function id3(body: number): Uint8Array {
  const out = new Uint8Array(10 + body).fill(0xff, 10); // sync-like bytes inside must be skipped whole
  out.set([0x49, 0x44, 0x33, 4, 0, 0, (body >> 21) & 0x7f, (body >> 14) & 0x7f, (body >> 7) & 0x7f, body & 0x7f]);
  return out;
}

describe('Mp3Demuxer', () => {
  const expected = frames();

  it('yields every audio frame, timed in samples, the Info frame riding in front of the first', () => {
    const packets = demux(file, file.length);
    expect(packets).toHaveLength(expected.length);
    expect(packets.length).toBe(116);
    expect(hex(packets[0]!)).toBe(Buffer.from(cat(file.subarray(tag, tag + info.frameBytes), expected[0]!)).toString('hex'));
    packets.slice(1).forEach((p, i) => expect(hex(p)).toBe(Buffer.from(expected[i + 1]!).toString('hex')));
    packets.forEach((p, i) => {
      expect(p.timestampMs).toBeCloseTo((i * 1152 * 1000) / 44_100, 9);
      expect(p.durationMs).toBeCloseTo((1152 * 1000) / 44_100, 9);
    });
  });

  it('gives the same frames in any chunking, and through feed() with a reused buffer', () => {
    const whole = demux(file, file.length).map(hex);
    for (const size of [1, 3, 417, 4096]) expect(demux(file, size).map(hex)).toEqual(whole);
    const demuxer = new Mp3Demuxer();
    const fed: string[] = [];
    const buffer = new Uint8Array(5);
    for (let at = 0; at < file.length; at += 5) {
      const n = Math.min(5, file.length - at);
      buffer.set(file.subarray(at, at + n));
      demuxer.feed(buffer.subarray(0, n), { packet: (b, s, e) => fed.push(Buffer.from(b.subarray(s, e)).toString('hex')) });
      buffer.fill(0xff);
    }
    demuxer.end();
    expect(fed).toEqual(whole);
  });

  it('skips ID3v2 tags anywhere (HLS segments open with one) and ID3v1/APEv2 at the end, without damage', () => {
    const [a, b, c] = expected;
    const ape = new Uint8Array(32 + 20);
    ape.set(new TextEncoder().encode('APETAGEX'));
    new DataView(ape.buffer).setUint32(12, 20, true); // items and footer
    new DataView(ape.buffer).setUint32(20, 0xa0000000, true); // has a header; this is the header
    const id3v1 = new Uint8Array(128);
    id3v1.set(new TextEncoder().encode('TAG'));
    const bytes = cat(id3(300), a!, id3(40), b!, c!, ape, id3v1);
    const damage: DemuxDamage[] = [];
    for (const size of [1, 7, bytes.length]) {
      const packets = demux(bytes, size, { onDamage: (d) => damage.push(d) });
      expect(packets.map(hex)).toEqual([a, b, c].map((f) => Buffer.from(f!).toString('hex')));
    }
    expect(damage).toEqual([]);
  });

  it('never buffers a tag: a 1 MiB ID3v2 tag (cover art) a byte at a time, in work linear in its size', () => {
    const bytes = cat(id3(1 << 20), ...expected.slice(0, 3));
    const demuxer = new Mp3Demuxer();
    let packets = 0;
    let most = 0;
    for (let at = 0; at < bytes.length; at++) {
      packets += demuxer.push(bytes.subarray(at, at + 1)).length;
      most = Math.max(most, demuxer.bufferedBytes);
    }
    packets += demuxer.end().length;
    expect(packets).toBe(3);
    expect(most).toBeLessThan(4096);
    expect(demuxer.work).toBeLessThan(8 * bytes.length);
  });

  it('skips junk between frames to the next confirmed frame and reports it; resync: false refuses it', () => {
    const [a, b, c, d] = expected;
    const junk = new Uint8Array(333).fill(0x55);
    junk[100] = 0xff; // a stray sync...
    junk[101] = 0xfb; // ...with a plausible header that no next frame confirms
    junk[102] = 0x90;
    const bytes = cat(a!, b!, junk, c!, d!);
    for (const size of [1, 64, bytes.length]) {
      const damage: DemuxDamage[] = [];
      const packets = demux(bytes, size, { onDamage: (x) => damage.push(x) });
      expect(packets.map(hex)).toEqual([a, b, c, d].map((f) => Buffer.from(f!).toString('hex')));
      const start = a!.length + b!.length;
      expect(damage).toEqual([{ start, end: start + junk.length, packetsLost: null, lostMs: null, reason: expect.any(String) }]);
    }
    let error: unknown;
    try { demux(bytes, 64, { resync: false }); } catch (e) { error = e; }
    expect(isSpenceError(error, 'DEMUX')).toBe(true);
  });

  it('reports junk that runs to the end, and drops a truncated last frame silently', () => {
    const [a, b] = expected;
    const damage: DemuxDamage[] = [];
    expect(demux(cat(a!, b!, new Uint8Array(50).fill(7)), 10, { onDamage: (x) => damage.push(x) })).toHaveLength(2);
    expect(damage).toHaveLength(1);
    expect(damage[0]!.end).toBe(a!.length + b!.length + 50);
    const cut = demux(cat(a!, b!.subarray(0, 100)), 10, { onDamage: (x) => damage.push(x) });
    expect(cut.map(hex)).toEqual([Buffer.from(a!).toString('hex')]);
    expect(damage).toHaveLength(1);
  });

  it('refuses input with no frame: a MiB of junk, nothing, or a tag alone', () => {
    for (const bytes of [new Uint8Array((1 << 20) + 10).fill(0x20), new Uint8Array(0), id3(100)]) {
      let error: unknown;
      try { demux(bytes, 65_536); } catch (e) { error = e; }
      expect(isSpenceError(error, 'DEMUX'), String(error)).toBe(true);
    }
  });

  it('says the stream parameters, and the duration from the Info frame', () => {
    const demuxer = new Mp3Demuxer();
    expect(demuxer.info).toBeNull();
    demuxer.push(file);
    expect(demuxer.info).toEqual({ codec: 'mp3', container: 'mp3', sampleRate: 44_100, channels: 2, durationMs: expect.closeTo(3030.2, 1) });
  });
});
