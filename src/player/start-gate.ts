/**
 * The pace of starts: a node's players open tracks and fill their first read-ahead a few steps a
 * millisecond, so that thousands of them loaded at once (a restart restoring every player, a shard
 * that reconnects) do not keep the players already playing from their deadlines.
 *
 * A start's work is a chain of steps, each some CPU after some I/O: the provider's open, the
 * reads to the stream's headers (and a seek's Cues), then the fills of the read-ahead, each a
 * read and its demuxing (~0.1 ms of CPU for 16 KiB). Loaded all at once, 5000 players started
 * 5000 such chains together: their reads came back in batches of hundreds, each batch demuxed in
 * one go, and the loop was held for seconds (measured: a 3.7 s block, every playing player rebased).
 * Through the gate, each step waits for its turn: at most {@link StartGateOptions.stepsPerMs} steps
 * begin per millisecond of the clock, in the order they asked, so the I/O in flight for starts,
 * and the work that lands between two of the scheduler's ticks, stay a few steps. The gate holds
 * nothing while a step waits on I/O: a slow server delays its own start only.
 *
 * A caller's turn covers its steps in the same millisecond (work that needed no I/O between).
 * The later steps of a start under way (its fills) go before the first steps of starts not begun
 * (their opens): the starts run one after another, a few at a time, rather than all opened first
 * and filled after. Opened all first, 5000 players each held an open file, a demuxer and the
 * packets read with their headers for the second or more the other opens took, and all of it
 * outlived the young generation: old-space garbage, and major collections while players played.
 * A start's steps end when the player plays (its prebuffer reached) or its read-ahead first fills
 * (a preload's): refills from then on, and everything a playing player does, never pass through
 * the gate; nor do pull and stream players' (paced by their readers, which need not move the
 * clock). An idle gate lets a step through at once; a destroyed one lets every step through.
 *
 * @module
 */

import { abortError } from '../errors.js';
import type { Clock, ClockTimer } from './clock.js';

/** Options for {@link StartGate}. */
export interface StartGateOptions {
  /** Steps of starts let through per millisecond (default {@link DEFAULT_STEPS_PER_MS}). */
  stepsPerMs?: number;
}

/**
 * The default pace: 4 steps a millisecond. A step's CPU is ~0.1 ms (a 16 KiB fill), so the starts
 * take at most ~40 % of the loop; a start is an open and a fill or two (the 200 ms prebuffer), so
 * about 1500 players start a second.
 */
export const DEFAULT_STEPS_PER_MS = 4;

/**
 * A step that waits for its turn without a promise (see {@link StartGate.enter}): a player's
 * source, which thousands may be at once, each waiting with no promise, closure or abort listener.
 */
export interface StartStep {
  /** True once the step no longer waits for its turn: the gate drops it when it reaches it. */
  readonly cancelled: boolean;
  /** Its turn has come (called once, by the gate). */
  go(): void;
}

/** A {@link StartGate.turn} caller's step: its promise's functions, and its signal's listener. */
class Waiter implements StartStep {
  cancelled = false;
  onAbort: (() => void) | null = null;
  constructor(
    readonly resolve: () => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  go(): void {
    this.cancelled = true;
    if (this.onAbort !== null) this.signal!.removeEventListener('abort', this.onAbort);
    this.resolve();
  }
}

/** Counters a {@link StartGate} keeps, for monitoring. */
export interface StartGateStats {
  /** Steps let through. */
  steps: number;
  /** Steps that had to wait for a later millisecond. */
  waited: number;
  /** The most steps waiting at once. */
  maxWaiting: number;
}

/** See the module comment. @internal */
export class StartGate {
  /** See {@link StartGateOptions.stepsPerMs}. */
  readonly stepsPerMs: number;
  readonly stats: StartGateStats = { steps: 0, waited: 0, maxWaiting: 0 };
  readonly #clock: Clock;
  /** Waiting steps of starts under way, then first steps: each in order (cancelled ones are skipped when reached). */
  readonly #later = new StepQueue();
  readonly #first = new StepQueue();
  /** The millisecond of the clock whose steps {@link #used} counts. */
  #ms = Number.NEGATIVE_INFINITY;
  #used = 0;
  #timer: ClockTimer | null = null;

  constructor(clock: Clock, options: StartGateOptions = {}) {
    this.#clock = clock;
    this.stepsPerMs = Math.max(1, Math.floor(options.stepsPerMs ?? DEFAULT_STEPS_PER_MS));
  }

  /** Steps waiting for their turn (not counting those whose signal fired). */
  #waiting = 0;
  #destroyed = false;

  /** The clock's current millisecond, as the gate counts them (a caller's turn covers its steps in it). */
  get ms(): number {
    return Math.floor(this.#clock.now());
  }

  /** Steps waiting for their turn. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Resolves when the caller may take its next step: at once when the gate is idle, else in a
   * later millisecond, in turn. Rejects with `ABORTED` when `signal` fires first. `later`: a step of
   * a start under way (not its first), which goes before every first step waiting.
   */
  turn(signal?: AbortSignal, later = false): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'start'));
    if (this.#destroyed || (this.#waiting === 0 && this.#take())) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(resolve, reject, signal);
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (waiter.cancelled) return;
          waiter.cancelled = true;
          this.leave();
          reject(abortError(signal, 'start'));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue(waiter, later);
    });
  }

  /**
   * {@link turn} without a promise: true when `step` may go on at once; else it waits, and the
   * gate calls its `go()` at its turn. A step that gives up its place while waiting calls
   * {@link leave} and is `cancelled` from then on.
   */
  enter(step: StartStep, later: boolean): boolean {
    if (this.#destroyed || (this.#waiting === 0 && this.#take())) return true;
    this.#queue(step, later);
    return false;
  }

  /** A step waiting for its turn gave up its place (it is `cancelled`). */
  leave(): void {
    this.#waiting--;
  }

  #queue(step: StartStep, later: boolean): void {
    (later ? this.#later : this.#first).push(step);
    this.#waiting++;
    this.stats.waited++;
    if (this.#waiting > this.stats.maxWaiting) this.stats.maxWaiting = this.#waiting;
    this.#arm();
  }

  /** Counts a step in the current millisecond; false when its share is used up. */
  #take(): boolean {
    const ms = this.ms;
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#used = 0;
    }
    if (this.#used >= this.stepsPerMs) return false;
    this.#used++;
    this.stats.steps++;
    return true;
  }

  /** Arms the timer for the next millisecond with room (never inside the caller's turn). */
  #arm(): void {
    if (this.#timer !== null) return;
    const now = this.#clock.now();
    const at = Math.floor(now) === this.#ms && this.#used >= this.stepsPerMs ? this.#ms + 1 : now;
    this.#timer = this.#clock.setTimer(at, this.#release);
  }

  /**
   * Lets the next waiting steps through, up to the millisecond's share (starts under way first),
   * and waits for the next millisecond if more wait.
   */
  readonly #release = (): void => {
    this.#timer = null;
    if (this.#releaseFrom(this.#later) && this.#releaseFrom(this.#first)) return;
    this.#arm();
  };

  /** Lets `queue`'s waiting steps through while the millisecond has room; true when it is left empty. */
  #releaseFrom(queue: StepQueue): boolean {
    for (let step = queue.peek(); step !== undefined; step = queue.peek()) {
      if (!step.cancelled && !this.#destroyed && !this.#take()) return false;
      queue.shift();
      if (!step.cancelled) {
        this.#waiting--;
        step.go();
      }
    }
    return true;
  }

  /**
   * Opens the gate for good (the scheduler is being destroyed): waiting steps go on at once, as
   * every later one does, so no start is left hanging; their owners see their own end.
   */
  destroy(): void {
    this.#destroyed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#release();
  }
}

/** A FIFO of steps: an array read from a head index, compacted as it empties. */
class StepQueue {
  #items: StartStep[] = [];
  #head = 0;

  push(step: StartStep): void {
    this.#items.push(step);
  }

  /** The oldest step, or undefined when none is left. */
  peek(): StartStep | undefined {
    return this.#items[this.#head];
  }

  shift(): void {
    const items = this.#items;
    items[this.#head++] = undefined as never;
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }
}
