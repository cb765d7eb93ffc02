/**
 * The node's opener (`MediaTrack`) over in-memory media: it waits for enough bytes to tell the
 * container (issue 15 item 7); over damaged media it gives what the demuxer gives and reports the
 * damage; and every way out of an opener (`packets`, a player) hands over all the packets before a
 * fault, then the fault (issue 15 item 4).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { DemuxDamage, OpusPacket, PacketSink, PushDemuxer } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { SpenceError, isSpenceError } from '../../src/errors.js';
import { MediaTrack } from '../../src/open/media-track.js';
import { ManualClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { packetIterator } from '../../src/player/pull.js';
import type { FillTarget, FillTrack, TrackOpenOptions } from '../../src/player/types.js';
import type { TrackMedia } from '../../src/resolve/provider.js';
import { INFO, hex, makeTrack } from './helpers.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/media/${name}`, import.meta.url)));
const open = (signal = new AbortController().signal): TrackOpenOptions => ({ signal });

/** Media streamed in the given chunk sizes (the last repeats until the end). */
function streamed(bytes: Uint8Array, sizes: readonly number[]): TrackMedia {
  return {
    contentLength: bytes.length,
    async *read(start: number) {
      let k = 0;
      for (let at = start; at < bytes.length; k++) {
        const size = sizes[Math.min(k, sizes.length - 1)]!;
        yield bytes.slice(at, Math.min(bytes.length, at + size));
        at += size;
      }
    },
    close() {},
  };
}

/** Media read positionally, as the local provider reads a file. */
function positional(bytes: Uint8Array): TrackMedia {
  return {
    contentLength: bytes.length,
    read() {
      throw new Error('positional media is read with readAt');
    },
    async readAt(position, target) {
      const n = Math.max(0, Math.min(target.length, bytes.length - position));
      target.set(bytes.subarray(position, position + n));
      return n;
    },
    close() {},
  };
}

/** What a demuxer's `feed` gives for `bytes` in one chunk, and the error it ends with (if any). */
function reference(demuxer: PushDemuxer, bytes: Uint8Array): { packets: string[]; error: unknown } {
  const packets: string[] = [];
  const sink: PacketSink = { packet: (b, s, e, ts) => packets.push(`${ts}:${hex(b.subarray(s, e))}`) };
  try {
    demuxer.feed(bytes, sink);
    for (const p of demuxer.end()) packets.push(`${p.timestampMs}:${hex(p.data)}`);
    return { packets, error: undefined };
  } catch (error) {
    return { packets, error };
  }
}

async function drain(track: MediaTrack): Promise<{ packets: string[]; error: unknown }> {
  const packets: string[] = [];
  try {
    for (;;) {
      const step = await track.packets.next();
      if (step.done === true) return { packets, error: undefined };
      packets.push(`${step.value.timestampMs}:${hex(step.value.data)}`);
    }
  } catch (error) {
    return { packets, error };
  }
}

const webm = fixture('sample.webm');
const ogg = fixture('opusenc-stereo.opus');

describe('MediaTrack: the container is told from enough bytes, however they arrive', () => {
  for (const [name, bytes, demuxer] of [['WebM', webm, () => new WebmDemuxer()], ['Ogg', ogg, () => new OggDemuxer()]] as const) {
    it(`${name}: 3 bytes first, then the rest; and 1 byte at a time for the first 12`, async () => {
      const expected = reference(demuxer(), bytes);
      for (const sizes of [[3, 1 << 20], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4096]]) {
        const track = await MediaTrack.open(streamed(bytes, sizes), open());
        expect(track.info.container).toBe(name === 'WebM' ? 'webm' : 'ogg');
        expect(await drain(track)).toEqual(expected);
      }
    });
  }

  it('MP3: an ID3 tag cut after 3 bytes is waited for (the frames go to the transcoder as MP3)', async () => {
    const mp3 = fixture('tone-44k.mp3');
    const whole = await MediaTrack.open(streamed(mp3, [1 << 20]), open());
    const split = await MediaTrack.open(streamed(mp3, [3, 4, 1 << 20]), open());
    expect(split.codec).toBe('mp3');
    expect(split.sourceInfo).toEqual(whole.sourceInfo);
    const a = await drain(whole);
    expect(a.packets.length).toBeGreaterThan(50);
    expect(await drain(split)).toEqual(a);
  });

  it('refuses bytes that are none of the containers once it has enough of them, and empty media', async () => {
    const junk = new Uint8Array(64).fill(0x42);
    await expect(MediaTrack.open(streamed(junk, [3, 3, 64]), open())).rejects.toMatchObject({ code: 'DEMUX', message: expect.stringMatching(/neither/) });
    await expect(MediaTrack.open(streamed(junk.subarray(0, 5), [2]), open())).rejects.toMatchObject({ code: 'DEMUX' });
    await expect(MediaTrack.open(streamed(new Uint8Array(0), [1]), open())).rejects.toMatchObject({ code: 'DEMUX', message: expect.stringMatching(/empty/) });
  });
});

/**
 * The second Cluster (ID 1F 43 B6 75, RFC 9559 §5.1.3) made a Void of unknown size, which only
 * Segment and Cluster may have (RFC 8794 §6.2): damage in the middle of the bytes.
 */
function damagedWebm(): Uint8Array {
  const clusterId = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
  const first = Buffer.from(webm).indexOf(clusterId);
  const cut = Buffer.from(webm).indexOf(clusterId, first + 4);
  const bad = webm.slice();
  bad.set([0xec, 0xff], cut);
  return bad;
}

describe('MediaTrack over damaged media: the demuxer’s packets, and its damage reported', () => {
  const bad = damagedWebm();
  const damages: DemuxDamage[] = [];
  const expected = reference(new WebmDemuxer({ onDamage: (d) => damages.push(d) }), bad);

  it('the demuxer skips the damage and reports it (the case under test)', () => {
    expect(expected.error).toBeUndefined();
    expect(damages.length).toBeGreaterThan(0);
    expect(expected.packets.length).toBeLessThan(reference(new WebmDemuxer(), webm).packets.length);
  });

  for (const [how, media] of [['streamed in one chunk', () => streamed(bad, [1 << 20])], ['read positionally', () => positional(bad)]] as const) {
    it(`packets, ${how}: every packet the demuxer gives; the damage to onDamage`, async () => {
      const seen: DemuxDamage[] = [];
      const got = await drain(await MediaTrack.open(media(), { ...open(), onDamage: (d) => seen.push(d) }));
      expect(got).toEqual(expected);
      expect(seen).toEqual(damages);
    });

    it(`a player, ${how}: plays them all, ends finished, and emits the damage`, async () => {
      const clock = new ManualClock();
      const scheduler = new FrameScheduler({ clock });
      const player = new Player({ scheduler, openTrack: (_track, options) => MediaTrack.open(media(), options), silenceFrames: 0 });
      const played: string[] = [];
      player.on('frame', (f) => played.push(`${f.packet.timestampMs}:${hex(f.packet.data)}`));
      const ends: string[] = [];
      player.on('trackEnd', (_t, reason) => ends.push(reason));
      const seen: DemuxDamage[] = [];
      player.on('damage', ({ track: _track, ...damage }) => seen.push(damage));
      await player.load(makeTrack());
      await clock.advance(20_000);
      expect(played).toEqual(expected.packets);
      expect(ends).toEqual(['finished']);
      expect(seen).toEqual(damages);
    });
  }
});

/** A track that gives `count` packets in one fill, then fails in the middle of the next. */
function faultingTrack(count: number): FillTrack & { closed: boolean } {
  let fills = 0;
  const track = {
    info: INFO,
    closed: false,
    fill: async (sink: FillTarget): Promise<boolean> => {
      fills++;
      const from = fills === 1 ? 0 : count;
      for (let i = from; i < from + count; i++) sink.packet(Uint8Array.of(0xf8, i), 0, 2, i * 20, 20);
      if (fills === 2) throw new SpenceError('DEMUX', 'damage past resynchronisation');
      return true;
    },
    close: () => {
      track.closed = true;
    },
  };
  return track;
}

describe('the packets before a fault, then the fault (issue 15 item 4)', () => {
  it('packetIterator hands out every packet the failing fill gave, then rejects with its error', async () => {
    const track = faultingTrack(5);
    const it = packetIterator(track);
    const got: number[] = [];
    let error: unknown;
    try {
      for (let step = await it.next(); step.done !== true; step = await it.next()) got.push(step.value.data[1]!);
    } catch (e) {
      error = e;
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(isSpenceError(error, 'DEMUX')).toBe(true);
    await it.return?.();
    expect(track.closed).toBe(true);
  });

  it('a player plays every packet the failing fill gave, then the track fails with its error', async () => {
    const clock = new ManualClock();
    const player = new Player({ scheduler: new FrameScheduler({ clock }), openTrack: async () => faultingTrack(5), silenceFrames: 0 });
    const played: number[] = [];
    player.on('frame', (f) => played.push(f.packet.data[1]!));
    await player.load(makeTrack());
    await clock.advance(1000);
    expect(played).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(player.state).toMatchObject({ status: 'errored', error: { code: 'DEMUX' } });
  });
});

describe('packets of a MediaTrack', () => {
  it('are the demuxer’s, with bytes of their own', async () => {
    const track = await MediaTrack.open(positional(webm), open());
    const out: OpusPacket[] = [];
    for (let step = await track.packets.next(); step.done !== true; step = await track.packets.next()) out.push(step.value);
    expect(out.map((p) => `${p.timestampMs}:${hex(p.data)}`)).toEqual(reference(new WebmDemuxer(), webm).packets);
    // Read positionally into shared buffers, yet each packet keeps its bytes after the reads went on.
    expect(new Set(out.map((p) => p.data.buffer)).size).toBeLessThan(out.length);
  });
});
