/**
 * Damaged and short media, as the bot hears of it (issue 15 item 2, the player's part): a track
 * whose demuxer gives no packet fails `DEMUX`; a track that ends well short of its declared
 * duration says so in its `trackEnd`; the demuxer's skipped stretches reach the bot as `damage`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DemuxDamage } from '../../src/demux/types.js';
import { MediaTrack } from '../../src/open/media-track.js';
import { ManualClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import type { FillTarget, TrackDamageEvent, TrackEndDetails, TrackEndReason, TrackOpener } from '../../src/player/types.js';
import type { TrackMedia } from '../../src/resolve/provider.js';
import { INFO, makeTrack, packets20, setup } from './helpers.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/media/${name}`, import.meta.url)));

function bytesMedia(bytes: Uint8Array): TrackMedia {
  return {
    contentLength: bytes.length,
    async *read(start: number) {
      yield bytes.slice(start);
    },
    close() {},
  };
}

/** A player over `media`, on a manual clock; its track ends recorded. */
function mediaPlayer(media: () => TrackMedia) {
  const clock = new ManualClock();
  const player = new Player({ scheduler: new FrameScheduler({ clock }), openTrack: (_t, options) => MediaTrack.open(media(), options), silenceFrames: 0 });
  const ends: [TrackEndReason, TrackEndDetails][] = [];
  player.on('trackEnd', (_t, reason, details) => ends.push([reason, details]));
  return { clock, player, ends };
}

describe('a track whose demuxer gives no packet fails DEMUX (not finished)', () => {
  it('from an opener that gives none', async () => {
    const { opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: [] });
    const player = createPlayer();
    const ends: TrackEndReason[] = [];
    player.on('trackEnd', (_t, reason) => ends.push(reason));
    await expect(player.load(track)).rejects.toMatchObject({ code: 'DEMUX' });
    expect(ends).toEqual(['loadFailed']);
    expect(player.state).toMatchObject({ status: 'errored', error: { code: 'DEMUX' } });
  });

  it('an Ogg Opus file cut after its headers', async () => {
    const ogg = fixture('opusenc-stereo.opus');
    // The audio starts at the third page: OpusHead, then OpusTags (RFC 7845 §3).
    const pages: number[] = [];
    for (let at = Buffer.from(ogg).indexOf('OggS'); at >= 0; at = Buffer.from(ogg).indexOf('OggS', at + 4)) pages.push(at);
    const headersOnly = ogg.subarray(0, pages[2]);
    const { player, ends } = mediaPlayer(() => bytesMedia(headersOnly));
    await expect(player.load(makeTrack())).rejects.toMatchObject({ code: 'DEMUX', message: expect.stringMatching(/no audio packet/) });
    expect(ends.map(([r]) => r)).toEqual(['loadFailed']);
  });
});

describe('trackEnd says how far the track got, and when it was cut short', () => {
  it('a finished track that reaches its declared duration is not short', async () => {
    const { clock, player, ends } = mediaPlayer(() => bytesMedia(fixture('sample.webm')));
    await player.load(makeTrack());
    await clock.advance(20_000);
    const [reason, details] = ends[0]!;
    expect(reason).toBe('finished');
    expect(details.short).toBe(false);
    expect(details.expectedMs).toBeGreaterThan(9_000);
    expect(Math.abs(details.positionMs - details.expectedMs!)).toBeLessThan(100);
  });

  it('the same file cut to 60 %: finished, short, with where it got and what it declared', async () => {
    const webm = fixture('sample.webm');
    const { clock, player, ends } = mediaPlayer(() => bytesMedia(webm.subarray(0, Math.floor(webm.length * 0.6))));
    await player.load(makeTrack());
    await clock.advance(20_000);
    const [reason, details] = ends[0]!;
    expect(reason).toBe('finished');
    expect(details.short).toBe(true);
    expect(details.expectedMs).toBeGreaterThan(9_000);
    expect(details.positionMs).toBeGreaterThan(4_000);
    expect(details.positionMs).toBeLessThan(details.expectedMs! - 3_000);
  });

  it('without a container duration, the track’s own length is what it is held to (1 s of slack)', async () => {
    const { clock, opener, createPlayer } = setup();
    const player = createPlayer({ silenceFrames: 0 });
    const ends: TrackEndDetails[] = [];
    player.on('trackEnd', (_t, _r, details) => ends.push(details));
    const cut = opener.add(makeTrack('cut', { durationMs: 5000 }), { packets: packets20(150) }); // 3 s of 5
    const near = opener.add(makeTrack('near', { durationMs: 3900 }), { packets: packets20(150) }); // 3 s of 3.9
    const live = opener.add(makeTrack('live', { durationMs: 5000, isStream: true }), { packets: packets20(50) });
    for (const track of [cut, near, live]) {
      await player.load(track);
      await clock.advance(4000);
    }
    expect(ends).toEqual([
      { positionMs: 3000, expectedMs: 5000, short: true },
      { positionMs: 3000, expectedMs: 3900, short: false },
      { positionMs: 1000, expectedMs: null, short: false },
    ]);
  });

  it('a stopped or replaced track reports its position; short is for finished tracks only', async () => {
    const { clock, opener, createPlayer } = setup();
    const player = createPlayer();
    const ends: [string, TrackEndDetails][] = [];
    player.on('trackEnd', (_t, reason, details) => ends.push([reason, details]));
    await player.load(opener.add(makeTrack('a', { durationMs: 60_000 }), { packets: packets20(3000) }));
    await clock.advance(1000);
    player.stop();
    expect(ends).toEqual([['stopped', { positionMs: 1020, expectedMs: 60_000, short: false }]]);
  });
});

describe('damage reported by the demuxer reaches the bot', () => {
  it('as a `damage` event with the track, after the feed that found it (a listener may stop the player)', async () => {
    const clock = new ManualClock();
    const packets = packets20(100);
    const damage: DemuxDamage = { start: 1000, end: 1200, packetsLost: 3, lostMs: 60, reason: 'a Cluster with a bad size' };
    let at = 0;
    let reported = false;
    const open: TrackOpener = async (_track, { onDamage }) => ({
      info: INFO,
      fill: async (sink: FillTarget) => {
        if (at >= packets.length) return false;
        for (const end = at + 10; at < end; at++) {
          const p = packets[at]!;
          sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
          if (at === 30 && !reported) {
            reported = true;
            onDamage?.(damage);
          }
        }
        return true;
      },
      close() {},
    });
    const player = new Player({ scheduler: new FrameScheduler({ clock }), openTrack: open, readAheadMs: 200, prebufferMs: 100 });
    const events: TrackDamageEvent[] = [];
    const log: string[] = [];
    player.on('damage', (event) => {
      events.push(event);
      log.push(`damage while ${player.status}`);
      player.stop();
    });
    player.on('trackEnd', (_t, reason) => log.push(`end ${reason}`));
    const track = makeTrack('damaged');
    await player.load(track);
    await clock.advance(2000);
    expect(events).toEqual([{ ...damage, track }]);
    expect(log).toEqual(['damage while playing', 'end stopped']);
  });
});
