/**
 * A speaker's decoded audio as an async iterable of 20 ms PCM frames, for speech-to-text and the
 * like: from the speaker's first packet after the iterable is made, frames arrive as the listener
 * decides them (a packet that came in order is decoded at once; a gap waits for the playout
 * depth), with silence between talkspurts as frames of zeros (or skipped, with `silence: false`). A consumer slower than real time loses the oldest frames
 * past a bound, counted in `dropped`, rather than growing memory.
 *
 * @module
 */

import type { PcmFrame } from './sink.js';

/** Options for a listener's `audio(userId)`. */
export interface PcmStreamOptions {
  /** Yield silent frames too (default true: the frames' times stay continuous). */
  silence?: boolean;
  /** Frames held for a slow consumer before the oldest are dropped (default 1500: 30 s). */
  maxFrames?: number;
}

/** An async iterable of one speaker's PCM frames; `return()` (or `break`) stops it. */
export interface PcmStream extends AsyncIterableIterator<PcmFrame> {
  /** The speaker's user ID. */
  readonly userId: string;
  /** Frames dropped because the consumer fell `maxFrames` behind. */
  readonly dropped: number;
}

/** @internal the listener's end of a {@link PcmStream}. */
export class PcmQueue implements PcmStream {
  readonly userId: string;
  dropped = 0;
  readonly #silence: boolean;
  readonly #max: number;
  /** Frames and runs of silence (`count` > 1) not taken yet. */
  readonly #queue: PcmFrame[] = [];
  #queued = 0;
  #done = false;
  /** A frame with sound came: silence is yielded from then on (not the silence before a speaker's first packet). */
  #started = false;
  #error: unknown = undefined;
  #waiting: { resolve: (result: IteratorResult<PcmFrame>) => void; reject: (error: unknown) => void } | null = null;
  readonly #onReturn: (queue: PcmQueue) => void;

  constructor(userId: string, options: PcmStreamOptions, onReturn: (queue: PcmQueue) => void) {
    this.userId = userId;
    this.#silence = options.silence ?? true;
    this.#max = Math.max(1, Math.floor(options.maxFrames ?? 1500));
    this.#onReturn = onReturn;
  }

  /** Queues a frame (or a run of silence); `pcm` must not change afterwards. */
  push(frame: PcmFrame): void {
    if (this.#done) return;
    if (frame.kind === 'silence') {
      if (!this.#silence || !this.#started) return;
    } else {
      this.#started = true;
    }
    if (this.#waiting !== null) {
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting.resolve({ value: this.#one(frame), done: false });
      if (frame.count > 1) this.#enqueue({ ...frame, index: frame.index + 1, count: frame.count - 1 });
      return;
    }
    this.#enqueue({ ...frame });
  }

  /** Ends the stream after the queued frames (or at once, with an error). */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    if (this.#waiting !== null && (error !== undefined || this.#queue.length === 0)) {
      const waiting = this.#waiting;
      this.#waiting = null;
      if (error !== undefined) waiting.reject(error);
      else waiting.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PcmFrame>> {
    const head = this.#queue[0];
    if (head !== undefined) {
      const frame = this.#one(head);
      if (head.count > 1) {
        head.index++;
        head.count--;
      } else {
        this.#queue.shift();
      }
      this.#queued--;
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.#done) return this.#error !== undefined ? Promise.reject(this.#error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<PcmFrame>> {
    this.#queue.length = 0;
    this.#queued = 0;
    this.#error = undefined;
    this.end();
    this.#onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #one(frame: PcmFrame): PcmFrame {
    return { userId: frame.userId, index: frame.index, count: 1, kind: frame.kind, pcm: frame.pcm, arrivedAt: frame.arrivedAt };
  }

  #enqueue(frame: PcmFrame): void {
    this.#queue.push(frame);
    this.#queued += frame.count;
    // Over the bound: drop the oldest frames (from the head, a run of silence a frame at a time).
    while (this.#queued > this.#max) {
      const head = this.#queue[0]!;
      const n = Math.min(head.count, this.#queued - this.#max);
      this.dropped += n;
      this.#queued -= n;
      if (n === head.count) this.#queue.shift();
      else {
        head.index += n;
        head.count -= n;
      }
    }
  }
}
