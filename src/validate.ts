/**
 * Option checks: options are checked when they are given (at construction), and a bad one is an
 * `INVALID_ARGUMENT` that names the option and what it accepts (`scheduler.stallThresholdMs must
 * be a number >= 0, got -1`), never a `TypeError` or `RangeError` later.
 *
 * Every check lets `undefined` through (options are optional); a caller checks presence itself.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from './errors.js';

/** Bounds of {@link checkNumber}. */
export interface NumberBounds {
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** Refuse the minimum itself. */
  aboveMin?: boolean;
  /** Whole numbers only. */
  integer?: boolean;
}

/** A finite number (an integer with `integer`) within the bounds. */
export function checkNumber(name: string, value: unknown, bounds: NumberBounds = {}): void {
  if (value === undefined) return;
  const { min, max, aboveMin = false, integer = false } = bounds;
  const ok =
    typeof value === 'number' && Number.isFinite(value)
    && (!integer || Number.isInteger(value))
    && (min === undefined || (aboveMin ? value > min : value >= min))
    && (max === undefined || value <= max);
  if (!ok) {
    const range = [min === undefined ? '' : `${aboveMin ? '>' : '>='} ${min}`, max === undefined ? '' : `<= ${max}`].filter(Boolean).join(' and ');
    refuse(name, `${integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`, value);
  }
}

/** One of the listed values. */
export function checkOneOf<T>(name: string, value: unknown, allowed: readonly T[]): void {
  if (value === undefined || allowed.includes(value as T)) return;
  refuse(name, `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, value);
}

/** A string, matching `pattern` when given (`what` says in words what the pattern accepts). */
export function checkString(name: string, value: unknown, pattern?: RegExp, what = 'a string'): void {
  if (value === undefined || (typeof value === 'string' && (pattern === undefined || pattern.test(value)))) return;
  refuse(name, what, value);
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  refuse(name, 'a boolean', value);
}

/** A function. */
export function checkFunction(name: string, value: unknown): void {
  if (value === undefined || typeof value === 'function') return;
  refuse(name, 'a function', value);
}

/** An object (not null, not an array) whose listed members are functions: an interface a caller implements. */
export function checkObject(name: string, value: unknown, methods: readonly string[] = []): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(name, 'an object', value);
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') refuse(name, `an object with a ${method}() method`, value);
  }
}

/** An array. */
export function checkArray(name: string, value: unknown): void {
  if (value === undefined || Array.isArray(value)) return;
  refuse(name, 'an array', value);
}

/** Throws the `INVALID_ARGUMENT` of the checks above: `{name} must be {expected}, got {value}`. */
export function refuse(name: string, expected: string, value: unknown): never {
  throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${name} must be ${expected}, got ${describe(value)}`);
}

/** A short, safe rendering of a refused value (strings quoted and cut: they may be long or secret-bearing). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'function' ? 'a function' : typeof value === 'object' ? 'an object' : typeof value;
}
