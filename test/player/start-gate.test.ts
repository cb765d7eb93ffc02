import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/player/clock.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { Player } from '../../src/player/player.js';
import { DEFAULT_STEPS_PER_MS, StartGate } from '../../src/player/start-gate.js';
import type { FillTarget, TrackOpener } from '../../src/player/types.js';
import { FakeOpener, INFO, makeTrack, packets20, recordFrames } from './helpers.js';

/** Settles promise callbacks without moving the manual clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('StartGate', () => {
  it('lets a lone step through at once, without the clock moving', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 2 });
    let through = false;
    void gate.turn().then(() => (through = true));
    await settle();
    expect(through).toBe(true);
    expect(clock.now()).toBe(0);
    expect(gate.stats).toEqual({ steps: 1, waited: 0, maxWaiting: 0 });
  });

  it('steps asked at once go through stepsPerMs a millisecond of the clock, in the order asked', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 3 });
    const at: Array<[number, number]> = [];
    const turns = Array.from({ length: 10 }, (_, i) => gate.turn().then(() => at.push([i, clock.now()])));
    await settle();
    expect(at).toEqual([[0, 0], [1, 0], [2, 0]]);
    expect(gate.waiting).toBe(7);
    await clock.advance(5);
    await Promise.all(turns);
    expect(at).toEqual([[0, 0], [1, 0], [2, 0], [3, 1], [4, 1], [5, 1], [6, 2], [7, 2], [8, 2], [9, 3]]);
    expect(gate.waiting).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    // Idle again: the next step goes at once.
    let through = false;
    void gate.turn().then(() => (through = true));
    await settle();
    expect(through).toBe(true);
  });

  it('a waiting step whose signal fires rejects ABORTED and gives up its place', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 1 });
    const ac = new AbortController();
    await gate.turn();
    const order: string[] = [];
    const a = gate.turn(ac.signal).then(() => order.push('a'));
    const b = gate.turn().then(() => order.push('b'));
    ac.abort(new Error('gone'));
    await expect(a).rejects.toMatchObject({ code: 'ABORTED', cause: { message: 'gone' } });
    expect(gate.waiting).toBe(1);
    await clock.advance(1);
    await b;
    expect(order).toEqual(['b']);
    expect(clock.now()).toBe(1); // b took the millisecond a would have had
    await expect(gate.turn(ac.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('a step of a start under way (later) goes before the first steps waiting, in order among its kind', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 1 });
    const order: string[] = [];
    await gate.turn();
    const turns = [
      gate.turn().then(() => order.push('first a')),
      gate.turn().then(() => order.push('first b')),
      gate.turn(undefined, true).then(() => order.push('later a')),
      gate.turn(undefined, true).then(() => order.push('later b')),
    ];
    await clock.advance(4);
    await Promise.all(turns);
    expect(order).toEqual(['later a', 'later b', 'first a', 'first b']);
    expect(gate.waiting).toBe(0);
  });

  it('a step that enters and leaves before its turn is skipped, counted out once', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 1 });
    const went: string[] = [];
    const step = (name: string) => ({ cancelled: false, go() { went.push(name); } });
    expect(gate.enter(step('first'), false)).toBe(true); // goes on itself: no go()
    const left = step('left');
    const stays = step('stays');
    expect(gate.enter(left, true)).toBe(false);
    expect(gate.enter(stays, false)).toBe(false);
    expect(gate.waiting).toBe(2);
    left.cancelled = true;
    gate.leave();
    expect(gate.waiting).toBe(1);
    await clock.advance(3);
    expect(went).toEqual(['stays']);
    expect(gate.waiting).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('destroy lets every waiting step through (no start left hanging), and every later one', async () => {
    const clock = new ManualClock();
    const gate = new StartGate(clock, { stepsPerMs: 1 });
    const turns = Array.from({ length: 5 }, () => gate.turn());
    gate.destroy();
    await Promise.all(turns);
    await gate.turn();
    await gate.turn();
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('Player starts through the scheduler start gate', () => {
  it('startStepsPerMs must be an integer >= 1 (INVALID_ARGUMENT)', () => {
    for (const bad of [0, 0.5, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '4' as unknown as number]) {
      expect(() => new FrameScheduler({ clock: new ManualClock(), startStepsPerMs: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(new FrameScheduler({ clock: new ManualClock() }).starts.stepsPerMs).toBe(DEFAULT_STEPS_PER_MS);
  });

  it('players loaded all at once open a bounded number a millisecond; the first is not delayed; all play', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock });
    const fake = new FakeOpener(clock);
    const openedAt: number[] = [];
    const openTrack: TrackOpener = (track, options) => {
      openedAt.push(clock.now());
      return fake.open(track, options);
    };
    const n = 200;
    const players = Array.from({ length: n }, () => new Player({ scheduler, openTrack }));
    const loads = players.map((p) => p.load(fake.add(makeTrack(), { packets: packets20(100) })));
    await settle();
    expect(openedAt[0]).toBe(0);
    await clock.advance(Math.ceil(n / DEFAULT_STEPS_PER_MS) + 10);
    await Promise.all(loads);
    expect(openedAt.length).toBe(n);
    const perMs = new Map<number, number>();
    for (const t of openedAt) perMs.set(Math.floor(t), (perMs.get(Math.floor(t)) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(DEFAULT_STEPS_PER_MS);
    expect(players.every((p) => p.status === 'playing')).toBe(true);
    for (const p of players) p.destroy();
  });

  it('players loaded at once start one after another: few are opened and not yet playing at any time', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock, startStepsPerMs: 1 });
    // Each fill is a read that takes a millisecond and brings 100 ms: a start is an open and two fills.
    let opened = 0;
    let mostHalfStarted = 0;
    const openTrack: TrackOpener = async () => {
      opened++;
      let next = 0;
      return {
        info: INFO,
        fill: async (sink: FillTarget) => {
          await clock.sleep(1);
          if (next >= 500) return false;
          for (const p of packets20(5)) sink.packet(p.data, 0, p.data.length, (next++) * 20, 20);
          return true;
        },
        close() {},
      };
    };
    const n = 20;
    const players = Array.from({ length: n }, () => new Player({ scheduler, openTrack }));
    let playing = 0;
    const loads = players.map((p) =>
      p.load(makeTrack()).then(() => {
        playing++;
      }),
    );
    for (let t = 0; t < 5 * n; t++) {
      await clock.advance(1);
      mostHalfStarted = Math.max(mostHalfStarted, opened - playing);
    }
    await Promise.all(loads);
    expect(players.every((p) => p.status === 'playing')).toBe(true);
    // Opened all first, every player would have been opened and not playing at once.
    expect(mostHalfStarted).toBeLessThanOrEqual(3);
    for (const p of players) p.destroy();
  });

  it("a playing player's fills take no turn: it does not run dry behind a crowd of starts", async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock, startStepsPerMs: 1 });
    const fake = new FakeOpener(clock);
    const openTrack = fake.open;
    // 300 ms buffered, then the reads wait (gateAt) until the crowd below is queued at the gate.
    const player = new Player({ scheduler, openTrack });
    const frames = recordFrames(player);
    await player.load(fake.add(makeTrack(), { packets: packets20(500), gateAt: 15 }));
    expect(player.status).toBe('playing');
    const crowd = Array.from({ length: 400 }, () => new Player({ scheduler, openTrack }));
    const loads = crowd.map((p) => p.load(fake.add(makeTrack(), { packets: packets20(100) })));
    await clock.advance(10);
    fake.release();
    await clock.advance(600); // the crowd's 400 opens alone take 400 ms at 1 step a millisecond
    await Promise.all(loads);
    const played = frames.filter((f) => f.deadline <= 600);
    expect(played.length).toBeGreaterThanOrEqual(30);
    expect(played.filter((f) => f.silence)).toEqual([]);
    expect(player.status).toBe('playing');
    for (const p of [player, ...crowd]) p.destroy();
  });

  it('pull players take no turn: loaded at once on a clock that never moves, all start', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock, startStepsPerMs: 1 });
    const fake = new FakeOpener(clock);
    const players = Array.from({ length: 10 }, () => new Player({ scheduler, openTrack: fake.open, mode: 'pull' }));
    await Promise.all(players.map((p) => p.load(fake.add(makeTrack(), { packets: packets20(20) }))));
    expect(clock.now()).toBe(0);
    expect(scheduler.starts.stats.steps).toBe(0);
    expect(players.every((p) => p.readFrame() !== null)).toBe(true);
    for (const p of players) p.destroy();
  });

  it('a load waiting for its turn, aborted, rejects ABORTED and never opens', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock, startStepsPerMs: 1 });
    const fake = new FakeOpener(clock);
    const first = new Player({ scheduler, openTrack: fake.open });
    const second = new Player({ scheduler, openTrack: fake.open });
    const a = first.load(fake.add(makeTrack(), { packets: packets20(20) }));
    const ac = new AbortController();
    const waiting = makeTrack();
    const b = second.load(fake.add(waiting, { packets: packets20(20) }), { signal: ac.signal });
    await settle();
    expect(scheduler.starts.waiting).toBe(1);
    ac.abort();
    await expect(b).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(5);
    await a;
    expect(fake.opens.map((o) => o.track.encoded)).not.toContain(waiting.encoded);
    expect(scheduler.starts.waiting).toBe(0);
    first.destroy();
    second.destroy();
  });
});
