/**
 * The {@link Transcoder}: one stream's handle. Feed it compressed input (MP3/AAC bytes or Opus
 * packets), read 20 ms Opus packets; change volume and filters at any time. The work runs in a
 * {@link TranscodePool} worker (default) or, with `inline: true`, on the calling thread when frames
 * are read.
 *
 * Reading is synchronous and never blocks: the worker keeps `leadFrames` packets ready ahead of the
 * reader, so a reader on a 20 ms clock takes one per tick. The lead is what a filter or volume change
 * waits behind (at most `leadFrames · 20 ms`): keep it small, and keep the long read-ahead on the
 * compressed input (`push`/`drain`, bounded by `highWaterMark`).
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import { ErrorCodes, SpenceError, abortError, type SpenceErrorCode } from '../errors.js';
import { createDecoder } from './decode/index.js';
import type { TranscodeInput } from './decode/types.js';
import { createEncoder, type EncoderBackendName, type EncoderOptions } from './encode/backends.js';
import type { FilterSettings } from './filters/types.js';
import { validateFilters, validateVolume } from './filters/validate.js';
import { TranscodePipeline, type PipelineOptions, type TranscodedFrame } from './pipeline.js';
import { pack, unpack, type FromWorker } from './pool/protocol.js';
import { defaultTranscodePool, type PoolChannel, type TranscodePool } from './pool/worker-pool.js';

/** Options for {@link Transcoder.create}. */
export interface TranscoderOptions extends PipelineOptions {
  /** The pool to run in; default the process-wide {@link defaultTranscodePool}. */
  pool?: TranscodePool;
  /** Run on the calling thread instead of a worker (tests, tools, benchmarks). */
  inline?: boolean;
  /** Encoder backend, bitrate, complexity. */
  encoder?: EncoderOptions;
  /** Packets kept ready ahead of the reader; default 3 (60 ms). */
  leadFrames?: number;
  /** Input bytes queued before `push` returns false; default 64 KiB. */
  highWaterMark?: number;
  /** Aborts the creation. */
  signal?: AbortSignal;
}

/** Options for {@link Transcoder.setVolume}. */
export interface VolumeOptions {
  /** Ramp length, ms; default 20 (one frame). */
  rampMs?: number;
}

interface Backend {
  push(chunk: Uint8Array): void;
  end(): void;
  want(frames: number): void;
  filters(filters: FilterSettings): void;
  volume(volume: number, rampMs: number | undefined): void;
  close(): void;
}

/**
 * A transcoding stream. Events: `readable` (packets arrived while the reader had found none),
 * `drain` (queued input fell below half the high-water mark after `push` returned false), `end`
 * (the last packet has been read), `error` (a `SpenceError`; only emitted when listened to, and
 * always kept in {@link Transcoder.error}).
 */
export class Transcoder extends EventEmitter {
  /** The encoder backend the stream uses. */
  readonly backend: EncoderBackendName;
  private readonly ready: TranscodedFrame[] = [];
  private readyHead = 0;
  private readonly lead: number;
  private readonly highWaterMark: number;
  private requested = 0;
  private pendingBytes = 0;
  private needDrain = false;
  private needReadable = false;
  private inputEnded = false;
  private producerDone = false;
  private endEmitted = false;
  private destroyed = false;
  private currentFilters: FilterSettings;
  private currentVolume: number;
  /** The failure that ended the stream, if any. */
  error: SpenceError | null = null;
  private backendImpl!: Backend;
  private inline: TranscodePipeline | null = null;

  private constructor(backend: EncoderBackendName, options: TranscoderOptions) {
    super();
    this.backend = backend;
    this.lead = Math.max(1, Math.floor(options.leadFrames ?? 3));
    this.highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.currentFilters = options.filters ?? {};
    this.currentVolume = options.volume ?? 1;
  }

  /**
   * Opens a transcoding stream for `input`. Filters and volume in `options` are validated here.
   *
   * @throws SpenceError `INVALID_ARGUMENT` (bad filters/volume), `UNAVAILABLE` (AAC without its
   *   decoder package; no encoder), `ABORTED`.
   */
  static async create(input: TranscodeInput, options: TranscoderOptions = {}): Promise<Transcoder> {
    const filters = validateFilters(options.filters);
    const volume = options.volume === undefined ? 1 : validateVolume(options.volume);
    const pipelineOptions: PipelineOptions = {
      filters, volume,
      ...(options.skipMs !== undefined && { skipMs: options.skipMs }),
      ...(options.startMs !== undefined && { startMs: options.startMs }),
      ...(options.alignEncoderDelay !== undefined && { alignEncoderDelay: options.alignEncoderDelay }),
    };
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'transcoder creation');
    if (options.inline) {
      const decoder = await createDecoder(input);
      let pipeline: TranscodePipeline;
      try {
        pipeline = new TranscodePipeline(decoder, createEncoder(options.encoder), pipelineOptions);
      } catch (error) {
        decoder.free();
        throw error;
      }
      if (signal?.aborted) {
        pipeline.destroy();
        throw abortError(signal, 'transcoder creation');
      }
      const t = new Transcoder(pipeline.encoderBackend, { ...options, filters, volume });
      t.attachInline(pipeline);
      return t;
    }
    const pool = options.pool ?? defaultTranscodePool();
    return new Promise<Transcoder>((resolve, reject) => {
      let transcoder: Transcoder | null = null;
      const onAbort = (): void => {
        channel.release();
        reject(abortError(signal, 'transcoder creation'));
      };
      const channel: PoolChannel = pool.open((msg) => {
        if (transcoder) return transcoder.onMessage(msg);
        signal?.removeEventListener('abort', onAbort);
        if (msg.t === 'opened') {
          transcoder = new Transcoder(msg.backend, { ...options, filters, volume });
          transcoder.attachWorker(channel);
          resolve(transcoder);
        } else if (msg.t === 'error') {
          channel.release();
          reject(new SpenceError(msg.code as SpenceErrorCode, msg.message, { source: 'transcode' }));
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      channel.send({ t: 'open', id: 0, input, encoder: options.encoder ?? {}, options: pipelineOptions });
    });
  }

  private attachInline(pipeline: TranscodePipeline): void {
    this.inline = pipeline;
    this.backendImpl = {
      push: (chunk) => pipeline.push(chunk),
      end: () => pipeline.end(),
      want: () => {},
      filters: (f) => pipeline.setFilters(f),
      volume: (v, ramp) => pipeline.setVolume(v, ramp),
      close: () => pipeline.destroy(),
    };
  }

  private attachWorker(channel: PoolChannel): void {
    // Input is batched per event-loop turn: one message (one copy) for many small packets.
    let batch: Uint8Array[] = [];
    let flushScheduled = false;
    const flush = (): void => {
      flushScheduled = false;
      if (batch.length === 0) return;
      const packed = pack(batch);
      batch = [];
      channel.send({ t: 'push', id: 0, packed }, [packed.buffer]);
    };
    this.backendImpl = {
      push: (chunk) => {
        batch.push(chunk);
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(flush);
        }
      },
      end: () => {
        flush();
        channel.send({ t: 'end', id: 0 });
      },
      want: (frames) => {
        flush();
        channel.send({ t: 'want', id: 0, frames });
      },
      filters: (filters) => channel.send({ t: 'filters', id: 0, filters }),
      volume: (volume, rampMs) => channel.send({ t: 'volume', id: 0, volume, rampMs }),
      close: () => channel.release(),
    };
    this.topUp();
  }

  private onMessage(msg: FromWorker): void {
    if (this.destroyed) return;
    if (msg.t === 'frames') {
      const datas = unpack(msg.packed);
      for (let i = 0; i < datas.length; i++) {
        this.ready.push({ data: datas[i]!, timestampMs: msg.timestamps[i]!, durationMs: 20, sourceTimestampMs: msg.sourceTimestamps[i]! });
      }
      this.requested -= datas.length;
      this.consumed(msg.consumed);
      if (msg.done) this.producerDone = true;
      this.topUp();
      if (this.needReadable && (datas.length > 0 || msg.done)) {
        this.needReadable = false;
        this.emit('readable');
      }
      this.maybeEnd();
    } else if (msg.t === 'error') {
      this.fail(new SpenceError(msg.code as SpenceErrorCode, msg.message, { source: 'transcode' }));
    }
  }

  private consumed(bytes: number): void {
    this.pendingBytes -= bytes;
    if (this.needDrain && this.pendingBytes <= this.highWaterMark / 2) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  /** Asks the worker for packets up to the lead. */
  private topUp(): void {
    if (this.inline || this.producerDone || this.destroyed) return;
    const missing = this.lead - (this.ready.length - this.readyHead) - this.requested;
    if (missing > 0) {
      this.requested += missing;
      this.backendImpl.want(missing);
    }
  }

  private fail(error: SpenceError): void {
    if (this.error) return;
    this.error = error;
    this.producerDone = true;
    if (this.listenerCount('error') > 0) this.emit('error', error);
    this.needReadable = false;
    this.emit('readable');
  }

  private maybeEnd(): void {
    if (!this.endEmitted && this.producerDone && this.readyHead >= this.ready.length && !this.error) {
      this.endEmitted = true;
      this.emit('end');
    }
  }

  /**
   * Queues input: a byte chunk (mp3, aac, any size) or one Opus packet. Returns false when the
   * queued input reaches `highWaterMark`: wait for `drain` before pushing more.
   */
  push(chunk: Uint8Array): boolean {
    if (this.destroyed || this.inputEnded) throw new SpenceError(ErrorCodes.INVALID_STATE, 'push after end or destroy', { source: 'transcode' });
    this.pendingBytes += chunk.byteLength;
    this.backendImpl.push(chunk);
    if (this.pendingBytes >= this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Marks the end of the input: the remaining audio comes out, the last packet padded with silence. */
  end(): void {
    if (this.inputEnded || this.destroyed) return;
    this.inputEnded = true;
    this.backendImpl.end();
  }

  /**
   * The next packet, or `null` when none is ready (listen for `readable`) or the stream is over
   * ({@link ended}). Never blocks.
   */
  read(): TranscodedFrame | null {
    if (this.destroyed) return null;
    if (this.inline) return this.readInline(this.inline);
    if (this.readyHead < this.ready.length) {
      const frame = this.ready[this.readyHead]!;
      this.ready[this.readyHead++] = undefined as unknown as TranscodedFrame;
      if (this.readyHead > 64 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      this.topUp();
      this.maybeEnd();
      return frame;
    }
    this.needReadable = true;
    return null;
  }

  private readInline(pipeline: TranscodePipeline): TranscodedFrame | null {
    let frame: TranscodedFrame | null;
    const before = pipeline.pendingInputBytes;
    try {
      frame = pipeline.readFrame();
    } catch (error) {
      this.fail(error instanceof SpenceError ? error : new SpenceError(ErrorCodes.DEMUX, error instanceof Error ? error.message : String(error), { cause: error, source: 'transcode' }));
      return null;
    }
    this.consumed(before - pipeline.pendingInputBytes);
    if (!frame) {
      if (pipeline.done) {
        this.producerDone = true;
        this.maybeEnd();
      } else {
        this.needReadable = true;
      }
    }
    return frame;
  }

  /**
   * True when the lead is full: `leadFrames` packets ready (worker mode), or always in inline mode,
   * which produces on `read`. When not, the next packet that arrives emits `'readable'`, so a
   * caller waiting for the whole lead (to start delivery without an underrun) is told.
   */
  get leadReady(): boolean {
    if (this.inline || this.producerDone || this.destroyed || this.error !== null) return true;
    if (this.ready.length - this.readyHead >= this.lead) return true;
    this.needReadable = true;
    return false;
  }

  /** Packets ready to read now (for the worker mode; inline mode produces on `read`). */
  get readableFrames(): number {
    return this.ready.length - this.readyHead;
  }

  /** True once every packet has been read (or the stream failed or was destroyed). */
  get ended(): boolean {
    return this.destroyed || this.error !== null || (this.producerDone && this.readyHead >= this.ready.length);
  }

  /** Input bytes queued and not yet decoded. */
  get pendingInputBytes(): number {
    return this.pendingBytes;
  }

  /** The filters in force (as last set, validated). */
  get filters(): FilterSettings {
    return this.currentFilters;
  }

  /** The volume last set (1 = unchanged). */
  get volume(): number {
    return this.currentVolume;
  }

  /**
   * Replaces every filter (Lavalink's semantics: absent means off). Validated here; takes effect on
   * the next packet the worker renders (after the at most `leadFrames` already rendered), crossfaded
   * over one frame.
   *
   * @throws SpenceError `INVALID_ARGUMENT` with the field and its allowed range.
   */
  setFilters(filters: FilterSettings): void {
    const valid = validateFilters(filters);
    this.currentFilters = valid;
    if (!this.destroyed) this.backendImpl.filters(valid);
  }

  /**
   * Sets the volume (0..10, 1 = unchanged: Lavalink's player volume / 100), ramped over `rampMs`
   * (default 20) so the change does not click.
   *
   * @throws SpenceError `INVALID_ARGUMENT` outside 0..10.
   */
  setVolume(volume: number, options: VolumeOptions = {}): void {
    this.currentVolume = validateVolume(volume);
    if (!this.destroyed) this.backendImpl.volume(this.currentVolume, options.rampMs);
  }

  /** Frees the stream (its worker state or inline codecs). Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.backendImpl.close();
    this.ready.length = 0;
    this.readyHead = 0;
  }

  /** Reads every packet as it comes, until the end (pull-driven: for tools and tests, not for pacing). */
  async *frames(options: { signal?: AbortSignal } = {}): AsyncGenerator<TranscodedFrame> {
    const { signal } = options;
    while (true) {
      if (signal?.aborted) throw abortError(signal, 'transcode');
      const frame = this.read();
      if (frame) {
        yield frame;
        continue;
      }
      if (this.error) throw this.error;
      if (this.ended) return;
      if (this.inline) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The inline transcoder needs more input (push more, or end())', { source: 'transcode' });
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.off('readable', done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.once('readable', done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
