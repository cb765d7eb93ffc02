/**
 * A file written as a session goes: bytes are gathered into 64 KiB chunks and written in order by
 * one chain of `FileHandle.write` calls; runs of zeros are written from one shared zero buffer,
 * never allocated; a few header bytes can be rewritten in place at the end (a WAV's sizes). Memory
 * holds what the disk has not taken yet, not the session.
 *
 * @module
 */

import { open, type FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;
const ZEROS = new Uint8Array(CHUNK);

type Item = Uint8Array | number;

/** A file written in order as bytes come (see the module comment). */
export class FileWriter {
  readonly path: string;
  /** Bytes handed to the writer so far. */
  length = 0;
  readonly #handle: Promise<FileHandle>;
  readonly #queue: Item[] = [];
  #chunk: Uint8Array = new Uint8Array(CHUNK);
  #used = 0;
  /** Chunks written out, for reuse (a fresh 64 KiB array costs more than the copy into it). */
  readonly #free: Uint8Array[] = [];
  #draining: Promise<void> | null = null;
  #error: unknown = undefined;
  readonly #onError: (error: unknown) => void;

  /** Creates (or truncates) `path`; a failure, then or later, goes to `onError` once. */
  constructor(path: string, onError: (error: unknown) => void) {
    this.path = path;
    this.#onError = onError;
    this.#handle = open(path, 'w');
    this.#handle.catch((error: unknown) => this.#failed(error));
  }

  /** Appends a copy of `bytes`. */
  write(bytes: Uint8Array): void {
    this.length += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(CHUNK - this.#used, bytes.length - offset);
      this.#chunk.set(bytes.subarray(offset, offset + n), this.#used);
      this.#used += n;
      offset += n;
      if (this.#used === CHUNK) this.#seal();
    }
  }

  /** Appends `count` zero bytes. */
  zeros(count: number): void {
    if (count <= 0) return;
    this.length += count;
    // Small runs go into the chunk; long ones are queued as a count.
    if (count <= CHUNK - this.#used) {
      this.#chunk.fill(0, this.#used, this.#used + count);
      this.#used += count;
      if (this.#used === CHUNK) this.#seal();
      return;
    }
    this.#seal();
    this.#queue.push(count);
    this.#drain();
  }

  /** Writes what is left, then `patches` (bytes at file offsets), and closes the file. */
  async close(patches: readonly { offset: number; bytes: Uint8Array }[] = []): Promise<void> {
    this.#seal();
    let handle: FileHandle | undefined;
    try {
      handle = await this.#handle;
      while (this.#draining !== null) await this.#draining;
      if (this.#error !== undefined) throw this.#error;
      for (const patch of patches) await writeAll(handle, patch.bytes, patch.offset);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  #seal(): void {
    if (this.#used === 0) return;
    this.#queue.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = this.#free.pop() ?? new Uint8Array(CHUNK);
    this.#used = 0;
    this.#drain();
  }

  #drain(): void {
    if (this.#draining !== null || this.#error !== undefined) return;
    this.#draining = this.#run().finally(() => {
      this.#draining = null;
      if (this.#queue.length > 0 && this.#error === undefined) this.#drain();
    });
  }

  async #run(): Promise<void> {
    try {
      const handle = await this.#handle;
      for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
        if (typeof item === 'number') {
          for (let left = item; left > 0; left -= CHUNK) await writeAll(handle, ZEROS.subarray(0, Math.min(CHUNK, left)));
        } else {
          await writeAll(handle, item);
          if (this.#free.length < 2) this.#free.push(new Uint8Array(item.buffer, 0, CHUNK));
        }
      }
    } catch (error) {
      this.#failed(error);
    }
  }

  #failed(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#queue.length = 0;
    this.#onError(error);
  }
}

/** Writes all of `bytes` (a write may take fewer), at `position` or at the file's position. */
async function writeAll(handle: FileHandle, bytes: Uint8Array, position?: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position === undefined ? null : position + done);
    done += bytesWritten;
  }
}
