/**
 * Where per-speaker files go: a directory (one `<user ID>.<extension>` file per speaker) or a
 * function of the user ID.
 *
 * @module
 */

import path from 'node:path';
import { ErrorCodes, SpenceError } from '../../../errors.js';

/** A directory for `<user ID>.<ext>` files, or the path for each speaker's file. */
export type SpeakerFileTarget = string | ((userId: string) => string);

/** Discord user IDs are snowflakes: digits only (anything else must not reach a path). */
const SNOWFLAKE = /^\d{1,20}$/;

/** The function that names a speaker's file for `target`. */
export function speakerPath(target: SpeakerFileTarget, extension: string): (userId: string) => string {
  if (typeof target === 'function') return target;
  if (typeof target !== 'string' || target === '') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'A per-speaker file sink takes a directory or a function of the user ID', { source: 'voice' });
  }
  return (userId) => {
    // A user ID that is not a snowflake is used by its digits alone, never as a path.
    const name = SNOWFLAKE.test(userId) ? userId : `user-${userId.replace(/[^0-9A-Za-z_-]/g, '_')}`;
    return path.join(target, `${name}.${extension}`);
  };
}
