/**
 * The track opener: a track's media bytes (from its provider) through the matching push demuxer,
 * as the pull-driven packet iterator the players consume. Seeking uses the WebM Cues index where
 * there is one: the bytes are fetched from the cluster at or before the target; without an index
 * the packets are read from the start and the player drops those before the target.
 *
 * @module
 */

import { sniffContainer } from './demux/demux.js';
import { OggDemuxer } from './demux/ogg/ogg-demuxer.js';
import { Mp3Demuxer } from './demux/mp3/mp3-demuxer.js';
import { sniffMp3 } from './demux/mp3/probe-mp3.js';
import { SlabPacketSink } from './demux/slab-sink.js';
import type { OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer, SeekPoint } from './demux/types.js';
import { WebmDemuxer } from './demux/webm/webm-demuxer.js';
import { ErrorCodes, SpenceError, abortError, isSpenceError, toSpenceError } from './errors.js';
import type { FillTarget, OpenedTrack, TrackOpenOptions } from './player/types.js';
import type { TrackMedia } from './resolve/provider.js';

/**
 * The most bytes fed to the demuxer at once (a local file is read in 64 KiB chunks, about 5 s of
 * 96 kbit/s audio). 8 KiB is 0.4 to 0.7 s of typical Opus: a batch is small next to the players'
 * 3 s read-ahead, and what the player has not asked for yet stays compact raw bytes.
 */
const FEED_BYTES = 8 * 1024;

/** The largest Cues element fetched separately for a seek (YouTube's are a few KiB). */
const MAX_CUES_BYTES = 4 * 1024 * 1024;

/**
 * What an MP3 track's packets become: the transcoder's output, stereo 48 kHz Opus with no pre-skip
 * (it aligns the encoder delay), as an Ogg writer wants it described.
 */
const TRANSCODED_INFO: OpusStreamInfo = Object.freeze({
  container: 'ogg', channels: 2, preSkip: 0, inputSampleRate: 48_000, outputGain: 0, channelMappingFamily: 0,
});

/**
 * The size of a positional read ({@link TrackMedia.readAt}): 16 KiB, about a second of typical
 * Opus. Each read goes to the demuxer whole (it is the player's refill: one read per second or so).
 */
const READ_BYTES = 16 * 1024;
/** Free read buffers, shared by every reader: reads in flight at once are few. */
const freeBuffers: Uint8Array[] = [];
const MAX_FREE_BUFFERS = 64;

function recycle(buffer: Uint8Array): void {
  if (freeBuffers.length < MAX_FREE_BUFFERS) freeBuffers.push(buffer);
}

/**
 * Reads one media byte range with its own abort controller, so it can be dropped for a seek.
 * With {@link TrackMedia.readAt} the chunks are *borrowed*: each one is a shared buffer, valid
 * until the next `next()` or `close()`; the caller copies what it keeps (the demuxers' `feed`
 * does).
 */
class RangeReader {
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private readonly iterator: AsyncIterator<Uint8Array> | null = null;
  private readonly media: TrackMedia;
  private position: number;
  /**
   * Where positional reads stop: the media's `contentLength`, when known. Reaching it ends the
   * input at once, with the last bytes, rather than one read later (a read that returns 0): the
   * demuxer's end, and so a preloaded track's switch, never waits on a read that brings nothing.
   */
  private readonly end: number;
  private held: Uint8Array | null = null;
  private closed = false;
  /** True when reads go into buffers (the reader's shared ones or the caller's: see `next`), valid until the next read. */
  readonly borrowed: boolean;

  constructor(media: TrackMedia, start: number, outer: AbortSignal) {
    this.media = media;
    this.position = start;
    this.signal = AbortSignal.any([outer, this.controller.signal]);
    this.borrowed = typeof media.readAt === 'function';
    const length = media.contentLength;
    this.end = length !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : Number.POSITIVE_INFINITY;
    if (!this.borrowed) this.iterator = media.read(start, { signal: this.signal })[Symbol.asyncIterator]();
  }

  /** The next chunk; with `target` (positional reads only), read into it. */
  async next(outer: AbortSignal, target: Uint8Array | null = null): Promise<Uint8Array | null> {
    try {
      if (this.iterator !== null) {
        const result = await this.iterator.next();
        return result.done ? null : result.value;
      }
      return await this.readAt(target);
    } catch (error) {
      if (outer.aborted) throw abortError(outer, 'playback');
      throw toSpenceError(error, ErrorCodes.NETWORK, `Reading the media failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  private async readAt(target: Uint8Array | null): Promise<Uint8Array | null> {
    this.release();
    if (this.closed || this.position >= this.end) return null;
    const pooled = target === null;
    const buffer = target ?? freeBuffers.pop() ?? new Uint8Array(READ_BYTES);
    let n: number;
    try {
      n = await this.media.readAt!(this.position, buffer, { signal: this.signal });
      if (this.closed) n = 0;
      else if (!Number.isSafeInteger(n) || n < 0 || n > buffer.length) {
        throw new SpenceError(ErrorCodes.UPSTREAM, `The provider's readAt() returned ${n} for a ${buffer.length}-byte buffer`);
      }
    } catch (error) {
      if (pooled) recycle(buffer);
      throw error;
    }
    if (n === 0) {
      if (pooled) recycle(buffer);
      return null;
    }
    this.position += n;
    if (pooled) this.held = buffer;
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  }

  private release(): void {
    if (this.held !== null) recycle(this.held);
    this.held = null;
  }

  close(): void {
    this.closed = true;
    this.release();
    this.controller.abort();
    void this.iterator?.return?.().catch(() => {});
  }
}

/** A copy that is never a view (`Buffer#slice` would be one). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

/** Hands packet objects (an MP3 framer's units, the opening's leftovers) to a sink, in order. */
function toSink(sink: PacketSink, packets: readonly OpusPacket[], from = 0): void {
  for (let k = from; k < packets.length; k++) {
    const packet = packets[k]!;
    sink.packet(packet.data, 0, packet.data.length, packet.timestampMs, packet.durationMs);
  }
}

/** The cue at or before `ms`, or null. */
function cueFor(points: SeekPoint[], ms: number): SeekPoint | null {
  let found: SeekPoint | null = null;
  for (const point of points) {
    if (point.timeMs <= ms) found = point;
    else break;
  }
  return found;
}

/** Reads `length` bytes (or to the end) from `start`. */
async function readBytes(media: TrackMedia, start: number, length: number, signal: AbortSignal): Promise<Uint8Array> {
  const reader = new RangeReader(media, start, signal);
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < length) {
      const chunk = await reader.next(signal);
      if (chunk === null) break;
      parts.push(reader.borrowed ? copyOf(chunk) : chunk);
      total += chunk.length;
    }
  } finally {
    reader.close();
  }
  return Buffer.concat(parts, Math.min(total, length));
}

/**
 * Opens `media` as an {@link OpenedTrack}, starting at or before `startMs`.
 * The media is closed when the returned track is closed, or when opening fails.
 */
export async function openMediaAsTrack(media: TrackMedia, options: TrackOpenOptions): Promise<OpenedTrack> {
  const { signal } = options;
  let reader = new RangeReader(media, 0, signal);
  let demuxer: PushDemuxer | null = null;
  /** MP3 instead of Opus: its frames go to the player, which transcodes them (see docs/transcoding.md). */
  let framer: Mp3Demuxer | null = null;
  /** Packets as objects, for `packets` and `nextBatch` (and those demuxed while opening). */
  let queue: OpusPacket[] = [];
  let queueIndex = 0;
  const objects = new SlabPacketSink();
  let ended = false;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    reader.close();
    media.close();
  };

  /** The unfed rest of the last chunk read (never a borrowed one): fed a slice at a time. */
  let pending: Uint8Array | null = null;
  let pendingAt = 0;

  const feed = (slice: Uint8Array, sink: PacketSink): void => {
    if (framer !== null) {
      // The framer keeps views of what it is given: a borrowed chunk is copied first.
      toSink(sink, framer.push(reader.borrowed ? copyOf(slice) : slice));
    } else {
      (demuxer as PushDemuxer).feed(slice, sink);
    }
  };

  /**
   * Feeds the demuxer one more piece into `sink`: a borrowed read whole, else a slice of at most
   * {@link FEED_BYTES} of the pending chunk (reading one when none is pending). Returns false at
   * the end of the input. Slicing keeps the not-yet-wanted audio as raw bytes and bounds a batch.
   */
  const pump = async (sink: FillTarget): Promise<boolean> => {
    if (pending === null) {
      const target = reader.borrowed && sink.readBuffer !== undefined ? sink.readBuffer() : null;
      const chunk = await reader.next(signal, target);
      if (chunk === null) {
        if (framer !== null) {
          toSink(sink, framer.end());
          return false;
        }
        if (demuxer === null) throw new SpenceError(ErrorCodes.DEMUX, 'The media is empty');
        toSink(sink, demuxer.end());
        return false;
      }
      if (demuxer === null && framer === null) {
        const container = media.container ?? sniffContainer(chunk) ?? (sniffMp3(chunk) ? 'mp3' : null);
        if (container === null) {
          throw new SpenceError(ErrorCodes.DEMUX, 'The media is neither WebM/Matroska, Ogg Opus nor MP3');
        }
        if (container === 'aac') {
          throw new SpenceError(ErrorCodes.UNAVAILABLE, 'AAC media is not wired into the players yet (see docs/transcoding.md)');
        }
        if (container === 'mp3') framer = new Mp3Demuxer();
        else demuxer = container === 'webm' ? new WebmDemuxer() : new OggDemuxer();
      }
      if (reader.borrowed) {
        // A shared buffer (or the sink's), valid until the next read: demuxed whole now (about a
        // second of audio: one refill, rather than slices that each cost a round of promises).
        feed(chunk, sink);
        return true;
      }
      pending = chunk;
      pendingAt = 0;
    }
    const chunk = pending;
    const end = Math.min(chunk.length, pendingAt + FEED_BYTES);
    const slice = pendingAt === 0 && end === chunk.length ? chunk : chunk.subarray(pendingAt, end);
    if (end === chunk.length) pending = null;
    else pendingAt = end;
    feed(slice, sink);
    return true;
  };

  /** {@link pump} into the object queue. */
  const pumpObjects = (): Promise<boolean> => {
    if (queueIndex >= queue.length) {
      queue = [];
      queueIndex = 0;
    }
    objects.out = queue;
    return pump(objects);
  };

  try {
    let info: OpusStreamInfo | null = null;
    while (info === null) {
      if (!(await pumpObjects())) break;
      const mp3 = (framer as Mp3Demuxer | null)?.info;
      info = mp3 ? TRANSCODED_INFO : (demuxer as PushDemuxer | null)?.info ?? null;
    }
    // (The closures above assign `demuxer` and `framer`; TypeScript cannot see it, hence the widening.)
    const mp3Framer = framer as Mp3Demuxer | null;
    const active = demuxer as PushDemuxer | null;
    if (info === null || (active === null && mp3Framer === null)) {
      throw new SpenceError(ErrorCodes.DEMUX, mp3Framer !== null ? 'The media ended before its first MP3 frame' : 'The media ended before its Opus header');
    }
    const startMs = options.startMs ?? 0;
    if (startMs > 0 && active instanceof WebmDemuxer) {
      const demuxer = active;
      let cues = demuxer.cues;
      const cuesAt = demuxer.cuesByteOffset;
      if (cues === null && cuesAt !== null) {
        // Cues at the end of the file (ffmpeg's default): fetch just that element.
        try {
          const bytes = await readBytes(media, cuesAt, MAX_CUES_BYTES, signal);
          cues = demuxer.loadCues(bytes);
        } catch (error) {
          if (signal.aborted) throw abortError(signal, 'playback');
          if (!isSpenceError(error, 'DEMUX')) throw error;
          cues = null; // an unreadable index: fall back to reading from the start
        }
      }
      const cue = cues ? cueFor(cues, startMs) : null;
      if (cue !== null && cue.byteOffset > demuxer.byteOffset - 1) {
        reader.close();
        demuxer.restartAt(cue.byteOffset);
        queue = [];
        queueIndex = 0;
        pending = null;
        reader = new RangeReader(media, cue.byteOffset, signal);
      }
    }
    const packets: AsyncIterator<OpusPacket> = {
      async next(): Promise<IteratorResult<OpusPacket>> {
        while (queueIndex >= queue.length) {
          if (ended || closed) return { done: true, value: undefined };
          if (signal.aborted) throw abortError(signal, 'playback');
          if (!(await pumpObjects())) ended = true;
        }
        const packet = queue[queueIndex]!;
        queue[queueIndex++] = undefined as never; // let the packet go once handed over
        return { done: false, value: packet };
      },
      async return(): Promise<IteratorResult<OpusPacket>> {
        close();
        return { done: true, value: undefined };
      },
    };
    // The batch pull hands over the demuxer's own arrays: no per-packet promise, no copy.
    const nextBatch = async (): Promise<OpusPacket[] | null> => {
      while (queueIndex >= queue.length) {
        if (ended || closed) return null;
        if (signal.aborted) throw abortError(signal, 'playback');
        if (!(await pumpObjects())) ended = true;
      }
      const batch = queueIndex === 0 ? queue : queue.slice(queueIndex);
      queue = [];
      queueIndex = 0;
      return batch;
    };
    // Straight into the player's ring: packets demuxed while opening first, then one piece per call.
    const fill = async (sink: FillTarget): Promise<boolean> => {
      if (queueIndex < queue.length) {
        toSink(sink, queue, queueIndex);
        queue = [];
        queueIndex = 0;
        return true;
      }
      if (ended || closed) return false;
      if (signal.aborted) throw abortError(signal, 'playback');
      if (!(await pump(sink))) ended = true;
      return !ended;
    };
    if (mp3Framer !== null) return { info, codec: 'mp3', sourceInfo: mp3Framer.info!, packets, nextBatch, fill, close };
    return { info, packets, nextBatch, fill, close };
  } catch (error) {
    close();
    if (signal.aborted) throw abortError(signal, 'playback');
    throw error;
  }
}
