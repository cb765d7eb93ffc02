/**
 * How long a reader has waited on the network, and whether what it got was worth the wait: the
 * idle budget and the trickle rule in one meter (in the manner of curl's low-speed limit,
 * CURLOPT_LOW_SPEED_LIMIT over CURLOPT_LOW_SPEED_TIME).
 *
 * Only time spent waiting counts: a reader that stops pulling (a player whose read-ahead is full)
 * is not starved, however long it is away. Bytes that arrive at a useful rate, at least
 * `minBytesPerSecond` over the time waited for them, close the window; a window that reaches
 * `windowMs` of waiting with fewer is starved: no byte at all (a stall) or a trickle.
 *
 * One timer per window, not one per chunk: it is armed when a wait starts with none armed, left
 * armed when a window closes, and on firing checks the time actually waited in the window open
 * then, re-arming for the rest (or not at all when nobody waits). A fast stream costs one timer
 * every `windowMs`, not an arm and a cancel per chunk.
 *
 * @module
 */

import type { Clock, ClockTimer } from '../player/clock.js';

/** Called when a window runs out with too few bytes: why, for people. */
export type StarvedCallback = (reason: string) => void;

/** One reader's waits. */
export class IoWaitMeter {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #minBytesPerSecond: number;
  /** When the current window opened: the reader has been starved since then. */
  #since: number | null = null;
  /** Time waited and bytes got in the current window (the current wait not included). */
  #waited = 0;
  #bytes = 0;
  /** When the current wait began; -1 while not waiting. */
  #waitStart = -1;
  #onStarved: StarvedCallback | null = null;
  #timer: ClockTimer | null = null;

  constructor(clock: Clock, windowMs: number, minBytesPerSecond: number) {
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#minBytesPerSecond = minBytesPerSecond;
  }

  /**
   * Since when (clock time) the reader has been waiting on the network without getting bytes at a
   * useful rate; null when it is not. Survives the reader's retries: a new connection to a
   * source that still trickles does not make the reader any less starved.
   */
  get waitingSince(): number | null {
    return this.#since;
  }

  /**
   * The reader starts waiting for bytes. With `onStarved`, the window is timed and `onStarved`
   * is called if it runs out; without (waiting for response headers, which have their own
   * timeout), the wait only counts.
   */
  wait(onStarved: StarvedCallback | null): void {
    const now = this.#clock.now();
    this.#since ??= now;
    this.#waitStart = now;
    this.#onStarved = onStarved;
    if (onStarved !== null && this.#timer === null) this.#arm(now);
  }

  /** `bytes` arrived, ending the wait. True when they came at a useful rate: the window closes. */
  got(bytes: number): boolean {
    this.#stopWaiting();
    this.#bytes += bytes;
    if (this.#bytes * 1000 < this.#minBytesPerSecond * this.#waited) return false;
    this.#since = null;
    this.#waited = 0;
    this.#bytes = 0;
    return true;
  }

  /** The wait ended without bytes: the response ended or failed, or the reader stopped. */
  pause(): void {
    this.#stopWaiting();
    this.#onStarved = null;
  }

  /** A new response: the window's counts start over, but the reader stays starved since when it was. */
  restart(): void {
    this.pause();
    this.#waited = 0;
    this.#bytes = 0;
  }

  /** The reader is done: nothing waits any more. */
  end(): void {
    this.pause();
    this.#close();
  }

  #stopWaiting(): void {
    if (this.#waitStart < 0) return;
    this.#waited += this.#clock.now() - this.#waitStart;
    this.#waitStart = -1;
  }

  #close(): void {
    this.#since = null;
    this.#waited = 0;
    this.#bytes = 0;
    this.#timer?.cancel();
    this.#timer = null;
  }

  #arm(now: number): void {
    this.#timer = this.#clock.setTimer(now + Math.max(0, this.#windowMs - this.#waited), this.#check);
  }

  readonly #check = (): void => {
    this.#timer = null;
    const onStarved = this.#onStarved;
    if (this.#waitStart < 0 || onStarved === null) return; // not waiting now: the next wait re-arms
    const now = this.#clock.now();
    const waited = this.#waited + now - this.#waitStart;
    if (waited < this.#windowMs) {
      this.#timer = this.#clock.setTimer(now + (this.#windowMs - waited), this.#check);
      return;
    }
    // Every delivery so far was under the rate (one at the rate would have closed the window).
    const bytes = this.#bytes;
    this.restart();
    onStarved(
      bytes === 0
        ? `no bytes for ${this.#windowMs} ms`
        : `only ${bytes} bytes in ${Math.round(waited)} ms of waiting, under ${this.#minBytesPerSecond} bytes/s`,
    );
  };
}
