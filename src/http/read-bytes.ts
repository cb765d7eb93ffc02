/**
 * Reading a stretch of a media at once, within the request budget: what resolve's probe does (the
 * first 256 KiB of a file, and an Ogg file's last 64 KiB). The reads go through the media's own
 * resume and retry, so a CDN that drops every response after 40 KB still yields the bytes; the
 * budget bounds the whole, so a server that trickles one byte a second ends in a clear `NETWORK`
 * error even for a caller without a signal.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import type { TrackMedia } from '../resolve/provider.js';
import { DEFAULT_HTTP_SETTINGS } from './budgets.js';
import type { HttpSettings } from './budgets.js';
import { Deadline } from './deadline.js';

/** Reads bytes `[start, start + length)` of `media` (fewer at its end) into one array. */
export async function readBytes(media: TrackMedia, start: number, length: number, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  if (length === 0) return bytes;
  for await (const chunk of media.read(start, { signal })) {
    const take = Math.min(chunk.length, length - filled);
    bytes.set(take === chunk.length ? chunk : chunk.subarray(0, take), filled);
    filled += take;
    if (filled === length) break; // stops the read: its requests are dropped
  }
  return filled === length ? bytes : bytes.subarray(0, filled);
}

/**
 * Runs `work` with a signal that fires at the caller's abort or when the request budget
 * (`http.requestTimeoutMs`) runs out. A budget that runs out is `NETWORK`, naming `what`.
 */
export async function withinBudget<T>(
  context: { signal: AbortSignal; http?: HttpSettings | undefined },
  what: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const settings = context.http ?? DEFAULT_HTTP_SETTINGS;
  const deadline = new Deadline(context.signal, settings.requestTimeoutMs, settings.clock);
  try {
    return await work(deadline.signal);
  } catch (error) {
    if (deadline.expired && !context.signal.aborted) {
      throw new SpenceError(ErrorCodes.NETWORK, `${what} took longer than the ${settings.requestTimeoutMs} ms request budget (http.requestTimeoutMs)`, { cause: error, source: 'http' });
    }
    throw error;
  } finally {
    deadline.dispose();
  }
}
