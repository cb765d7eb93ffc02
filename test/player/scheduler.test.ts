import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/player/clock.js';
import { FrameScheduler, type DeadlineTask } from '../../src/player/scheduler.js';

function task(deadline: number, run: (now: number, t: DeadlineTask) => void): DeadlineTask {
  const t: DeadlineTask = { deadline, heapIndex: -1, run: (now) => run(now, t) };
  return t;
}

describe('FrameScheduler', () => {
  it('runs tasks in deadline order, each at its deadline, from one armed timer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }), async (deadlines) => {
        const clock = new ManualClock();
        const scheduler = new FrameScheduler({ clock });
        const ran: Array<[number, number]> = [];
        for (const d of deadlines) scheduler.schedule(task(d, (now) => ran.push([d, now])));
        expect(clock.pendingTimers).toBe(1);
        await clock.advance(10_001);
        expect(ran.map(([d]) => d)).toEqual([...deadlines].sort((a, b) => a - b));
        for (const [d, now] of ran) expect(now).toBe(d);
        expect(scheduler.size).toBe(0);
      }),
      { numRuns: 30 },
    );
  });

  it('unschedule removes a task anywhere in the heap; re-scheduling moves it', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock });
    const ran: number[] = [];
    const tasks = Array.from({ length: 50 }, (_, i) => task(i * 10, () => ran.push(i)));
    for (const t of tasks) scheduler.schedule(t);
    scheduler.unschedule(tasks[10] as DeadlineTask);
    scheduler.unschedule(tasks[0] as DeadlineTask);
    const moved = tasks[49] as DeadlineTask;
    moved.deadline = 5;
    scheduler.schedule(moved);
    await clock.advance(1000);
    expect(ran).toEqual([49, ...Array.from({ length: 48 }, (_, i) => i + 1).filter((i) => i !== 10 && i !== 49)]);
    expect(ran.length).toBe(48);
  });

  it('a task re-scheduling itself runs periodically with no drift; idle costs no timer', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock });
    const times: number[] = [];
    let k = 0;
    const t = task(0, (now, self) => {
      times.push(now);
      if (++k < 100) {
        self.deadline = k * 20;
        scheduler.schedule(self);
      }
    });
    scheduler.schedule(t);
    await clock.advance(5000);
    expect(times).toEqual(Array.from({ length: 100 }, (_, i) => i * 20));
    expect(clock.pendingTimers).toBe(0);
  });

  it('a throwing task does not starve the others', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock });
    const ran: string[] = [];
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    process.on('uncaughtException', onError);
    try {
      scheduler.schedule(task(10, () => {
        throw new Error('boom');
      }));
      scheduler.schedule(task(10, () => ran.push('b')));
      await clock.advance(20);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(ran).toEqual(['b']);
  });
  it('fractional, far, past and self-moving deadlines: each run at its deadline, in order, removals honoured', async () => {
    // Deadlines up to 3 s apart cross the calendar's 1024 ms ring (its overflow list), tasks
    // re-arm themselves (sometimes in the past, sometimes in the same millisecond) and remove others.
    const op = fc.record({
      at: fc.double({ min: 0, max: 3000, noNaN: true }),
      again: fc.array(fc.double({ min: -5, max: 1500, noNaN: true }), { maxLength: 3 }),
      kill: fc.option(fc.nat(59), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), fc.array(fc.double({ min: 0, max: 400, noNaN: true }), { minLength: 1, maxLength: 12 }), async (ops, steps) => {
        const clock = new ManualClock();
        const scheduler = new FrameScheduler({ clock });
        const runs: Array<{ id: number; deadline: number; now: number; queuedAt: number }> = [];
        const tasks: DeadlineTask[] = [];
        const queuedAt = new Map<DeadlineTask, number>();
        const killed = new Set<number>();
        ops.forEach((o, id) => {
          let n = 0;
          const t = task(o.at, (now, self) => {
            runs.push({ id, deadline: self.deadline, now, queuedAt: queuedAt.get(self) ?? 0 });
            if (o.kill !== undefined && o.kill !== id && tasks[o.kill] !== undefined) {
              scheduler.unschedule(tasks[o.kill] as DeadlineTask);
              killed.add(o.kill);
            }
            const delay = o.again[n++];
            if (delay !== undefined) {
              self.deadline = now + delay;
              queuedAt.set(self, now);
              scheduler.schedule(self);
            }
          });
          tasks.push(t);
        });
        for (const t of tasks) {
          queuedAt.set(t, 0);
          scheduler.schedule(t);
        }
        // Between wake-ups, new tasks due a little before or after the present millisecond.
        const extra: DeadlineTask[] = [];
        for (const step of steps) {
          await clock.advance(step);
          const now = clock.now();
          for (const d of [-0.5, 0.3, 1.7]) {
            const t = task(now + d, (at, self) => runs.push({ id: -1, deadline: self.deadline, now: at, queuedAt: now }));
            extra.push(t);
            scheduler.schedule(t);
          }
        }
        await clock.advance(10_000);
        expect(scheduler.size).toBe(0);
        let last = -Infinity;
        for (const r of runs) {
          expect(r.now).toBeGreaterThanOrEqual(r.deadline); // never early
          // On time: at its deadline, or (when queued with a deadline already past) when queued.
          expect(r.now).toBe(Math.max(r.deadline, r.queuedAt));
          expect(r.now).toBeGreaterThanOrEqual(last);
          last = r.now;
        }
        expect(runs.filter((r) => r.id === -1).length).toBe(extra.length);
        // Every task ran once per time it was queued, unless another task removed it.
        ops.forEach((o, id) => {
          const count = runs.filter((r) => r.id === id).length;
          if (killed.has(id)) expect(count).toBeLessThanOrEqual(1 + o.again.length);
          else expect(count).toBe(1 + o.again.length);
        });
      }),
      { numRuns: 200 },
    );
  });
  it('a task queued after a wake-up, due within the millisecond that wake-up ran, is not lost or early', async () => {
    const clock = new ManualClock();
    const scheduler = new FrameScheduler({ clock });
    const ran: Array<[string, number]> = [];
    const named = (name: string, deadline: number): DeadlineTask => task(deadline, (now) => ran.push([name, now]));
    scheduler.schedule(named('a', 100.2));
    scheduler.schedule(named('later', 500));
    await clock.advance(100.5); // 'a' ran at 100.2, alone in its millisecond
    scheduler.schedule(named('past', 100.4));
    scheduler.schedule(named('soon', 100.9));
    await clock.advance(1);
    expect(ran).toEqual([['a', 100.2], ['past', 100.5], ['soon', 100.9]]);
    await clock.advance(1000);
    expect(ran.at(-1)).toEqual(['later', 500]);
  }, 5000);

  it('levelledStart: a start keeps its time unless its millisecond holds more than its share', () => {
    const clock = new ManualClock(1000);
    const scheduler = new FrameScheduler({ clock });
    // Few tasks: every start is immediate, whatever millisecond it falls in.
    for (let i = 0; i < 31; i++) scheduler.schedule(task(1000.25, () => {}));
    expect(scheduler.levelledStart(1000.5)).toBe(1000.5);
    // 40 due in millisecond 1000 (share: 32, the floor): the next start moves to 1001, then on.
    for (let i = 0; i < 9; i++) scheduler.schedule(task(1000.75, () => {}));
    expect(scheduler.levelledStart(1000.5)).toBe(1001);
    for (let i = 0; i < 32; i++) scheduler.schedule(task(1001, () => {}));
    expect(scheduler.levelledStart(1000.5)).toBe(1002);
    // 2000 tasks spread over 20 ms (100 each: the share), one millisecond empty: it is found.
    const spread = new FrameScheduler({ clock });
    for (let ms = 0; ms < 20; ms++) if (ms !== 13) for (let i = 0; i < 105; i++) spread.schedule(task(1000 + ms + 0.5, () => {}));
    expect(spread.levelledStart(1000.1)).toBe(1013);
    // Every millisecond at its share (40 of 800): the start is not moved (never more than 19 ms).
    const full = new FrameScheduler({ clock });
    for (let ms = 0; ms < 20; ms++) for (let i = 0; i < 40; i++) full.schedule(task(1000 + ms, () => {}));
    expect(full.levelledStart(1000.1)).toBe(1000.1);
  });

  it('levelledStart: players overdue (a loop held up) count at the phases they keep, so starts made meanwhile avoid them', async () => {
    const clock = new ManualClock(1000);
    const scheduler = new FrameScheduler({ clock });
    const phaseOf = (t: DeadlineTask): number => Math.floor(t.deadline) % 20;
    // 1000 players on the first 10 ms of the frame (100 each), every one re-queued 20 ms later as it runs.
    const tasks: DeadlineTask[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = task(1000 + (i % 10) + 0.5, (_now, self) => {
        self.deadline += 20;
        scheduler.schedule(self);
      });
      tasks.push(t);
      scheduler.schedule(t);
    }
    await clock.advance(15);
    // The loop is held up 100 ms: every player is overdue when 1000 more start.
    clock.block(100);
    for (let i = 0; i < 1000; i++) {
      const t = task(scheduler.levelledStart(clock.now()), () => {});
      tasks.push(t);
      scheduler.schedule(t);
    }
    const perPhase = new Array<number>(20).fill(0);
    for (const t of tasks) perPhase[phaseOf(t)]!++;
    // 2000 over 20 phases: the new ones took the empty half of the frame.
    expect(Math.max(...perPhase)).toBeLessThanOrEqual(101);
    expect(Math.min(...perPhase)).toBeGreaterThanOrEqual(99);
  });
});
