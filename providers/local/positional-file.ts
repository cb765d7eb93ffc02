/**
 * Positional reads of one local file, for `TrackMedia.readAt` and the provider's streamed reads:
 * with the callback `fs` API, or through the read worker when reads are many (see
 * `read-service.ts`).
 *
 * It reads the descriptor it is given: the one the provider opened and checked against the roots
 * (see `open-checked.ts`), never the path again, so a link swapped in after the check cannot lead
 * a read elsewhere.
 *
 * Why not `FileHandle.read()`: each promise read makes a request object, a result object and a
 * few promise hops (a few KiB of garbage per read); at thousands of players reading a second of
 * audio each per second, that was a young-generation collection a second. Here a read is one
 * request and one promise. The descriptor is closed only when no read is in flight, so a read
 * never runs on a descriptor number the process may already have given to another file.
 *
 * @module
 */

import { close } from 'node:fs';
import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';
import { readInto, type ReadWorkerMode } from './read-service.js';

/**
 * A read that comes sooner than this after the file's previous one is not a paced refill but part
 * of a burst (a track's start, a seek, a bulk copy such as `spence stream`), which waits on each
 * read: in mode `'auto'` it goes through `fs.read`, whose latency is ~25 µs against the read
 * worker's 1-2 ms. A player reads about once a second (16 KiB is 1.3 s of 96 kbit/s audio, 0.25 s of 512).
 */
const BURST_MS = 100;
/**
 * A file's first reads (a player's start: its headers, its prebuffer's fill; a seek's are later)
 * may wait the read worker's millisecond or two whatever their spacing: a start's steps wait their
 * turn at the node's start gate anyway, and thousands of starts at once made ~15,000 reads through
 * `fs.read` in a few seconds, each a thread-pool wake-up paid by the loop (`read` was 7 % of the
 * process's CPU in a profile of 5000 players started at once). A bulk copy reads on through `fs.read`.
 */
const START_READS = 4;

export class PositionalFile {
  readonly #mode: ReadWorkerMode;
  #fd: number;
  #inflight = 0;
  #closed = false;
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #reads = 0;

  /** @param fd - an open descriptor, owned from now on: {@link close} closes it. */
  constructor(fd: number, mode: ReadWorkerMode = 'auto') {
    this.#fd = fd;
    this.#mode = mode;
  }

  /** Reads up to `target.length` bytes at `position` into `target`; resolves with the count (0 at the end). */
  read(position: number, target: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    this.#inflight++;
    const now = performance.now();
    const paced = this.#reads++ < START_READS || now - this.#lastReadAt >= BURST_MS;
    this.#lastReadAt = now;
    return new Promise((resolve, reject) => {
      readInto(this.#fd, position, target, (error, bytesRead) => {
        if (--this.#inflight === 0 && this.#closed) this.#release();
        if (error !== null) reject(error);
        else resolve(bytesRead);
      }, this.#mode, paced);
    });
  }

  /** Closes the file now, or as soon as the reads in flight have finished. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#inflight === 0) this.#release();
  }

  #release(): void {
    const fd = this.#fd;
    this.#fd = -1;
    if (fd >= 0) close(fd, () => {});
  }
}

function closedError(): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_STATE, 'The local media was closed');
}
