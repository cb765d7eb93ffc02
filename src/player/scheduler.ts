/**
 * The frame scheduler: one per `Node`, one timer for every playing player.
 *
 * Modelled on @discordjs/voice's global audio cycle, but with a deadline per player instead of a
 * shared 20 ms tick: each player due next sits in a calendar queue of 1 ms buckets keyed by its
 * absolute deadline (see `calendar.ts`), and the one timer is armed for the earliest. A tick runs
 * every task whose deadline has come, in deadline order (players due in the same millisecond go
 * out in one pass over one array), and each task queues itself again with its next deadline. The
 * work is O(1) per frame; players that are paused, idle, loading or buffering are not queued and
 * cost nothing.
 *
 * A tick has two phases, as @discordjs/voice's audio cycle: the due tasks run (a player prepares
 * its packet for its output), then the outputs they queued are dispatched (see `VoiceOutput`),
 * so that no output's preparation (RTP, encryption) delays another's send.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { RealClock, type Clock, type ClockTimer } from './clock.js';
import { CalendarQueue, type DeadlineTask } from './calendar.js';
import { StartGate } from './start-gate.js';

export type { DeadlineTask } from './calendar.js';

/**
 * {@link FrameScheduler.levelledStart}: the span (ms) a start may move across (one 20 ms frame,
 * the usual packet), and the load of a millisecond that never moves a start (small deployments and
 * tests start at once).
 */
const LEVEL_SPAN = 20;
const LEVEL_MIN = 32;

/** Options for {@link FrameScheduler}. */
export interface FrameSchedulerOptions {
  /** The clock to read and arm timers on. Default: a new {@link RealClock}. */
  clock?: Clock;
  /**
   * The stall threshold in milliseconds (default 60: three 20 ms frames). A player whose deadline
   * has passed by more than this when its turn comes does not burst the frames it missed: it is
   * *rebased* by whole packet durations (its timeline moves forward by `ceil(lateness / duration)`
   * packets, so the due packet leaves at the player's own next slot at or after now, at most one
   * packet later, and the player keeps its phase), and the skipped frame slots are counted. No
   * audio is dropped; the track finishes that much later. Lateness up to the threshold is caught
   * up on the original timeline, so a short hiccup (a GC pause) costs no position.
   */
  stallThresholdMs?: number;
  /**
   * Steps of the push players' starts (an open; a fill until the player plays) let through per
   * millisecond of the clock, an integer >= 1, for every player on this scheduler (default 4: a
   * start is an open and a fill or two, so about 1500 starts a second). Thousands of players
   * loaded at once start a few at a time rather than holding the loop from the players already
   * playing; a lone start is never delayed. See `start-gate.ts`.
   */
  startStepsPerMs?: number;
}

/** What the scheduler's dispatch phase takes (`queueDispatch`): an output to send at the end of the tick. */
export interface Dispatchable {
  /** Sends what was prepared in the tick. */
  dispatch(): void;
}

/** Counters a {@link FrameScheduler} keeps, for monitoring. */
export interface FrameSchedulerStats {
  /** Timer wake-ups that found work. */
  ticks: number;
  /** Tasks run (frames sent, silence included). */
  runs: number;
  /** Rebases applied by the stall policy. */
  stalls: number;
  /** Frame slots skipped by those rebases (lateness / packet duration, rounded up). */
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
  /** The pace of the players' starts (see {@link FrameSchedulerOptions.startStepsPerMs}). @internal */
  readonly starts: StartGate;

  readonly #queue = new CalendarQueue();
  /** {@link levelledStart}'s count of the queue by phase. */
  readonly #phaseLoads = new Int32Array(LEVEL_SPAN);
  /** Outputs to dispatch once the running tick's tasks have run: the first `#dispatchCount` entries. */
  readonly #dispatch: (Dispatchable | null)[] = [];
  #dispatchCount = 0;
  /** Ticks begun: tells a task whether it already queued its output in this one. */
  #tickSeq = 0;
  #timer: ClockTimer | null = null;
  #armedAt = Number.POSITIVE_INFINITY;
  #ticking = false;
  #destroyed = false;

  constructor(options: FrameSchedulerOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    const threshold = options.stallThresholdMs ?? 60;
    if (typeof threshold !== 'number' || !(threshold >= 0)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `stallThresholdMs must be a number of ms >= 0, got ${String(threshold)}`);
    }
    this.stallThresholdMs = threshold;
    const steps = options.startStepsPerMs;
    if (steps !== undefined && (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `startStepsPerMs must be an integer >= 1, got ${String(steps)}`);
    }
    this.starts = new StartGate(this.clock, steps === undefined ? {} : { stepsPerMs: steps });
  }

  /**
   * The clock time of the running tick (refreshed as a long tick goes on): what a task's
   * `run(now)` is given. A task may read it here instead, which saves boxing a number per call.
   * @internal
   */
  get tickTime(): number {
    return this.#now;
  }

  /** The number of the running (or last) tick, counted from 1: changes at every tick. @internal */
  get tickSeq(): number {
    return this.#tickSeq;
  }

  /** The number of tasks waiting for a deadline (players playing or sending silence). */
  get size(): number {
    return this.#queue.size;
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
    if (task.heapIndex >= 0) this.#queue.remove(task);
    // While ticking the queue needs no time (and passing one would box a number per frame).
    if (this.#ticking) this.#queue.push(task);
    else this.#queue.push(task, this.clock.now());
    if (!this.#ticking && task.deadline < this.#armedAt) this.#arm();
  }

  /**
   * When a player starting (or resuming) at `earliest` should send its first frame: `earliest`
   * itself, unless its phase (its millisecond of the 20 ms frame) already holds more than its
   * share of the players (the queue spread evenly over a frame, and at least `LEVEL_MIN`); then
   * the start of the first of the next 19 milliseconds whose phase does not. Up to 19 ms later,
   * never earlier.
   *
   * Why: a player's deadlines keep the phase of its first one, so players started together (a
   * restart restoring thousands of snapshots; a burst of commands; a benchmark's start) would come
   * due together, frame after frame, for as long as they play: ticks of thousands of players
   * taking milliseconds, and every later one in them late. Spread, each millisecond holds about
   * `size / 20` of them. The delay is below anything a listener hears, and it is only paid by a
   * start that finds its phase crowded.
   *
   * The load of a phase counts the players due in the next 20 ms and those overdue: a loop kept
   * busy (by opens, say) holds playing players behind their deadlines, and they keep their phases
   * when they run (a stall rebases by whole frames). Counting only the next 20 ms missed them, and
   * the starts made meanwhile were levelled onto the phases they would come back to.
   */
  levelledStart(earliest: number): number {
    const share = Math.max(LEVEL_MIN, Math.ceil(this.#queue.size / LEVEL_SPAN));
    const first = Math.floor(earliest);
    const loads = this.#phaseLoads;
    this.#queue.phaseLoads(first + LEVEL_SPAN, loads);
    for (let j = 0; j < LEVEL_SPAN; j++) {
      if (loads[(((first + j) % LEVEL_SPAN) + LEVEL_SPAN) % LEVEL_SPAN]! < share) return j === 0 ? earliest : first + j;
    }
    return earliest;
  }

  /**
   * Asks for `output.dispatch()` once every task due in the running tick has run: the dispatch
   * phase of prepare-then-dispatch (see `VoiceOutput`). Outside a tick, it dispatches at once.
   * @internal players call this for their connected output
   */
  queueDispatch(output: Dispatchable): void {
    if (!this.#ticking) {
      output.dispatch();
      return;
    }
    this.#dispatch[this.#dispatchCount++] = output;
  }

  /** Takes `task` out of the queue (no-op if it is not queued). */
  unschedule(task: DeadlineTask): void {
    this.#queue.remove(task);
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
    this.starts.destroy();
    this.#timer?.cancel();
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#queue.clear();
  }

  #arm(): void {
    const next = this.#queue.nextDeadline();
    if (next === Number.POSITIVE_INFINITY) {
      this.#timer?.cancel();
      this.#timer = null;
      this.#armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== null && this.#armedAt <= next) return;
    this.#timer?.cancel();
    this.#armedAt = next;
    this.#timer = this.clock.setTimer(next, this.#tick);
  }

  /** Dispatches the outputs the tick's tasks queued, in order; a throwing one is reported, the others go on. */
  #dispatchAll(): void {
    const outputs = this.#dispatch;
    for (let k = 0; k < this.#dispatchCount; k++) {
      const output = outputs[k]!;
      outputs[k] = null;
      try {
        output.dispatch();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.#dispatchCount = 0;
  }

  /** Runs one due task; a throwing one leaves the queue and is reported, the others go on. */
  readonly #runTask = (task: DeadlineTask): void => {
    try {
      task.run(this.#now);
    } catch (error) {
      this.#queue.remove(task);
      // A throwing listener must not starve the other players: report it the way an uncaught
      // callback error would be reported, and carry on.
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  /** A long batch takes time: the queue looks at the clock again now and then (every 64 tasks). */
  readonly #refresh = (): number => (this.#now = this.clock.now());

  #now = 0;

  readonly #tick = (): void => {
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    if (this.#destroyed) return;
    this.#now = this.clock.now();
    this.#tickSeq++;
    let ran = 0;
    this.#ticking = true;
    try {
      ran = this.#queue.runDue(this.#now, this.#runTask, this.#refresh);
    } finally {
      this.#ticking = false;
      if (this.#dispatchCount > 0) this.#dispatchAll();
      if (ran > 0) {
        this.stats.ticks++;
        this.stats.runs += ran;
      }
      this.#arm();
    }
  };
}
