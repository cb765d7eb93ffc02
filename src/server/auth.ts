/**
 * The password check for REST requests and WebSocket handshakes, in constant time: both sides
 * are HMAC'd with a per-process key first, so neither their contents nor their lengths show in
 * the comparison's timing.
 *
 * @module
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Makes a checker for `password`. */
export function passwordChecker(password: string): (given: string | string[] | undefined) => boolean {
  const key = randomBytes(32);
  const digest = (text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();
  const expected = digest(password);
  return (given) => typeof given === 'string' && timingSafeEqual(digest(given), expected);
}
