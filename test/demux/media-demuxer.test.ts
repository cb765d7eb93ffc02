/**
 * createDemuxer(): the one sniffing demuxer demux() and the players read through. It waits for
 * enough bytes to tell the container (3 bytes first, or a byte at a time, is fine), delegates to
 * the container's demuxer with the same packets, refuses what is none of them, and answers seek
 * plans (WebM Cues in front, Cues fetched from the SeekHead's offset, no index).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import { createDemuxer, type MediaDemuxer } from '../../src/demux/media-demuxer.js';
import { Mp3Demuxer } from '../../src/demux/mp3/mp3-demuxer.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { sniffMedia } from '../../src/demux/sniff.js';
import type { OpusPacket, PacketSink, PushDemuxer, StreamInfo } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';

const media = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(media, name)));
const sample = read('sample.webm');
const cuesFront = read('short-frames.webm');
const ogg = read('opusenc-stereo.opus');
const mp3 = read('tone-44k.mp3');
/** tone-44k.mp3 opens with a 45-byte ID3v2 tag (ffmpeg's), then its first frame. */
const ID3_BYTES = 45;

const summary = (p: OpusPacket) => `${Buffer.from(p.data).toString('base64')}@${p.timestampMs}/${p.durationMs}`;

function direct(demuxer: PushDemuxer<StreamInfo>, bytes: Uint8Array): string[] {
  return [...demuxer.push(bytes), ...demuxer.end()].map(summary);
}

/** Pushes `bytes` cut at `sizes` (the last size repeats). */
function pushIn(demuxer: MediaDemuxer, bytes: Uint8Array, sizes: number[]): OpusPacket[] {
  const out: OpusPacket[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[Math.min(i, sizes.length - 1)]!;
    out.push(...demuxer.push(bytes.subarray(at, at + n)));
    at += n;
  }
  out.push(...demuxer.end());
  return out;
}

/** Feeds `bytes` through one reused buffer, scribbled over after every feed. */
function feedIn(demuxer: MediaDemuxer, bytes: Uint8Array, size: number): OpusPacket[] {
  const out: OpusPacket[] = [];
  const sink: PacketSink = {
    packet: (b, start, end, timestampMs, durationMs) => { out.push({ data: b.slice(start, end), timestampMs, durationMs }); },
  };
  const buffer = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const n = Math.min(size, bytes.length - at);
    buffer.set(bytes.subarray(at, at + n));
    demuxer.feed(buffer.subarray(0, n), sink);
    buffer.fill(0xff);
  }
  out.push(...demuxer.end());
  return out;
}

function demuxError(fn: () => unknown): Error {
  try { fn(); } catch (error) {
    expect(isSpenceError(error, 'DEMUX'), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected a DEMUX error');
}

describe('createDemuxer(): sniffing', () => {
  const cases = [
    { name: 'WebM', bytes: sample, kind: 'webm', make: () => new WebmDemuxer(), type: WebmDemuxer },
    { name: 'Ogg', bytes: ogg, kind: 'ogg', make: () => new OggDemuxer(), type: OggDemuxer },
    { name: 'MP3', bytes: mp3, kind: 'mp3', make: () => new Mp3Demuxer(), type: Mp3Demuxer },
  ] as const;
  for (const { name, bytes, kind, make, type } of cases) {
    it(`${name}: the container's packets whatever the first chunks (whole, 3 bytes then the rest, 1 byte at a time, borrowed)`, () => {
      const expected = direct(make(), bytes);
      expect(expected.length).toBeGreaterThan(50);
      for (const sizes of [[bytes.length], [3, bytes.length], [1], [2, 1, 4096]]) {
        const demuxer = createDemuxer();
        expect(pushIn(demuxer, bytes, sizes).map(summary)).toEqual(expected);
        expect(demuxer.container).toBe(kind);
        expect(demuxer.demuxer).toBeInstanceOf(type);
      }
      expect(feedIn(createDemuxer(), bytes, 1).map(summary)).toEqual(expected);
      expect(feedIn(createDemuxer(), bytes, 3).map(summary)).toEqual(expected);
    });
  }

  it('says the codec in info: Opus parameters for WebM, MP3 ones for MP3', () => {
    const webm = createDemuxer();
    webm.push(sample);
    expect(webm.info).toMatchObject({ codec: 'opus', container: 'webm', channels: 2, preSkip: 312 });
    const audio = createDemuxer();
    audio.push(mp3);
    const info = audio.info!;
    expect(info.codec).toBe('mp3');
    if (info.codec === 'mp3') expect(info).toMatchObject({ container: 'mp3', sampleRate: 44_100, channels: 2 });
  });

  it('holds the first bytes until it can tell, and copies nothing it decides from one chunk', () => {
    const demuxer = createDemuxer();
    expect(demuxer.push(sample.subarray(0, 3))).toEqual([]);
    expect(demuxer.container).toBeNull();
    expect(demuxer.bufferedBytes).toBe(3);
    expect(demuxer.push(sample.subarray(3, 4))).toEqual([]);
    expect(demuxer.container).toBe('webm');
    // An MP3 frame is taken only when the next frame's header confirms it.
    const frames = createDemuxer();
    frames.push(mp3.subarray(ID3_BYTES, ID3_BYTES + 100));
    expect(frames.container).toBeNull();
    frames.push(mp3.subarray(ID3_BYTES + 100, ID3_BYTES + 2000));
    expect(frames.container).toBe('mp3');
  });

  it('refuses bytes that are none of the containers as soon as that is certain, and stays failed', () => {
    const demuxer = createDemuxer();
    const error = demuxError(() => demuxer.push(new TextEncoder().encode('RIFF....WAVE')));
    expect(error.message).toMatch(/neither WebM\/Matroska, Ogg nor MP3/);
    demuxError(() => demuxer.push(sample));
    demuxError(() => demuxer.end());
    // A lone MPEG sync whose "next frame" is not one.
    const fake = new Uint8Array(4000);
    fake.set([0xff, 0xfb, 0x90, 0x64]);
    demuxError(() => createDemuxer().push(fake));
  });

  it('refuses an empty or too short input at its end', () => {
    expect(demuxError(() => createDemuxer().end()).message).toMatch(/empty/);
    const short = createDemuxer();
    short.push(sample.subarray(0, 2));
    expect(demuxError(() => short.end()).message).toMatch(/too short/);
  });

  it('takes a known container without sniffing: MP3 joined mid-stream', () => {
    const cut = mp3.subarray(1000); // not at a frame boundary, no tag
    expect(sniffMedia(cut)).toBe('unknown');
    const demuxer = createDemuxer({ container: 'mp3' });
    const frames = pushIn(demuxer, cut, [4096]);
    expect(frames.length).toBeGreaterThan(100);
    expect(demuxer.info?.codec).toBe('mp3');
  });

  it('sniffMedia: null while a prefix could still be any container; the whole input decides', () => {
    expect(sniffMedia(Uint8Array.of(0x1a, 0x45))).toBeNull();
    expect(sniffMedia(Uint8Array.of(0x1a, 0x45), true)).toBe('unknown');
    expect(sniffMedia(Uint8Array.of(0x4f, 0x67, 0x67, 0x53))).toBe('ogg');
    expect(sniffMedia(new TextEncoder().encode('ID3'))).toBeNull();
    expect(sniffMedia(new TextEncoder().encode('ID3\u0004\u0000\u0000\u0000\u0000\u0001\u0000'))).toBe('mp3');
    expect(sniffMedia(mp3.subarray(0, 10))).toBe('mp3'); // an ID3v2 tag
    expect(sniffMedia(mp3.subarray(ID3_BYTES, ID3_BYTES + 200))).toBeNull(); // a frame header, not yet confirmed
    expect(sniffMedia(mp3.subarray(ID3_BYTES, ID3_BYTES + 200), true)).toBe('mp3');
    expect(sniffMedia(new Uint8Array(0))).toBeNull();
  });
});

describe('createDemuxer(): seek plans', () => {
  /** Pushes 512-byte pieces until the headers are read. */
  function headers(bytes: Uint8Array): { demuxer: MediaDemuxer; pushed: number } {
    const demuxer = createDemuxer();
    let pushed = 0;
    while (demuxer.info === null) demuxer.push(bytes.subarray(pushed, (pushed += 512)));
    return { demuxer, pushed };
  }
  function reference(bytes: Uint8Array): { packets: OpusPacket[]; cues: { timeMs: number; byteOffset: number }[] } {
    const demuxer = new WebmDemuxer();
    const packets = [...demuxer.push(bytes), ...demuxer.end()];
    return { packets, cues: demuxer.cues! };
  }

  /**
   * What an opener does: headers, then the plans until there is none or a restart, reading on in
   * 512-byte pieces and fetching ranges of `bytes` as asked; returns the plans and the packets.
   */
  function seek(bytes: Uint8Array, ms: number): { plans: string[]; packets: OpusPacket[] } {
    const { demuxer, pushed: start } = headers(bytes);
    let pushed = start;
    const plans: string[] = [];
    for (let plan = demuxer.seekPlan(ms); plan !== null; plan = demuxer.seekPlan(ms)) {
      plans.push(plan.type);
      expect(plans.length).toBeLessThan(200);
      if (plan.type === 'read') {
        demuxer.push(bytes.subarray(pushed, (pushed += 512)));
      } else if (plan.type === 'fetch') {
        demuxer.supplySeekBytes(plan.start, bytes.subarray(plan.start, plan.end));
      } else {
        demuxer.restartAt(plan.byteOffset);
        expect(demuxer.byteOffset).toBe(plan.byteOffset);
        pushed = plan.byteOffset;
        break;
      }
    }
    const packets = pushIn(demuxer, bytes.subarray(pushed), [777]);
    return { plans: [...new Set(plans)], packets };
  }

  it('Cues in front: read on to them, then restart at the Cluster at or before the time', () => {
    const { packets, cues } = reference(cuesFront);
    expect(cues.length).toBeGreaterThan(4);
    const cue = cues[4]!;
    const result = seek(cuesFront, cue.timeMs + 10);
    expect(result.plans).toEqual(['read', 'restart']);
    expect(result.packets.map(summary)).toEqual(packets.filter((p) => p.timestampMs >= cue.timeMs).map(summary));
  });

  it('reads on (no plan) when the Cluster starts in the bytes pushed already, or before the first cue', () => {
    const { packets, cues } = reference(cuesFront);
    const early = seek(cuesFront, cues[0]!.timeMs + 50);
    expect(early.plans).toEqual(['read']);
    expect(early.packets.at(-1)).toEqual(packets.at(-1));
    const { demuxer } = headers(cuesFront);
    demuxer.push(cuesFront.subarray(512, 1400)); // the Cues, and the first Cluster's start
    expect((demuxer.demuxer as WebmDemuxer).cues).not.toBeNull();
    expect(demuxer.seekPlan(-1)).toBeNull();
  });

  it('Cues at the end: fetch them from the SeekHead\'s offset, then restart', () => {
    const { packets, cues } = reference(sample);
    const target = 7_000;
    const cue = cues.filter((c) => c.timeMs <= target).at(-1)!;
    const result = seek(sample, target);
    expect(result.plans).toEqual(['fetch', 'restart']);
    expect(result.packets.map(summary)).toEqual(packets.filter((p) => p.timestampMs >= cue.timeMs).map(summary));
    const { demuxer } = headers(sample);
    const fetch = demuxer.seekPlan(target);
    if (fetch?.type !== 'fetch') throw new Error('expected a fetch');
    expect(Array.from(sample.subarray(fetch.start, fetch.start + 4))).toEqual([0x1c, 0x53, 0xbb, 0x6b]); // Cues (RFC 9559 §5.1.5)
    expect(fetch.end - fetch.start).toBe(64 * 1024);
  });

  it('a Cues element longer than the first fetch is fetched again at its exact size', () => {
    const { cues } = reference(sample);
    const { demuxer } = headers(sample);
    const first = demuxer.seekPlan(5_000);
    if (first?.type !== 'fetch') throw new Error('expected a fetch');
    // The real Cues, with a 100 kB Void inside (RFC 8794 §11.3.2): 100 kB more than the first fetch.
    const cuesHeader = 4 + 1; // its ID, then a 1-octet size (the sample's Cues is small)
    expect(sample[first.start + 4]! & 0x80).toBe(0x80);
    const body = sample.subarray(first.start + cuesHeader, first.start + cuesHeader + (sample[first.start + 4]! & 0x7f));
    const voidElement = new Uint8Array(100_000 + 5);
    voidElement.set([0xec, 0x10, 0x01, 0x86, 0xa0]); // Void, 4-octet size 100 000
    const size = body.length + voidElement.length;
    const big = new Uint8Array(4 + 4 + size);
    big.set([0x1c, 0x53, 0xbb, 0x6b, 0x10, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff]);
    big.set(body, 8);
    big.set(voidElement, 8 + body.length);
    demuxer.supplySeekBytes(first.start, big.subarray(0, first.end - first.start));
    const second = demuxer.seekPlan(5_000);
    expect(second).toEqual({ type: 'fetch', start: first.start, end: first.start + big.length });
    demuxer.supplySeekBytes(first.start, big);
    expect(demuxer.seekPlan(5_000)).toMatchObject({ type: 'restart', byteOffset: cues.filter((c) => c.timeMs <= 5_000).at(-1)!.byteOffset });
  });

  it('bytes that are no readable Cues leave no index: the next plan is null, never the same fetch again', () => {
    const { demuxer } = headers(sample);
    const fetch = demuxer.seekPlan(5_000);
    if (fetch?.type !== 'fetch') throw new Error('expected a fetch');
    demuxer.supplySeekBytes(fetch.start, new Uint8Array(64).fill(0x42));
    expect(demuxer.seekPlan(5_000)).toBeNull();
  });

  it('no plan without an index (a live WebM), for Ogg and MP3, and before the headers', () => {
    const live = headers(read('live-mono-40ms.webm')).demuxer;
    expect(live.seekPlan(1_000)).toBeNull();
    for (const bytes of [ogg, mp3]) {
      const demuxer = createDemuxer();
      demuxer.push(bytes);
      expect(demuxer.seekPlan(1_000)).toBeNull();
    }
    expect(createDemuxer().seekPlan(1_000)).toBeNull();
  });

  it('restartAt: Ogg at any offset, never MP3 nor before the container is known', () => {
    const demuxer = createDemuxer();
    demuxer.push(mp3);
    expect(() => demuxer.restartAt(0)).toThrow(/MP3/);
    expect(() => createDemuxer().restartAt(0)).toThrow(/headers/);
  });
});
