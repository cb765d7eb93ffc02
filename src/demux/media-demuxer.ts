/**
 * One demuxer for every container: it waits for enough bytes to tell WebM/Matroska, Ogg or MP3
 * (a server that sends 3 bytes first, or a byte at a time, is fine), then hands everything to the
 * matching demuxer. `demux()` and the players' opener both read through it.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { Mp3Demuxer } from './mp3/mp3-demuxer.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import type { CarryMemory } from './ogg/page-reader.js';
import { sniffMedia } from './sniff.js';
import type {
  ContainerKind, DemuxerOptions, OpusPacket, PacketSink, PushDemuxer, SeekPlan, StreamInfo,
} from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

/** Options for {@link createDemuxer}. */
export interface MediaDemuxerOptions extends DemuxerOptions {
  /**
   * The container, when it is known already (a provider said so): no sniffing. An MP3 stream
   * that does not start with a frame or a tag (a stream joined mid-way) needs this: the MP3
   * demuxer then searches the first MiB for the first frame.
   */
  container?: ContainerKind;
  /** Ogg: check every page's CRC (default `true`); see `OggDemuxerOptions.verifyCrc`. */
  verifyCrc?: boolean;
  /** Ogg: where a page cut by a chunk's end is kept (see `OggDemuxerOptions.carryMemory`). @internal */
  carryMemory?: CarryMemory;
}

/** The container-specific demuxer a {@link MediaDemuxer} delegates to. */
export type ContainerDemuxer = WebmDemuxer | OggDemuxer | Mp3Demuxer;

/**
 * A push demuxer for any container spence reads. Before the container is known it holds the
 * bytes it was given (a few KiB at most: `MAX_SNIFF_BYTES`); after, every call goes to the
 * container's demuxer.
 */
export interface MediaDemuxer extends PushDemuxer<StreamInfo> {
  /**
   * The stream parameters once the headers have been read (`null` before): Opus parameters for
   * WebM and Ogg, MP3 ones for MP3; `info.codec === 'mp3'` tells them apart.
   */
  readonly info: StreamInfo | null;
  /** The container, once enough bytes have arrived to tell (or from the options); `null` before. */
  readonly container: ContainerKind | null;
  /**
   * The container's demuxer, once the container is known: for what only it knows (WebM `cues`,
   * Ogg `tags` and `endTrimSamples`). Push into this {@link MediaDemuxer}, never into it.
   */
  readonly demuxer: ContainerDemuxer | null;
  /** Absolute file offset of the next byte the demuxer expects (the bytes pushed, moved by {@link restartAt}). */
  readonly byteOffset: number;
  /** Bytes the demuxer holds. */
  readonly bufferedBytes: number;
  /**
   * How to start reading at `timeMs` (see {@link SeekPlan}): WebM with Cues can restart at a
   * Cluster, once Cues just ahead have been read, or Cues at the end fetched; `null` for anything
   * else (read on, and drop the packets before `timeMs`). Ask once {@link info} is known.
   *
   * @example
   * ```ts
   * for (let plan = demuxer.seekPlan(ms); plan !== null; plan = demuxer.seekPlan(ms)) {
   *   if (plan.type === 'read') { keep(demuxer.push(await nextChunk())); continue; }
   *   if (plan.type === 'fetch') { demuxer.supplySeekBytes(plan.start, await readRange(plan.start, plan.end)); continue; }
   *   dropKept(); demuxer.restartAt(plan.byteOffset); // then push the bytes from plan.byteOffset on
   *   break;
   * }
   * ```
   */
  seekPlan(timeMs: number): SeekPlan | null;
  /** Takes the bytes a `fetch` plan asked for, from absolute offset `start` (see `WebmDemuxer.supplySeekBytes`). */
  supplySeekBytes(start: number, bytes: Uint8Array): void;
  /**
   * Drops the buffered bytes and expects the next ones to start at absolute offset `byteOffset`:
   * a `restart` plan's Cluster (WebM), a page boundary or any offset to resynchronise from (Ogg).
   * Throws `INVALID_STATE` for MP3 and before the headers.
   */
  restartAt(byteOffset: number): void;
  /** Gives back memory lent by `carryMemory`: its owner is done with it. @internal */
  release(): void;
}

/**
 * Creates a {@link MediaDemuxer}: push bytes of WebM/Matroska, Ogg Opus or MP3 in any chunking;
 * it tells which from the first bytes. Errors are `SpenceError`s with code `DEMUX`, thrown after
 * the packets before the fault (see {@link PushDemuxer}); bytes that are none of the three fail
 * as soon as that is certain.
 *
 * @example
 * ```ts
 * const demuxer = createDemuxer();
 * for await (const chunk of body) for (const packet of demuxer.push(chunk)) queue(packet);
 * for (const packet of demuxer.end()) queue(packet);
 * if (demuxer.info?.codec === 'mp3') transcode(); // else Opus, as it is
 * ```
 */
export function createDemuxer(options: MediaDemuxerOptions = {}): MediaDemuxer {
  return new SniffingDemuxer(options);
}

/**
 * The held bytes when none are held: one shared empty array, not one per demuxer (a player keeps
 * its demuxer for the whole track, and an empty typed array is two objects, ~200 bytes).
 */
const NO_BYTES = new Uint8Array(0);

class SniffingDemuxer implements MediaDemuxer {
  readonly #options: MediaDemuxerOptions;
  #inner: ContainerDemuxer | null = null;
  #kind: ContainerKind | null = null;
  /** The bytes held until the container is known (a copy: pushed chunks may be borrowed). */
  #head = NO_BYTES;
  #headLength = 0;
  #failure: SpenceError | null = null;

  constructor(options: MediaDemuxerOptions) {
    this.#options = options;
    if (options.container !== undefined) this.#open(options.container);
  }

  get info(): StreamInfo | null {
    return this.#inner?.info ?? null;
  }

  get container(): ContainerKind | null {
    return this.#kind;
  }

  get demuxer(): ContainerDemuxer | null {
    return this.#inner;
  }

  get byteOffset(): number {
    const inner = this.#inner;
    if (inner === null) return this.#headLength;
    return inner instanceof OggDemuxer ? inner.position : inner.byteOffset;
  }

  get bufferedBytes(): number {
    return this.#inner?.bufferedBytes ?? this.#headLength;
  }

  push(chunk: Uint8Array): OpusPacket[] {
    const inner = this.#inner ?? this.#sniff(chunk, false);
    if (inner === null) return [];
    if (this.#headLength === 0) return inner.push(chunk);
    return inner.push(this.#takeHead());
  }

  feed(chunk: Uint8Array, sink: PacketSink): void {
    const inner = this.#inner ?? this.#sniff(chunk, false);
    if (inner === null) return;
    if (this.#headLength === 0) inner.feed(chunk, sink);
    else inner.feed(this.#takeHead(), sink);
  }

  end(): OpusPacket[] {
    let inner = this.#inner;
    if (inner === null) {
      if (this.#failure !== null) throw this.#failure;
      if (this.#headLength < 4) throw this.#fail(this.#headLength === 0 ? 'The input is empty' : 'The input is too short to tell its container');
      inner = this.#sniff(new Uint8Array(0), true)!;
      const first = inner.push(this.#takeHead());
      const last = inner.end();
      return first.length === 0 ? last : first.concat(last);
    }
    return inner.end();
  }

  seekPlan(timeMs: number): SeekPlan | null {
    return this.#inner instanceof WebmDemuxer ? this.#inner.seekPlan(timeMs) : null;
  }

  supplySeekBytes(start: number, bytes: Uint8Array): void {
    if (this.#inner instanceof WebmDemuxer) this.#inner.supplySeekBytes(start, bytes);
  }

  release(): void {
    if (this.#inner instanceof OggDemuxer) this.#inner.release();
  }

  restartAt(byteOffset: number): void {
    const inner = this.#inner;
    if (inner instanceof WebmDemuxer || inner instanceof OggDemuxer) {
      inner.restartAt(byteOffset);
      return;
    }
    throw new SpenceError(ErrorCodes.INVALID_STATE, inner === null ? 'restartAt() needs the stream headers to have been read' : 'An MP3 stream cannot restart at a byte offset');
  }

  /**
   * Adds `chunk` to the held bytes and tries to tell the container (for good when `complete`):
   * returns the container's demuxer once known, `null` while more bytes are needed. A chunk that
   * decides alone is not copied.
   */
  #sniff(chunk: Uint8Array, complete: boolean): ContainerDemuxer | null {
    if (this.#failure !== null) throw this.#failure;
    let head: Uint8Array;
    if (this.#headLength === 0 && !complete) {
      head = chunk;
    } else {
      this.#hold(chunk);
      head = this.#head.subarray(0, this.#headLength);
    }
    const kind = sniffMedia(head, complete);
    if (kind === null) {
      if (head === chunk) this.#hold(chunk);
      return null;
    }
    if (kind === 'unknown') throw this.#fail('The input is neither WebM/Matroska, Ogg nor MP3');
    return this.#open(kind);
  }

  #open(kind: ContainerKind): ContainerDemuxer {
    const { maxElementSize, resync, onDamage, verifyCrc, carryMemory } = this.#options;
    const options: DemuxerOptions = {};
    if (maxElementSize !== undefined) options.maxElementSize = maxElementSize;
    if (resync !== undefined) options.resync = resync;
    if (onDamage !== undefined) options.onDamage = onDamage;
    this.#kind = kind;
    this.#inner = kind === 'webm'
      ? new WebmDemuxer(options)
      : kind === 'ogg'
        ? new OggDemuxer({ ...options, ...(verifyCrc !== undefined && { verifyCrc }), ...(carryMemory !== undefined && { carryMemory }) })
        : new Mp3Demuxer(options);
    return this.#inner;
  }

  /** Appends a copy of `chunk` to the held bytes (never more than `MAX_SNIFF_BYTES` and a chunk). */
  #hold(chunk: Uint8Array): void {
    const length = this.#headLength + chunk.length;
    if (length > this.#head.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.#head.length, 64));
      grown.set(this.#head.subarray(0, this.#headLength));
      this.#head = grown;
    }
    this.#head.set(chunk, this.#headLength);
    this.#headLength = length;
  }

  /** The held bytes, handed over once to the container's demuxer. */
  #takeHead(): Uint8Array {
    const head = this.#head.subarray(0, this.#headLength);
    this.#head = NO_BYTES;
    this.#headLength = 0;
    return head;
  }

  #fail(message: string): SpenceError {
    this.#failure = new SpenceError(ErrorCodes.DEMUX, message, { source: 'demux' });
    this.#head = NO_BYTES;
    this.#headLength = 0;
    return this.#failure;
  }
}
