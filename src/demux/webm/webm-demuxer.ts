/**
 * A streaming WebM/Matroska demuxer for Opus audio (RFC 9559 on EBML, RFC 8794).
 *
 * Push bytes in any chunking; get the Opus packets they complete. The demuxer walks the element
 * tree as a state machine over a {@link ChunkQueue}: Segment, Cluster and BlockGroup are entered,
 * never buffered; small masters (Info, Tracks, Cues, SeekHead) and blocks are buffered whole,
 * up to `maxElementSize`; everything else (Void, CRC-32, Tags, Chapters, Attachments, video
 * blocks...) is skipped as it streams past, whatever its size.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { ChunkQueue } from '../chunk-queue.js';
import { opusSamplesAt } from '../opus.js';
import { prefetch } from '../prefetch.js';
import { PacketRunSink } from '../slab-sink.js';
import {
  DEFAULT_MAX_ELEMENT_SIZE,
  type DemuxDamage, type DemuxerOptions, type OpusPacket, type OpusStreamInfo, type PacketSink, type PushDemuxer, type SeekPlan,
  type SeekPoint,
} from '../types.js';
import {
  demuxError, newElementHeader, peekElementHeaderIn, readElementHeader, readElementHeaderIn, readStringIn, vintLength, UNKNOWN_SIZE,
} from './ebml.js';
import {
  opusInfoFromTrack, parseCues, parseInfo, parseSeekHead, parseTracks, CUE_STRIDE, type CueTable, type TrackEntry,
} from './headers.js';
import * as ID from './ids.js';
import { LACING_MASK, LACING_NONE, LaceSizes, laceError, readLaceSizes } from './lacing.js';
import { RESYNC_MORE, RESYNC_NO, checkResyncCandidate, newResyncContext, type ResyncContext } from './resync.js';
import { isKnownChild, isSegmentChild, mayBeChildOf } from './schema.js';

/** The SimpleBlock element ID (RFC 9559 §5.1.3.5), as its one ID octet. */
const SIMPLE_BLOCK_OCTET = 0xa3;

/** The Matroska CodecID of Opus (Matroska codec mappings, "A_OPUS"). */
const CODEC_OPUS = 'A_OPUS';

/**
 * The first fetch {@link WebmDemuxer.seekPlan} asks for the Cues: 64 KiB holds the Cues of hours
 * of audio (YouTube's are a few KiB); a larger element is then fetched at its exact size.
 */
const CUES_FIRST_FETCH = 64 * 1024;

/**
 * Streaming WebM/Matroska demuxer: bytes in, Opus packets of the `A_OPUS` track out.
 *
 * Packet bytes are copied out of the pushed chunks once, into slabs holding only packet bytes
 * (never reused; see `slab-sink.ts`; the SimpleBlocks a chunk holds whole are copied in one run),
 * so a packet pins no input chunk.
 * {@link WebmDemuxer.feed} hands the packets to a {@link PacketSink} instead, with no packet
 * objects and no slabs: the bytes go straight from the input to the consumer's storage.
 *
 * Damage after the headers (bytes that cannot be what the schema allows where they are: an
 * invalid ID or size, an element overrunning its Cluster or BlockGroup, an ID a Cluster cannot
 * hold, a malformed block) is skipped: the demuxer resumes at the next Cluster, or the next block
 * of one of the file's tracks within the open Cluster (see `resync.ts`), and reports the stretch
 * through `onDamage`, with the packets lost when the timestamps tell. A file cut short ends with
 * the packets it had.
 *
 * Errors are {@link SpenceError}s with code `DEMUX`: malformed headers, and damage with `resync:
 * false`. When bytes turn out to be malformed partway through a
 * {@link WebmDemuxer.push | push}, that push still returns the packets completed before the fault,
 * and the error is thrown by the next `push` or `end`; once failed, the demuxer stays failed.
 *
 * @example
 * ```ts
 * const demuxer = new WebmDemuxer();
 * for await (const chunk of stream) for (const packet of demuxer.push(chunk)) send(packet);
 * for (const packet of demuxer.end()) send(packet);
 * ```
 */
export class WebmDemuxer implements PushDemuxer {
  private readonly queue = new ChunkQueue();
  private readonly maxElementSize: number;
  private readonly header = newElementHeader();
  /** Absolute file offset of the queue's position 0 (moves on {@link restartAt}). */
  private base = 0;
  /**
   * Open master elements: their IDs and absolute end offsets ({@link UNKNOWN_SIZE} when unknown).
   * Room for 8 from the start (a block is 4 deep: Segment, Cluster, BlockGroup, Block): an empty
   * array's first assignment makes room for 17, memory a player keeps for its track.
   */
  private readonly openIds: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  private readonly openEnds: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  private depth = 0;
  /** Bytes of a skipped element still to pass. */
  private skipRemaining = 0;
  private sawEbmlHeader = false;
  private segmentDataStart = -1;
  private timestampScale = 1_000_000;
  private durationTicks: number | undefined;
  private tracksSeen = false;
  private audioTrack = -1;
  private streamInfo: OpusStreamInfo | null = null;
  private clusterTimestamp = 0;
  private cueEntries: CueTable | null = null;
  private cuePoints: SeekPoint[] | null = null;
  /**
   * The Cues' position (relative to the Segment's data) from the first SeekHead that states one,
   * -1 before: the one entry a SeekHead is read for (a Map of them all, kept for the track, was two
   * objects per player).
   */
  private cuesPosition = -1;
  /**
   * The Cues fetch {@link seekPlan} asks for next: its length in bytes, or 0 when the Cues cannot
   * be fetched (none located, too large, or a fetched copy was unreadable).
   */
  private cuesFetchBytes = CUES_FIRST_FETCH;
  private readonly lace = new LaceSizes();
  /**
   * Where {@link push} puts packets: objects over slabs of packet bytes. Made when first needed
   * ({@link pushSink}): a demuxer only fed (a player's) does not carry its ~14 KB of note arrays.
   */
  private slabSink: PacketRunSink | null = null;
  private failure: SpenceError | null = null;
  private ended = false;
  /** State-machine steps taken (see {@link work}). */
  private steps = 0;
  private readonly resync: boolean;
  private readonly onDamage: ((damage: DemuxDamage) => void) | undefined;
  /** Every TrackNumber in Tracks: a block resumed after damage must be of one of them. */
  private trackNumbers: number[] = [];
  /** Absolute offset of the element the state machine is reading (where damage starts). */
  private elementStart = 0;
  /** Absolute offset where the damage being skipped starts, or -1 while reading normally. */
  private damageStart = -1;
  private damageReason = '';
  /** The resync scan's state, made at the first damage (most demuxers never see any). */
  private resyncState: ResyncContext | null = null;
  private get resyncContext(): ResyncContext {
    return (this.resyncState ??= newResyncContext());
  }
  /** Start and duration (ms) of the last packet handed out; NaN before the first. */
  private lastPacketMs = Number.NaN;
  private lastDurationMs = 0;

  /** Creates a demuxer; `maxElementSize` caps any element it must buffer (default 16 MiB). */
  constructor(options: DemuxerOptions = {}) {
    const max = options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE;
    if (!(max > 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'maxElementSize must be a positive number');
    this.maxElementSize = max;
    this.resync = options.resync ?? true;
    this.onDamage = options.onDamage;
  }

  /** The Opus stream parameters, once Tracks has been read; `null` before. */
  get info(): OpusStreamInfo | null {
    return this.streamInfo;
  }

  /**
   * The seek index from the Cues element, `null` until Cues has been read (files written for
   * streaming put it before the first Cluster; others at the end). Times in ms; byte offsets
   * absolute from the start of the file (Segment data start + CueClusterPosition), sorted by time.
   */
  get cues(): SeekPoint[] | null {
    if (this.cuePoints === null && this.cueEntries !== null) this.cuePoints = this.buildCuePoints(this.cueEntries);
    return this.cuePoints;
  }

  /**
   * Absolute file offset of the Cues element as the SeekHead states it, once the SeekHead has been
   * read; `null` when unknown. A player may fetch the Cues from there and hand them to {@link loadCues}.
   */
  get cuesByteOffset(): number | null {
    return this.cuesPosition < 0 || this.segmentDataStart < 0 ? null : this.segmentDataStart + this.cuesPosition;
  }

  /** Absolute file offset of the Segment's data (what Cues and SeekHead positions are relative to); -1 before. */
  get segmentDataOffset(): number {
    return this.segmentDataStart;
  }

  /** Bytes currently held in the demuxer's buffer (at most about `maxElementSize` after a push returns). */
  get bufferedBytes(): number {
    return this.queue.available;
  }

  /**
   * Work done so far, for complexity checks: state-machine steps, and the buffer's chunk walks and
   * copies. Linear in the bytes pushed whatever their chunking. @internal
   */
  get work(): number {
    return this.steps + this.queue.work;
  }

  /** Absolute file offset of the next byte the demuxer expects (the bytes pushed so far, adjusted by {@link restartAt}). */
  get byteOffset(): number {
    return this.base + this.queue.position + this.queue.available;
  }

  /** Pushes a chunk (any size) and returns the packets it completes, in order. See the class notes on errors. */
  push(chunk: Uint8Array): OpusPacket[] {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new SpenceError(ErrorCodes.INVALID_STATE, 'push() after end()');
    prefetch(chunk, 0, chunk.length);
    this.queue.push(chunk);
    const sink = this.pushSink();
    this.run(sink);
    const out = sink.finish();
    this.queue.packLast(); // a tiny chunk's rest joins the carry: no list of a million 1-byte chunks
    if (this.failure !== null && out.length === 0) throw this.failure;
    return out;
  }

  private pushSink(): PacketRunSink {
    return (this.slabSink ??= new PacketRunSink());
  }

  /** See {@link PushDemuxer.feed}: {@link push}'s packets, handed to `sink`; `chunk` is borrowed. */
  feed(chunk: Uint8Array, sink: PacketSink): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new SpenceError(ErrorCodes.INVALID_STATE, 'feed() after end()');
    prefetch(chunk, 0, chunk.length);
    this.queue.push(chunk);
    this.run(sink);
    if (this.failure !== null) throw this.failure;
    // What is left of the chunk (an element it cuts) is copied: the caller reuses the buffer.
    this.queue.ownLast();
  }

  /**
   * Signals the end of input. Returns the packets that only the end could confirm (after damage,
   * a block the input ends right after); a block cut short by the end is dropped. Throws `DEMUX`
   * when the input ended before the headers (EBML header, Tracks with an Opus track) were
   * complete, or when an earlier push found malformed bytes. When the stream stated no duration,
   * {@link info}'s `durationMs` is now the one measured.
   */
  end(): OpusPacket[] {
    if (this.failure !== null) throw this.failure;
    if (this.ended) return [];
    let out: OpusPacket[] = [];
    if (this.damageStart >= 0) {
      const sink = this.pushSink();
      this.run(sink, true);
      out = sink.finish();
      if (this.failure !== null) throw this.failure;
      if (this.damageStart >= 0) this.reportDamage(this.byteOffset, null);
    }
    this.ended = true;
    this.queue.clear();
    const info = this.streamInfo;
    if (info === null) {
      throw demuxError(this.tracksSeen ? 'No Opus audio track (A_OPUS) in the WebM file' : 'The WebM input ended before its headers were complete');
    }
    if (info.durationMs === undefined && !Number.isNaN(this.lastPacketMs)) {
      // Measured: the end of the last packet, less the pre-skip (what a player plays).
      info.durationMs = Math.max(0, this.lastPacketMs + this.lastDurationMs - info.preSkip / 48);
    }
    return out;
  }

  /**
   * Drops the buffered bytes and expects the next pushed bytes to start at absolute file offset
   * `byteOffset`, which must be the start of a Cluster (a {@link cues} entry, for example). Track
   * parameters and the timestamp scale are kept, and packet timestamps stay absolute.
   * Throws `INVALID_STATE` before the headers have been read.
   */
  restartAt(byteOffset: number): void {
    if (this.streamInfo === null) throw new SpenceError(ErrorCodes.INVALID_STATE, 'restartAt() needs the WebM headers to have been read');
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Invalid byte offset ${byteOffset}`);
    this.queue.clear();
    this.base = byteOffset - this.queue.position;
    this.skipRemaining = 0;
    this.clusterTimestamp = 0;
    this.failure = null;
    this.ended = false;
    this.damageStart = -1;
    // Keep the open Segment (and anything above it); close everything inside it.
    let segmentDepth = 0;
    for (let i = 0; i < this.depth; i++) if (this.openIds[i] === ID.ID_SEGMENT) segmentDepth = i + 1;
    this.depth = segmentDepth;
  }

  /**
   * Parses a Cues element fetched separately (its bytes from the ID on, e.g. from
   * {@link cuesByteOffset}), making it available as {@link cues}. Throws `DEMUX` when malformed.
   */
  loadCues(element: Uint8Array): SeekPoint[] {
    const header = newElementHeader();
    try {
      readElementHeaderIn(element, 0, element.length, header);
      if (header.id !== ID.ID_CUES) throw demuxError('Not a Cues element');
      this.cueEntries = parseCues(element.subarray(header.headerLength, header.headerLength + header.size));
      this.cuePoints = null;
    } catch (error) {
      throw toDemuxError(error, 'Cues');
    }
    return this.cues ?? [];
  }

  /**
   * How to start reading at `timeMs` (see {@link SeekPlan}), once the headers have been read:
   * - with Cues (in front of the Clusters, or fetched): `restart` at the Cluster at or before
   *   `timeMs`; or `null` when that Cluster starts in the bytes pushed already (its packets have
   *   been returned, or come by reading on) or `timeMs` is before the first cue;
   * - Cues the SeekHead locates up to 64 KiB ahead of what has been read (in front of the
   *   Clusters): `read` on to them;
   * - Cues further away, or behind (at the end of the file, as ffmpeg writes them): `fetch` them,
   *   hand them to {@link supplySeekBytes}, and ask again;
   * - no index: `null` (read on, and drop the packets before `timeMs`).
   */
  seekPlan(timeMs: number): SeekPlan | null {
    if (this.streamInfo === null) return null;
    const cues = this.cues;
    if (cues === null) {
      const start = this.cuesByteOffset;
      if (start === null) return null;
      const read = this.base + this.queue.position;
      if (start >= read && start - read <= CUES_FIRST_FETCH && this.failure === null) return { type: 'read' };
      if (this.cuesFetchBytes === 0) return null;
      return { type: 'fetch', start, end: start + this.cuesFetchBytes };
    }
    let low = 0;
    let high = cues.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cues[mid]!.timeMs <= timeMs) low = mid + 1;
      else high = mid;
    }
    if (low === 0) return null;
    const cue = cues[low - 1]!;
    if (cue.byteOffset < this.byteOffset) return null;
    return { type: 'restart', byteOffset: cue.byteOffset, timeMs: cue.timeMs };
  }

  /**
   * Takes the bytes a `fetch` {@link seekPlan} asked for, from absolute offset `start` (fewer
   * when the file ends first). Bytes that turn out to hold a larger Cues element make the next
   * plan fetch it whole (up to `maxElementSize`); bytes that are no readable Cues leave the
   * demuxer without an index (the next plan is `null`). Never throws for their content.
   */
  supplySeekBytes(start: number, bytes: Uint8Array): void {
    const requested = this.cuesFetchBytes;
    this.cuesFetchBytes = 0;
    if (start !== this.cuesByteOffset || requested === 0) return;
    const header = newElementHeader();
    if (!peekElementHeaderIn(bytes, 0, bytes.length, header) || header.id !== ID.ID_CUES || header.size === UNKNOWN_SIZE) return;
    const whole = header.headerLength + header.size;
    if (whole > bytes.length) {
      // Cut by the fetch: fetch it whole, unless the file ended or it is over the limit.
      if (bytes.length >= requested && header.size <= this.maxElementSize) this.cuesFetchBytes = whole;
      return;
    }
    try {
      this.cueEntries = parseCues(bytes.subarray(header.headerLength, whole));
      this.cuePoints = null;
    } catch {
      // An unreadable index: the stream plays on without one.
    }
  }

  /**
   * Runs the state machine. Damage after the headers starts a resynchronisation (with `resync`
   * on) instead of failing: the stretch from the damaged element on is skipped until a Cluster or
   * block is found. `final` (from {@link end}) judges what waits for bytes that will not come.
   */
  private run(sink: PacketSink, final = false): void {
    for (;;) {
      try {
        this.parse(sink, final);
        return;
      } catch (error) {
        const fault = toDemuxError(error, 'WebM data');
        if (!this.resync || this.streamInfo === null || this.ended) {
          this.failure = fault;
          this.queue.clear(); // a failed demuxer holds no memory
          this.skipRemaining = 0;
          return;
        }
        this.beginDamage(fault.message);
      }
    }
  }

  /** Starts skipping damage at the element being read: from the byte after its start. */
  private beginDamage(reason: string): void {
    const start = this.elementStart;
    const cursor = this.base + this.queue.position;
    if (cursor <= start) this.queue.skip(start + 1 - cursor);
    this.skipRemaining = 0;
    if (this.damageStart < 0) {
      this.damageStart = start;
      this.damageReason = reason;
    }
  }

  /**
   * Skips damaged bytes up to the next Cluster, or block of the file's tracks inside the open
   * Cluster, and reports the stretch. Returns false when it needs more bytes.
   */
  private resyncScan(final: boolean): boolean {
    const queue = this.queue;
    const context = this.resyncContext;
    for (;;) {
      // Skip to the next byte that may start a Cluster, SimpleBlock or BlockGroup ID.
      const head = queue.head;
      const end = queue.headEnd;
      let i = queue.headStart;
      while (i < end) {
        const b = head[i]!;
        if (b === 0x1f || b === 0xa3 || b === 0xa0) break;
        i++;
      }
      if (i > queue.headStart) {
        this.steps += i - queue.headStart;
        queue.skip(i - queue.headStart);
      }
      if (queue.available === 0) return false;
      if (i === end) continue;
      this.steps++;
      this.fillResyncContext(final);
      const verdict = checkResyncCandidate(queue, context);
      if (verdict === RESYNC_MORE) return false;
      if (verdict === RESYNC_NO) {
        queue.skip(1);
        continue;
      }
      // Resume: a Cluster at the Segment's level, a block in the open Cluster.
      const position = this.base + queue.position;
      this.depth = context.foundCluster ? this.depthOf(ID.ID_SEGMENT) : this.depthOf(ID.ID_CLUSTER);
      this.reportDamage(position, context.foundTimeMs);
      return true;
    }
  }

  /** The depth just inside the innermost open `id` (0 when none is open). */
  private depthOf(id: number): number {
    for (let i = this.depth - 1; i >= 0; i--) if (this.openIds[i] === id) return i + 1;
    return 0;
  }

  private fillResyncContext(final: boolean): void {
    const context = this.resyncContext;
    const cluster = this.depthOf(ID.ID_CLUSTER);
    const segment = this.depthOf(ID.ID_SEGMENT);
    context.position = this.base + this.queue.position;
    context.tracks = this.trackNumbers;
    context.inCluster = cluster > 0 && (this.openEnds[cluster - 1] === UNKNOWN_SIZE || context.position < this.openEnds[cluster - 1]!);
    context.clusterEnd = cluster > 0 ? this.openEnds[cluster - 1]! : UNKNOWN_SIZE;
    context.clusterTimestamp = this.clusterTimestamp;
    context.segmentEnd = segment > 0 ? this.openEnds[segment - 1]! : UNKNOWN_SIZE;
    context.timestampScale = this.timestampScale;
    context.lastMs = this.lastPacketMs;
    context.maxElementSize = this.maxElementSize;
    context.final = final;
  }

  /**
   * Reports the stretch from the damage's start to `end`; `resumeMs` is the time of what reading
   * resumes at (null at the end of the input), which tells how much audio was lost.
   */
  private reportDamage(end: number, resumeMs: number | null): void {
    const start = this.damageStart;
    this.damageStart = -1;
    const onDamage = this.onDamage;
    if (onDamage === undefined) return;
    let lostMs: number | null = null;
    let packetsLost: number | null = null;
    if (resumeMs !== null && !Number.isNaN(this.lastPacketMs)) {
      lostMs = Math.max(0, resumeMs - (this.lastPacketMs + this.lastDurationMs));
      packetsLost = this.lastDurationMs > 0 ? Math.round(lostMs / this.lastDurationMs) : null;
    }
    onDamage({ start, end, packetsLost, lostMs, reason: this.damageReason });
  }

  /** The state machine: handles one element per iteration until it needs more bytes. */
  private parse(sink: PacketSink, final: boolean): void {
    const queue = this.queue;
    const header = this.header;
    const openIds = this.openIds;
    const openEnds = this.openEnds;
    for (;;) {
      this.steps++;
      if (this.damageStart >= 0 && !this.resyncScan(final)) return;
      if (this.skipRemaining > 0) {
        const n = this.skipRemaining < queue.available ? this.skipRemaining : queue.available;
        queue.skip(n);
        this.skipRemaining -= n;
        if (this.skipRemaining > 0) return;
      }
      if (this.depth > 0 && openIds[this.depth - 1] === ID.ID_CLUSTER && this.streamInfo !== null) this.clusterBlocks(sink);
      const position = this.base + queue.position;
      this.elementStart = position;
      // Leave masters whose known end has been reached.
      while (this.depth > 0) {
        const end = openEnds[this.depth - 1]!;
        if (end === UNKNOWN_SIZE || position < end) break;
        this.depth--;
      }
      if (!readElementHeader(queue, 0, header)) return;
      const id = header.id;
      const size = header.size;
      const headerLength = header.headerLength;
      // Leave the masters this element cannot belong to: unknown-size ones (RFC 8794 §6.2), and a
      // Cluster or BlockGroup at a Segment-level element (their size was wrong, not the bytes).
      while (this.depth > 0 && !mayBeChildOf(openIds[this.depth - 1]!, id) && (openEnds[this.depth - 1] === UNKNOWN_SIZE || isBlockParent(openIds[this.depth - 1]!))) this.depth--;
      if (!this.sawEbmlHeader && id !== ID.ID_EBML) throw demuxError('Not a WebM/Matroska stream: it does not start with an EBML header');
      if (this.streamInfo !== null) this.checkPlace(id, position, headerLength, size);

      switch (id) {
        case ID.ID_SIMPLE_BLOCK:
        case ID.ID_BLOCK: {
          if (this.streamInfo === null) this.requireTracks();
          const track = this.blockTrack(headerLength, size);
          if (track < 0) return;
          if (track !== this.audioTrack) {
            // Another track's block: skipped as it streams past, whatever its size.
            queue.skip(headerLength);
            this.skipRemaining = size;
            break;
          }
          if (!this.haveWhole(size, headerLength, 'Block')) return;
          this.readBlock(headerLength, size, sink);
          queue.skip(headerLength + size);
          break;
        }
        case ID.ID_CLUSTER:
          if (this.streamInfo === null) this.requireTracks();
          this.clusterTimestamp = 0;
          this.enter(id, position, headerLength, size);
          break;
        case ID.ID_BLOCK_GROUP:
          if (size === UNKNOWN_SIZE) throw demuxError('BlockGroup of unknown size');
          this.enter(id, position, headerLength, size);
          break;
        case ID.ID_CLUSTER_TIMESTAMP: {
          if (!this.haveWhole(size, headerLength, 'Cluster Timestamp')) return;
          if (size > 8) throw demuxError('Cluster Timestamp longer than 8 bytes');
          this.clusterTimestamp = size === 0 ? 0 : queue.uintAt(headerLength, size);
          queue.skip(headerLength + size);
          break;
        }
        case ID.ID_SEGMENT:
          this.segmentDataStart = position + headerLength;
          this.enter(id, position, headerLength, size);
          break;
        case ID.ID_EBML:
        case ID.ID_INFO:
        case ID.ID_TRACKS:
        case ID.ID_CUES:
        case ID.ID_SEEK_HEAD: {
          if (!this.haveWhole(size, headerLength, elementName(id))) return;
          queue.skip(headerLength);
          this.readHeaderElement(id, queue.take(size));
          break;
        }
        default:
          // Void, CRC-32, Tags, Chapters, Attachments, BlockDuration, DiscardPadding, ReferenceBlock,
          // and anything unknown: skipped as it streams past, never buffered (RFC 8794 §8).
          if (size === UNKNOWN_SIZE) throw demuxError(`Element 0x${id.toString(16)} has an unknown size, which only Segment and Cluster may have`);
          queue.skip(headerLength);
          this.skipRemaining = size;
          break;
      }
    }
  }

  /**
   * After the headers, judges an element by where it is (RFC 9559 §5.1): an ID its Segment,
   * Cluster, BlockGroup or the top level cannot hold, or a size overrunning its Cluster or
   * BlockGroup, is damage. (Before the Tracks, unknown elements are skipped, as RFC 8794 §8 asks.)
   */
  private checkPlace(id: number, position: number, headerLength: number, size: number): void {
    const parent = this.depth > 0 ? this.openIds[this.depth - 1]! : 0;
    const parentEnd = this.depth > 0 ? this.openEnds[this.depth - 1]! : UNKNOWN_SIZE;
    if (!isKnownChild(parent, id)) throw demuxError(`Element 0x${id.toString(16)} cannot be ${parent === 0 ? 'at the top level' : `inside 0x${parent.toString(16)}`}`);
    if (size === UNKNOWN_SIZE) return; // judged by the element's own case
    const end = position + headerLength + size;
    if (isBlockParent(parent)) {
      if (parentEnd !== UNKNOWN_SIZE && end > parentEnd) throw demuxError(`Element 0x${id.toString(16)} overruns its 0x${parent.toString(16)}`);
      if (parentEnd === UNKNOWN_SIZE && size > this.maxElementSize) throw demuxError(`Element 0x${id.toString(16)} of ${size} bytes in a Cluster`);
    } else if (parent === ID.ID_SEGMENT && !isSegmentChild(id) && id !== ID.ID_VOID && id !== ID.ID_CRC32) {
      // The Segment's children are a closed set too (RFC 9559 §5.1): after the headers, an ID
      // that is none of them is damaged bytes, however plausible its size.
      throw demuxError(`Element 0x${id.toString(16)} cannot be inside the Segment`);
    }
  }

  /**
   * The track number of the block whose header is at the cursor (RFC 9559 §10.1: a VINT first in
   * the body), or -1 when its bytes have not arrived yet. Throws when the block cannot be one.
   */
  private blockTrack(headerLength: number, size: number): number {
    if (size === UNKNOWN_SIZE) throw demuxError('Block element has an unknown size');
    if (size < 4) throw demuxError('Block too short');
    const queue = this.queue;
    if (queue.available < headerLength + 1) return -1;
    const first = queue.byteAt(headerLength);
    const length = vintLength(first);
    if (length === 0 || length + 3 > size) throw demuxError('Invalid block track number');
    if (queue.available < headerLength + length) return -1;
    let track = first & ((0x80 >> (length - 1)) - 1);
    for (let i = 1; i < length; i++) track = track * 256 + queue.byteAt(headerLength + i);
    return track;
  }

  /**
   * The hot path, equivalent to the state machine below for what it accepts: the SimpleBlocks of
   * the open Cluster that lie whole in the queue's head chunk, read in place. It stops at the
   * first element it does not handle, and leaves that to the general path: any other element, the
   * Cluster's known end, a block straddling chunks, a Data Size the general
   * path must refuse (unknown, over maxElementSize, too short), a multi-octet track number, a lace
   * header that does not fit its block.
   */
  private clusterBlocks(sink: PacketSink): void {
    const queue = this.queue;
    const h = queue.head;
    const first = queue.headStart;
    const hEnd = queue.headEnd;
    const clusterEnd = this.openEnds[this.depth - 1]!;
    // Where the Cluster ends in the head chunk's indices: a block must end by then (the general
    // path judges one that overruns it).
    const limit = clusterEnd === UNKNOWN_SIZE ? Number.POSITIVE_INFINITY : clusterEnd - (this.base + queue.position - first);
    const stop = Math.min(hEnd, limit);
    const track = this.audioTrack;
    const max = this.maxElementSize;
    const clusterTimestamp = this.clusterTimestamp;
    const scale = this.timestampScale;
    let p = first;
    let lastMs = Number.NaN;
    let lastDurationMs = 0;
    // A sink that copies runs copies these blocks' frames at once, when the loop is done with `h`.
    const runs = sink instanceof PacketRunSink ? sink : null;
    runs?.openRun(h);
    // Each block needs at least its ID, a Data Size octet and 4 header octets (RFC 9559 §10.2).
    while (p < stop && p + 6 <= hEnd && h[p] === SIMPLE_BLOCK_OCTET) {
      // Data Size VINT (RFC 8794 §6): 1 to 3 octets here; all VINT_DATA bits set means unknown.
      const s0 = h[p + 1]!;
      let size: number;
      let body: number;
      if (s0 >= 0x80) {
        size = s0 & 0x7f;
        if (size === 0x7f) break;
        body = p + 2;
      } else if (s0 >= 0x40) {
        size = ((s0 & 0x3f) << 8) | h[p + 2]!;
        if (size === 0x3fff) break;
        body = p + 3;
      } else if (s0 >= 0x20) {
        size = ((s0 & 0x1f) << 16) | (h[p + 2]! << 8) | h[p + 3]!;
        if (size === 0x1fffff) break;
        body = p + 4;
      } else if (s0 !== 0) {
        // 4 to 8 octets (some muxers write every size in 8): read without 32-bit wrapping.
        const octets = Math.clz32(s0) - 23; // the marker bit's position: 0x10 -> 4 ... 0x01 -> 8
        body = p + 1 + octets;
        if (body > hEnd) break;
        let unknown = (s0 & (0xff >> octets)) === 0xff >> octets;
        size = s0 & (0xff >> octets);
        for (let k = p + 2; k < body; k++) {
          size = size * 256 + h[k]!;
          if (h[k] !== 0xff) unknown = false;
        }
        if (unknown) break;
      } else {
        break;
      }
      const end = body + size;
      if (end > hEnd || end > limit || size < 4 || size > max) break;
      // Track number: a 1-octet VINT (marker bit 0x80) here; longer ones take the general path.
      const trackOctet = h[body]!;
      if (trackOctet < 0x80) break;
      if ((trackOctet & 0x7f) === track) {
        const lacing = h[body + 3]! & LACING_MASK;
        const relative = ((h[body + 1]! << 24) | (h[body + 2]! << 16)) >> 16; // int16 (RFC 9559 §10.1)
        // Block timestamp in ns = (Cluster Timestamp + relative) * TimestampScale (RFC 9559 §11.1).
        const blockMs = ((clusterTimestamp + relative) * scale) / 1e6;
        if (lacing === LACING_NONE) {
          const length = end - body - 4;
          // A zero-length frame carries no Opus packet; like ffmpeg, yield nothing for it.
          if (length > 0) {
            const at = body + 4;
            lastMs = blockMs;
            lastDurationMs = opusSamplesAt(h, at, length) / 48;
            sink.packet(h, at, end, lastMs, lastDurationMs);
          }
        } else {
          // Laced frames (mkvmerge writes 3 to 8 per block), as readBlock reads them; a lace header
          // that does not fit is left to the general path, which reports it.
          const lace = this.lace;
          let at = readLaceSizes(h, body + 4, end, lacing, lace);
          if (at < 0) break;
          const sizes = lace.sizes;
          let ms = blockMs;
          for (let i = 0; i < lace.count; i++) {
            const frameSize = sizes[i]!;
            if (frameSize === 0) continue;
            lastMs = ms;
            lastDurationMs = opusSamplesAt(h, at, frameSize) / 48;
            sink.packet(h, at, at + frameSize, ms, lastDurationMs);
            ms += lastDurationMs;
            at += frameSize;
          }
        }
      }
      p = end;
    }
    runs?.closeRun();
    if (p !== first) queue.skip(p - first);
    if (!Number.isNaN(lastMs)) {
      this.lastPacketMs = lastMs;
      this.lastDurationMs = lastDurationMs;
    }
  }

  /** Enters a master element: consumes its header and pushes it on the open stack. */
  private enter(id: number, position: number, headerLength: number, size: number): void {
    this.queue.skip(headerLength);
    this.openIds[this.depth] = id;
    this.openEnds[this.depth] = size === UNKNOWN_SIZE ? UNKNOWN_SIZE : position + headerLength + size;
    this.depth++;
    if (this.depth > 64) throw demuxError('EBML elements nested too deeply');
  }

  /** True when the whole element is buffered; throws when it is of unknown size or over the limit. */
  private haveWhole(size: number, headerLength: number, what: string): boolean {
    if (size === UNKNOWN_SIZE) throw demuxError(`${what} element has an unknown size`);
    if (size > this.maxElementSize) {
      throw demuxError(`${what} element of ${size} bytes exceeds maxElementSize (${this.maxElementSize} bytes)`);
    }
    return this.queue.available >= headerLength + size;
  }

  private requireTracks(): never | void {
    if (this.streamInfo !== null) return;
    throw demuxError(this.tracksSeen ? 'No Opus audio track (A_OPUS) in the WebM file' : 'A Cluster came before the Tracks element');
  }

  private readHeaderElement(id: number, data: Uint8Array): void {
    switch (id) {
      case ID.ID_EBML: {
        // EBML header (RFC 8794 §11.2): only DocType matters here.
        let docType = 'matroska'; // DocType's default (RFC 8794 §11.2.6)
        const header = newElementHeader();
        for (let pos = 0; pos < data.length; pos += header.headerLength + header.size) {
          readElementHeaderIn(data, pos, data.length, header);
          if (header.id === ID.ID_DOC_TYPE) docType = readStringIn(data, pos + header.headerLength, header.size);
        }
        if (docType !== 'webm' && docType !== 'matroska') throw demuxError(`Unsupported EBML DocType "${docType}" (expected webm or matroska)`);
        this.sawEbmlHeader = true;
        break;
      }
      case ID.ID_INFO: {
        const info = parseInfo(data);
        this.timestampScale = info.timestampScale;
        this.durationTicks = info.duration;
        this.cuePoints = null;
        if (this.streamInfo !== null) this.applyDuration(this.streamInfo);
        break;
      }
      case ID.ID_TRACKS:
        this.useTracks(parseTracks(data));
        break;
      case ID.ID_CUES:
        this.cueEntries = parseCues(data);
        this.cuePoints = null;
        break;
      case ID.ID_SEEK_HEAD:
        // Several SeekHeads may exist; the first one's entries win.
        if (this.cuesPosition < 0) this.cuesPosition = parseSeekHead(data).get(ID.ID_CUES) ?? -1;
        break;
      default:
        break;
    }
  }

  private useTracks(tracks: TrackEntry[]): void {
    this.tracksSeen = true;
    this.trackNumbers = tracks.map((t) => t.number);
    // The first A_OPUS track, whatever its number or position among the tracks.
    const track = tracks.find((t) => t.codecId === CODEC_OPUS && (t.type === ID.TRACK_TYPE_AUDIO || t.type === 0) && t.number > 0);
    if (track === undefined) throw demuxError('No Opus audio track (A_OPUS) in the WebM file');
    const info = opusInfoFromTrack(track);
    this.applyDuration(info);
    this.audioTrack = track.number;
    this.streamInfo = info;
    this.cuePoints = null;
  }

  private applyDuration(info: OpusStreamInfo): void {
    if (this.durationTicks !== undefined) info.durationMs = (this.durationTicks * this.timestampScale) / 1e6;
  }

  /**
   * Reads a SimpleBlock or Block buffered at `[headerLength, headerLength + size)` past the cursor
   * (RFC 9559 §10.1, §10.2): track number (VINT), signed 16-bit timestamp relative to the Cluster,
   * flags, then the frame or the lace. Frames of other tracks are ignored.
   */
  private readBlock(headerLength: number, size: number, sink: PacketSink): void {
    const queue = this.queue;
    const start = headerLength;
    const end = headerLength + size;
    if (size < 4) throw demuxError('Block too short');
    const first = queue.byteAt(start);
    const trackLength = vintLength(first);
    if (trackLength === 0 || start + trackLength + 3 > end) throw demuxError('Invalid block track number');
    let track = first & ((0x80 >> (trackLength - 1)) - 1);
    for (let i = 1; i < trackLength; i++) track = track * 256 + queue.byteAt(start + i);
    if (track !== this.audioTrack) return;
    const at = start + trackLength;
    const relative = ((queue.byteAt(at) << 24) | (queue.byteAt(at + 1) << 16)) >> 16; // int16 (RFC 9559 §10.1)
    const flags = queue.byteAt(at + 2);
    // Block timestamp in ns = (Cluster Timestamp + relative) * TimestampScale (RFC 9559 §11.1).
    let timestampMs = ((this.clusterTimestamp + relative) * this.timestampScale) / 1e6;
    const lacing = flags & LACING_MASK;
    // A zero-length frame carries no Opus packet; like ffmpeg, yield nothing for it.
    if (lacing === LACING_NONE) {
      if (end === at + 3) return;
      const length = end - at - 3;
      const bytes = queue.contiguous(at + 3, length);
      const from = queue.contiguousStart;
      const durationMs = opusSamplesAt(bytes, from, length) / 48;
      sink.packet(bytes, from, from + length, timestampMs, durationMs);
      this.lastPacketMs = timestampMs;
      this.lastDurationMs = durationMs;
      return;
    }
    // The lace (its header and frames) in one piece: in place, or copied once when a chunk cuts it.
    const bytes = queue.contiguous(at + 3, end - at - 3);
    const from = queue.contiguousStart;
    const lace = this.lace;
    let pos = readLaceSizes(bytes, from, from + end - at - 3, lacing, lace);
    if (pos < 0) throw laceError(pos);
    const sizes = lace.sizes;
    // Laced frames after the first start where the previous ones end (RFC 9559 §10.4.5).
    for (let i = 0; i < lace.count; i++) {
      const frameSize = sizes[i]!;
      if (frameSize === 0) continue;
      const durationMs = opusSamplesAt(bytes, pos, frameSize) / 48;
      sink.packet(bytes, pos, pos + frameSize, timestampMs, durationMs);
      this.lastPacketMs = timestampMs;
      this.lastDurationMs = durationMs;
      timestampMs += durationMs;
      pos += frameSize;
    }
  }

  private buildCuePoints(entries: CueTable): SeekPoint[] {
    let forAudio = false;
    for (let k = 1; k < entries.length && !forAudio; k += CUE_STRIDE) forAudio = entries[k] === this.audioTrack;
    const base = this.segmentDataStart < 0 ? 0 : this.segmentDataStart;
    const points: SeekPoint[] = [];
    for (let k = 0; k < entries.length; k += CUE_STRIDE) {
      if (forAudio && entries[k + 1] !== this.audioTrack) continue;
      points.push({ timeMs: (entries[k]! * this.timestampScale) / 1e6, byteOffset: base + entries[k + 2]! });
    }
    points.sort((a, b) => a.timeMs - b.timeMs || a.byteOffset - b.byteOffset);
    return points.filter((p, i) => i === 0 || p.byteOffset !== points[i - 1]!.byteOffset || p.timeMs !== points[i - 1]!.timeMs);
  }
}

/** True for the masters that hold blocks: Cluster and BlockGroup. */
function isBlockParent(id: number): boolean {
  return id === ID.ID_CLUSTER || id === ID.ID_BLOCK_GROUP;
}

function elementName(id: number): string {
  switch (id) {
    case ID.ID_EBML: return 'EBML header';
    case ID.ID_INFO: return 'Info';
    case ID.ID_TRACKS: return 'Tracks';
    case ID.ID_CUES: return 'Cues';
    case ID.ID_SEEK_HEAD: return 'SeekHead';
    default: return `0x${id.toString(16)}`;
  }
}

function toDemuxError(error: unknown, what: string): SpenceError {
  return error instanceof SpenceError ? error : demuxError(`Malformed ${what}`, error);
}
