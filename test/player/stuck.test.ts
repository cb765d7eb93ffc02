/**
 * The stuck watchdog, on the manual clock (issue 15 items 1 and 10): a player that is due frames
 * and delivers none for `stuckThresholdMs` reports `trackStuck` and fails the track
 * (`trackEnd: loadFailed`, error `STUCK`), as Lavalink's TrackStuckEvent then TrackEndEvent; a
 * paused player, or one whose data comes within the threshold, is never stuck.
 */
import { describe, expect, it } from 'vitest';
import type { OpusPacket } from '../../src/demux/types.js';
import { ManualClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import type { FillTarget, TrackEndDetails, TrackOpener, TrackStuckEvent } from '../../src/player/types.js';
import type { Track } from '../../src/resolve/track.js';
import { INFO, makeTrack, packets20, setup } from './helpers.js';

function record(player: Player) {
  const log: string[] = [];
  const stuck: TrackStuckEvent[] = [];
  const ends: TrackEndDetails[] = [];
  player.on('trackStuck', (track: Track, event) => {
    log.push(`stuck ${track.title}`);
    stuck.push(event);
  });
  player.on('trackEnd', (track, reason, details) => {
    log.push(`end ${track.title} ${reason}`);
    ends.push(details);
  });
  player.on('error', (error) => log.push(`error ${error.code}`));
  return { log, stuck, ends };
}

describe('stuck watchdog', () => {
  it('a source that stops mid-track: trackStuck after the threshold, then trackEnd loadFailed (STUCK)', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 500, prebufferMs: 100, stuckThresholdMs: 5000 });
    const track = opener.add(makeTrack('A'), { packets: packets20(200), gateAt: 50 });
    const player = createPlayer({ silenceFrames: 0 });
    const { log, stuck, ends } = record(player);
    await player.load(track);
    await clock.advance(1000); // packets 0..49 played; due again at 1000
    expect(player.status).toBe('buffering');
    await clock.advance(4999);
    expect(log).toEqual([]);
    await clock.advance(1);
    expect(log).toEqual(['stuck A', 'end A loadFailed']);
    expect(stuck).toEqual([{ thresholdMs: 5000, positionMs: 1000 }]);
    expect(ends[0]).toMatchObject({ positionMs: 1000, short: false, error: { code: 'STUCK' } });
    expect(player.state).toMatchObject({ status: 'errored', error: { code: 'STUCK' } });
    expect(opener.opens[0]?.closed).toBe(true);
  });

  it('a load that never gets its prebuffer rejects STUCK (before, it never settled)', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack('B'), { packets: packets20(100), gateAt: 2 });
    const player = createPlayer();
    const { log } = record(player);
    const loading = player.load(track).catch((error: unknown) => error);
    await clock.advance(10_000);
    expect(await loading).toMatchObject({ code: 'STUCK' });
    expect(log).toEqual(['stuck B', 'end B loadFailed']);
  });

  it('an open that never completes is stuck too; a paused player never is', async () => {
    const { clock, opener, createPlayer } = setup({ stuckThresholdMs: 3000 });
    const slow = opener.add(makeTrack('slow'), { packets: packets20(10), openDelayMs: 1e9 });
    const held = opener.add(makeTrack('held'), { packets: packets20(100), gateAt: 0 });
    const a = createPlayer();
    const b = createPlayer();
    const ra = record(a);
    const rb = record(b);
    void a.load(slow).catch(() => {});
    const holding = b.load(held, { paused: true }).catch((error: unknown) => error);
    await clock.advance(3000);
    expect(ra.log).toEqual(['stuck slow', 'end slow loadFailed']);
    await clock.advance(60_000);
    expect(b.status).toBe('paused');
    expect(rb.log).toEqual([]);
    b.resume(); // due again from now: the threshold counts from here
    await clock.advance(2999);
    expect(rb.log).toEqual([]);
    await clock.advance(1);
    expect(rb.log).toEqual(['stuck held', 'end held loadFailed']);
    expect(await holding).toMatchObject({ code: 'STUCK' });
  });

  it('a trickling source (a packet every 4 s: 40 s to fill the 200 ms prebuffer) is reported the same way, not left buffering', async () => {
    const clock = new ManualClock();
    const packets = packets20(1000);
    let at = 0;
    const open: TrackOpener = async (_track, { signal }) => ({
      info: INFO,
      fill: async (sink: FillTarget) => {
        if (at > 0) await clock.sleep(4000);
        if (signal.aborted) throw signal.reason;
        const p = packets[at++] as OpusPacket;
        sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
        return true;
      },
      close() {},
    });
    const player = new Player({ scheduler: new FrameScheduler({ clock }), openTrack: open });
    const { log } = record(player);
    const loading = player.load(makeTrack('trickle')).catch((error: unknown) => error);
    await clock.advance(60_000);
    expect(await loading).toMatchObject({ code: 'STUCK' });
    expect(log).toEqual(['stuck trickle', 'end trickle loadFailed']);
  });

  it('data within the threshold is an underrun, not a stuck track; Infinity turns the watchdog off', async () => {
    for (const threshold of [2000, Number.POSITIVE_INFINITY]) {
      const { clock, opener, createPlayer } = setup({ readAheadMs: 500, prebufferMs: 100, rebufferMs: 0, stuckThresholdMs: threshold });
      const track = opener.add(makeTrack('C'), { packets: packets20(100), gateAt: 50 });
      const player = createPlayer();
      const { log } = record(player);
      await player.load(track);
      await clock.advance(threshold === 2000 ? 2999 : 100_000); // stalled at 1000
      opener.release();
      await clock.advance(5000);
      expect(log).toEqual(['end C finished']);
    }
  });

  it('a source waiting on I/O (waitingSince) is left to its fetcher until it has waited the threshold', async () => {
    const clock = new ManualClock();
    const packets = packets20(100);
    let at = 0;
    let waitingSince: number | null = null;
    const open: TrackOpener = async () => ({
      info: INFO,
      get waitingSince() {
        return waitingSince;
      },
      fill: async (sink: FillTarget) => {
        if (at >= 50) await new Promise(() => {}); // the network never answers again
        for (const end = at + 10; at < end; at++) {
          const p = packets[at]!;
          sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
        }
        return true;
      },
      close() {},
    });
    const player = new Player({ scheduler: new FrameScheduler({ clock }), openTrack: open, readAheadMs: 500, stuckThresholdMs: 5000 });
    const { log } = record(player);
    await player.load(makeTrack('slow'));
    await clock.advance(1000); // ran dry at 1000, due since then
    // The fetcher got bytes at a useful rate until 3000, and none since (a trickle it is timing).
    await clock.advance(2000);
    waitingSince = 3000;
    await clock.advance(3000); // 6000: 5 s due, but only 3 s starved: not stuck yet
    expect(log).toEqual([]);
    await clock.advance(1999);
    expect(log).toEqual([]);
    await clock.advance(1); // 8000: starved for the threshold
    expect(log).toEqual(['stuck slow', 'end slow loadFailed']);
  });

  it('refuses a threshold that is not a positive number', () => {
    const { createPlayer } = setup();
    for (const bad of [0, -1, Number.NaN, '10' as unknown as number]) {
      expect(() => createPlayer({ stuckThresholdMs: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/stuckThresholdMs/) }));
    }
  });
});
