/**
 * The track opener: a track's media bytes (from its provider) through the demuxer its first bytes
 * call for, as the {@link FillTrack} the players pull. Seeking uses the WebM Cues index where
 * there is one: the bytes are fetched from the cluster at or before the target; without an index
 * the packets are read from the start and the player drops those before the target.
 *
 * @module
 */

import { sniffContainer } from '../demux/demux.js';
import { OggDemuxer } from '../demux/ogg/ogg-demuxer.js';
import { Mp3Demuxer } from '../demux/mp3/mp3-demuxer.js';
import { sniffMp3 } from '../demux/mp3/probe-mp3.js';
import { SlabPacketSink } from '../demux/slab-sink.js';
import type { DemuxerOptions, Mp3StreamInfo, OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer, SeekPoint } from '../demux/types.js';
import { WebmDemuxer } from '../demux/webm/webm-demuxer.js';
import { ErrorCodes, SpenceError, abortError, isSpenceError } from '../errors.js';
import { packetIterator } from '../player/pull.js';
import type { FillTarget, FillTrack, TrackOpenOptions } from '../player/types.js';
import type { TrackMedia } from '../resolve/provider.js';
import { RangeReader, copyOf, readBytes } from './range-reader.js';

/**
 * The most bytes fed to the demuxer at once (a stream's chunks can be 64 KiB, about 5 s of
 * 96 kbit/s audio). 8 KiB is 0.4 to 0.7 s of typical Opus: a fill is small next to the players'
 * 3 s read-ahead, and what the player has not asked for yet stays compact raw bytes.
 */
const FEED_BYTES = 8 * 1024;

/** The largest Cues element fetched separately for a seek (YouTube's are a few KiB). */
const MAX_CUES_BYTES = 4 * 1024 * 1024;

/**
 * Bytes enough to tell the containers apart: 4 for the EBML and Ogg magic numbers (RFC 8794
 * §11.2.1, RFC 3533 §6), 10 for an ID3v2 header (ID3v2.4 §3.1). Fewer are held, not judged: a
 * server may send the first bytes alone.
 */
const SNIFF_BYTES = 10;

/**
 * What an MP3 track's packets become: the transcoder's output, stereo 48 kHz Opus with no pre-skip
 * (it aligns the encoder delay), as an Ogg writer wants it described.
 */
const TRANSCODED_INFO: OpusStreamInfo = Object.freeze({
  container: 'ogg', channels: 2, preSkip: 0, inputSampleRate: 48_000, outputGain: 0, channelMappingFamily: 0,
});

/** Hands packet objects (an MP3 framer's units, the opening's packets) to a sink, in order. */
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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * An opened track's media: its bytes read a piece at a time and demuxed into the sink the player
 * gives ({@link fill}), or pulled as packet objects ({@link packets}). Made by {@link MediaTrack.open}.
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
  readonly #demuxerOptions: DemuxerOptions;
  #reader: RangeReader;
  #demuxer: PushDemuxer | null = null;
  /** MP3 instead of Opus: its frames go to the player, which transcodes them (see docs/transcoding.md). */
  #framer: Mp3Demuxer | null = null;
  /** The first bytes, held (a copy) until there are enough to tell the container ({@link SNIFF_BYTES}). */
  #head: Uint8Array | null = null;
  /** The unfed rest of the last chunk read (never a borrowed one): fed a slice at a time. */
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
    this.#demuxerOptions = options.onDamage === undefined ? {} : { onDamage: options.onDamage };
    this.#reader = new RangeReader(media, 0, options.signal);
  }

  /**
   * Opens `media` as a track, starting at or before `options.startMs`: reads until the stream's
   * headers are known (and, for a WebM seek, moves to the cluster the Cues give). The media is
   * closed when the track is closed, or when opening fails.
   *
   * @throws SpenceError `DEMUX` (not WebM, Ogg Opus or MP3; ended before its headers),
   *   `UNAVAILABLE` (AAC), `NETWORK`, `ABORTED`.
   */
  static async open(media: TrackMedia, options: TrackOpenOptions): Promise<MediaTrack> {
    const track = new MediaTrack(media, options);
    try {
      await track.#open(options.startMs ?? 0);
    } catch (error) {
      track.close();
      if (options.signal.aborted) throw abortError(options.signal, 'playback');
      throw error;
    }
    return track;
  }

  /** The packets as objects with bytes of their own, pulled by {@link fill} (see `pull.ts`). */
  get packets(): AsyncIterator<OpusPacket> {
    return (this.#packets ??= packetIterator(this));
  }

  /** See {@link FillTrack.fill}: the packets demuxed while opening first, then one piece per call. */
  async fill(sink: FillTarget): Promise<boolean> {
    if (this.#early.length > 0) {
      toSink(sink, this.#early);
      this.#early = [];
      return true;
    }
    const fault = this.#fault;
    if (fault !== null) {
      this.#fault = null;
      this.#ended = true;
      throw fault.error;
    }
    if (this.#ended || this.#closed) return false;
    if (this.#signal.aborted) throw abortError(this.#signal, 'playback');
    return this.#step(sink);
  }

  /** Releases the media (aborts the fetch). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader.close();
    this.#media.close();
  }

  async #open(startMs: number): Promise<void> {
    const sink = new SlabPacketSink();
    sink.out = this.#early;
    while (this.#streamInfo() === null && !this.#ended) {
      try {
        await this.#step(sink);
      } catch (error) {
        if (this.#streamInfo() === null || this.#signal.aborted) throw error;
        this.#fault = { error };
      }
    }
    const info = this.#streamInfo();
    if (info === null) {
      throw new SpenceError(ErrorCodes.DEMUX, this.#framer !== null ? 'The media ended before its first MP3 frame' : 'The media ended before its Opus header');
    }
    this.info = info;
    if (this.#framer !== null) {
      this.codec = 'mp3';
      this.sourceInfo = this.#framer.info!;
    }
    if (startMs > 0 && this.#demuxer instanceof WebmDemuxer && this.#fault === null) await this.#seekByCues(this.#demuxer, startMs);
  }

  #streamInfo(): OpusStreamInfo | null {
    if (this.#framer !== null) return this.#framer.info === null ? null : TRANSCODED_INFO;
    return this.#demuxer?.info ?? null;
  }

  /**
   * Moves to the cluster at or before `startMs` when the Cues give one past where reading is:
   * the Cues read with the headers (YouTube's layout), or fetched from their offset (ffmpeg's).
   */
  async #seekByCues(demuxer: WebmDemuxer, startMs: number): Promise<void> {
    let cues = demuxer.cues;
    const cuesAt = demuxer.cuesByteOffset;
    if (cues === null && cuesAt !== null) {
      try {
        cues = demuxer.loadCues(await readBytes(this.#media, cuesAt, MAX_CUES_BYTES, this.#signal));
      } catch (error) {
        if (this.#signal.aborted) throw abortError(this.#signal, 'playback');
        if (!isSpenceError(error, 'DEMUX')) throw error;
        cues = null; // an unreadable index: fall back to reading from the start
      }
    }
    const cue = cues ? cueFor(cues, startMs) : null;
    if (cue === null || cue.byteOffset <= demuxer.byteOffset - 1) return;
    this.#reader.close();
    demuxer.restartAt(cue.byteOffset);
    this.#early = [];
    this.#pending = null;
    this.#ended = false;
    this.#reader = new RangeReader(this.#media, cue.byteOffset, this.#signal);
  }

  /**
   * Feeds the demuxer one more piece into `sink`: a borrowed read whole, else a slice of at most
   * {@link FEED_BYTES} of the pending chunk (reading one when none is pending). Resolves false at
   * the end of the input, after the last packets. Slicing keeps the not-yet-wanted audio as raw
   * bytes and bounds what one call demuxes.
   */
  async #step(sink: FillTarget): Promise<boolean> {
    if (this.#pending === null) {
      const reader = this.#reader;
      const known = this.#demuxer !== null || this.#framer !== null;
      const target = known && reader.borrowed && sink.readBuffer !== undefined ? sink.readBuffer() : null;
      const chunk = await reader.next(this.#signal, target);
      if (chunk === null) return this.#end(sink);
      if (!known) {
        if (!this.#sniff(chunk, reader.borrowed, false)) return true;
      } else if (reader.borrowed) {
        // A shared buffer (or the sink's), valid until the next read: demuxed whole now (about a
        // second of audio: one refill, rather than slices that each cost a round of promises).
        this.#feed(chunk, sink, true);
        return true;
      } else {
        this.#pending = chunk;
        this.#pendingAt = 0;
      }
    }
    const chunk = this.#pending!;
    const at = this.#pendingAt;
    const end = Math.min(chunk.length, at + FEED_BYTES);
    const slice = at === 0 && end === chunk.length ? chunk : chunk.subarray(at, end);
    if (end === chunk.length) this.#pending = null;
    else this.#pendingAt = end;
    this.#feed(slice, sink, false);
    return true;
  }

  /**
   * Adds `chunk` to the first bytes and picks the demuxer when they tell the container (always
   * when `final`): true, with the first bytes pending to be fed; false while more are needed.
   */
  #sniff(chunk: Uint8Array, borrowed: boolean, final: boolean): boolean {
    const head = this.#head === null ? (borrowed ? copyOf(chunk) : chunk) : concat(this.#head, chunk);
    const container = this.#media.container ?? sniffContainer(head) ?? (sniffMp3(head) ? 'mp3' : null);
    if (container === null) {
      if (head.length < SNIFF_BYTES && !final) {
        this.#head = head;
        return false;
      }
      throw new SpenceError(ErrorCodes.DEMUX, head.length === 0 ? 'The media is empty' : 'The media is neither WebM/Matroska, Ogg Opus nor MP3');
    }
    if (container === 'aac') {
      throw new SpenceError(ErrorCodes.UNAVAILABLE, 'AAC media is not wired into the players yet (see docs/transcoding.md)');
    }
    if (container === 'mp3') this.#framer = new Mp3Demuxer();
    else this.#demuxer = container === 'webm' ? new WebmDemuxer(this.#demuxerOptions) : new OggDemuxer(this.#demuxerOptions);
    this.#head = null;
    this.#pending = head;
    this.#pendingAt = 0;
    return true;
  }

  #feed(bytes: Uint8Array, sink: PacketSink, borrowed: boolean): void {
    const framer = this.#framer;
    if (framer !== null) {
      // The framer keeps views of what it is given: a borrowed chunk is copied first.
      toSink(sink, framer.push(borrowed ? copyOf(bytes) : bytes));
    } else {
      this.#demuxer!.feed(bytes, sink);
    }
  }

  /** The end of the input: the first bytes judged as they are, then the demuxer's last packets. */
  #end(sink: PacketSink): boolean {
    if (this.#demuxer === null && this.#framer === null) {
      this.#sniff(new Uint8Array(0), false, true);
      this.#feed(this.#pending!, sink, false);
      this.#pending = null;
    }
    this.#ended = true;
    toSink(sink, this.#framer !== null ? this.#framer.end() : this.#demuxer!.end());
    return false;
  }
}

/**
 * Opens `media` as an opened track, starting at or before `startMs` (see {@link MediaTrack.open}).
 * The media is closed when the returned track is closed, or when opening fails.
 */
export function openMediaAsTrack(media: TrackMedia, options: TrackOpenOptions): Promise<MediaTrack> {
  return MediaTrack.open(media, options);
}
