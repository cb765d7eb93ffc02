/**
 * What a player is given is checked when it is given, and everything it throws is a SpenceError
 * with a code (issue 15 item 15, the player's part); seek past the end of a track ends it.
 */
import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock, RealClock } from '../../src/player/clock.js';
import type { Player } from '../../src/player/player.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import type { PlayerSnapshot, TrackEndReason } from '../../src/player/types.js';
import type { Track } from '../../src/resolve/track.js';
import { createTrack } from '../../src/resolve/track-codec.js';
import { TranscodePool } from '../../src/transcode/pool/worker-pool.js';
import { makeTrack, packets20, setup } from './helpers.js';

/** The error `run` throws or rejects with (undefined when none). */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function expectInvalid(run: () => unknown, message?: RegExp): Promise<void> {
  const error = await failure(run);
  expect(isSpenceError(error, 'INVALID_ARGUMENT'), `${String(error)}`).toBe(true);
  if (message !== undefined) expect((error as Error).message).toMatch(message);
}

describe('player options are checked when given', () => {
  const { createPlayer, scheduler } = setup();
  const cases: [string, () => unknown, RegExp][] = [
    ['mode garbage', () => createPlayer({ mode: 'garbage' as 'push' }), /mode/],
    ['mode stream (stream() switches to it)', () => createPlayer({ mode: 'stream' as 'push' }), /mode/],
    ['readAheadMs Infinity', () => createPlayer({ readAheadMs: Number.POSITIVE_INFINITY }), /readAheadMs/],
    ['readAheadMs 0', () => createPlayer({ readAheadMs: 0 }), /readAheadMs/],
    ['prebufferMs NaN', () => createPlayer({ prebufferMs: Number.NaN }), /prebufferMs/],
    ['rebufferMs -1', () => createPlayer({ rebufferMs: -1 }), /rebufferMs/],
    ['silenceFrames "5"', () => createPlayer({ silenceFrames: '5' as unknown as number }), /silenceFrames/],
    ['transcode.leadFrames 0', () => createPlayer({ transcode: { leadFrames: 0 } }), /leadFrames/],
    ['transcode.inline "yes"', () => createPlayer({ transcode: { inline: 'yes' as unknown as boolean } }), /inline/],
    ['transcode null', () => createPlayer({ transcode: null as never }), /transcode/],
    ['onDestroy 1', () => createPlayer({ onDestroy: 1 as never }), /onDestroy/],
    ['no openTrack', () => new (createPlayer().constructor as typeof Player)({ scheduler } as never), /openTrack/],
    ['scheduler stallThresholdMs -1', () => new FrameScheduler({ stallThresholdMs: -1 }), /stallThresholdMs/],
    ['RealClock spinMs -1', () => new RealClock({ spinMs: -1 }), /spinMs/],
    ['ManualClock advance(-1)', () => new ManualClock().advance(-1), /advance/],
    ['pool workers -3', () => new TranscodePool({ workers: -3 }), /workers/],
    ['pool workers 1.5', () => new TranscodePool({ workers: 1.5 }), /workers/],
    ['pool budget 2', () => new TranscodePool({ budget: 2 }), /budget/],
  ];
  for (const [what, run, message] of cases) {
    it(`refuses ${what}`, () => expectInvalid(run, message));
  }

  it('node.createPlayer refuses a garbage mode too', async () => {
    const node = new BaseNode({ providers: [], clock: new ManualClock() });
    await expectInvalid(() => node.createPlayer({ mode: 'garbage' as 'push' }), /mode/);
    await node.destroy();
  });
});

describe('player calls are checked', () => {
  it('load(null), load(track, { signal: "x" }) and friends: INVALID_ARGUMENT, not a TypeError or UPSTREAM', async () => {
    const { opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(50) });
    const player = createPlayer();
    await expectInvalid(() => player.load(null as unknown as Track), /Not a track/);
    await expectInvalid(() => player.load('enc:x' as unknown as Track), /Not a track/);
    await expectInvalid(() => player.load(track, { signal: 'x' as unknown as AbortSignal }), /signal/);
    await expectInvalid(() => player.load(track, { paused: 'no' as unknown as boolean }), /paused/);
    await expectInvalid(() => player.load(track, { startMs: Number.NaN }), /position/);
    await expectInvalid(() => player.load(track, 5 as never), /options/);
    await expectInvalid(() => player.play(track, { signal: {} as AbortSignal }), /signal/);
    await expectInvalid(() => player.preload(null as unknown as Track));
    await player.load(track);
    await expectInvalid(() => player.seek(Number.POSITIVE_INFINITY), /position/);
    await expectInvalid(() => player.seek(10, { signal: 1 as unknown as AbortSignal }), /signal/);
    await expectInvalid(() => player.setFilters({ timescale: { rate: 1e-9 } }), /speed × rate/);
    expect(player.status).toBe('playing');
  });

  for (const [what, change] of [
    ['positionMs NaN', { positionMs: Number.NaN, nextTimestampMs: undefined, lastTimestampMs: undefined }],
    ['positionMs Infinity', { positionMs: Number.POSITIVE_INFINITY, nextTimestampMs: undefined, lastTimestampMs: undefined }],
    ['positionMs 1e12', { positionMs: 1e12, nextTimestampMs: undefined, lastTimestampMs: undefined }],
    ['nextTimestampMs NaN', { nextTimestampMs: Number.NaN }],
    ['nextTimestampMs 1e12', { nextTimestampMs: 1e12 }],
    ['lastTimestampMs Infinity', { nextTimestampMs: undefined, lastTimestampMs: Number.POSITIVE_INFINITY }],
    ['positionMs past the track’s known end', { positionMs: 120_000, nextTimestampMs: undefined, lastTimestampMs: undefined }],
    ['frameIndex -1', { frameIndex: -1 }],
    ['frameIndex NaN', { frameIndex: Number.NaN }],
    ['status garbage', { status: 'garbage' }],
  ] as const) {
    it(`restore refuses a snapshot with ${what}: INVALID_ARGUMENT (player.restore and node.restorePlayer)`, async () => {
      const { clock, opener, createPlayer } = setup();
      const track = opener.add(createTrack({ ...makeTrack('r', { durationMs: 60_000 }) }), { packets: packets20(3000) });
      const original = createPlayer();
      await original.load(track);
      await clock.advance(1000);
      const snapshot = { ...original.snapshot(), ...change } as PlayerSnapshot;
      const player = createPlayer();
      await expectInvalid(() => player.restore(track, snapshot), /snapshot/);
      expect(player.status).toBe('idle');
      // Through a node: the snapshot's track string decodes, the snapshot is refused, no player is left.
      const node = new BaseNode({ providers: [], clock: new ManualClock() });
      await expectInvalid(() => node.restorePlayer(snapshot), /snapshot/);
      await node.destroy();
    });
  }
});

describe('seek past the known end of a track', () => {
  it('ends the track `finished` (as Lavalink does) and resolves; the status is ended, not playing', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack('s', { durationMs: 2000 }), { packets: packets20(100), clusterMs: 500 });
    const player = createPlayer();
    const ends: TrackEndReason[] = [];
    const silence: number[] = [];
    player.on('trackEnd', (_t, reason) => ends.push(reason));
    player.on('frame', (f) => {
      if (f.silence) silence.push(f.deadline);
    });
    await player.load(track);
    await clock.advance(100);
    await player.seek(5000);
    expect(player.status).toBe('ended');
    expect(ends).toEqual(['finished']);
    await clock.advance(1000);
    expect(silence.length).toBe(5); // the trailing silence of a track that was playing
  });

  it('a load that starts past the end ends at once too', async () => {
    const { opener, createPlayer } = setup();
    const track = opener.add(makeTrack('t', { durationMs: 2000 }), { packets: packets20(100) });
    const player = createPlayer();
    await player.load(track, { startMs: 9000 });
    expect(player.status).toBe('ended');
  });
});
