/**
 * The read-ahead's memory is sized once for the track's bitrate (its media's length over its
 * duration), so that a player does not grow it while it plays: a grown buffer leaves the old one
 * to the allocator, a hole in the process's memory (issue 16: ~80 KB of RSS per player on YouTube's
 * 160 kbit/s files at 5000 players).
 */
import { describe, expect, it } from 'vitest';
import type { OpusPacket } from '../../src/demux/types.js';
import { ManualClock } from '../../src/player/clock.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { Player } from '../../src/player/player.js';
import type { FillTarget, FillTrack, FrameEvent, TrackOpener } from '../../src/player/types.js';
import { INFO, makeTrack } from './helpers.js';

/** 400-byte packets every 20 ms: 160 kbit/s, YouTube's usual Opus bitrate. */
const PACKET_BYTES = 400;
const TRACK_MS = 60_000;

/**
 * An opener like the node's over a local file: each fill reads into the player's read buffer (as
 * much of it as packets fill) and hands the packets over as views of it; it says its media's
 * length when `withLength`.
 */
function opener(withLength: boolean): TrackOpener {
  return async () => {
    let next = 0;
    const count = TRACK_MS / 20;
    const track: FillTrack = {
      info: INFO,
      ...(withLength && { byteLength: count * PACKET_BYTES }),
      async fill(sink: FillTarget): Promise<boolean> {
        if (next >= count) return false;
        const target = sink.readBuffer!(0);
        const fits = Math.min(count - next, Math.floor(target.length / PACKET_BYTES));
        for (let k = 0; k < fits; k++, next++) {
          target.fill(next & 0xff, k * PACKET_BYTES, (k + 1) * PACKET_BYTES);
          target[k * PACKET_BYTES] = 31 << 3; // TOC: CELT FB 20 ms
          sink.packet(target, k * PACKET_BYTES, (k + 1) * PACKET_BYTES, next * 20, 20);
        }
        return true;
      },
      close() {},
    };
    return track;
  };
}

/** Plays 20 s of the track and returns the distinct memories the frames' bytes were views of. */
async function memoriesOf(withLength: boolean): Promise<Set<ArrayBufferLike>> {
  const clock = new ManualClock();
  const scheduler = new FrameScheduler({ clock });
  const player = new Player({ scheduler, openTrack: opener(withLength) });
  const memories = new Set<ArrayBufferLike>();
  let frames = 0;
  player.on('frame', (e: FrameEvent) => {
    if (e.silence) return;
    frames++;
    memories.add((e.packet as OpusPacket).data.buffer);
  });
  await player.load(makeTrack('long', { durationMs: TRACK_MS }));
  for (let t = 0; t < 20_000; t += 20) await clock.advance(20);
  expect(frames).toBeGreaterThan(900);
  // Not destroyed: its memory would go to the free list the next test's player takes from.
  return memories;
}

describe('read-ahead memory', () => {
  it('told nothing, it starts at its default and grows for 160 kbit/s (what the length saves)', async () => {
    expect((await memoriesOf(false)).size).toBeGreaterThan(1);
  });

  it('is sized for the bitrate the media length and duration give: 3 s of 160 kbit/s and its reads, without growing', async () => {
    expect((await memoriesOf(true)).size).toBe(1);
  });
});
