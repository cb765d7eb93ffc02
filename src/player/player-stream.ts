/**
 * The stream mode's Readable: an object-mode stream of Opus packets as `Buffer`s, the input
 * `@discordjs/voice` plays with `createAudioResource(stream, { inputType: StreamType.Opus })`.
 *
 * Pacing: the consumer keeps time. Discord's `AudioPlayer` reads one packet per 20 ms on its own
 * cycle, so the stream is fed by backpressure: whenever the stream asks (`_read`), the player hands
 * over the next buffered packet at once (the stream holds at most `highWaterMark` packets, one by
 * default, so the player's position stays within a packet of what the consumer has taken). The
 * frame scheduler is not involved.
 *
 * @module
 */

import { Readable } from 'node:stream';
import type { OpusPacket } from '../demux/types.js';

/** Options for `Player.stream()`. */
export interface PlayerStreamOptions {
  /** Packets the stream may hold ahead of its reader. Default 1. */
  highWaterMark?: number;
}

/** The object-mode Readable `Player.stream()` returns. @internal constructed by the player only */
export class PlayerStream extends Readable {
  /** True while the reader wants more (set by `_read`, cleared when `push` says stop). */
  wanting = false;
  readonly #pull: () => void;

  constructor(pull: () => void, options: PlayerStreamOptions = {}) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 1 });
    this.#pull = pull;
  }

  override _read(): void {
    this.wanting = true;
    this.#pull();
  }

  /** Pushes one packet as a Buffer view on its bytes (no copy). Returns whether to keep pushing. */
  pushPacket(packet: OpusPacket): boolean {
    const data = packet.data;
    const ok = this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.wanting = ok;
    return ok;
  }

  /** Ends the stream (once). */
  finish(): void {
    this.wanting = false;
    if (!this.readableEnded && !this.destroyed) this.push(null);
  }
}
