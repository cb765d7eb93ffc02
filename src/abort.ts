/**
 * Abort helpers shared by the core and the providers: waiting on a shared promise with one caller's
 * signal, and sleeping with a signal. Both reject with a `SpenceError` of code `ABORTED`.
 *
 * @module
 */

import { abortError } from './errors.js';
import type { Clock, ClockTimer } from './player/clock.js';

/**
 * Waits for `promise`, rejecting with `ABORTED` as soon as `signal` fires. The promise itself is not
 * cancelled: use this to stop waiting on work other callers share (one upstream request, one token).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what = 'operation'): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` fires. On `clock` when given
 * (the node's, so a test's manual clock drives backoffs and `Retry-After` waits), else on timers.
 */
export function sleep(ms: number, signal: AbortSignal | undefined, what = 'wait', clock?: Clock): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, what));
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = clock === undefined ? setTimeout(done, ms) : clock.setTimer(clock.now() + ms, done);
    const onAbort = () => {
      if (clock === undefined) clearTimeout(timer as NodeJS.Timeout);
      else (timer as ClockTimer).cancel();
      reject(abortError(signal, what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
