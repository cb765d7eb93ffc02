/**
 * The frame scheduler: one per `Node`, one timer for every playing player.
 *
 * Modelled on @discordjs/voice's global audio cycle, but with a deadline per player instead of a
 * shared 20 ms tick: each player due next sits in a min-heap keyed by its absolute deadline, and
 * the one timer is armed for the heap's top. A tick pops every task whose deadline has come, in
 * deadline order (players that share a deadline go out in the same tick), and each task pushes
 * itself back with its next deadline. The work per tick is O(due tasks × log n); players that are
 * paused, idle, loading or buffering are not in the heap and cost nothing.
 *
 * @module
 */

import { RealClock, type Clock, type ClockTimer } from './clock.js';
import { DeadlineHeap, type DeadlineTask } from './heap.js';

export type { DeadlineTask } from './heap.js';

/** Options for {@link FrameScheduler}. */
export interface FrameSchedulerOptions {
  /** The clock to read and arm timers on. Default: a new {@link RealClock}. */
  clock?: Clock;
  /**
   * The stall threshold in milliseconds (default 60: three 20 ms frames). A player whose deadline
   * has passed by more than this when its turn comes does not burst the frames it missed: it is
   * *rebased* (its timeline moves forward by the lateness, so the due packet leaves now and the
   * next one a packet's duration later), and the skipped frame slots are counted. No audio is
   * dropped; the track finishes that much later. Lateness up to the threshold is caught up on the
   * original timeline, so a short hiccup (a GC pause) costs no position.
   */
  stallThresholdMs?: number;
}

/** Counters a {@link FrameScheduler} keeps, for monitoring. */
export interface FrameSchedulerStats {
  /** Timer wake-ups that found work. */
  ticks: number;
  /** Tasks run (frames sent, silence included). */
  runs: number;
  /** Rebases applied by the stall policy. */
  stalls: number;
  /** Frame slots skipped by those rebases (lateness / packet duration, rounded down). */
  skippedFrames: number;
}

/**
 * Drives every playing player from one timer. Create one per process (a `Node` owns one) and
 * pass it to each player.
 */
export class FrameScheduler {
  /** The clock this scheduler reads and arms its timer on. */
  readonly clock: Clock;
  /** See {@link FrameSchedulerOptions.stallThresholdMs}. */
  readonly stallThresholdMs: number;
  /** Live counters. */
  readonly stats: FrameSchedulerStats = { ticks: 0, runs: 0, stalls: 0, skippedFrames: 0 };

  readonly #heap = new DeadlineHeap();
  #timer: ClockTimer | null = null;
  #armedAt = Number.POSITIVE_INFINITY;
  #ticking = false;
  #destroyed = false;

  constructor(options: FrameSchedulerOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const threshold = options.stallThresholdMs ?? 60;
    if (!(threshold >= 0)) throw new RangeError('stallThresholdMs must be >= 0');
    this.stallThresholdMs = threshold;
  }

  /** The number of tasks waiting for a deadline (players playing or sending silence). */
  get size(): number {
    return this.#heap.size;
  }

  /** True when the task is waiting for its deadline. */
  has(task: DeadlineTask): boolean {
    return task.heapIndex >= 0;
  }

  /**
   * Puts `task` in the queue at `task.deadline`, or moves it there if it is already queued.
   * @internal players call this; it is public so other frame sources can share the loop.
   */
  schedule(task: DeadlineTask): void {
    if (this.#destroyed) return;
    if (task.heapIndex >= 0) this.#heap.update(task);
    else this.#heap.push(task);
    if (!this.#ticking && task.deadline < this.#armedAt) this.#arm();
  }

  /** Takes `task` out of the queue (no-op if it is not queued). */
  unschedule(task: DeadlineTask): void {
    this.#heap.remove(task);
    // The armed timer may now be early; that wake finds nothing due and re-arms. No need to cancel.
  }

  /** Records a stall rebase (called by players applying the stall policy). @internal */
  noteStall(skippedFrames: number): void {
    this.stats.stalls++;
    this.stats.skippedFrames += skippedFrames;
  }

  /** Stops the timer and forgets every task. Players still attached stop receiving deadlines. */
  destroy(): void {
    this.#destroyed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    while (this.#heap.pop() !== undefined);
  }

  #arm(): void {
    const top = this.#heap.peek();
    if (top === undefined) {
      this.#timer?.cancel();
      this.#timer = null;
      this.#armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== null && this.#armedAt <= top.deadline) return;
    this.#timer?.cancel();
    this.#armedAt = top.deadline;
    this.#timer = this.clock.setTimer(top.deadline, this.#tick);
  }

  readonly #tick = (): void => {
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    if (this.#destroyed) return;
    const heap = this.#heap;
    const clock = this.clock;
    let now = clock.now();
    let ran = 0;
    this.#ticking = true;
    try {
      let top = heap.peek();
      while (top !== undefined && top.deadline <= now) {
        // The task runs while still at the top: when it re-schedules itself (the usual case) that
        // is one sift-down instead of a pop and a push. If it did not, it leaves the heap here.
        const due = top.deadline;
        ran++;
        try {
          top.run(now);
          if (top.heapIndex >= 0 && top.deadline === due) heap.remove(top);
        } catch (error) {
          heap.remove(top);
          // A throwing listener must not starve the other players: report it the way an
          // uncaught callback error would be reported, and carry on.
          queueMicrotask(() => {
            throw error;
          });
        }
        // A long batch takes time: look at the clock again now and then so deadlines that came
        // due meanwhile go out in this tick rather than after another wake-up.
        if ((ran & 63) === 0) now = clock.now();
        top = heap.peek();
      }
    } finally {
      this.#ticking = false;
      if (ran > 0) {
        this.stats.ticks++;
        this.stats.runs += ran;
      }
      this.#arm();
    }
  };
}
