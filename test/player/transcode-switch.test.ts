/**
 * The player's transcoding stage on a manual clock (inline transcoders: deterministic, no worker):
 * no transcoder at volume 1 without filters; a switch to transcoding and back keeps the timestamps
 * contiguous and the deadlines exactly 20 ms apart, and the packets around it are the source's own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WebmDemuxer } from '../../src/demux/index.js';
import type { OpusPacket } from '../../src/demux/index.js';
import { ManualClock } from '../../src/player/clock.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { Player } from '../../src/player/player.js';
import type { OpenedTrack } from '../../src/player/types.js';
import type { TranscoderFactory } from '../../src/player/transcode-stage.js';
import { Transcoder } from '../../src/transcode/index.js';
import { makeTrack } from './helpers.js';

const demuxer = new WebmDemuxer();
const source: OpusPacket[] = [...demuxer.push(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url))), ...demuxer.end()];
const info = demuxer.info!;

function opener(): (track: unknown) => Promise<OpenedTrack> {
  return async () => {
    let i = 0;
    return {
      info,
      packets: { next: async () => (i < source.length ? { done: false, value: source[i++]! } : { done: true, value: undefined }) },
      close: () => {},
    };
  };
}

function setup(): { player: Player; clock: ManualClock; created: number[]; frames: { ts: number; deadline: number; data: Uint8Array }[] } {
  const clock = new ManualClock();
  const scheduler = new FrameScheduler({ clock });
  const created: number[] = [];
  const create: TranscoderFactory = (input, options) => {
    created.push(clock.now());
    const creating = Transcoder.create(input, { ...options, inline: true });
    creations.push(creating);
    return creating;
  };
  const player = new Player({ scheduler, openTrack: opener(), silenceFrames: 0, transcode: { create } });
  const frames: { ts: number; deadline: number; data: Uint8Array }[] = [];
  player.on('frame', (f) => frames.push({ ts: f.packet.timestampMs, deadline: f.deadline, data: f.packet.data.slice() }));
  return { player, clock, created, frames };
}

/** The transcoders being created (the inline transcoder's WASM instantiation takes real time). */
const creations: Promise<unknown>[] = [];

async function run(clock: ManualClock, ms: number, each?: (at: number) => boolean | void): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    await clock.advance(20);
    await new Promise((r) => setImmediate(r));
    // After a settings change, the clock waits for the transcoder's creation (an event, not a time).
    if (each?.(t) === true) {
      await new Promise((r) => setImmediate(r));
      await Promise.allSettled(creations);
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('player transcoding stage', () => {
  it('volume 1 without filters: no transcoder, packets passed through', async () => {
    const { player, clock, created, frames } = setup();
    await player.load(makeTrack());
    player.setVolume(1);
    player.setFilters({});
    await run(clock, 1000);
    expect(created).toEqual([]);
    expect(player.transcoding).toBe(false);
    expect(frames.length).toBeGreaterThan(40);
    frames.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(source[i]!.data))).toBe(true));
    player.destroy();
  });

  it('passthrough → volume 0.5 → passthrough: contiguous timestamps, deadlines 20 ms apart, source bytes outside the switch', async () => {
    const { player, clock, created, frames } = setup();
    await player.load(makeTrack());
    let transcodedAt = -1;
    let backAt = -1;
    await run(clock, 4000, () => {
      if (transcodedAt < 0 && player.transcoding) transcodedAt = frames.length;
      if (transcodedAt >= 0 && backAt < 0 && !player.transcoding) backAt = frames.length;
      if (transcodedAt >= 0 && frames.length >= transcodedAt + 50 && player.volume === 0.5) player.setVolume(1);
      if (frames.length >= 50 && player.volume === 1 && transcodedAt < 0) {
        player.setVolume(0.5);
        return true;
      }
      return false;
    });
    expect(created.length).toBe(1);
    expect(transcodedAt).toBeGreaterThan(50);
    expect(backAt).toBeGreaterThan(transcodedAt + 50);
    for (let i = 1; i < frames.length; i++) {
      // (The fixture's own second packet is stamped 21 ms: WebM rounds to the millisecond.)
      if (i > 1) expect(frames[i]!.ts - frames[i - 1]!.ts).toBeCloseTo(20, 6);
      expect(frames[i]!.deadline - frames[i - 1]!.deadline).toBeCloseTo(20, 6);
    }
    // Before the switch and after the way back, the source's own packets; in between, transcoded ones.
    const same = (i: number): boolean => Buffer.from(frames[i]!.data).equals(Buffer.from(source[i]!.data));
    for (let i = 0; i < transcodedAt - 1; i++) expect(same(i)).toBe(true);
    expect(same(transcodedAt + 5)).toBe(false);
    for (let i = backAt; i < frames.length; i++) expect(same(i)).toBe(true);
    player.destroy();
  });

  it('validates like Lavalink: volume 0..10, filters by name and range', () => {
    const { player } = setup();
    expect(() => player.setVolume(11)).toThrow(/volume/i);
    expect(() => player.setFilters({ timescale: { speed: -1 } })).toThrow();
    player.setFilters({ equalizer: [{ band: 0, gain: 0.2 }] });
    expect(player.filters.equalizer?.[0]?.gain).toBe(0.2);
    player.setFilters({});
    expect(player.filters).toEqual({});
    player.destroy();
  });
});
