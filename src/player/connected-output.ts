/**
 * A push player's link to the output given to `Player.connect()` (see {@link VoiceOutput}):
 * prepare-then-dispatch on the scheduler's tick, the speaking state around each run of frames,
 * the output's state (ready, or holding; an ended link reported once), and the frame counters.
 *
 * @module
 */

import { voiceCloseReason } from '../voice/close-codes.js';
import { isTerminal, type VoiceOutput, type VoiceOutputState } from '../voice/output.js';
import type { Dispatchable, FrameScheduler } from './scheduler.js';
import type { FrameEvent, PlayerFrameStats, VoiceCloseEvent } from './types.js';

/** What was given to `connect()` (a connection or an output) and is linked to a player now: one player each. */
const linked = new WeakSet<object>();

/** Options for {@link ConnectedOutput}. @internal */
export interface ConnectedOutputOptions {
  /** What `connect()` was given: the output itself, or the connection it wraps. */
  target: object;
  /** Releases an output the player made (over a connection) when the link ends. */
  release?: () => void;
  realtime: boolean;
  scheduler: FrameScheduler;
  stats: PlayerFrameStats;
  /** The output's state changed to one that ends the link (it is closed by then). */
  onEnd(event: VoiceCloseEvent): void;
}

/** @internal */
export class ConnectedOutput implements Dispatchable {
  readonly output: VoiceOutput;
  /** Frames due while the output is not ready are dropped rather than held. */
  readonly realtime: boolean;
  readonly #options: ConnectedOutputOptions;
  readonly #scheduler: FrameScheduler;
  readonly #stats: PlayerFrameStats;
  readonly #unsubscribe: (() => void) | null;
  /** The tick in which this link was last queued for dispatch. */
  #queuedTick = -1;
  /** A prepared frame waits for its dispatch. */
  #pending = false;
  #speaking = false;
  /** The run's trailing silence has been prepared: speaking goes off once it is dispatched. */
  #quietAfterDispatch = false;
  #closed = false;

  constructor(output: VoiceOutput, options: ConnectedOutputOptions) {
    this.output = output;
    this.realtime = options.realtime;
    this.#options = options;
    this.#scheduler = options.scheduler;
    this.#stats = options.stats;
    linked.add(options.target);
    this.#unsubscribe = output.subscribe?.(this.#onState) ?? null;
  }

  /** True while `target` (a connection or an output) is linked to a player. */
  static isLinked(target: object): boolean {
    return linked.has(target);
  }

  /** True unless the output says it cannot send now. */
  get ready(): boolean {
    const state = this.output.state;
    return state === undefined || state.status === 'ready';
  }

  /**
   * At a slot the output was not ready for: ends the link if its state says it is over (for an
   * output that does not {@link VoiceOutput.subscribe}), and returns what the `voiceClose` event
   * says; null when it goes on.
   */
  endIfOver(): VoiceCloseEvent | null {
    const state = this.output.state;
    if (this.#closed || state === undefined || !isTerminal(state)) return null;
    return this.#end(state);
  }

  /** Prepares `frame` on the output (speaking first, at a run's first frame) and queues the dispatch. */
  prepare(frame: FrameEvent, runEnds: boolean): void {
    // Due twice in one tick (catching up): the first frame goes out before the second is prepared,
    // as an output holds one prepared frame.
    if (this.#pending) this.#send();
    const output = this.output;
    if (!this.#speaking && !frame.silence) {
      this.#speaking = true;
      output.setSpeaking?.(true);
    }
    this.#quietAfterDispatch = runEnds && this.#speaking;
    output.prepare(frame);
    this.#pending = true;
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
    if (this.#pending) this.#send();
  }

  /** A run ended with no trailing silence: speaking off once its last frame is dispatched. */
  quiet(): void {
    if (!this.#speaking) return;
    if (this.#pending) {
      this.#quietAfterDispatch = true;
      return;
    }
    this.#speaking = false;
    this.output.setSpeaking?.(false);
  }

  /** The link ends (disconnect, destroy, the output's end): what was prepared goes out, speaking off. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#pending) this.#send();
    this.#closed = true;
    this.#unsubscribe?.();
    linked.delete(this.#options.target);
    if (this.#speaking) {
      this.#speaking = false;
      this.#quietAfterDispatch = false;
      this.output.setSpeaking?.(false);
    }
    this.#options.release?.();
  }

  #send(): void {
    this.#pending = false;
    this.output.dispatch();
    if (this.#quietAfterDispatch) {
      this.#quietAfterDispatch = false;
      this.#speaking = false;
      this.output.setSpeaking?.(false);
    }
  }

  readonly #onState = (_old: VoiceOutputState, state: VoiceOutputState): void => {
    if (!this.#closed && isTerminal(state)) this.#options.onEnd(this.#end(state));
  };

  /** Closes the link for a terminal `state`; what the `voiceClose` event says. */
  #end(state: VoiceOutputState): VoiceCloseEvent {
    this.close();
    const code = state.closeCode;
    if (code !== undefined) return { code, reason: voiceCloseReason(code) };
    return { reason: state.status === 'destroyed' ? 'The voice connection was destroyed' : 'The voice connection was disconnected' };
  }
}
