/**
 * A push player's link to the output given to `Player.connect()` (see {@link PlayerOutput}):
 * prepare-then-dispatch on the scheduler's tick, the speaking state around each run of frames, and
 * the frame counters.
 *
 * @module
 */

import type { Dispatchable, FrameScheduler } from './scheduler.js';
import type { FrameEvent, PlayerFrameStats, PlayerOutput } from './types.js';

/** @internal */
export class ConnectedOutput implements Dispatchable {
  readonly output: PlayerOutput;
  /** Frames due while the output is not ready are dropped rather than held. */
  readonly realtime: boolean;
  readonly #scheduler: FrameScheduler;
  readonly #stats: PlayerFrameStats;
  /** The tick in which this link was last queued for dispatch. */
  #queuedTick = -1;
  #speaking = false;
  /** The run's trailing silence has been prepared: speaking goes off once it is dispatched. */
  #quietAfterDispatch = false;

  constructor(output: PlayerOutput, realtime: boolean, scheduler: FrameScheduler, stats: PlayerFrameStats) {
    this.output = output;
    this.realtime = realtime;
    this.#scheduler = scheduler;
    this.#stats = stats;
  }

  /** True unless the output says it cannot send now. */
  get ready(): boolean {
    return this.output.ready !== false;
  }

  /** Prepares `frame` on the output (speaking first, at a run's first frame) and queues the dispatch. */
  prepare(frame: FrameEvent, runEnds: boolean): void {
    const output = this.output;
    if (!this.#speaking && !frame.silence) {
      this.#speaking = true;
      output.setSpeaking?.(true);
    }
    this.#quietAfterDispatch = runEnds && this.#speaking;
    output.prepare(frame);
    this.#stats.sent++;
    const scheduler = this.#scheduler;
    const tick = scheduler.tickSeq;
    if (this.#queuedTick !== tick) {
      this.#queuedTick = tick;
      scheduler.queueDispatch(this);
    }
  }

  /** The scheduler's dispatch phase: sends what was prepared; speaking off after a run's last frame. */
  dispatch(): void {
    this.output.dispatch();
    if (this.#quietAfterDispatch) {
      this.#quietAfterDispatch = false;
      this.#speaking = false;
      this.output.setSpeaking?.(false);
    }
  }

  /** A run ended with no trailing silence: speaking off once its last frame is dispatched. */
  quiet(): void {
    if (!this.#speaking) return;
    if (this.#queuedTick === this.#scheduler.tickSeq) {
      this.#quietAfterDispatch = true;
      return;
    }
    this.#speaking = false;
    this.output.setSpeaking?.(false);
  }

  /** The link ends (disconnect, destroy): speaking off if it was on. */
  close(): void {
    if (!this.#speaking) return;
    this.#speaking = false;
    this.#quietAfterDispatch = false;
    this.output.setSpeaking?.(false);
  }
}
