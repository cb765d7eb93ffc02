/**
 * A push demuxer for Ogg Opus (RFC 3533 pages, RFC 7845 Opus mapping): bytes in, in chunks of
 * any size, Opus packets out.
 *
 * How it reads:
 * - Pages are parsed in place inside the pushed chunk whenever a page lies entirely within it (the
 *   common case for 64 KiB chunks). The tail of a chunk that holds an incomplete page is copied
 *   into a fixed page buffer (an Ogg page is at most 65,307 bytes, RFC 3533 §6), so a chunk is never
 *   retained after `push()` returns and nothing is concatenated per chunk.
 * - Every page's CRC is checked (natively through zlib.crc32 over a bit-reversed copy when the
 *   platform allows, crc-fast.ts; else in JS, crc.ts). A page with a bad CRC, or bytes that are not
 *   a page, are skipped by scanning for the next `OggS` capture pattern whose page verifies.
 * - A packet that spans a dropped page (bad CRC, or a gap in the page sequence numbers) is dropped
 *   whole: the part read before the gap is discarded, and the continuation after it is skipped up
 *   to the next packet boundary. Packets are never emitted with missing bytes.
 * - Each audio packet's bytes are copied once, out of the pushed chunk: the packets that lie whole
 *   on one page are copied as one run of the page's body into a 64 KiB slab of packet bytes shared
 *   with the next pages' packets (one allocation per slab rather than per packet or page, which
 *   would be most of the demuxer's cost otherwise), so a packet's `data` is a view that pins at
 *   most one such slab (64 KiB, or one page's run when larger), never the pushed chunk. A packet continuing
 *   across pages is gathered in a reusable buffer (bounded by `maxElementSize`) and copied out into
 *   an array of its own when it completes.
 * - `feed()` hands the same packets to a {@link PacketSink} instead, in place: each packet is a
 *   range of the chunk, of the carried page, or of the gathered continued packet, valid during the
 *   call. No packet object, view or slab is made, so a steady stream allocates nothing per packet.
 *   Each page is read in two passes: the lacing table first, into a fixed table of the page's
 *   packets (offsets and TOC samples), so that the page's timestamps are known before the first of
 *   its packets is handed out; then the packets.
 *
 * Timestamps (RFC 7845 §4): the first audio page's granule position minus the samples of the
 * packets completed on it gives the stream's starting granule; later packets follow on by their
 * TOC durations. A packet's `timestampMs` is `(granule at its start − pre-skip) / 48`, which is the
 * presentation time ffprobe reports as `pts` (so the first packet of a typical file starts at
 * −pre-skip, e.g. −6.5 ms). After a lost page or {@link OggDemuxer.restartAt} the timeline is
 * re-anchored on the next page's granule position. In a chained file each new link's timeline
 * starts where the previous link's playback ended (its final granule position minus its pre-skip).
 *
 * End trimming (RFC 7845 §4.4): when the end-of-stream page's granule position is smaller than the
 * end of its packets, every packet is still emitted with its full TOC duration (as ffprobe does,
 * and as a 20 ms pacer needs), and the number of samples to discard from the end of the decoded
 * output is exposed as {@link OggDemuxer.endTrimSamples}.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { opusSamplesAt } from '../opus.js';
import { DEFAULT_MAX_ELEMENT_SIZE } from '../types.js';
import type { DemuxerOptions, OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer } from '../types.js';
import { oggPageCrc } from './crc.js';
import { fastCrcAvailable, reverseWindow, windowPageCrc, WINDOW_SIZE } from './crc-fast.js';
import { isOpusHead, parseOpusHead } from './opus-head.js';
import type { OpusHead } from './opus-head.js';
import { isOpusTags, parseOpusTags } from './opus-tags.js';
import type { OpusTags } from './opus-tags.js';

/** Size of the fixed page header, up to and including the segment count (RFC 3533 §6). */
const PAGE_HEADER_SIZE = 27;
/** The largest possible page: header, 255 lacing values, 255 segments of 255 bytes (RFC 3533 §6). */
export const MAX_OGG_PAGE_SIZE = PAGE_HEADER_SIZE + 255 + 255 * 255;

/** header_type_flag bits (RFC 3533 §6). */
const FLAG_CONTINUED = 0x01;
const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;

/**
 * Pages at least this long take the native CRC path (crc-fast.ts); shorter ones cost less with the
 * JS CRC than the per-call overhead of copying, reversing and calling zlib.
 */
const FAST_CRC_MIN_PAGE = 512;

/**
 * Packet storage: the packets that lie whole on a page are copied, in one run per page, into a
 * 64 KiB slab shared with the following pages' packets (a larger run gets a slab of its own). A
 * packet pins at most one slab of packet bytes, never a pushed chunk; one ArrayBuffer per page
 * would cost about as much as all the parsing.
 */
const SLAB_SIZE = 64 * 1024;
const EMPTY_SLAB = new Uint8Array(0);

/**
 * The most packets a page can complete: one per lacing value, and a page has at most 255 of them
 * (RFC 3533 §6). Sizes the table of a page's packets filled by the first pass over its lacing table.
 */
const MAX_PAGE_PACKETS = 255;
/** In the table of a page's packets: the packet is the one gathered across pages in `partial`. */
const FROM_PARTIAL = -1;

/** One logical Opus stream (one link of a chain). */
interface OpusLink {
  serial: number;
  head: OpusHead;
  info: OpusStreamInfo;
  /** Header packets seen so far: 1 after OpusHead, 2 once OpusTags is complete (RFC 7845 §3). */
  headerPackets: number;
  /** Sequence number of the last page read, or -1 when unknown. */
  lastSequence: number;
  /** Granule position at the start of the next packet, when `timeKnown`. */
  nextGranule: number;
  timeKnown: boolean;
  /** The end-of-stream page has been read. */
  ended: boolean;
  /** The EOS page's granule position, or -1. */
  finalGranule: number;
  /** Whether any audio packet came out of this link. */
  hasAudio: boolean;
  /** The chain offset (samples) at which this link's timeline starts. */
  chainOffset: number;
}

/** Options for {@link OggDemuxer}. */
export interface OggDemuxerOptions extends DemuxerOptions {
  /**
   * Check the CRC of every page (default `true`, RFC 3533 §6). With `false`, only pages found by
   * resynchronising (the first page, and any page after garbage or a restart) are checked; pages
   * that follow a good page back to back are trusted. For bytes whose transport already guarantees
   * integrity (TLS, a local file); it roughly triples throughput, since the CRC is most of the work.
   */
  verifyCrc?: boolean;
}

function demuxError(message: string, cause?: unknown): SpenceError {
  return new SpenceError(ErrorCodes.DEMUX, message, { source: 'demux', cause });
}

/**
 * Streaming Ogg Opus demuxer. Push chunks of any size; each call returns the audio packets that
 * the chunk completes, in order. Header packets (OpusHead, OpusTags) are never returned as packets;
 * the OpusHead is exposed as {@link OggDemuxer.info} before the first packet.
 *
 * Chained files (RFC 3533 §4: a new beginning-of-stream page after an end-of-stream page) continue
 * the packet sequence with the new link's headers; pages of other, non-Opus logical streams are
 * ignored. When several Opus streams are multiplexed, the first one is read.
 *
 * @example
 * ```ts
 * const demuxer = new OggDemuxer();
 * for await (const chunk of stream) for (const packet of demuxer.push(chunk)) send(packet);
 * for (const packet of demuxer.end()) send(packet);
 * ```
 */
export class OggDemuxer implements PushDemuxer {
  private readonly maxElementSize: number;
  private readonly verifyCrc: boolean;
  /** The next page is expected right where the last good page ended. */
  private inSync = false;
  /** Bytes of an incomplete page carried over from earlier chunks (at most one page). */
  private readonly carry = new Uint8Array(MAX_OGG_PAGE_SIZE);
  private carryLength = 0;
  /** Bytes the carried data must reach, from its start, before parsing can progress. */
  private need = 0;

  /** The packet continuing across pages, gathered so far. */
  private partial: Uint8Array = new Uint8Array(0);
  private partialLength = 0;
  private partialActive = false;
  /** The packet in progress has outgrown `maxElementSize` (allowed only for OpusTags, which is skipped). */
  private partialOverflow = false;

  private link: OpusLink | null = null;
  /** Samples of playback of every completed link before the current one. */
  private chainOffset = 0;
  private restartPending = false;
  private headersEverComplete = false;
  private opusHeadSeen = false;
  private finished = false;
  private pushedBytes = 0;
  private trim = 0;
  private currentTags: OpusTags | null = null;
  private out: OpusPacket[] = [];
  /** The CRC can be computed natively (checked once per process). */
  private readonly fastCrc = fastCrcAvailable();
  private slab = EMPTY_SLAB;
  private slabBuffer: ArrayBufferLike = EMPTY_SLAB.buffer;
  private slabOffset = 0;
  /** Where {@link feed} hands packets, during a `feed()` call; `null` otherwise (packets go to `out`). */
  private sink: PacketSink | null = null;
  /** The error a `feed()` threw: a failed demuxer throws it again on every later `feed()`. */
  private feedFailure: unknown = null;
  /**
   * The packets completed on the page being read, from the first pass over its lacing table: each
   * one's start and end as offsets from the page's start (or `FROM_PARTIAL`), and its TOC samples.
   */
  private readonly packetStarts = new Int32Array(MAX_PAGE_PACKETS);
  private readonly packetEnds = new Int32Array(MAX_PAGE_PACKETS);
  private readonly packetSamples = new Int32Array(MAX_PAGE_PACKETS);
  /** Samples of the page's audio packets, summed by the first pass. */
  private pageSamples = 0;
  /** The unfinished packet at the page's end, `buf[tailStart, tailEnd)`, from the first pass; `tailStart` -1 when none. */
  private tailStart = -1;
  private tailEnd = 0;

  /**
   * @param options - `maxElementSize` bounds any packet gathered across pages (default 16 MiB);
   *   `verifyCrc` (default true) checks every page's CRC.
   */
  constructor(options: OggDemuxerOptions = {}) {
    this.verifyCrc = options.verifyCrc ?? true;
    const max = options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE;
    if (!(max > 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `maxElementSize must be positive, got ${max}`);
    this.maxElementSize = max;
  }

  /** The current link's stream parameters from its OpusHead (container `'ogg'`), or `null` before it. */
  get info(): OpusStreamInfo | null {
    return this.link?.info ?? null;
  }

  /** The current link's parsed OpusHead, or `null` before it. */
  get opusHead(): OpusHead | null {
    return this.link?.head ?? null;
  }

  /** The current link's OpusTags (vendor and comments), once read; `null` before, or when it exceeded `maxElementSize`. */
  get tags(): OpusTags | null {
    return this.currentTags;
  }

  /**
   * Samples (at 48 kHz) to discard from the end of the current link's decoded output, from the
   * end-of-stream page's granule position (RFC 7845 §4.4); 0 until that page is read.
   */
  get endTrimSamples(): number {
    return this.trim;
  }

  /** Bytes held inside the demuxer: the carried partial page and the packet being gathered. */
  get bufferedBytes(): number {
    return this.carryLength + this.partialLength;
  }

  /** Absolute byte offset just past the last byte pushed (counting from the start, or from a {@link restartAt} offset). */
  get position(): number {
    return this.pushedBytes;
  }

  /**
   * Drops every buffered byte and partial packet: the next pushed bytes start at absolute offset
   * `byteOffset` (typically after a seek). The demuxer resynchronises on the next `OggS` page, keeps
   * the stream info, and re-anchors timestamps on the next granule position. Seeking into another
   * link of a chained file is not supported (its pages are ignored until its next BOS page).
   */
  restartAt(byteOffset: number): void {
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'restartAt() after end()', { source: 'demux' });
    this.carryLength = 0;
    this.need = 0;
    this.inSync = false;
    this.dropPartial();
    this.pushedBytes = byteOffset;
    this.restartPending = true;
    const link = this.link;
    if (link) {
      link.timeKnown = false;
      link.lastSequence = -1;
      link.ended = false;
      link.finalGranule = -1;
      this.trim = 0;
    }
  }

  /** Pushes a chunk and returns the audio packets it completes. The chunk is not retained. */
  push(chunk: Uint8Array): OpusPacket[] {
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'push() after end()', { source: 'demux' });
    const out: OpusPacket[] = [];
    this.out = out;
    this.consume(chunk);
    return out;
  }

  /**
   * See {@link PushDemuxer.feed}: the packets {@link push} would return, handed to `sink` in
   * place. A zero-length Ogg packet, which `push()` returns as an empty packet, is not handed to
   * the sink: it carries no Opus packet (RFC 6716 §3.4 [R1]: a packet holds at least one byte)
   * and no duration, so the other packets' timestamps are the same either way.
   */
  feed(chunk: Uint8Array, sink: PacketSink): void {
    if (this.feedFailure !== null) throw this.feedFailure;
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'feed() after end()', { source: 'demux' });
    this.sink = sink;
    try {
      this.consume(chunk);
    } catch (error) {
      // The chunk was read only up to the fault (its rest is not carried): going on would lose or
      // repeat packets, so the demuxer stays failed.
      this.feedFailure = error;
      throw error;
    } finally {
      this.sink = null;
    }
  }

  /** Reads a chunk: finishes the carried page, parses the pages in place, and carries the rest. */
  private consume(chunk: Uint8Array): void {
    const length = chunk.length;
    this.pushedBytes += length;
    let offset = 0;
    // First finish the page carried over from earlier chunks, a few bytes at a time.
    while (this.carryLength > 0 && offset < length) {
      const take = Math.min(this.need - this.carryLength, length - offset);
      this.carry.set(offset === 0 && take === length ? chunk : chunk.subarray(offset, offset + take), this.carryLength);
      this.carryLength += take;
      offset += take;
      if (this.carryLength < this.need) return;
      const used = this.parse(this.carry, 0, this.carryLength);
      if (used > 0) {
        this.carry.copyWithin(0, used, this.carryLength);
        this.carryLength -= used;
      }
    }
    if (offset < length) {
      const used = this.parse(chunk, offset, length);
      const rest = length - used;
      if (rest > 0) {
        this.carry.set(chunk.subarray(used, length), 0);
        this.carryLength = rest;
      }
    }
  }

  /**
   * Ends the input. An incomplete last page is dropped (its CRC cannot be checked), as is a packet
   * left unfinished. Returns no further packets: every complete packet came out of `push()`.
   *
   * @throws SpenceError `DEMUX` when no Ogg Opus stream was found or its headers never completed.
   */
  end(): OpusPacket[] {
    if (this.finished) return [];
    this.finished = true;
    this.carryLength = 0;
    this.dropPartial();
    if (!this.headersEverComplete) {
      throw demuxError(
        this.opusHeadSeen
          ? 'The Ogg Opus input ended before its headers (OpusHead, OpusTags) were complete'
          : 'No Ogg Opus stream found: the input has no page with an OpusHead packet',
      );
    }
    return [];
  }

  /**
   * Parses complete pages in `buf[pos, end)`; returns the offset where it stopped, having set
   * `need` to the byte count (from there) required to go on.
   */
  private parse(buf: Uint8Array, pos: number, end: number): number {
    // The bit-reversed copy of buf[winStart, winEnd) in crc-fast's shared memory, made in this call
    // (nothing else runs before it returns, so no other demuxer can overwrite it meanwhile).
    let winStart = 0;
    let winEnd = 0;
    for (;;) {
      const avail = end - pos;
      // Capture pattern "OggS" (RFC 3533 §6).
      if (avail >= 4 && (buf[pos] !== 0x4f || buf[pos + 1] !== 0x67 || buf[pos + 2] !== 0x67 || buf[pos + 3] !== 0x53)) {
        this.inSync = false;
        pos = resync(buf, pos + 1, end);
        continue;
      }
      if (avail < PAGE_HEADER_SIZE) {
        this.need = PAGE_HEADER_SIZE;
        return pos;
      }
      // stream_structure_version must be 0 (RFC 3533 §6).
      if (buf[pos + 4] !== 0) {
        this.inSync = false;
        pos = resync(buf, pos + 1, end);
        continue;
      }
      const segments = buf[pos + 26]!;
      const headerSize = PAGE_HEADER_SIZE + segments;
      if (avail < headerSize) {
        this.need = headerSize;
        return pos;
      }
      let bodySize = 0;
      for (let i = pos + PAGE_HEADER_SIZE, last = pos + headerSize; i < last; i++) bodySize += buf[i]!;
      const pageSize = headerSize + bodySize;
      if (avail < pageSize) {
        this.need = pageSize;
        return pos;
      }
      if (this.verifyCrc || !this.inSync) {
        const storedCrc = (buf[pos + 22]! | (buf[pos + 23]! << 8) | (buf[pos + 24]! << 16) | (buf[pos + 25]! << 24)) >>> 0;
        let crc: number;
        if (this.fastCrc && pageSize >= FAST_CRC_MIN_PAGE) {
          if (pos < winStart || pos + pageSize > winEnd) {
            winStart = pos;
            winEnd = end - pos < WINDOW_SIZE ? end : pos + WINDOW_SIZE; // holds any page (WINDOW_SIZE > MAX_OGG_PAGE_SIZE)
            reverseWindow(buf, winStart, winEnd);
          }
          crc = windowPageCrc(pos - winStart, pageSize);
        } else {
          crc = oggPageCrc(buf, pos, pageSize);
        }
        if (crc !== storedCrc) {
          // Not a page (or a damaged one): look for the next capture pattern after this one.
          this.inSync = false;
          pos = resync(buf, pos + 1, end);
          continue;
        }
      }
      this.inSync = true;
      this.page(buf, pos, segments);
      pos += pageSize;
    }
  }

  /** Handles one verified page starting at `buf[p]` with `segments` lacing values. */
  private page(buf: Uint8Array, p: number, segments: number): void {
    const link = this.pageLink(buf, p, segments);
    if (link === null) return;
    const granule = pageGranule(buf, p);
    const count = this.scanPackets(buf, p, segments, link);
    if (count > 0) this.emitPackets(buf, p, count, link, granule);
    // Gathered only once the page's packets are out: the first of them may have been handed to the
    // sink in place from `partial`, which this reuses.
    if (this.tailStart !== -1) this.appendPartial(buf, this.tailStart, this.tailEnd);
    if (buf[p + 5]! & FLAG_EOS) this.endOfLink(link, granule);
  }

  /**
   * The link whose packets the page at `buf[p]` carries, or `null` when the page is not read as
   * audio: a BOS page (handled here: it may start a new link), or a page of another logical stream
   * or of an ended link. Notes a gap in the page sequence.
   */
  private pageLink(buf: Uint8Array, p: number, segments: number): OpusLink | null {
    const serial = u32le(buf, p + 14);
    if (buf[p + 5]! & FLAG_BOS) {
      this.beginningOfStream(buf, p, segments, serial);
      return null;
    }
    const link = this.link;
    if (link === null || serial !== link.serial || link.ended) return null; // another logical stream
    const sequence = u32le(buf, p + 18);
    if (link.lastSequence !== -1 && sequence !== ((link.lastSequence + 1) >>> 0)) {
      // A page was lost (bad CRC or missing): the packet spanning it is dropped, the timeline re-anchored.
      this.dropPartial();
      link.timeKnown = false;
    }
    link.lastSequence = sequence;
    return link;
  }

  /**
   * The first pass over a page's lacing table (RFC 3533 §6): reads header packets, notes the packet
   * left unfinished at the page's end in `tailStart`/`tailEnd`, sums the audio packets' TOC samples
   * into `pageSamples`, and returns their count. In push mode each audio packet goes to `out` at
   * once (its timestamp set afterwards by {@link stampObjects}): making the objects in a second pass
   * from the table measured about 30% slower. In sink mode it goes to the table of the page's
   * packets, for {@link emitToSink}. A packet completing one gathered in `partial`
   * is appended to it here, and in sink mode stays there until handed out.
   */
  private scanPackets(buf: Uint8Array, p: number, segments: number, link: OpusLink): number {
    const table = p + PAGE_HEADER_SIZE;
    let seg = 0;
    let body = table + segments;
    let continuing = this.partialActive;
    if (buf[p + 5]! & FLAG_CONTINUED) {
      if (!continuing) {
        // The start of this packet was lost (or precedes a restart): skip to the next packet boundary.
        while (seg < segments) {
          const lace = buf[table + seg++]!;
          body += lace;
          if (lace < 255) break;
        }
      }
    } else if (continuing) {
      this.dropPartial(); // the previous page promised a continuation that never came
      continuing = false;
    }

    const toObjects = this.sink === null;
    const starts = this.packetStarts;
    const ends = this.packetEnds;
    const samplesOf = this.packetSamples;
    let count = 0;
    let pageSamples = 0;
    // Push mode: packets that lie whole on this page are copied in one run, from the first such
    // packet's start to the end of the last packet completed here, into the shared slab (SLAB_SIZE).
    let copied = false;
    let runDelta = 0; // slab offset minus buffer offset of the copied run
    this.tailStart = -1;
    while (seg < segments) {
      const start = body;
      let lace: number;
      // A lacing value below 255 ends a packet (RFC 3533 §6).
      do {
        lace = buf[table + seg++]!;
        body += lace;
      } while (lace === 255 && seg < segments);
      if (lace === 255) {
        this.tailStart = start; // continues on the next page
        this.tailEnd = body;
        break;
      }
      let samples: number;
      if (continuing) {
        continuing = false;
        this.appendPartial(buf, start, body);
        if (link.headerPackets < 2 && this.headerPacket(link, this.partial.subarray(0, this.partialLength))) {
          this.releasePartial();
          continue;
        }
        samples = opusSamplesAt(this.partial, 0, this.partialLength);
        if (toObjects) this.out.push({ data: this.takePartial(), timestampMs: 0, durationMs: samples / 48 });
        else starts[count] = FROM_PARTIAL;
      } else {
        if (link.headerPackets < 2 && this.headerPacket(link, buf.subarray(start, body))) continue;
        samples = opusSamplesAt(buf, start, body - start);
        if (toObjects) {
          if (!copied) {
            copied = true;
            const runEnd = completedEnd(buf, table, segments, seg, body);
            runDelta = this.reserve(runEnd - start) - start;
            this.slab.set(buf.subarray(start, runEnd), start + runDelta);
          }
          this.out.push({ data: new Uint8Array(this.slabBuffer, start + runDelta, body - start), timestampMs: 0, durationMs: samples / 48 });
        } else {
          starts[count] = start - p;
          ends[count] = body - p;
        }
      }
      samplesOf[count++] = samples;
      pageSamples += samples;
    }
    this.pageSamples = pageSamples;
    return count;
  }

  /** Emits the page's `count` scanned packets with their timestamps: stamps the objects, or hands them to the sink. */
  private emitPackets(buf: Uint8Array, p: number, count: number, link: OpusLink, granule: number): void {
    link.hasAudio = true;
    let g: number;
    if (link.timeKnown) {
      g = link.nextGranule;
    } else {
      // RFC 7845 §4: the page's granule position counts the samples up to the end of its last
      // completed packet, so the first packet started `pageSamples` earlier. A negative start is
      // only valid with end trimming on the last page (§4.5); it is clamped to 0.
      g = granule === -1 ? 0 : granule - this.pageSamples;
      if (g < 0) g = 0;
    }
    const base = link.chainOffset - link.head.preSkip;
    const sink = this.sink;
    link.nextGranule = sink === null ? this.stampObjects(count, base, g) : this.emitToSink(sink, buf, p, count, base, g);
    link.timeKnown = true;
  }

  /**
   * Sets the timestamps of the last `count` packets in `out`, the first starting at granule `g`
   * (`base` shifts granules to the timeline); returns the granule after them.
   */
  private stampObjects(count: number, base: number, g: number): number {
    const out = this.out;
    for (let i = out.length - count; i < out.length; i++) {
      const packet = out[i]!;
      packet.timestampMs = (base + g) / 48;
      g += packet.durationMs * 48;
    }
    return g;
  }

  /** Hands the page's `count` scanned packets to `sink` in place, timed as {@link stampObjects} does; returns the granule after them. */
  private emitToSink(sink: PacketSink, buf: Uint8Array, p: number, count: number, base: number, g: number): number {
    const starts = this.packetStarts;
    const ends = this.packetEnds;
    const samplesOf = this.packetSamples;
    let i = 0;
    if (starts[0] === FROM_PARTIAL) {
      const samples = samplesOf[0]!;
      const length = this.partialLength;
      // Zero-length packets are not handed out (see feed()); their duration is 0.
      if (length > 0) sink.packet(this.partial, 0, length, (base + g) / 48, samples / 48);
      this.releasePartial();
      g += samples;
      i = 1;
    }
    for (; i < count; i++) {
      const samples = samplesOf[i]!;
      const start = p + starts[i]!;
      const end = p + ends[i]!;
      if (end > start) sink.packet(buf, start, end, (base + g) / 48, samples / 48);
      g += samples;
    }
    return g;
  }

  /** Handles OpusHead/OpusTags; returns true when `packet` was a header (not audio). */
  private headerPacket(link: OpusLink, packet: Uint8Array): boolean {
    if (link.headerPackets === 0) return true; // unreachable: links start with their OpusHead
    // RFC 7845 §5.2: the second packet is OpusTags. A muxer that left it out goes straight to audio.
    link.headerPackets = 2;
    this.headersEverComplete = true;
    if (this.partialOverflow) {
      this.partialOverflow = false;
      this.currentTags = null; // too large to keep: skipped
      return true;
    }
    if (!isOpusTags(packet)) return false;
    try {
      this.currentTags = parseOpusTags(packet);
    } catch {
      this.currentTags = null; // malformed comments do not prevent playback
    }
    return true;
  }

  private beginningOfStream(buf: Uint8Array, p: number, segments: number, serial: number): void {
    const current = this.link;
    // While the current link is still in its headers, other BOS pages belong to multiplexed streams.
    if (current !== null && !current.ended && !current.hasAudio && !(this.restartPending && current.serial === serial)) return;
    // The first packet of the BOS page must be the OpusHead, alone on its page (RFC 7845 §3).
    const table = p + PAGE_HEADER_SIZE;
    let length = 0;
    let seg = 0;
    let lace = 255;
    while (seg < segments && lace === 255) {
      lace = buf[table + seg++]!;
      length += lace;
    }
    if (lace === 255) return; // no complete first packet: not an Ogg Opus BOS page
    const bodyStart = table + segments;
    const packet = buf.subarray(bodyStart, bodyStart + length);
    if (!isOpusHead(packet)) return; // another codec's stream: ignored
    const head = parseOpusHead(packet);
    const opusHead = packet.slice();
    let chainOffset = this.chainOffset;
    if (current !== null && this.restartPending && current.serial === serial) {
      chainOffset = current.chainOffset; // re-reading the same link after a restart
    } else if (current !== null) {
      // RFC 3533 §4 chaining: the new link's timeline follows the previous link's playback end.
      const endGranule = current.finalGranule >= 0 ? current.finalGranule : current.nextGranule;
      if (current.hasAudio) chainOffset = current.chainOffset + Math.max(0, endGranule - current.head.preSkip);
    }
    this.chainOffset = chainOffset;
    this.restartPending = false;
    this.dropPartial();
    this.opusHeadSeen = true;
    this.currentTags = null;
    this.trim = 0;
    const sequence = (buf[p + 18]! | (buf[p + 19]! << 8) | (buf[p + 20]! << 16) | (buf[p + 21]! << 24)) >>> 0;
    this.link = {
      serial,
      head,
      info: {
        container: 'ogg',
        channels: head.channels,
        preSkip: head.preSkip,
        inputSampleRate: head.inputSampleRate,
        outputGain: head.outputGain,
        channelMappingFamily: head.channelMappingFamily,
        opusHead,
      },
      headerPackets: 1,
      lastSequence: sequence,
      nextGranule: 0,
      timeKnown: false,
      ended: false,
      finalGranule: -1,
      hasAudio: false,
      chainOffset,
    };
  }

  private endOfLink(link: OpusLink, granule: number): void {
    link.ended = true;
    link.finalGranule = granule;
    this.dropPartial();
    if (granule >= 0 && link.timeKnown && granule < link.nextGranule) this.trim = link.nextGranule - granule;
  }

  /** Reserves `length` bytes of slab for a run of packets; returns their offset in the slab. */
  private reserve(length: number): number {
    let offset = this.slabOffset;
    if (offset + length > this.slab.length) {
      this.slab = new Uint8Array(length > SLAB_SIZE ? length : SLAB_SIZE);
      this.slabBuffer = this.slab.buffer;
      offset = 0;
    }
    this.slabOffset = offset + length;
    return offset;
  }

  private appendPartial(buf: Uint8Array, start: number, end: number): void {
    const length = end - start;
    const needed = this.partialLength + length;
    this.partialActive = true;
    if (this.partialOverflow) return;
    if (needed > this.maxElementSize) {
      const link = this.link;
      if (link !== null && link.headerPackets === 1) {
        // OpusTags (e.g. with embedded cover art) larger than the limit: skipped, not buffered.
        this.partialOverflow = true;
        this.partialLength = 0;
        return;
      }
      this.dropPartial();
      throw demuxError(`An Ogg packet exceeds maxElementSize (${this.maxElementSize} bytes); refusing to buffer it`);
    }
    if (needed > this.partial.length) {
      const grown = new Uint8Array(Math.min(this.maxElementSize, Math.max(needed, this.partial.length * 2, 4096)));
      grown.set(this.partial.subarray(0, this.partialLength));
      this.partial = grown;
    }
    this.partial.set(buf.subarray(start, end), this.partialLength);
    this.partialLength = needed;
  }

  /** The gathered packet, copied out; ends it. */
  private takePartial(): Uint8Array {
    const packet = this.partialOverflow ? new Uint8Array(0) : this.partial.slice(0, this.partialLength);
    this.releasePartial();
    return packet;
  }

  /** Ends the gathered packet, once read or handed out in place. */
  private releasePartial(): void {
    this.partialActive = false;
    this.partialLength = 0;
    if (this.partial.length > 65536) this.partial = new Uint8Array(0); // do not keep a large buffer around
  }

  private dropPartial(): void {
    this.partialActive = false;
    this.partialOverflow = false;
    this.partialLength = 0;
  }
}

/**
 * The body offset just past the last packet that ends on the page, given the lacing table at
 * `table`, the number of `segments`, and the body offset `body` reached after segment `seg`.
 */
function completedEnd(buf: Uint8Array, table: number, segments: number, seg: number, body: number): number {
  let last = segments - 1;
  while (last >= seg && buf[table + last] === 255) last--;
  let end = body;
  for (let i = seg; i <= last; i++) end += buf[table + i]!;
  return end;
}

/** The unsigned 32-bit little-endian integer at `buf[i]` (Ogg header fields are little-endian, RFC 3533 §6). */
function u32le(buf: Uint8Array, i: number): number {
  return (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
}

/**
 * The page's granule_position: an int64 LE at offset 6, where -1 means no packet finishes on the
 * page (RFC 3533 §6). Any negative value reads as -1; others are exact below 2^53.
 */
function pageGranule(buf: Uint8Array, p: number): number {
  const high = buf[p + 10]! | (buf[p + 11]! << 8) | (buf[p + 12]! << 16) | (buf[p + 13]! << 24);
  return high < 0 ? -1 : high * 4294967296 + u32le(buf, p + 6);
}

/**
 * The offset of the next "OggS" capture pattern in `buf[from, end)`; when there is none, the
 * offset of the last three bytes (which may begin a pattern completed by the next chunk).
 */
function resync(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  const last = end - 4;
  while (i <= last) {
    i = buf.indexOf(0x4f, i);
    if (i === -1 || i > last) break;
    if (buf[i + 1] === 0x67 && buf[i + 2] === 0x67 && buf[i + 3] === 0x53) return i;
    i++;
  }
  return Math.max(from, end - 3);
}
