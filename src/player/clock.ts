/**
 * Clocks. Everything time-dependent in the player and the scheduler reads time and arms timers
 * through a {@link Clock}, never through `Date.now()` or `setTimeout` directly, so tests can drive
 * time by hand with a {@link ManualClock}.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';

/** A timer armed on a {@link Clock}. */
export interface ClockTimer {
  /** Cancels the timer; calling it after it fired, or twice, does nothing. */
  cancel(): void;
}

/** A monotonic time source that can also call back at an absolute time. */
export interface Clock {
  /** The current time in milliseconds (fractional), monotonic, from an arbitrary origin. */
  now(): number;
  /**
   * Calls `callback` once, at or after the absolute time `at` on this clock (never before).
   * A time already past fires as soon as possible, but never synchronously inside this call.
   */
  setTimer(at: number, callback: () => void): ClockTimer;
}

/** Options for {@link RealClock}. */
export interface RealClockOptions {
  /**
   * How long before a deadline to stop sleeping in `setTimeout` (whose granularity is 1 ms in
   * libuv) and finish the wait by yielding to the event loop with `setImmediate`, checking the
   * time on each turn. 0 relies on `setTimeout` alone (up to ~1 ms late, no spinning).
   * Default 0: spinning buys sub-millisecond precision for a lone timer but keeps the loop busy
   * whenever deadlines are dense (thousands of players), for about 5x the CPU; the benchmark
   * (`test/bench/scheduler.ts`, `BENCH_SPIN_MS`) measures both.
   */
  spinMs?: number;
}

/**
 * The real clock: `performance.now()`, with timers made of `setTimeout` for the long part of a
 * wait and `setImmediate` turns for the last `spinMs` (I/O still runs between turns).
 */
export class RealClock implements Clock {
  /** See {@link RealClockOptions.spinMs}. */
  readonly spinMs: number;

  constructor(options: RealClockOptions = {}) {
    const spinMs = options.spinMs ?? 0;
    if (typeof spinMs !== 'number' || !(spinMs >= 0) || !Number.isFinite(spinMs)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `spinMs must be a finite number >= 0, not ${String(spinMs)}`);
    }
    this.spinMs = spinMs;
  }

  /** `performance.now()`. */
  now(): number {
    return performance.now();
  }

  /** See {@link Clock.setTimer}. */
  setTimer(at: number, callback: () => void): ClockTimer {
    const timer = new RealTimer(at, callback, this.spinMs);
    timer.arm();
    return timer;
  }
}

class RealTimer implements ClockTimer {
  #timeout: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  #done = false;

  constructor(
    private readonly at: number,
    private readonly callback: () => void,
    private readonly spinMs: number,
  ) {}

  readonly #check = (): void => {
    this.#timeout = null;
    this.#immediate = null;
    if (this.#done) return;
    if (performance.now() >= this.at) {
      this.#done = true;
      this.callback();
      return;
    }
    this.arm();
  };

  arm(): void {
    const wait = this.at - performance.now();
    if (wait <= 0) {
      this.#immediate = setImmediate(this.#check);
    } else if (wait > this.spinMs) {
      // setTimeout fires at whole libuv milliseconds (a 1.3 ms timeout fires when the loop's
      // millisecond count has moved by 2), so rounding up changes nothing but the key: Node keeps
      // a timer list per distinct duration, and a fractional one made a new list (and a number
      // turned into a property name) at almost every wake-up.
      this.#timeout = setTimeout(this.#check, Math.max(1, Math.ceil(wait - this.spinMs)));
    } else {
      this.#immediate = setImmediate(this.#check);
    }
  }

  cancel(): void {
    this.#done = true;
    if (this.#timeout !== null) clearTimeout(this.#timeout);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timeout = null;
    this.#immediate = null;
  }
}

interface ManualTimerEntry {
  at: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** Fires before `b`: earlier, or as early and armed first. */
function before(a: ManualTimerEntry, b: ManualTimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A clock that only moves when told to: for tests. Timers fire in time order (ties in arming
 * order) during {@link ManualClock.advance}, with `now()` set to each timer's due time as it fires,
 * and with pending promise callbacks flushed between timers, so async code runs as it would.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /**
   * The armed timers, a binary min-heap in firing order: thousands of players each keep a timer
   * (a stuck watchdog, a bot's own), and a scan per fired timer made tests of that many slow.
   * Cancelled timers stay until they reach the top.
   */
  #heap: ManualTimerEntry[] = [];
  #live = 0;

  /** @param startMs - the initial time (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** The current manual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** See {@link Clock.setTimer}. */
  setTimer(at: number, callback: () => void): ClockTimer {
    const entry: ManualTimerEntry = { at, seq: this.#seq++, callback, cancelled: false };
    this.#push(entry);
    this.#live++;
    return {
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.#live--;
        if (this.#heap.length > 64 && this.#heap.length > 4 * this.#live) this.#compact();
      },
    };
  }

  /** The number of armed, uncancelled timers. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** A promise that resolves once `ms` of manual time has passed (fires during {@link advance}). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(this.#now + ms, resolve));
  }

  /**
   * Moves time forward by `ms`, firing every timer due up to the new time (including timers armed
   * by those timers), in order, and flushing promise callbacks before and after each one.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'advance() takes a non-negative number of milliseconds');
    await this.advanceTo(this.#now + ms);
  }

  /**
   * Moves time forward by `ms` *without* firing timers, as if the event loop were blocked: the
   * timers that came due fire, late, on the next {@link advance}. For testing stall handling.
   */
  block(ms: number): void {
    if (!(ms >= 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'block() takes a non-negative number of milliseconds');
    this.#now += ms;
  }

  /** Like {@link advance}, to an absolute time (no-op, apart from flushing, if it is in the past). */
  async advanceTo(target: number): Promise<void> {
    await flush();
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      // Fired: a cancel() from now on changes nothing.
      next.cancelled = true;
      this.#live--;
      if (next.at > this.#now) this.#now = next.at;
      next.callback();
      await flush();
    }
    if (target > this.#now) this.#now = target;
    await flush();
  }

  /** Takes the first live timer due at or before `target` off the heap, or returns undefined. */
  #nextDue(target: number): ManualTimerEntry | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (!top.cancelled && top.at > target) return undefined;
      this.#pop();
      if (!top.cancelled) return top;
    }
    return undefined;
  }

  /** Drops the cancelled timers (when they are most of the heap), keeping the order. */
  #compact(): void {
    this.#heap = this.#heap.filter((t) => !t.cancelled).sort((x, y) => (before(x, y) ? -1 : 1)); // sorted: a heap
  }

  #push(entry: ManualTimerEntry): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/** Lets every pending promise callback run: microtasks all drain before the next macrotask. */
function flush(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
