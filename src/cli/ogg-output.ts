/**
 * Where `spence stream` writes its Ogg Opus: a file, created at the first packet (so a failure or
 * a Ctrl-C before any audio leaves no file, not an empty one), or standard output for `-`. Pages
 * are written in order by one writer loop; an error of the file or the pipe is kept and thrown by
 * the next call, never emitted as an unhandled 'error' event.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { OggOpusWriter } from '../demux/index.js';
import type { OggOpusWriterHead, OggOpusWriterOptions } from '../demux/index.js';
import { opusPacketSamples } from '../demux/opus.js';
import { ErrorCodes, SpenceError } from '../errors.js';
import { fileError } from './input-file.js';

/** `-o -`: standard output. */
export const STDOUT = '-';

/**
 * Checks `-o path` before any work: not a directory, in a folder that exists. Nothing is created:
 * the file is, at the first packet.
 */
export async function checkOutputPath(path: string): Promise<void> {
  if (path === STDOUT) {
    if (process.stdout.isTTY) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, '-o - writes Ogg Opus to standard output, which is a terminal here: pipe it (| ffplay -) or name a file');
    return;
  }
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `-o ${path} is a directory; name the .opus file to write`);
  const folder = dirname(resolve(path));
  const parent = await stat(folder).catch(() => null);
  if (parent === null) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `-o ${path}: the folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `-o ${path}: ${folder} is not a folder`);
}

/** The Ogg Opus output of one stream. */
export class OggOutput {
  readonly path: string;
  #head: () => OggOpusWriterHead;
  #options: OggOpusWriterOptions;
  #writer: OggOpusWriter | null = null;
  #file: FileHandle | null = null;
  #queue: Uint8Array[] = [];
  #pumping = false;
  #pump: Promise<void> = Promise.resolve();
  #error: unknown = null;
  #finishing: Promise<boolean> | null = null;
  #packets = 0;
  #samples = 0;

  /** `head` gives the stream's OpusHead when the first packet comes (the opener knows it by then). */
  constructor(path: string, head: () => OggOpusWriterHead, options: OggOpusWriterOptions = {}) {
    this.path = path;
    this.#head = head;
    this.#options = options;
  }

  /** Packets written so far. */
  get packets(): number {
    return this.#packets;
  }

  /** Audio written so far, in ms (48 kHz samples / 48). */
  get durationMs(): number {
    return this.#samples / 48;
  }

  /**
   * Adds one packet (its bytes are copied before this returns, so a frame event's view will do).
   * Throws the output's error, if writing has failed.
   */
  write(packet: Uint8Array): void {
    if (this.#error !== null) throw this.#error;
    this.#writer ??= new OggOpusWriter(this.#head(), this.#options);
    const pages = this.#writer.write(packet);
    this.#packets++;
    this.#samples += opusPacketSamples(packet);
    this.#enqueue(pages);
  }

  /** Resolves when every page so far is written out (backpressure); rejects with the output's error. */
  async drained(): Promise<void> {
    while (this.#pumping) await this.#pump;
    if (this.#error !== null) throw this.#error;
  }

  /**
   * Ends the stream (the last page, flagged end-of-stream), writes everything and closes the file.
   * Resolves false, and creates nothing, when no packet was written. Called again (a second
   * Ctrl-C while the first finishes), it returns the same promise: the file is ended once.
   */
  finish(): Promise<boolean> {
    this.#finishing ??= this.#finish();
    return this.#finishing;
  }

  async #finish(): Promise<boolean> {
    if (this.#writer === null) return false;
    this.#enqueue(this.#writer.end());
    try {
      await this.drained();
    } finally {
      await this.#file?.close().catch(() => {});
      this.#file = null;
    }
    return true;
  }

  #enqueue(pages: Uint8Array[]): void {
    if (pages.length === 0) return;
    this.#queue.push(...pages);
    if (this.#pumping) return; // the running loop takes them
    this.#pumping = true;
    this.#pump = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const pages = this.#queue.splice(0);
        const bytes = pages.length === 1 ? pages[0]! : Buffer.concat(pages);
        await (this.path === STDOUT ? writeStdout(bytes) : this.#writeFile(bytes));
      }
    } catch (error) {
      this.#queue.length = 0;
      this.#error = this.path === STDOUT ? new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Writing to standard output failed: ${(error as Error).message}`, { cause: error }) : fileError(this.path, error);
    } finally {
      this.#pumping = false; // in the same turn as the empty-queue check: no page is left behind
    }
  }

  async #writeFile(bytes: Uint8Array): Promise<void> {
    this.#file ??= await open(this.path, 'w');
    let offset = 0;
    while (offset < bytes.length) offset += (await this.#file.write(bytes, offset)).bytesWritten;
  }
}

let stdoutGuarded = false;

/**
 * One write to standard output; its error (a closed pipe) comes back through the callback, and
 * the 'error' event the stream also emits for it is caught here rather than crashing the process.
 */
function writeStdout(bytes: Uint8Array): Promise<void> {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', () => {});
  }
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}
