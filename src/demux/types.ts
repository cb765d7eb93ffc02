/**
 * Types shared by the demuxers. `src/demux` is pure: it knows nothing about HTTP, resolution or
 * players, and imports nothing from them.
 *
 * @module
 */

/** One Opus packet, as the demuxers yield it and the players send it. */
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

/** The Opus stream parameters, known before the first packet. */
export interface OpusStreamInfo {
  /** `'webm'` (WebM/Matroska) or `'ogg'` (Ogg Opus). */
  container: 'webm' | 'ogg';
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
  /** Stream duration in milliseconds when the container states it (Matroska Duration), else undefined. */
  durationMs?: number;
}

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
   * One Opus packet: the bytes `bytes[start, end)` (never empty), its presentation time and its
   * duration as in {@link OpusPacket}. `bytes` is the demuxer's input or scratch memory, valid
   * only during this call: copy what you keep.
   */
  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void;
}

/** The contract both push demuxers fulfil. */
export interface PushDemuxer {
  /** The stream parameters, once the headers have been read; `null` before. */
  readonly info: OpusStreamInfo | null;
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
