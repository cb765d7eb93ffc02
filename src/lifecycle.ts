/**
 * One lifecycle for whatever holds resources and runs calls on them (the node; any part that wants
 * the same contract), in the manner of undici's dispatchers:
 *
 * - `close()` is graceful: new calls are refused at once (`INVALID_STATE`, saying it is closing or
 *   closed), the calls already running finish, and then the owner's resources are released. The
 *   wait is bounded: after `closeTimeoutMs` the calls still running are aborted (they reject with
 *   `ABORTED`) and the release goes ahead without waiting for them any longer.
 * - `destroy()` is now: running calls are aborted, the resources released at once.
 * - Both are idempotent and may be mixed: `destroy()` during a `close()` cuts it short; `close()`
 *   after `destroy()` resolves when the destruction has.
 * - `closed` is true from the first `close()` or `destroy()`; `destroyed` from `destroy()`.
 *
 * The owner runs each call through {@link Lifecycle.run}, which refuses it when closed and hands it
 * a signal that fires when the caller's does or when the lifecycle aborts.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from './errors.js';
import type { Clock } from './player/clock.js';

/** Where a lifecycle is. */
export type LifecycleState = 'open' | 'closing' | 'closed' | 'destroyed';

/** What the owner releases, once (`graceful`: from `close()`, after the running calls finished or timed out). */
export type Release = (graceful: boolean) => Promise<void>;

/** Options for {@link Lifecycle}. */
export interface LifecycleOptions {
  /** What the owner is called in messages (`'node'`). */
  what: string;
  /** How long `close()` waits for running calls before it aborts them, in ms. */
  closeTimeoutMs: number;
  /** The clock the timeout runs on (a test's manual clock, or the real one). */
  clock: Clock;
  /** Releases the owner's resources; called once, by the first of close() or destroy() to get there. */
  release: Release;
  /**
   * Called when `destroy()` comes while a graceful release is already under way, to cut it short
   * (an agent's `close()` turned into its `destroy()`).
   */
  hurry?: () => void;
}

/** The lifecycle of one owner. */
export class Lifecycle {
  readonly #options: LifecycleOptions;
  #state: LifecycleState = 'open';
  readonly #abort = new AbortController();
  /** Calls running. */
  readonly #running = new Set<Promise<unknown>>();
  #closing: Promise<void> | null = null;
  #destroying: Promise<void> | null = null;
  #releasing: Promise<void> | null = null;

  constructor(options: LifecycleOptions) {
    this.#options = options;
  }

  /** True once `close()` or `destroy()` has been called: no new call is accepted. */
  get closed(): boolean {
    return this.#state !== 'open';
  }

  /** True once `destroy()` has been called. */
  get destroyed(): boolean {
    return this.#state === 'destroyed';
  }

  /** Fires when running calls are aborted (by `destroy()`, or when `close()` timed out). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Throws `INVALID_STATE` unless open. */
  assertOpen(): void {
    if (this.#state !== 'open') throw this.#refusal();
  }

  /**
   * Runs a call: refused (a rejection with `INVALID_STATE`) when not open; `call` gets a signal
   * that fires with the caller's `signal` or when the lifecycle aborts its running calls.
   * `close()` waits for it.
   */
  run<T>(signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#state !== 'open') return Promise.reject(this.#refusal());
    const joined = signal ? AbortSignal.any([signal, this.#abort.signal]) : this.#abort.signal;
    const running = call(joined);
    this.#running.add(running);
    const forget = () => this.#running.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Closes gracefully; see the module's description. */
  close(): Promise<void> {
    if (this.#destroying) return this.#destroying;
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Destroys now; see the module's description. */
  destroy(): Promise<void> {
    if (this.#destroying) return this.#destroying;
    const wasReleasing = this.#releasing !== null;
    this.#state = 'destroyed';
    this.#abortRunning(`The ${this.#options.what} was destroyed`);
    if (wasReleasing) this.#options.hurry?.();
    this.#destroying = this.#release(false);
    return this.#destroying;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    if (this.#running.size > 0) {
      const { clock, closeTimeoutMs } = this.#options;
      let timer: { cancel(): void } | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = clock.setTimer(clock.now() + closeTimeoutMs, resolve);
      });
      const finished = Promise.allSettled([...this.#running]).then(() => {});
      await Promise.race([finished, timedOut, this.#whenAborted()]);
      timer?.cancel();
      if (this.#running.size > 0) {
        this.#abortRunning(`The ${this.#options.what} closed before this call finished (close timeout ${closeTimeoutMs} ms)`);
      }
    }
    await this.#release(true);
    if (this.#state === 'closing') this.#state = 'closed';
  }

  /** The one release, shared by close() and destroy(). */
  #release(graceful: boolean): Promise<void> {
    this.#releasing ??= this.#options.release(graceful);
    return this.#releasing;
  }

  #refusal(): SpenceError {
    const { what } = this.#options;
    const message =
      this.#state === 'destroyed' ? `This ${what} has been destroyed`
      : this.#state === 'closing' ? `This ${what} is closing: it takes no new calls`
      : `This ${what} has been closed`;
    return new SpenceError(ErrorCodes.INVALID_STATE, message);
  }

  #abortRunning(message: string): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(new SpenceError(ErrorCodes.ABORTED, message));
  }

  #whenAborted(): Promise<void> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}
