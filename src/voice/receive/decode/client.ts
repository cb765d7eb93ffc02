/**
 * The listener's side of decoding: its speakers' timeline decisions go to a session on a
 * transcoding pool worker in batches, and the decoded frames and the mix come back in the same
 * order. A batch gathers what is decided within {@link BATCH_MS} of its first decision: packets
 * from many speakers arrive one datagram per event-loop turn, and a message each way per packet
 * would cost more than the decoding (two messages per batch whatever the number of speakers, for
 * a few milliseconds of latency).
 *
 * @module
 */

import { ErrorCodes, SpenceError, type SpenceErrorCode } from '../../../errors.js';
import { pack, unpack } from '../../../transcode/pool/protocol.js';
import type { PoolChannel, TranscodePool } from '../../../transcode/pool/worker-pool.js';
import type { PcmKind } from '../sinks/sink.js';
import {
  FRAME_AUDIO, FRAME_CONCEALED, MIX, OP_AUDIO, OP_LOST, OP_SILENCE, OUT_ARRIVED, OUT_COUNT, OUT_INDEX, OUT_KIND, OUT_PCM,
  OUT_SPEAKER, OUT_STRIDE, type ReceiveFromWorker, type ReceiveToWorker,
} from './protocol.js';

/** How long a batch gathers decisions before it goes to the worker, ms. */
export const BATCH_MS = 5;

/** Where decoded frames go, in timeline order per speaker (and for the mix). */
export interface DecodedOutput {
  /** A speaker's frame (or run of silent frames); `pcm` is null for silence. */
  frame(speaker: number, index: number, count: number, kind: PcmKind, pcm: Int16Array | null, arrivedAt: number | undefined): void;
  /** A frame of the mix, or a run of silent frames (`pcm` null). */
  mix(index: number, count: number, pcm: Int16Array | null): void;
  /** Decoding failed for good (the worker died or refused): nothing more comes. */
  failed(error: SpenceError): void;
}

/** Options for {@link ReceiveDecoder}. */
export interface ReceiveDecoderOptions {
  channels: 1 | 2;
  /** Mix the speakers. */
  mix: boolean;
}

/** A listener's decoding session on a pool worker (see the module comment). */
export class ReceiveDecoder {
  readonly #channel: PoolChannel<ReceiveToWorker>;
  readonly #output: DecodedOutput;
  #ops: number[] = [];
  #packets: Uint8Array[] = [];
  #mixUntil = 0;
  #sentMixUntil = 0;
  #timer: NodeJS.Timeout | null = null;
  #done = false;
  #ended: (() => void) | null = null;

  constructor(pool: TranscodePool, options: ReceiveDecoderOptions, output: DecodedOutput) {
    this.#output = output;
    this.#channel = pool.open<ReceiveToWorker, ReceiveFromWorker>(this.#onMessage);
    this.#channel.send({ t: 'rx-open', id: 0, channels: options.channels, mix: options.mix });
  }

  /** A packet covering `count` frames from `index` of speaker `speaker`. */
  audio(speaker: number, index: number, count: number, packet: Uint8Array, arrivedAt: number, wantPcm: boolean): void {
    this.#ops.push(OP_AUDIO, speaker, index, count, this.#packets.length, wantPcm ? 1 : 0, arrivedAt);
    this.#packets.push(packet);
    this.#schedule();
  }

  /** `count` frames from `index` with no packet. */
  gap(speaker: number, index: number, count: number, kind: 'silence' | 'lost', wantPcm: boolean): void {
    this.#ops.push(kind === 'lost' ? OP_LOST : OP_SILENCE, speaker, index, count, -1, wantPcm ? 1 : 0, 0);
    this.#schedule();
  }

  /** Every speaker's frames before `frame` have been given: mix them. */
  mixUntil(frame: number): void {
    if (frame <= this.#mixUntil) return;
    this.#mixUntil = frame;
    this.#schedule();
  }

  /** Sends what is batched now. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#done || (this.#ops.length === 0 && this.#mixUntil === this.#sentMixUntil)) return;
    const packed = pack(this.#packets);
    this.#channel.send({ t: 'rx-push', id: 0, packed, ops: this.#ops, mixUntil: this.#mixUntil }, [packed.buffer]);
    this.#sentMixUntil = this.#mixUntil;
    this.#ops = [];
    this.#packets = [];
  }

  /** Sends the rest and resolves once every frame has come back (or decoding failed). */
  end(): Promise<void> {
    this.flush();
    if (this.#done) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#ended = resolve;
      this.#channel.send({ t: 'rx-end', id: 0 });
    });
  }

  /** Releases the worker session (pending frames are dropped). */
  release(): void {
    this.#finish();
  }

  #schedule(): void {
    if (this.#timer !== null || this.#done) return;
    this.#timer = setTimeout(this.#flush, BATCH_MS);
  }

  readonly #flush = (): void => this.flush();

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#channel.release();
    const ended = this.#ended;
    this.#ended = null;
    ended?.();
  }

  readonly #onMessage = (message: ReceiveFromWorker): void => {
    if (this.#done) return;
    if (message.t === 'rx-ended') return this.#finish();
    if (message.t === 'error') {
      this.#finish();
      const code = (Object.values(ErrorCodes) as string[]).includes(message.code) ? (message.code as SpenceErrorCode) : ErrorCodes.UPSTREAM;
      this.#output.failed(new SpenceError(code, `Decoding received voice failed: ${message.message}`, { source: 'voice' }));
      return;
    }
    const chunks = unpack(message.packed);
    const ops = message.ops;
    const output = this.#output;
    for (let at = 0; at < ops.length; at += OUT_STRIDE) {
      const slot = ops[at + OUT_PCM]!;
      const chunk = slot < 0 ? undefined : chunks[slot]!;
      const pcm = chunk === undefined ? null : new Int16Array(chunk.buffer, chunk.byteOffset, chunk.byteLength / 2);
      const speaker = ops[at + OUT_SPEAKER]!;
      if (speaker === MIX) {
        output.mix(ops[at + OUT_INDEX]!, ops[at + OUT_COUNT]!, pcm);
        continue;
      }
      const kind = ops[at + OUT_KIND]!;
      output.frame(
        speaker,
        ops[at + OUT_INDEX]!,
        ops[at + OUT_COUNT]!,
        kind === FRAME_AUDIO ? 'audio' : kind === FRAME_CONCEALED ? 'concealed' : 'silence',
        pcm,
        kind === FRAME_AUDIO ? ops[at + OUT_ARRIVED]! : undefined,
      );
    }
  };
}
