import { expect } from 'vitest';
import { SpenceError } from '../../src/errors.js';

/** The code of the SpenceError `promise` rejects with; fails the test when it resolves or throws anything else. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SpenceError);
    return (error as SpenceError).code;
  }
  throw new Error('expected a rejection');
}
