/**
 * `demux()`: the pull API over both push demuxers. Bytes in (an async iterable, a Node readable
 * or a web `ReadableStream`), Opus packets out, the container sniffed from the first bytes.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, toSpenceError } from '../errors.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import type { DemuxerOptions, OpusPacket, OpusStreamInfo, PushDemuxer, SeekPoint } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

/**
 * What {@link demux} reads: any async iterable of byte chunks (a Node `Readable` is one, as long
 * as it has no string encoding set) or a web `ReadableStream` of bytes (e.g. a `fetch` body).
 */
export type DemuxInput = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Options for {@link demux}. */
export interface DemuxOptions extends DemuxerOptions {
  /** Aborts reading: the iteration and {@link OpusPacketStream.info} reject with `ABORTED`, and the input is cancelled. */
  signal?: AbortSignal;
}

/** The container a byte stream starts with. */
export type ContainerKind = 'webm' | 'ogg';

/**
 * The stream {@link demux} returns: iterate it once for the packets; ask {@link info} for the
 * Opus parameters before (or while) iterating.
 */
export interface OpusPacketStream extends AsyncIterable<OpusPacket> {
  /**
   * Resolves with the stream parameters as soon as the headers have been read, before the first
   * packet is yielded (packets read on the way are kept for the iteration, none is lost).
   * Rejects with `DEMUX` when the input is not WebM or Ogg Opus, or ends before its headers,
   * and with `ABORTED` when the signal fires.
   */
  info(): Promise<OpusStreamInfo>;
  /** The sniffed container, once the first four bytes have been read; `null` before. */
  readonly container: ContainerKind | null;
  /** For WebM, the Cues seek index once it has been read; `null` otherwise (see {@link WebmDemuxer.cues}). */
  readonly cues: SeekPoint[] | null;
  /**
   * The push demuxer doing the work ({@link WebmDemuxer} or {@link OggDemuxer}), once the container
   * has been sniffed: for container details such as `cues` or `endTrimSamples`. Do not push into it.
   */
  readonly demuxer: PushDemuxer | null;
  /** Stops reading and cancels the input (also done when a `for await` loop exits early). */
  close(): Promise<void>;
}

/**
 * The container of a byte stream from its first four bytes: the EBML header ID `1A 45 DF A3`
 * (RFC 8794 §11.2.1) means WebM/Matroska, the capture pattern `OggS` (RFC 3533 §6) means Ogg.
 * Returns `null` when it is neither, or when fewer than four bytes are given.
 */
export function sniffContainer(head: Uint8Array): ContainerKind | null {
  if (head.length < 4) return null;
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'webm';
  if (head[0] === 0x4f && head[1] === 0x67 && head[2] === 0x67 && head[3] === 0x53) return 'ogg';
  return null;
}

/**
 * Demuxes a WebM/Matroska or Ogg Opus byte stream into Opus packets.
 *
 * Errors: `DEMUX` for bytes that are not a valid container (after every packet that came before
 * the fault), `ABORTED` when `options.signal` fires, `INVALID_ARGUMENT` for a chunk that is not a
 * `Uint8Array`; an error the input itself throws passes through when it is a `SpenceError` and
 * is wrapped as `NETWORK` otherwise.
 *
 * @example
 * ```ts
 * const packets = demux(response.body!, { signal });
 * const info = await packets.info(); // channels, preSkip... before the first packet
 * for await (const packet of packets) player.enqueue(packet);
 * ```
 */
export function demux(input: DemuxInput, options: DemuxOptions = {}): OpusPacketStream {
  return new DemuxStream(input, options);
}

class DemuxStream implements OpusPacketStream {
  readonly #options: DemuxOptions;
  readonly #signal: AbortSignal | undefined;
  #input: DemuxInput | null;
  #source: ChunkSource | null = null;
  #demuxer: PushDemuxer | null = null;
  #kind: ContainerKind | null = null;
  /** Chunks held until four bytes have arrived to sniff the container. */
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #pending: OpusPacket[] = [];
  #pendingIndex = 0;
  #done = false;
  #error: unknown = undefined;
  #busy: Promise<void> | null = null;
  #info: Promise<OpusStreamInfo> | null = null;
  #iterated = false;

  constructor(input: DemuxInput, options: DemuxOptions) {
    this.#input = input;
    this.#options = options;
    this.#signal = options.signal;
  }

  get container(): ContainerKind | null {
    return this.#kind;
  }

  get demuxer(): PushDemuxer | null {
    return this.#demuxer;
  }

  get cues(): SeekPoint[] | null {
    return this.#demuxer instanceof WebmDemuxer ? this.#demuxer.cues : null;
  }

  info(): Promise<OpusStreamInfo> {
    this.#info ??= (async () => {
      for (;;) {
        const info = this.#demuxer?.info;
        if (info) return info;
        if (this.#done) throw new SpenceError(ErrorCodes.DEMUX, 'The input ended before the stream headers', { source: 'demux' });
        await this.#pump();
      }
    })();
    return this.#info;
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#pending = [];
    this.#pendingIndex = 0;
    await this.#cancelSource();
  }

  [Symbol.asyncIterator](): AsyncIterator<OpusPacket> {
    if (this.#iterated) throw new SpenceError(ErrorCodes.INVALID_STATE, 'A demux() stream can be iterated only once');
    this.#iterated = true;
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<OpusPacket> {
    try {
      for (;;) {
        if (this.#signal?.aborted) throw abortError(this.#signal, 'demux');
        if (this.#pendingIndex < this.#pending.length) {
          yield this.#pending[this.#pendingIndex++]!;
          continue;
        }
        this.#pending = [];
        this.#pendingIndex = 0;
        if (this.#done) {
          if (this.#error !== undefined) throw this.#error;
          return;
        }
        await this.#pump();
      }
    } finally {
      if (!this.#done) await this.close();
    }
  }

  /** Runs one read-and-push step, shared by `info()` and the iteration so they never overlap. */
  #pump(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    this.#busy ??= this.#step().then(
      () => { this.#busy = null; },
      (error: unknown) => {
        this.#busy = null;
        this.#error = error;
        this.#done = true;
        void this.#cancelSource();
        throw error;
      },
    );
    return this.#busy;
  }

  async #step(): Promise<void> {
    const signal = this.#signal;
    if (signal?.aborted) throw abortError(signal, 'demux');
    this.#source ??= openSource(this.#input!);
    let result: IteratorResult<unknown>;
    try {
      result = await raceAbort(this.#source.next(), signal);
    } catch (error) {
      // The input's own failure (a dropped connection, a file error): pass SpenceErrors through.
      throw toSpenceError(error, ErrorCodes.NETWORK, 'Reading the demux input failed', signal);
    }
    if (result.done) {
      if (this.#demuxer === null) {
        throw new SpenceError(ErrorCodes.DEMUX, this.#headBytes === 0 ? 'The input is empty' : 'The input is too short to be WebM or Ogg', { source: 'demux' });
      }
      const last = this.#demuxer.end();
      this.#add(last);
      this.#done = true;
      this.#source = null;
      return;
    }
    const chunk: unknown = result.value;
    if (!(chunk instanceof Uint8Array)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'demux() input chunks must be Uint8Array (a Node stream must not have an encoding set)');
    }
    if (this.#demuxer !== null) {
      this.#add(this.#demuxer.push(chunk));
      return;
    }
    this.#head.push(chunk);
    this.#headBytes += chunk.length;
    if (this.#headBytes < 4) return;
    const first = this.#head.length === 1 ? chunk : concat(this.#head, this.#headBytes);
    const kind = sniffContainer(first);
    if (kind === null) {
      throw new SpenceError(ErrorCodes.DEMUX, 'Unrecognised container: neither WebM/Matroska (EBML) nor Ogg', { source: 'demux' });
    }
    this.#kind = kind;
    const demuxerOptions: DemuxerOptions = {};
    if (this.#options.maxElementSize !== undefined) demuxerOptions.maxElementSize = this.#options.maxElementSize;
    this.#demuxer = kind === 'webm' ? new WebmDemuxer(demuxerOptions) : new OggDemuxer(demuxerOptions);
    this.#head = [];
    this.#add(this.#demuxer.push(first));
  }

  #add(packets: OpusPacket[]): void {
    if (packets.length === 0) return;
    if (this.#pendingIndex >= this.#pending.length) {
      this.#pending = packets;
      this.#pendingIndex = 0;
    } else {
      for (const packet of packets) this.#pending.push(packet);
    }
  }

  async #cancelSource(): Promise<void> {
    const source = this.#source;
    this.#source = null;
    this.#input = null;
    if (source === null) return;
    try {
      await source.return?.();
    } catch {
      // The input's own cancellation failure is not the caller's concern here.
    }
  }
}

/** The minimal iterator the stream reads from. */
type ChunkSource = AsyncIterator<unknown>;

function openSource(input: DemuxInput): ChunkSource {
  if (typeof (input as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (input as ReadableStream<Uint8Array>).getReader();
    return {
      next: () => reader.read().then((r) => (r.done ? { done: true, value: undefined } : { done: false, value: r.value })),
      return: async () => {
        await reader.cancel();
        reader.releaseLock();
        return { done: true, value: undefined };
      },
    };
  }
  if (typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  }
  throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'demux() needs an async iterable of Uint8Array, a Node readable or a web ReadableStream');
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, 'demux'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
