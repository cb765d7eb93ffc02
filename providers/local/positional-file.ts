/**
 * Positional reads of one local file with the callback `fs` API, for `TrackMedia.readAt`.
 *
 * Why not `FileHandle.read()`: each promise read makes a request object, a result object and a
 * few promise hops (a few KiB of garbage per read); at thousands of players reading a second of
 * audio each per second, that was a young-generation collection a second. Here a read is one
 * request and one promise. The descriptor is closed only when no read is in flight, so a read
 * never runs on a descriptor number the process may already have given to another file.
 *
 * @module
 */

import { close, open, read } from 'node:fs';
import { ErrorCodes, SpenceError } from '../../src/index.js';

export class PositionalFile {
  readonly #path: string;
  #fd = -1;
  #opening: Promise<void> | null = null;
  #inflight = 0;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
  }

  /** Reads up to `target.length` bytes at `position` into `target`; resolves with the count (0 at the end). */
  read(position: number, target: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#fd < 0) return this.#open().then(() => this.read(position, target));
    this.#inflight++;
    return new Promise((resolve, reject) => {
      read(this.#fd, target, 0, target.length, position, (error, bytesRead) => {
        if (--this.#inflight === 0 && this.#closed) this.#release();
        if (error !== null) reject(error);
        else resolve(bytesRead);
      });
    });
  }

  /** Closes the file now, or as soon as the reads in flight have finished. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#inflight === 0) this.#release();
  }

  #open(): Promise<void> {
    this.#opening ??= new Promise<void>((resolve, reject) => {
      open(this.#path, 'r', (error, fd) => {
        if (error !== null) return reject(error);
        if (this.#closed) {
          close(fd, () => {});
          return reject(closedError());
        }
        this.#fd = fd;
        resolve();
      });
    });
    return this.#opening;
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
