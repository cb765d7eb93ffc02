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
});
