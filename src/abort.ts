/**
 * Abort helpers shared by the core and the providers: waiting on a shared promise with one caller's
 * signal, and sleeping with a signal. Both reject with a `SpenceError` of code `ABORTED`.
 *
 * @module
 */

import { abortError } from './errors.js';

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

/** Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` fires. */
export function sleep(ms: number, signal: AbortSignal | undefined, what = 'wait'): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, what));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal, what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
