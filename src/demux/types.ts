/**
 * Types shared by the demuxers. `src/demux` is pure: it knows nothing about HTTP, resolution or
 * players, and imports nothing from them.
 *
 * @module
 */

/**
 * One Opus packet, as the demuxers yield it and the players send it. (The MP3 demuxer yields its
 * MPEG audio frames in the same shape: see {@link Mp3StreamInfo}.)
 */
export interface OpusPacket {
  /**
   * The packet's bytes: one Opus packet (RFC 6716), copied out of the input once: never a view on a
   * pushed chunk. (A demuxer may carve small packets from a slab that holds only packet bytes.)
   */
  data: Uint8Array;
  /** Presentation time of the packet's start, in milliseconds from the stream's start. */
  timestampMs: number;
  /** The packet's duration, read from its TOC byte (RFC 6716 §3.1): 2.5 to 120 ms. */
  durationMs: number;
}

/** The containers spence reads Opus from. */
export type OpusContainer = 'webm' | 'ogg';

/** Every container the demuxers read: the Opus ones, and MP3 (MPEG audio frames, transcoded to play). */
export type ContainerKind = OpusContainer | 'mp3';

/**
 * What a demuxer says about its stream before the first packet, by codec: {@link OpusStreamInfo}
 * (WebM, Ogg) or {@link Mp3StreamInfo} (MP3). Tell them apart by `codec` (or `container`):
 * `info.codec === 'mp3'` narrows to the MP3 parameters.
 */
export type StreamInfo = OpusStreamInfo | Mp3StreamInfo;

/** The Opus stream parameters, known before the first packet. */
export interface OpusStreamInfo {
  /**
   * `'opus'`. The demuxers always set it; it is optional so that parameters written by hand (for
   * the Ogg writer, or a player test) need not say it: absent means Opus.
   */
  codec?: 'opus';
  /** `'webm'` (WebM/Matroska) or `'ogg'` (Ogg Opus). */
  container: OpusContainer;
  /** Output channel count (1 or 2 for most streams). */
  channels: number;
  /**
   * Samples at 48 kHz to discard from the decoder's output at the start: OpusHead's pre-skip (RFC 7845 §5.1),
   * or Matroska's CodecDelay converted from nanoseconds.
   */
  preSkip: number;
  /** The original input sample rate, informational only (Opus always decodes at 48 kHz). */
  inputSampleRate: number;
  /** Output gain in Q7.8 dB, from OpusHead. */
  outputGain: number;
  /** Channel mapping family, from OpusHead. */
  channelMappingFamily: number;
  /** Matroska SeekPreRoll in nanoseconds, when given (80 ms for Opus). */
  seekPreRollNs?: number;
  /** The raw OpusHead (RFC 7845 §5.1), from Ogg or Matroska CodecPrivate, when the container has one. */
  opusHead?: Uint8Array;
  /**
   * Stream duration in milliseconds when the container states it (Matroska Duration; a stated 0,
   * as Firefox's MediaRecorder writes, is no statement), else undefined. WebM: once the whole input
   * has been read ({@link PushDemuxer.end}), a duration the file did not state is set to the one
   * measured: the end of the last packet less the pre-skip.
   */
  durationMs?: number;
}

/**
 * The parameters of an MP3 stream (MPEG-1/2/2.5 audio, ISO/IEC 11172-3 and 13818-3), from its
 * first frame. Its packets are MPEG audio frames (any layer), with their start times counted in
 * samples from the first frame and their durations from the frame header; they play through the
 * transcoding path. A Xing/Info/VBRI header frame (no audio) is not a packet of its own: it is
 * prepended to the first audio frame, so a decoder still reads its gapless trimming (LAME's encoder
 * delay and padding).
 */
export interface Mp3StreamInfo {
  /** `'mp3'`. */
  codec: 'mp3';
  /** `'mp3'`: a bare MPEG audio stream (ID3 tags allowed). */
  container: 'mp3';
  /** Sample rate of the first frame, in Hz (8000 to 48000). */
  sampleRate: number;
  /** Channels of the first frame: 1 (single channel) or 2. */
  channels: 1 | 2;
  /** Duration in milliseconds from a Xing/Info/VBRI frame count, when the stream starts with one. */
  durationMs?: number;
}

/**
 * How to position a demuxer for a seek, as `MediaDemuxer.seekPlan` answers it:
 * - `restart`: call `restartAt(byteOffset)`, then push the bytes from `byteOffset` on; packets
 *   then start at `timeMs` (at or before the wanted time: drop those before it).
 * - `read`: the seek index lies just ahead in the stream: push the next bytes, as you were, and
 *   ask again.
 * - `fetch`: the demuxer needs the bytes `[start, end)` of the file (its seek index) first: read
 *   them, hand them to `supplySeekBytes(start, bytes)`, and ask again. `end` may lie past the end
 *   of the file: give what there is.
 *
 * `null` (no plan) means: read on from where you are, and drop the packets before the wanted
 * time (the stream has no index to seek by, Ogg, MP3; or the wanted packets are in the bytes
 * pushed already). Asking again after `read` or `fetch` always gets closer to an answer: the
 * demuxer never asks for the same bytes twice.
 */
export type SeekPlan =
  | { readonly type: 'restart'; readonly byteOffset: number; readonly timeMs: number }
  | { readonly type: 'read' }
  | { readonly type: 'fetch'; readonly start: number; readonly end: number };

/** One entry of a seek index: a time and the byte offset, in the file, of the cluster that starts there. */
export interface SeekPoint {
  /** Time in milliseconds. */
  timeMs: number;
  /** Byte offset of the Cluster element from the start of the file. */
  byteOffset: number;
}

/**
 * A stretch of input a demuxer could not read and skipped to find its place again (damaged,
 * truncated or missing bytes in the middle of a stream), as real files carry.
 */
export interface DemuxDamage {
  /** Byte offset, from the start of the input, where the unreadable stretch starts. */
  start: number;
  /** Byte offset where reading resumed: the end (exclusive) of what was skipped. */
  end: number;
  /**
   * How many packets were lost, when the container tells (timestamps, page sequence numbers);
   * `null` when it cannot be known.
   */
  packetsLost: number | null;
  /** How much audio was lost, in milliseconds, when timestamps tell; `null` otherwise. */
  lostMs: number | null;
  /** What was wrong, for logs: a sentence, never media bytes. */
  reason: string;
}

/** Options shared by the demuxers. */
export interface DemuxerOptions {
  /**
   * The largest element or page body (other than Segment and Cluster) the demuxer will buffer, in bytes.
   * A larger one is refused with a `DEMUX` error rather than buffered. Default 16 MiB.
   */
  maxElementSize?: number;
  /**
   * Damage in the middle of a stream (after valid headers) is skipped: the demuxer finds its place
   * again (WebM: the next Cluster or block; Ogg: the next capture pattern whose page CRC is good)
   * and reports each skipped stretch here. Default true. `false` makes the first damage a `DEMUX`
   * error instead (for validation: `spence inspect --strict`).
   */
  resync?: boolean;
  /** Called once per skipped stretch when {@link resync} is on. */
  onDamage?: (damage: DemuxDamage) => void;
}

/**
 * Receives packets from {@link PushDemuxer.feed} without an object per packet: the way a consumer
 * that keeps packets in its own storage (a player's read-ahead ring) takes them at no allocation.
 */
export interface PacketSink {
  /**
   * One packet (an Opus packet; an MPEG audio frame from the MP3 demuxer): the bytes `bytes[start, end)` (never empty), its presentation time and its
   * duration as in {@link OpusPacket}. `bytes` is the demuxer's input or scratch memory, valid
   * only during this call: copy what you keep.
   */
  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void;
}

/**
 * The contract every push demuxer fulfils. `Info` is what {@link info} holds: the Opus parameters
 * for WebM and Ogg, {@link StreamInfo} (either codec) for the sniffing {@link MediaDemuxer}.
 */
export interface PushDemuxer<Info extends StreamInfo = OpusStreamInfo> {
  /** The stream parameters, once the headers have been read; `null` before. */
  readonly info: Info | null;
  /** Pushes a chunk (any size, including 1 byte) and returns the packets it completes, in order. */
  push(chunk: Uint8Array): OpusPacket[];
  /**
   * Pushes a chunk and hands each packet it completes, in order, to `sink.packet()`: the same
   * packets as {@link push}, with no packet objects and no packet storage allocated. The chunk is
   * only borrowed: whatever the demuxer keeps of it (an element cut by the chunk's end) is copied
   * before `feed` returns, so the caller may overwrite the buffer at once. On malformed bytes it
   * throws `DEMUX` after the packets before the fault have gone to the sink, and stays failed.
   */
  feed(chunk: Uint8Array, sink: PacketSink): void;
  /** Signals the end of input; returns any last packets; throws `DEMUX` when the input ended mid-header. */
  end(): OpusPacket[];
}

/** The default cap on any buffered element: 16 MiB. */
export const DEFAULT_MAX_ELEMENT_SIZE = 16 * 1024 * 1024;
