/**
 * lru-cache's TTLs timed on a spence clock (the node's, or a test's `ManualClock`) instead of its
 * own `performance.now()`.
 *
 * @module
 */

import type { Clock } from '../player/clock.js';

/** The lru-cache options that time TTLs on `clock`; none (its defaults) without one. */
export function lruTiming(clock: Pick<Clock, 'now'> | undefined): { perf?: { now(): number }; ttlResolution?: number } {
  if (clock === undefined) return {};
  return {
    // lru-cache reads a start time of 0 as "no TTL" (`!!start`): a clock whose origin is 0 (a
    // ManualClock) is read 1 ms later, which changes no age.
    perf: { now: () => clock.now() + 1 },
    // Every age read from the clock: lru-cache would otherwise keep "now" for a real ms, on a timer.
    ttlResolution: 0,
  };
}
