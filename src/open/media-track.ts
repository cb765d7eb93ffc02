/**
 * The track opener: a track's media bytes (from its provider) through the sniffing demuxer
 * (`createDemuxer`: WebM, Ogg Opus or MP3), as the {@link FillTrack} the players pull. Seeking
 * follows the demuxer's seek plan (the WebM Cues index, where there is one): the bytes are read
 * from the Cluster at or before the target; without an index the packets are read from the start
 * and the player drops those before the target.
 *
 * @module
 */

import { createDemuxer, type MediaDemuxer } from '../demux/media-demuxer.js';
import { SlabPacketSink } from '../demux/slab-sink.js';
import type { Mp3StreamInfo, OpusPacket, OpusStreamInfo, PacketSink } from '../demux/types.js';
import { ErrorCodes, SpenceError, abortError } from '../errors.js';
import { packetIterator } from '../player/pull.js';
import type { FillTarget, FillTrack, TrackOpenOptions } from '../player/types.js';
import type { TrackMedia } from '../resolve/provider.js';
import { RangeReader, readBytes } from './range-reader.js';
import { sharedCarryMemory } from '../player/ring-memory.js';

/**
 * The most bytes fed to the demuxer at once (a stream's chunks can be 64 KiB, about 5 s of
 * 96 kbit/s audio). 8 KiB is 0.4 to 0.7 s of typical Opus: a fill is small next to the players'
 * 3 s read-ahead, and what the player has not asked for yet stays compact raw bytes.
 */
const FEED_BYTES = 8 * 1024;

/**
 * The most bytes fed at once while opening, until the stream's headers are known: what follows
 * them in the read stays raw bytes for the first fill, which demuxes it into the player's ring.
 * Fed whole, a 16 KiB read made about a second of packets into objects, held from the open to the
 * first fill: at thousands of players opened at once, a young generation's worth that outlived it.
 */
const OPEN_FEED_BYTES = 2 * 1024;

/**
 * What an MP3 track's packets become: the transcoder's output, stereo 48 kHz Opus with no pre-skip
 * (it aligns the encoder delay), as an Ogg writer wants it described.
 */
const TRANSCODED_INFO: OpusStreamInfo = Object.freeze({
  container: 'ogg', channels: 2, preSkip: 0, inputSampleRate: 48_000, outputGain: 0, channelMappingFamily: 0,
});

/** Hands packet objects (those demuxed while opening, the demuxer's last ones) to a sink, in order. */
function toSink(sink: PacketSink, packets: readonly OpusPacket[]): void {
  for (let k = 0; k < packets.length; k++) {
    const packet = packets[k]!;
    sink.packet(packet.data, 0, packet.data.length, packet.timestampMs, packet.durationMs);
  }
}

/**
 * An opened track's media: its bytes read a piece at a time and demuxed (by the sniffing demuxer,
 * `createDemuxer`) into the sink the player gives ({@link fill}), or pulled as packet objects
 * ({@link packets}). Made by `MediaTrack.open()`.
 */
export class MediaTrack implements FillTrack {
  /** The Opus stream's parameters (for MP3, the transcoded output's: see `OpenedTrack.info`). */
  info!: OpusStreamInfo;
  /** `'mp3'` for MP3 media (the player transcodes it); `'opus'` otherwise. */
  codec: 'opus' | 'mp3' = 'opus';
  /** The MP3 source's parameters, for MP3 media. */
  sourceInfo?: Mp3StreamInfo;

  readonly #media: TrackMedia;
  readonly #signal: AbortSignal;
  readonly #demuxer: MediaDemuxer;
  #reader: RangeReader;
  /**
   * The unfed rest of the last chunk read: fed a slice at a time. A borrowed chunk (the rest of a
   * read made while opening) stays valid: nothing more is read until it has all been fed.
   */
  #pending: Uint8Array | null = null;
  #pendingAt = 0;
  /** Packets demuxed while opening, handed out by the first fill. */
  #early: OpusPacket[] = [];
  /** A fault met while opening, after the headers: thrown once the packets before it are out. */
  #fault: { error: unknown } | null = null;
  #ended = false;
  #closed = false;
  #packets: AsyncIterator<OpusPacket> | null = null;

  private constructor(media: TrackMedia, options: TrackOpenOptions) {
    this.#media = media;
    this.#signal = options.signal;
    const { container } = media;
    if (container === 'aac') {
      throw new SpenceError(ErrorCodes.UNAVAILABLE, 'AAC media is not wired into the players yet (see docs/transcoding.md)');
    }
    this.#demuxer = createDemuxer({
      ...(container !== undefined && { container }),
      ...(options.onDamage !== undefined && { onDamage: options.onDamage }),
      // A page cut by a read, kept for the track: in the read-aheads' memory (shared, so thousands
      // of tracks opened at once do not count towards V8's full collections; see ring-memory.ts).
      carryMemory: sharedCarryMemory,
    });
    this.#reader = new RangeReader(media, 0, options.signal);
  }

  /**
   * Opens `media` as a track, starting at or before `options.startMs`: reads until the stream's
   * headers are known (the demuxer waits for enough bytes to tell the container) and, for a WebM
   * seek, moves to the Cluster the demuxer's seek plan gives. The media is closed when the track is
   * closed, or when opening fails.
   *
   * @throws SpenceError `DEMUX` (not WebM, Ogg Opus or MP3; ended before its headers),
   *   `UNAVAILABLE` (AAC), `NETWORK`, `ABORTED`.
   */
  static async open(media: TrackMedia, options: TrackOpenOptions): Promise<MediaTrack> {
    let track: MediaTrack | null = null;
    try {
      track = new MediaTrack(media, options);
      await track.#open(options.startMs ?? 0);
    } catch (error) {
      if (track !== null) track.close();
      else media.close();
      if (options.signal.aborted) throw abortError(options.signal, 'playback');
      throw error;
    }
    return track;
  }

  /** See `OpenedTrackInfo.byteLength`: the media's `contentLength`, when known. */
  get byteLength(): number | null {
    return this.#media.contentLength ?? null;
  }

  /** See `OpenedTrackInfo.waitingSince`: the media's (`TrackMedia.waitingSince`). */
  get waitingSince(): number | null {
    return this.#media.waitingSince ?? null;
  }

  /** The packets as objects with bytes of their own, pulled by {@link fill} (see `pull.ts`). */
  get packets(): AsyncIterator<OpusPacket> {
    return (this.#packets ??= packetIterator(this));
  }

  /**
   * See {@link FillTrack.fill}: the packets demuxed while opening first, then one piece per call.
   * Not async: a refill's promise is `#step`'s own (an async function returning it would add
   * a promise and a thenable job per refill, at thousands of players).
   */
  fill(sink: FillTarget): Promise<boolean> {
    if (this.#early.length > 0) {
      try {
        toSink(sink, this.#early);
      } catch (error) {
        return Promise.reject(error);
      }
      this.#early = [];
      return Promise.resolve(true);
    }
    const fault = this.#fault;
    if (fault !== null) {
      this.#fault = null;
      this.#ended = true;
      return Promise.reject(fault.error);
    }
    if (this.#ended || this.#closed) return Promise.resolve(false);
    if (this.#signal.aborted) return Promise.reject(abortError(this.#signal, 'playback'));
    return this.#step(sink);
  }

  /** Releases the media (aborts the fetch). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close();
    this.#media.close();
    this.#demuxer.release();
  }

  async #open(startMs: number): Promise<void> {
    const sink = new SlabPacketSink();
    sink.out = this.#early;
    const demuxer = this.#demuxer;
    while (demuxer.info === null && !this.#ended) {
      try {
        await this.#step(sink, OPEN_FEED_BYTES);
      } catch (error) {
        if (demuxer.info === null || this.#signal.aborted) throw error;
        this.#fault = { error };
      }
    }
    const info = demuxer.info;
    if (info === null) {
      throw new SpenceError(ErrorCodes.DEMUX, demuxer.container === 'mp3' ? 'The media ended before its first MP3 frame' : 'The media ended before its Opus header');
    }
    if (info.codec === 'mp3') {
      this.codec = 'mp3';
      this.sourceInfo = info;
      this.info = TRANSCODED_INFO;
    } else {
      this.info = info;
    }
    if (startMs > 0 && this.#fault === null) await this.#seek(startMs, sink);
  }

  /**
   * Follows the demuxer's seek plan for `startMs` (WebM with Cues): reads on to Cues just ahead,
   * fetches Cues kept elsewhere, and restarts at the Cluster at or before the time. Without a plan,
   * reading goes on from here and the player drops the packets before its position.
   */
  async #seek(startMs: number, sink: SlabPacketSink): Promise<void> {
    const demuxer = this.#demuxer;
    for (let plan = demuxer.seekPlan(startMs); plan !== null; plan = demuxer.seekPlan(startMs)) {
      if (plan.type === 'read') {
        if (!(await this.#step(sink))) return;
      } else if (plan.type === 'fetch') {
        demuxer.supplySeekBytes(plan.start, await readBytes(this.#media, plan.start, plan.end - plan.start, this.#signal));
      } else {
        this.#reader.close();
        demuxer.restartAt(plan.byteOffset);
        this.#early = [];
        this.#pending = null;
        this.#reader = new RangeReader(this.#media, plan.byteOffset, this.#signal);
        return;
      }
    }
  }

  /**
   * Feeds the demuxer one more piece into `sink`: a borrowed read whole (up to `most` bytes),
   * else a slice of at most {@link FEED_BYTES} (and `most`) of the pending chunk (reading one when
   * none is pending). Resolves false at the end of the input, after the last packets. Slicing
   * keeps the not-yet-wanted audio as raw bytes and bounds what one call demuxes.
   */
  async #step(sink: FillTarget, most = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.#pending === null) {
      const reader = this.#reader;
      const target = reader.borrowed && sink.readBuffer !== undefined ? sink.readBuffer(this.#demuxer.bufferedBytes) : null;
      const chunk = await reader.next(this.#signal, target);
      if (chunk === null) {
        this.#ended = true;
        toSink(sink, this.#demuxer.end());
        return false;
      }
      if (reader.borrowed && chunk.length <= most) {
        // A shared buffer (or the sink's), valid until the next read: demuxed whole now (about a
        // second of audio: one refill, rather than slices that each cost a round of promises).
        this.#demuxer.feed(chunk, sink);
        return true;
      }
      this.#pending = chunk;
      this.#pendingAt = 0;
    }
    const chunk = this.#pending;
    const at = this.#pendingAt;
    const end = Math.min(chunk.length, at + Math.min(FEED_BYTES, most));
    const slice = at === 0 && end === chunk.length ? chunk : chunk.subarray(at, end);
    if (end === chunk.length) this.#pending = null;
    else this.#pendingAt = end;
    this.#demuxer.feed(slice, sink);
    return true;
  }
}

/**
 * Opens `media` as an opened track, starting at or before `startMs` (see `MediaTrack.open()`).
 * The media is closed when the returned track is closed, or when opening fails.
 */
export function openMediaAsTrack(media: TrackMedia, options: TrackOpenOptions): Promise<MediaTrack> {
  return MediaTrack.open(media, options);
}
