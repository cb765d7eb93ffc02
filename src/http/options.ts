/**
 * Checks for numeric options, so a bad value is refused where it is given, with a message that
 * states the bound and the value: "createHttpMedia: chunkSize must be an integer of at least 1,
 * got 0", never a `RangeError` from deep inside, or a silent clamp.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';

/** How a value is shown in a message: numbers as they are, anything else with its type. */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : `${JSON.stringify(value) ?? String(value)} (a ${value === null ? 'null' : typeof value})`;
}

function bounds(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER || max === Number.POSITIVE_INFINITY) return `of at least ${min}`;
  return `from ${min} to ${max}`;
}

/**
 * Throws `INVALID_ARGUMENT` unless `value` is undefined or an integer in `[min, max]`.
 * `owner` names what the option belongs to (`'createHttpMedia'`, `'http'`).
 */
export function checkInteger(owner: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${owner}: ${name} must be an integer ${bounds(min, max)}, got ${shown(value)}`);
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is undefined or a finite number in `[min, max]`. */
export function checkNumber(owner: string, name: string, value: unknown, min: number, max = Number.POSITIVE_INFINITY): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${owner}: ${name} must be a finite number ${bounds(min, max)}, got ${shown(value)}`);
  }
}
