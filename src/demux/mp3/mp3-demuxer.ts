/**
 * A streaming MP3 demuxer: an MPEG audio byte stream (any chunking) in, its frames out, each with
 * its time on the track: the units a player's read-ahead counts in milliseconds and the
 * transcoder decodes.
 *
 * Tags are skipped as they stream past, never buffered: ID3v2 (before the audio, and at the start
 * of every HLS segment), ID3v1 and APEv2. A Xing/Info/VBRI header frame carries no audio and is
 * prepended to the first audio frame, so the decoder still reads its gapless trimming (LAME's
 * encoder delay and padding). Bytes between frames that are neither frames nor tags are damage:
 * skipped to the next frame confirmed by the one after it, and reported (see {@link DemuxDamage}).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { ChunkQueue } from '../chunk-queue.js';
import { SlabPacketSink } from '../slab-sink.js';
import type { DemuxDamage, DemuxerOptions, Mp3StreamInfo, OpusPacket, PacketSink, PushDemuxer } from '../types.js';
import {
  FRAME_HEADER_BYTES, isMp3InfoFrame, mp3HeaderFrameCount, parseFrameHeader, sameStream, type Mp3FrameHeader,
} from './frame-header.js';
import { APE_HEADER_BYTES, ID3V1_BYTES, ID3V2_HEADER_BYTES, apeTagSize, id3v2Size } from './tags.js';

/** The most bytes skipped looking for the first frame before the input is declared not MP3. */
const MAX_SYNC_SEARCH = 1024 * 1024;

/** What a lookahead found: the bytes are there and match ({@link YES}), they do not ({@link NO}), or more are needed ({@link MORE}). */
type Look = 0 | 1 | 2;
const YES = 0;
const NO = 1;
const MORE = 2;

function demuxError(message: string): SpenceError {
  return new SpenceError(ErrorCodes.DEMUX, message, { source: 'demux' });
}

/**
 * Streaming MP3 demuxer: bytes in, MPEG audio frames out as packets (see {@link Mp3StreamInfo}).
 * Timestamps count the samples of the frames before, from the first one; durations come from each
 * frame's header (ISO/IEC 11172-3 §2.4.3.1).
 *
 * The first frame is taken only when the next frame's header confirms it (a stray 0xFFE sync in
 * other data is common; two consistent headers in a row are not); after it, each frame boundary
 * is trusted until a header there fails. Errors are `SpenceError`s with code `DEMUX`: no frame in
 * the first MiB, or (with `resync: false`) lost sync after the first frame.
 *
 * @example
 * ```ts
 * const demuxer = new Mp3Demuxer();
 * for await (const chunk of stream) for (const frame of demuxer.push(chunk)) transcoder.write(frame.data);
 * ```
 */
export class Mp3Demuxer implements PushDemuxer<Mp3StreamInfo> {
  private readonly queue = new ChunkQueue();
  private readonly resync: boolean;
  private readonly onDamage: ((damage: DemuxDamage) => void) | undefined;
  /** The first frame's header: the stream's version, layer and sample rate. */
  private first: Mp3FrameHeader | null = null;
  private streamInfo: Mp3StreamInfo | null = null;
  /** Samples (per channel) in the frames handed out so far. */
  private samples = 0;
  /** A Xing/Info/VBRI frame waiting to be prepended to the first audio frame. */
  private prefix: Uint8Array | null = null;
  /** Bytes of a tag still to skip. */
  private skipRemaining = 0;
  /** Bytes skipped before the first frame. */
  private searched = 0;
  /** Absolute offset where sync was lost, or -1 while in sync. */
  private damageStart = -1;
  private readonly slabSink = new SlabPacketSink();
  private failure: SpenceError | null = null;
  private ended = false;

  /** Creates a demuxer. `maxElementSize` does not apply: a frame is at most a few KiB, and tags are never buffered. */
  constructor(options: DemuxerOptions = {}) {
    this.resync = options.resync ?? true;
    this.onDamage = options.onDamage;
  }

  /** The stream parameters once the first frame has been read; `null` before. */
  get info(): Mp3StreamInfo | null {
    return this.streamInfo;
  }

  /** Bytes currently held in the demuxer's buffer (at most a frame and the next header). */
  get bufferedBytes(): number {
    return this.queue.available;
  }

  /** Absolute file offset of the next byte the demuxer expects (the bytes pushed so far). */
  get byteOffset(): number {
    return this.queue.position + this.queue.available;
  }

  /** Work done so far (loop steps, bytes scanned or copied): linear in the input. @internal */
  get work(): number {
    return this.steps + this.queue.work;
  }
  private steps = 0;

  /** Pushes a chunk (any size) and returns the frames it completes, in order. */
  push(chunk: Uint8Array): OpusPacket[] {
    this.check('push');
    this.queue.push(chunk);
    const out: OpusPacket[] = [];
    this.slabSink.out = out;
    this.run(this.slabSink, false);
    this.slabSink.out = null;
    this.queue.packLast();
    if (this.failure !== null && out.length === 0) throw this.failure;
    return out;
  }

  /** See {@link PushDemuxer.feed}: {@link push}'s frames, handed to `sink`; `chunk` is borrowed. */
  feed(chunk: Uint8Array, sink: PacketSink): void {
    this.check('feed');
    this.queue.push(chunk);
    this.run(sink, false);
    if (this.failure !== null) throw this.failure;
    this.queue.ownLast();
  }

  /**
   * Signals the end of input and returns the last frames (one that waited for the next header to
   * confirm it). A truncated last frame is dropped: a decoder could not use it. Throws `DEMUX`
   * when the input held no frame at all.
   */
  end(): OpusPacket[] {
    if (this.failure !== null) throw this.failure;
    if (this.ended) return [];
    const out: OpusPacket[] = [];
    this.slabSink.out = out;
    this.run(this.slabSink, true);
    this.slabSink.out = null;
    this.ended = true;
    if (this.failure !== null) throw this.failure;
    if (this.damageStart >= 0) this.reportDamage(this.byteOffset, 'the input ended inside bytes that are neither frames nor tags');
    this.queue.clear();
    if (this.first === null) throw demuxError('The MP3 stream holds no audio frame');
    return out;
  }

  private check(method: string): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new SpenceError(ErrorCodes.INVALID_STATE, `${method}() after end()`);
  }

  private run(sink: PacketSink, final: boolean): void {
    try {
      this.parse(sink, final);
    } catch (error) {
      this.failure = error instanceof SpenceError ? error : new SpenceError(ErrorCodes.DEMUX, 'Malformed MP3 data', { cause: error, source: 'demux' });
      this.queue.clear();
      this.skipRemaining = 0;
    }
  }

  /** Handles one frame, tag or stretch of junk per iteration until more bytes are needed. */
  private parse(sink: PacketSink, final: boolean): void {
    const queue = this.queue;
    for (;;) {
      this.steps++;
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, queue.available);
        queue.skip(n);
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return;
      }
      if (queue.available === 0) return;
      const look = this.frameOrTag(sink, final);
      if (look === MORE) return;
      if (look === NO) this.skipJunk();
    }
  }

  /** Reads the frame or tag at the cursor, when there is one. */
  private frameOrTag(sink: PacketSink, final: boolean): Look {
    const queue = this.queue;
    const b0 = queue.byteAt(0);
    if (b0 === 0xff) return this.frame(sink, final);
    let size = 0;
    if (b0 === 0x49) { // "ID3"
      if (queue.available < ID3V2_HEADER_BYTES) return final ? NO : this.prefixOf('ID3');
      size = id3v2Size(this.queue.contiguous(0, ID3V2_HEADER_BYTES), this.queue.contiguousStart);
    } else if (b0 === 0x54 && this.first !== null) { // "TAG": ID3v1, 128 bytes
      if (queue.available < 3) return final ? NO : this.prefixOf('TAG');
      if (queue.byteAt(1) === 0x41 && queue.byteAt(2) === 0x47) size = ID3V1_BYTES;
    } else if (b0 === 0x41 && this.first !== null) { // "APETAGEX"
      if (queue.available < APE_HEADER_BYTES) return final ? NO : this.prefixOf('APETAGEX');
      size = apeTagSize(this.queue.contiguous(0, APE_HEADER_BYTES), this.queue.contiguousStart);
    }
    if (size === 0) return NO;
    this.endDamage(); // a tag is the stream's own: the stretch before it was the damage
    this.skipRemaining = size;
    return YES;
  }

  /** More when the bytes at the cursor are a prefix of `magic` (wait for the rest), else No. */
  private prefixOf(magic: string): Look {
    const n = Math.min(this.queue.available, magic.length);
    for (let i = 0; i < n; i++) if (this.queue.byteAt(i) !== magic.charCodeAt(i)) return NO;
    return MORE;
  }

  /** Reads the frame whose header starts at the cursor (its first byte is 0xFF). */
  private frame(sink: PacketSink, final: boolean): Look {
    const queue = this.queue;
    if (queue.available < FRAME_HEADER_BYTES) return final ? NO : MORE;
    const header = parseFrameHeader(queue.byteAt(1), queue.byteAt(2), queue.byteAt(3));
    if (header === null || (this.first !== null && !sameStream(this.first, header))) return NO;
    const length = header.frameBytes;
    // In sync, a frame boundary is trusted; otherwise the next frame (or a tag, or the end) confirms it.
    if (this.first === null || this.damageStart >= 0) {
      const next = this.confirmed(header, final);
      if (next !== YES) return next;
    }
    if (queue.available < length) {
      if (!final) return MORE;
      queue.skip(queue.available); // a truncated last frame: dropped, as a decoder could not use it
      return YES;
    }
    this.endDamage();
    const bytes = queue.contiguous(0, length);
    const at = queue.contiguousStart;
    if (this.first === null) {
      this.first = header;
      const frames = mp3HeaderFrameCount(bytes, at, header);
      this.streamInfo = {
        codec: 'mp3', container: 'mp3', sampleRate: header.sampleRate, channels: header.channels,
        ...(frames !== null && frames > 0 && { durationMs: (frames * header.samples * 1000) / header.sampleRate }),
      };
      if (isMp3InfoFrame(bytes, at, header)) {
        // The header frame decodes to silence a gapless decoder drops: it is no audio time.
        this.prefix = bytes.slice(at, at + length);
        queue.skip(length);
        return YES;
      }
    }
    const timestampMs = (this.samples * 1000) / this.first.sampleRate;
    const durationMs = (header.samples * 1000) / this.first.sampleRate;
    this.samples += header.samples;
    const prefix = this.prefix;
    if (prefix === null) {
      sink.packet(bytes, at, at + length, timestampMs, durationMs);
    } else {
      this.prefix = null;
      const joined = new Uint8Array(prefix.length + length);
      joined.set(prefix);
      joined.set(bytes.subarray(at, at + length), prefix.length);
      sink.packet(joined, 0, joined.length, timestampMs, durationMs);
    }
    queue.skip(length);
    return YES;
  }

  /**
   * Whether what follows the frame at the cursor confirms it: another frame header of the same
   * stream, a tag, or the end of the input right after the frame.
   */
  private confirmed(header: Mp3FrameHeader, final: boolean): Look {
    const queue = this.queue;
    const next = header.frameBytes;
    const available = queue.available;
    if (available < next + 4) {
      if (!final) return MORE;
      return available === next ? YES : NO;
    }
    const b0 = queue.byteAt(next);
    const b1 = queue.byteAt(next + 1);
    const b2 = queue.byteAt(next + 2);
    if (b0 === 0xff) {
      const second = parseFrameHeader(b1, b2, queue.byteAt(next + 3));
      return second !== null && sameStream(header, second) ? YES : NO;
    }
    // "ID3", "TAG", "APET": a tag after the frame.
    if ((b0 === 0x49 && b1 === 0x44 && b2 === 0x33) || (b0 === 0x54 && b1 === 0x41 && b2 === 0x47)) return YES;
    return b0 === 0x41 && b1 === 0x50 && b2 === 0x45 && queue.byteAt(next + 3) === 0x54 ? YES : NO;
  }

  /**
   * Skips the byte at the cursor, which starts neither a frame nor a tag, and the bytes after it
   * that cannot start one either (in the head chunk): before the first frame that is the search
   * for it, after it lost sync.
   */
  private skipJunk(): void {
    const queue = this.queue;
    const head = queue.head;
    const end = queue.headEnd;
    let i = queue.headStart + 1;
    while (i < end) {
      const b = head[i]!;
      if (b === 0xff || b === 0x49 || b === 0x54 || b === 0x41) break;
      i++;
    }
    const n = i - queue.headStart;
    this.steps += n;
    if (this.first === null) {
      this.searched += n;
      if (this.searched > MAX_SYNC_SEARCH) throw demuxError('No MPEG audio frame in the first MiB of the MP3 stream');
    } else if (this.damageStart < 0) {
      if (!this.resync) throw demuxError(`Lost MPEG audio frame sync at byte ${this.byteOffset - queue.available}`);
      this.damageStart = queue.position;
    }
    queue.skip(n);
  }

  private endDamage(): void {
    if (this.damageStart >= 0) this.reportDamage(this.queue.position, 'bytes that are neither MPEG audio frames nor tags');
  }

  private reportDamage(end: number, reason: string): void {
    const start = this.damageStart;
    this.damageStart = -1;
    // MP3 carries no timestamps: what the skipped bytes held cannot be known.
    this.onDamage?.({ start, end, packetsLost: null, lostMs: null, reason });
  }
}
