/**
 * Reading a {@link TrackMedia} from a byte offset: by its positional `readAt` into given or pooled
 * buffers when it has one (local files), else by its `read` stream (HTTP).
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, toSpenceError } from '../errors.js';
import type { TrackMedia } from '../resolve/provider.js';
import { redactText } from '../redact.js';

/**
 * The size of a positional read ({@link TrackMedia.readAt}): 16 KiB, about a second of typical
 * Opus. Each read goes to the demuxer whole (it is the player's refill: one read per second or so).
 */
const READ_BYTES = 16 * 1024;
/** Free read buffers, shared by every reader: reads in flight at once are few. */
const freeBuffers: Uint8Array[] = [];
const MAX_FREE_BUFFERS = 64;

function recycle(buffer: Uint8Array): void {
  if (freeBuffers.length < MAX_FREE_BUFFERS) freeBuffers.push(buffer);
}

/**
 * Reads one media byte range, so it can be dropped for a seek. A stream read ({@link TrackMedia.read})
 * has its own abort controller, fired when the reader is closed. With {@link TrackMedia.readAt}
 * the chunks are *borrowed*: each one is a shared buffer, valid until the next `next()` or
 * `close()`; the caller copies what it keeps (the demuxers' `feed` does). Positional reads get
 * the caller's signal as it is: one read is all that can be in flight, and what it brings after
 * a close is dropped, so the reader needs no signal of its own (an `AbortSignal.any` per reader,
 * for every playing player, is a signal, WeakRefs and finalization entries that each major
 * collection processes).
 */
export class RangeReader {
  readonly #controller: AbortController | null = null;
  readonly #signal: AbortSignal;
  readonly #iterator: AsyncIterator<Uint8Array> | null = null;
  readonly #media: TrackMedia;
  #position: number;
  /**
   * Where positional reads stop: the media's `contentLength`, when known. Reaching it ends the
   * input at once, with the last bytes, rather than one read later (a read that returns 0): the
   * demuxer's end, and so a preloaded track's switch, never waits on a read that brings nothing.
   */
  readonly #end: number;
  #held: Uint8Array | null = null;
  /** The options every `readAt` gets: one object for all of them. */
  readonly #readOptions: { signal: AbortSignal };
  #closed = false;
  /** True when reads go into buffers (the reader's shared ones or the caller's: see `next`), valid until the next read. */
  readonly borrowed: boolean;

  constructor(media: TrackMedia, start: number, outer: AbortSignal) {
    this.#media = media;
    this.#position = start;
    this.borrowed = typeof media.readAt === 'function';
    const length = media.contentLength;
    this.#end = length !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : Number.POSITIVE_INFINITY;
    if (this.borrowed) {
      this.#signal = outer;
    } else {
      this.#controller = new AbortController();
      this.#signal = AbortSignal.any([outer, this.#controller.signal]);
      this.#iterator = media.read(start, { signal: this.#signal })[Symbol.asyncIterator]();
    }
    this.#readOptions = { signal: this.#signal };
  }

  /**
   * The next chunk, or null at the end; with `target` (positional reads only), read into it.
   * A positional read is made here rather than in a helper of its own: this is a playing player's
   * refill, about once a second each, and every async function between the player and the read
   * is one more promise and suspended frame per refill, at thousands of players.
   */
  async next(outer: AbortSignal, target: Uint8Array | null = null): Promise<Uint8Array | null> {
    let pooled: Uint8Array | null = null;
    try {
      if (this.#iterator !== null) {
        const result = await this.#iterator.next();
        return result.done ? null : result.value;
      }
      this.#release();
      if (this.#closed || this.#position >= this.#end) return null;
      const buffer = target ?? (pooled = freeBuffers.pop() ?? new Uint8Array(READ_BYTES));
      let n = await this.#media.readAt!(this.#position, buffer, this.#readOptions);
      if (this.#closed) n = 0;
      else if (!Number.isSafeInteger(n) || n < 0 || n > buffer.length) {
        throw new SpenceError(ErrorCodes.UPSTREAM, `The provider's readAt() returned ${n} for a ${buffer.length}-byte buffer`);
      }
      if (n === 0) {
        if (pooled !== null) recycle(pooled);
        return null;
      }
      this.#position += n;
      this.#held = pooled;
      return n === buffer.length ? buffer : buffer.subarray(0, n);
    } catch (error) {
      if (pooled !== null && this.#held !== pooled) recycle(pooled);
      if (outer.aborted) throw abortError(outer, 'playback');
      throw toSpenceError(error, ErrorCodes.NETWORK, `Reading the media failed: ${redactText((error as Error)?.message ?? String(error))}`);
    }
  }

  #release(): void {
    if (this.#held !== null) recycle(this.#held);
    this.#held = null;
  }

  close(): void {
    this.#closed = true;
    this.#release();
    this.#controller?.abort();
    void this.#iterator?.return?.().catch(() => {});
  }
}

/** A copy that is never a view (`Buffer#slice` would be one). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/** Reads `length` bytes (or to the end) of `media` from `start`. */
export async function readBytes(media: TrackMedia, start: number, length: number, signal: AbortSignal): Promise<Uint8Array> {
  const reader = new RangeReader(media, start, signal);
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < length) {
      const chunk = await reader.next(signal);
      if (chunk === null) break;
      parts.push(reader.borrowed ? copyOf(chunk) : chunk);
      total += chunk.length;
    }
  } finally {
    reader.close();
  }
  return Buffer.concat(parts, Math.min(total, length));
}
