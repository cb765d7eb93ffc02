/**
 * A push demuxer for Ogg Opus: bytes in, in chunks of any size, Opus packets out. Three pieces:
 *
 * - page-reader.ts finds the pages (RFC 3533 §6: capture pattern, header, lacing table, CRC),
 *   in place in the pushed chunk, and skips what is not a good page;
 * - packet-assembler.ts splits the pages of one logical stream into packets (lacing, packets
 *   continued across pages, RFC 3533 §5);
 * - opus-chain.ts is the Opus mapping (RFC 7845): headers, timestamps, end trimming, chained
 *   links, and the report of damage.
 *
 * This file wires them: {@link OggDemuxer.feed} hands the packets to a {@link PacketSink} in place,
 * and {@link OggDemuxer.push} is `feed` into a sink that makes packet objects over slabs of packet
 * bytes (`PacketRunSink`, slab-sink.ts: a page's packets copied in one run), so the two give the
 * same packets by construction.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { prefetch } from '../prefetch.js';
import { PacketRunSink } from '../slab-sink.js';
import { DEFAULT_MAX_ELEMENT_SIZE } from '../types.js';
import type { DemuxerOptions, OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer } from '../types.js';
import { OpusChain } from './opus-chain.js';
import type { OpusHead } from './opus-head.js';
import type { OpusTags } from './opus-tags.js';
import { OggPageReader, type CarryMemory } from './page-reader.js';

export { MAX_OGG_PAGE_SIZE } from './ogg-page.js';

/** Options for {@link OggDemuxer}. */
export interface OggDemuxerOptions extends DemuxerOptions {
  /**
   * Check the CRC of every page (default `true`, RFC 3533 §6). With `false`, only pages found by
   * resynchronising (the first page, and any page after garbage or a restart) are checked; pages
   * that follow a good page back to back are trusted. For bytes whose transport already guarantees
   * integrity (TLS, a local file); it roughly doubles throughput, since the CRC is most of the work.
   */
  verifyCrc?: boolean;
  /** Where a page cut by a chunk's end is kept (see `CarryMemory`); `ArrayBuffer`s by default. @internal */
  carryMemory?: CarryMemory;
}

/**
 * Streaming Ogg Opus demuxer. Push chunks of any size; each call returns the audio packets that
 * the chunk completes, in order. Header packets (OpusHead, OpusTags) are never returned as packets;
 * the OpusHead is exposed as {@link OggDemuxer.info} before the first packet.
 *
 * Chained files (RFC 3533 §4: a new beginning-of-stream page after the previous link) continue
 * the packet sequence with the new link's headers; pages of other, non-Opus logical streams are
 * ignored. When several Opus streams are multiplexed, the first one is read.
 *
 * Damage in the middle of the stream (a page with a bad CRC, a broken page, garbage, missing
 * pages) is skipped to the next good page and reported through `onDamage`; with `resync: false`
 * it is a `DEMUX` error. A packet that spans damaged bytes is dropped whole: packets never come
 * out with missing bytes. A stream cut short ends with the packets of its complete pages.
 *
 * Errors are {@link SpenceError}s with code `DEMUX`. When bytes turn out to be malformed partway
 * through a `push`, that push still returns the packets before the fault, and the error is thrown
 * by the next `push` or `end`; `feed` hands those packets to its sink, then throws. Once failed,
 * the demuxer stays failed and holds no buffered bytes.
 *
 * @example
 * ```ts
 * const demuxer = new OggDemuxer();
 * for await (const chunk of stream) for (const packet of demuxer.push(chunk)) send(packet);
 * for (const packet of demuxer.end()) send(packet);
 * ```
 */
export class OggDemuxer implements PushDemuxer {
  private readonly chain: OpusChain;
  private readonly reader: OggPageReader;
  /**
   * Where {@link push} puts packets: objects over slabs of packet bytes. Made by the first push: a
   * demuxer only fed (a player's) does not carry its ~14 KB of note arrays.
   */
  private pushSink: PacketRunSink | null = null;
  private failure: SpenceError | null = null;
  private finished = false;

  /**
   * @param options - `maxElementSize` bounds any packet gathered across pages (default 16 MiB);
   *   `verifyCrc` (default true) checks every page's CRC; `resync` (default true) and `onDamage`
   *   as in {@link DemuxerOptions}.
   */
  constructor(options: OggDemuxerOptions = {}) {
    const max = options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE;
    if (!(max > 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `maxElementSize must be positive, got ${max}`);
    this.chain = new OpusChain({ maxElementSize: max, resync: options.resync ?? true, onDamage: options.onDamage });
    this.reader = new OggPageReader(this.chain, options.verifyCrc ?? true, options.carryMemory ?? null);
  }

  /** Gives back the memory its `carryMemory` lent (the owner is done with it). @internal */
  release(): void {
    this.reader.release();
  }

  /** The current link's stream parameters from its OpusHead (container `'ogg'`), or `null` before it. */
  get info(): OpusStreamInfo | null {
    return this.chain.info;
  }

  /** The current link's parsed OpusHead, or `null` before it. */
  get opusHead(): OpusHead | null {
    return this.chain.opusHead;
  }

  /** The current link's OpusTags (vendor and comments), once read; `null` before, or when it exceeded `maxElementSize`. */
  get tags(): OpusTags | null {
    return this.chain.tags;
  }

  /**
   * Samples (at 48 kHz) to discard from the end of the current link's decoded output, from the
   * end-of-stream page's granule position (RFC 7845 §4.4); 0 until that page is read.
   */
  get endTrimSamples(): number {
    return this.chain.endTrimSamples;
  }

  /** Bytes held inside the demuxer: the carried partial page and the packet being gathered. */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes + this.chain.bufferedBytes;
  }

  /**
   * Work done so far, for complexity checks: the page reader's count (chunks, pages, bytes scanned
   * and carried, CRCs in steps of 16 bytes). Linear in the bytes pushed, whatever their chunking
   * and content. @internal
   */
  get work(): number {
    return this.reader.work;
  }

  /** Absolute byte offset just past the last byte pushed (counting from the start, or from a {@link restartAt} offset). */
  get position(): number {
    return this.reader.position;
  }

  /**
   * Drops every buffered byte and partial packet: the next pushed bytes start at absolute offset
   * `byteOffset` (typically after a seek). The demuxer resynchronises on the next `OggS` page, keeps
   * the stream info, and re-anchors timestamps on the next granule position. Seeking into another
   * link of a chained file is not supported (its pages are ignored until its next BOS page).
   */
  restartAt(byteOffset: number): void {
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'restartAt() after end()', { source: 'demux' });
    this.reader.reset(byteOffset);
    this.chain.restart();
  }

  /**
   * Pushes a chunk and returns the audio packets it completes. The chunk is not retained. See the
   * class notes on errors.
   */
  push(chunk: Uint8Array): OpusPacket[] {
    if (this.failure !== null) throw this.failure;
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'push() after end()', { source: 'demux' });
    const sink = (this.pushSink ??= new PacketRunSink());
    this.read(chunk, sink);
    const out = sink.finish();
    if (this.failure !== null && out.length === 0) throw this.failure;
    return out;
  }

  /**
   * See {@link PushDemuxer.feed}: the packets {@link push} would return, handed to `sink` in
   * place; `chunk` is only borrowed. On malformed bytes it throws `DEMUX` after the packets
   * before the fault have gone to the sink, and stays failed.
   */
  feed(chunk: Uint8Array, sink: PacketSink): void {
    if (this.failure !== null) throw this.failure;
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'feed() after end()', { source: 'demux' });
    this.read(chunk, sink);
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Ends the input. An incomplete last page is dropped (its CRC cannot be checked) and reported as
   * damage, as is a packet left unfinished. Returns no further packets: every complete packet came
   * out of `push()`.
   *
   * @throws SpenceError `DEMUX` when no Ogg Opus stream was found, its headers never completed, or
   *   an earlier `push` found malformed bytes.
   */
  end(): OpusPacket[] {
    if (this.failure !== null) throw this.failure;
    if (this.finished) return [];
    this.finished = true;
    try {
      this.reader.finish();
      this.chain.finish();
    } catch (error) {
      throw this.fail(error);
    }
    if (!this.chain.headersEverComplete) {
      throw this.fail(new SpenceError(
        ErrorCodes.DEMUX,
        this.chain.opusHeadSeen
          ? 'The Ogg Opus input ended before its headers (OpusHead, OpusTags) were complete'
          : 'No Ogg Opus stream found: the input has no page with an OpusHead packet',
        { source: 'demux' },
      ));
    }
    return [];
  }

  /** Reads a chunk, packets to `sink`; a fault ends the read and fails the demuxer. */
  private read(chunk: Uint8Array, sink: PacketSink): void {
    this.chain.sink = sink;
    this.chain.runSink = sink instanceof PacketRunSink ? sink : null;
    prefetch(chunk, 0, chunk.length);
    try {
      this.reader.read(chunk);
    } catch (error) {
      this.fail(error);
    } finally {
      this.chain.sink = null;
      this.chain.runSink = null;
    }
  }

  /** Fails the demuxer for good with `error` (as a `DEMUX` error); it holds no memory after. */
  private fail(error: unknown): SpenceError {
    this.failure = error instanceof SpenceError ? error : new SpenceError(ErrorCodes.DEMUX, 'Malformed Ogg data', { source: 'demux', cause: error });
    this.reader.reset(this.reader.position);
    this.chain.restart();
    return this.failure;
  }
}
