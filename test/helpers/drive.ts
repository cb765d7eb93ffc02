/**
 * Driving code that does real I/O (loopback sockets) on a `ManualClock`, with no real waits: the
 * event loop is given turns for the I/O, and the clock is moved by hand.
 */
import type { ManualClock } from '../../src/player/clock.js';

/** Yields to the event loop `turns` times: lets socket I/O run, without waiting for time. */
export async function ioTurns(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Yields until `done()` holds, at most `limit` turns; says whether it held. */
export async function until(done: () => boolean, limit = 5000): Promise<boolean> {
  for (let i = 0; i < limit && !done(); i++) await ioTurns(1);
  return done();
}

/** How a driven promise settled, and the clock's time then. */
export type Driven<T> = { settled: false; at: number } | { settled: true; at: number; value: T } | { settled: true; at: number; error: unknown };

/**
 * Moves `clock` forward `stepMs` at a time, giving I/O a few turns after each step, until
 * `promise` settles or the clock reaches `limitMs`. `onStep` sees each step (to sample state).
 */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, options: { limitMs: number; stepMs?: number; onStep?: () => void }): Promise<Driven<T>> {
  let outcome: { value: T } | { error: unknown } | null = null;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  const step = options.stepMs ?? 100;
  await ioTurns();
  while (outcome === null && clock.now() < options.limitMs) {
    await clock.advance(step);
    await ioTurns();
    options.onStep?.();
  }
  const settled = outcome as { value: T } | { error: unknown } | null;
  if (settled === null) return { settled: false, at: clock.now() };
  return { settled: true, at: clock.now(), ...settled };
}
