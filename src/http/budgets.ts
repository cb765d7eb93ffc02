/**
 * Time budgets for HTTP, set once on the node (`http` options) and handed to providers in their
 * context: how long a request read at once may take in all, and how long a response may go without
 * a byte, or below a useful rate, while someone waits for it. With them a resolve that has no
 * signal still ends, against a server that answers one byte a second, within the request budget.
 *
 * @module
 */

import { RealClock } from '../player/clock.js';
import type { Clock } from '../player/clock.js';
import { checkInteger, checkNumber } from './options.js';

/** The budgets; see {@link HttpBudgetOptions} for what each one means. */
export interface HttpBudgets {
  /** See {@link HttpBudgetOptions.requestTimeoutMs}. */
  readonly requestTimeoutMs: number;
  /** See {@link HttpBudgetOptions.idleTimeoutMs}. */
  readonly idleTimeoutMs: number;
  /** See {@link HttpBudgetOptions.minBytesPerSecond}. */
  readonly minBytesPerSecond: number;
}

/** The budgets as options: every field optional, checked when given. */
export interface HttpBudgetOptions {
  /**
   * The longest a request read at once may take, from sending it to its last byte, retries
   * included: an API call, resolve's probe of a media file. Default 30 s. (Media read while playing
   * is paced by the player and has no total: the idle budget bounds it.)
   */
  requestTimeoutMs?: number;
  /**
   * While a read waits for bytes, the window over which the response must deliver at least
   * {@link minBytesPerSecond}: no byte at all for this long is a stall, too few is a trickle.
   * A media read resumes from the exact byte on a new connection; a request read at once fails.
   * Time the reader spends away (a paused player) does not count. Default 10 s.
   */
  idleTimeoutMs?: number;
  /**
   * The slowest rate a response may deliver, averaged over {@link idleTimeoutMs} of waiting,
   * before it counts as a trickle. Default 1024 (8 kbit/s: below any Opus stream's bitrate).
   * 1 reduces the rule to "no byte at all".
   */
  minBytesPerSecond?: number;
}

/** What the HTTP layer needs from the node: the budgets and the clock they run on. */
export interface HttpSettings extends HttpBudgets {
  /** The clock budgets, backoffs and `Retry-After` waits run on: the node's. */
  readonly clock: Clock;
}

/** The default budgets. */
export const DEFAULT_BUDGETS: HttpBudgets = { requestTimeoutMs: 30_000, idleTimeoutMs: 10_000, minBytesPerSecond: 1024 };

/** The real clock, shared by every HTTP setting that is given none. */
const realClock = new RealClock();

/** The settings used when a caller gives none: the default budgets on the real clock. */
export const DEFAULT_HTTP_SETTINGS: HttpSettings = { ...DEFAULT_BUDGETS, clock: realClock };

/**
 * Checks `options` and completes them with the defaults.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` naming the option, its bound and the value given.
 */
export function httpSettings(options: HttpBudgetOptions = {}, clock: Clock = realClock, owner = 'http'): HttpSettings {
  checkNumber(owner, 'requestTimeoutMs', options.requestTimeoutMs, 1);
  checkNumber(owner, 'idleTimeoutMs', options.idleTimeoutMs, 1);
  checkInteger(owner, 'minBytesPerSecond', options.minBytesPerSecond, 1);
  return {
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_BUDGETS.requestTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_BUDGETS.idleTimeoutMs,
    minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_BUDGETS.minBytesPerSecond,
    clock,
  };
}
