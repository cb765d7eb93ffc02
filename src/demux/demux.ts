/**
 * `demux()`: the pull API over the push demuxers. Bytes in (an async iterable, a Node readable
 * or a web `ReadableStream`), packets out, the container told from the first bytes (however few
 * arrive at a time) by the one sniffing demuxer the players use too.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, toSpenceError } from '../errors.js';
import { createDemuxer, type ContainerDemuxer, type MediaDemuxer, type MediaDemuxerOptions } from './media-demuxer.js';
import { PacketRunSink } from './slab-sink.js';
import type { ContainerKind, OpusPacket, OpusStreamInfo, SeekPoint, StreamInfo } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

/**
 * What {@link demux} reads: any async iterable of byte chunks (a Node `Readable` is one, as long
 * as it has no string encoding set) or a web `ReadableStream` of bytes (e.g. a `fetch` body).
 */
export type DemuxInput = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Options for {@link demux}: those of {@link createDemuxer}, and these. */
export interface DemuxOptions extends MediaDemuxerOptions {
  /** Aborts reading: the iteration and {@link PacketStream.info} reject with `ABORTED`, and the input is cancelled. */
  signal?: AbortSignal;
  /**
   * Read MP3 input too (its packets are MPEG audio frames, and `info()` resolves an
   * `Mp3StreamInfo`). Default `false`: an Opus stream is promised, and MP3 input is refused with
   * `DEMUX` (its frames must be transcoded before Discord can play them).
   */
  mp3?: boolean;
}

/**
 * The stream {@link demux} returns: iterate it once for the packets (or its {@link batches}); ask
 * {@link info} for the stream parameters before (or while) iterating.
 *
 * Which to iterate:
 * - `for await (const packet of stream)`: the simplest, and plenty for anything paced in real
 *   time (a player takes 50 packets a second). It costs what any async iteration costs per item:
 *   a promise and a microtask per packet, some 100 ns and 290 bytes of garbage in V8, as much as
 *   reading the packet out of the container (the demux bench's "floor" rows).
 * - {@link batches}: one promise per chunk of input (hundreds of packets), so demuxing runs at the
 *   demuxers' own speed: for reading whole files (an index, a transcode, a copy to another
 *   container) or many streams at once.
 *
 * Either way a packet's bytes are copied out of the input once, and a packet object is made only
 * when it is handed out.
 */
export interface PacketStream<Info extends StreamInfo = StreamInfo> extends AsyncIterable<OpusPacket> {
  /**
   * Resolves with the stream parameters as soon as the headers have been read, before the first
   * packet is yielded (packets read on the way are kept for the iteration, none is lost).
   * Rejects with `DEMUX` when the input is none of the containers (or MP3 without `mp3: true`),
   * or ends before its headers, and with `ABORTED` when the signal fires.
   */
  info(): Promise<Info>;
  /**
   * The packets in arrays, in order: those each chunk of input completes (an array is never
   * empty, and is the caller's to keep). Instead of iterating the stream itself: a stream is
   * iterated once, either way.
   *
   * @example
   * ```ts
   * for await (const batch of demux(body).batches()) for (const packet of batch) send(packet);
   * ```
   */
  batches(): AsyncIterable<OpusPacket[]>;
  /** The container, once the first bytes have told it; `null` before. */
  readonly container: ContainerKind | null;
  /** For WebM, the Cues seek index once it has been read; `null` otherwise (see {@link WebmDemuxer.cues}). */
  readonly cues: SeekPoint[] | null;
  /**
   * The container's demuxer doing the work, once the container is known: for container details
   * such as `cues` or `endTrimSamples`. Do not push into it.
   */
  readonly demuxer: ContainerDemuxer | null;
  /** Stops reading and cancels the input (also done when a `for await` loop exits early). */
  close(): Promise<void>;
}

/** The stream {@link demux} returns for Opus input (the default): its info is Opus parameters. */
export type OpusPacketStream = PacketStream<OpusStreamInfo>;

/**
 * Demuxes a WebM/Matroska or Ogg Opus byte stream (and MP3 with `mp3: true`) into packets.
 *
 * Errors: `DEMUX` for bytes that are not a valid container (after every packet that came before
 * the fault), `ABORTED` when `options.signal` fires, `INVALID_ARGUMENT` for a chunk that is not a
 * `Uint8Array`; an error the input itself throws passes through when it is a `SpenceError` and
 * is wrapped as `NETWORK` otherwise. Damage in the middle of the stream is skipped and reported
 * through `options.onDamage` (see `DemuxerOptions.resync`).
 *
 * @example
 * ```ts
 * const packets = demux(response.body!, { signal });
 * const info = await packets.info(); // channels, preSkip... before the first packet
 * for await (const packet of packets) player.enqueue(packet);
 * ```
 */
export function demux(input: DemuxInput, options?: DemuxOptions & { mp3?: false }): OpusPacketStream;
export function demux(input: DemuxInput, options: DemuxOptions & { mp3: true }): PacketStream<StreamInfo>;
export function demux(input: DemuxInput, options?: DemuxOptions): PacketStream<StreamInfo>;
export function demux(input: DemuxInput, options: DemuxOptions = {}): PacketStream<StreamInfo> {
  return new DemuxStream(input, options);
}

class DemuxStream implements PacketStream<StreamInfo> {
  readonly #signal: AbortSignal | undefined;
  readonly #mp3: boolean;
  readonly #demuxer: MediaDemuxer;
  #input: DemuxInput | null;
  #source: ChunkSource | null = null;
  /**
   * The packets read: their bytes copied (a run per page or per chunk's blocks), noted, and made
   * into objects only as they are handed out, so a packet object lives no longer than its user
   * keeps it. Those not handed out yet: `[#index, #sink.count)`.
   */
  readonly #sink = new PacketRunSink();
  #index = 0;
  #done = false;
  #error: unknown = undefined;
  #busy: Promise<void> | null = null;
  #info: Promise<StreamInfo> | null = null;
  #iterated = false;

  constructor(input: DemuxInput, options: DemuxOptions) {
    this.#input = input;
    this.#signal = options.signal;
    this.#mp3 = options.mp3 === true;
    const { signal: _signal, mp3: _mp3, ...demuxerOptions } = options;
    this.#demuxer = createDemuxer(demuxerOptions);
  }

  get container(): ContainerKind | null {
    return this.#demuxer.container;
  }

  get demuxer(): ContainerDemuxer | null {
    return this.#demuxer.demuxer;
  }

  get cues(): SeekPoint[] | null {
    const demuxer = this.#demuxer.demuxer;
    return demuxer instanceof WebmDemuxer ? demuxer.cues : null;
  }

  info(): Promise<StreamInfo> {
    this.#info ??= (async () => {
      for (;;) {
        const info = this.#demuxer.info;
        if (info) return info;
        if (this.#done) {
          if (this.#error !== undefined) throw this.#error;
          throw new SpenceError(ErrorCodes.DEMUX, 'The input ended before the stream headers', { source: 'demux' });
        }
        await this.#pump();
      }
    })();
    return this.#info;
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#sink.begin();
    this.#index = 0;
    await this.#cancelSource();
  }

  [Symbol.asyncIterator](): AsyncIterator<OpusPacket> {
    this.#claim();
    // A hand-written iterator, not an async generator: a packet already read is handed out in
    // one resolved promise (an async generator's yield costs several).
    return {
      next: () => {
        if (this.#index < this.#sink.count && this.#signal?.aborted !== true) {
          return Promise.resolve({ done: false, value: this.#sink.take(this.#index++) });
        }
        return this.#nextSlow();
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  batches(): AsyncIterable<OpusPacket[]> {
    this.#claim();
    return { [Symbol.asyncIterator]: () => this.#batches() };
  }

  #claim(): void {
    if (this.#iterated) throw new SpenceError(ErrorCodes.INVALID_STATE, 'A demux() stream can be iterated only once');
    this.#iterated = true;
  }

  /** The next packet when none is buffered: reads until one is, or the input ends or fails. */
  async #nextSlow(): Promise<IteratorResult<OpusPacket>> {
    try {
      for (;;) {
        if (this.#signal?.aborted) throw abortError(this.#signal, 'demux');
        if (this.#index < this.#sink.count) return { done: false, value: this.#sink.take(this.#index++) };
        if (this.#done) {
          if (this.#error !== undefined) throw this.#error;
          return { done: true, value: undefined };
        }
        await this.#pump();
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async *#batches(): AsyncGenerator<OpusPacket[]> {
    try {
      for (;;) {
        if (this.#signal?.aborted) throw abortError(this.#signal, 'demux');
        if (this.#index < this.#sink.count) {
          const batch = this.#sink.finish(this.#index);
          this.#index = 0;
          yield batch;
          continue;
        }
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

  /**
   * Runs one read-and-demux step, shared by `info()` and the iteration so they never overlap. A
   * demux fault ends the stream after the packets before it: they stay in the batch, and the
   * iteration throws the fault once they are handed out.
   */
  #pump(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    this.#busy ??= this.#step().then(
      () => { this.#busy = null; },
      (error: unknown) => {
        this.#busy = null;
        this.#error = error;
        this.#done = true;
        void this.#cancelSource();
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
      this.#source = null;
      const last = this.#demuxer.end(); // rare (after damage at the very end): copied like the others
      this.#begin();
      for (const p of last) this.#sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
      this.#done = true;
      return;
    }
    const chunk: unknown = result.value;
    if (!(chunk instanceof Uint8Array)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'demux() input chunks must be Uint8Array (a Node stream must not have an encoding set)');
    }
    // feed(), not push(): it hands over every packet before a fault, then throws.
    this.#begin();
    this.#demuxer.feed(chunk, this.#sink);
    if (!this.#mp3 && this.#demuxer.container === 'mp3') {
      this.#sink.begin(); // frames that are not Opus: none is handed out
      this.#index = 0;
      throw new SpenceError(ErrorCodes.DEMUX, 'The input is MP3, not Opus: pass { mp3: true } to read its frames (they play through the transcoding path)', { source: 'demux' });
    }
  }

  /** Starts the sink's notes anew once every packet noted was handed out (info() may read ahead of the iteration). */
  #begin(): void {
    if (this.#index < this.#sink.count) return;
    this.#sink.begin();
    this.#index = 0;
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
