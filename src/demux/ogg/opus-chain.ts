/**
 * The Opus mapping of Ogg (RFC 7845) over the pages an {@link OggPageReader} finds: which logical
 * stream is read, its header packets, its packets' timestamps, its end trimming, and chained links.
 *
 * - Links (RFC 3533 §4, RFC 7845 §3): a logical stream starts with a BOS page whose first packet
 *   is OpusHead; the next packet is OpusTags. Header packets are never audio: a repeated header
 *   page (the same page again, as some muxers write them) is skipped by its sequence number, and a
 *   packet in an audio position that carries the OpusHead or OpusTags signature is skipped too (it
 *   cannot be an Opus packet: its TOC byte 'O' with the count byte 'p' claims 48 frames of 60 ms,
 *   over the 120 ms of RFC 6716 §3.2.5 [R5]). Pages of other logical streams (another codec
 *   multiplexed, RFC 3533 §4) are ignored; when several Opus streams are multiplexed the first is
 *   read. A new BOS page after the current link's audio starts the next link (chaining).
 * - Timestamps (RFC 7845 §4): the first audio page's granule position minus the samples of the
 *   packets completed on it gives the link's starting granule; later packets follow on by their
 *   TOC durations. A packet's `timestampMs` is `(granule at its start − pre-skip) / 48`, ffprobe's
 *   `pts`. After lost pages the timeline is re-anchored on the next page's granule position. In a
 *   chained file each link's timeline starts where the previous link's playback ended (its final
 *   granule position minus its pre-skip).
 * - End trimming (RFC 7845 §4.4): every packet keeps its full TOC duration (as ffprobe gives it,
 *   and as a 20 ms pacer needs); the samples to discard from the end are {@link OpusChain.endTrimSamples}.
 * - Damage (after an OpusHead): each stretch of bytes the page reader skipped, and each gap in the
 *   page sequence numbers, is reported once through `onDamage` when the next page of the link
 *   tells what was lost (its sequence number and granule position); with `resync: false` it is a
 *   `DEMUX` error instead.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { opusSamplesAt } from '../opus.js';
import type { PacketRunSink } from '../slab-sink.js';
import type { DemuxDamage, OpusStreamInfo, PacketSink } from '../types.js';
import { FLAG_BOS, FLAG_EOS, firstPacketLength, PAGE_HEADER_SIZE, pageFlags, pageGranule, pageSegments, pageSequence, pageSerial } from './ogg-page.js';
import type { PageHandler } from './page-reader.js';
import { FROM_PARTIAL, MAX_PAGE_PACKETS, PacketAssembler } from './packet-assembler.js';
import { isOpusHead, OPUS_HEAD_MAGIC, parseOpusHead } from './opus-head.js';
import type { OpusHead } from './opus-head.js';
import { OPUS_TAGS_MAGIC, parseOpusTags } from './opus-tags.js';
import type { OpusTags } from './opus-tags.js';

/** One logical Opus stream: one link of a chain. */
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
  /** Samples of the last audio packet, 0 before one: the unit in which lost audio is counted. */
  lastPacketSamples: number;
  /** The granule position of the link's last page that had one (its header pages' is 0), or -1. */
  lastPageGranule: number;
}

/** A skipped stretch not yet reported: what was lost is known at the link's next page. */
interface PendingDamage {
  start: number;
  end: number;
}

/** Options of {@link OpusChain}. */
export interface OpusChainOptions {
  maxElementSize: number;
  resync: boolean;
  onDamage: ((damage: DemuxDamage) => void) | undefined;
}

function demuxError(message: string): SpenceError {
  return new SpenceError(ErrorCodes.DEMUX, message, { source: 'demux' });
}

/** True when `bytes[start, end)` starts with the 8-byte signature `magic`. */
function startsWith(bytes: Uint8Array, start: number, end: number, magic: Uint8Array): boolean {
  if (end - start < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[start + i] !== magic[i]) return false;
  return true;
}

/** Reads the Opus links of an Ogg physical stream, page by page; see the module notes. */
export class OpusChain implements PageHandler {
  /** Where packets go during a read; set by the demuxer around each call. */
  sink: PacketSink | null = null;
  /** {@link sink} when it copies runs of packets (push(), demux()): each page's packets are one run. */
  runSink: PacketRunSink | null = null;
  /** The current link's OpusTags, once read; `null` before, or when it exceeded `maxElementSize`. */
  tags: OpusTags | null = null;
  /** Samples to discard from the end of the current link's decoded output (RFC 7845 §4.4). */
  endTrimSamples = 0;
  /** A link's headers (OpusHead and the packet after it) have been read. */
  headersEverComplete = false;
  /** An OpusHead has been read. */
  opusHeadSeen = false;

  private readonly assembler: PacketAssembler;
  private readonly resync: boolean;
  private readonly onDamage: ((damage: DemuxDamage) => void) | undefined;
  private link: OpusLink | null = null;
  /** Samples of playback of every completed link before the current one. */
  private chainOffset = 0;
  private restartPending = false;
  private pending: PendingDamage | null = null;
  /** Each packet's samples on the page being read; -1 for a header packet. */
  private readonly samples = new Int32Array(MAX_PAGE_PACKETS);
  /** Samples of the last audio packet on the page being read. */
  private pageLastSamples = 0;

  constructor(options: OpusChainOptions) {
    this.assembler = new PacketAssembler(options.maxElementSize);
    this.resync = options.resync;
    this.onDamage = options.onDamage;
  }

  /** The current link's stream parameters, or `null` before its OpusHead. */
  get info(): OpusStreamInfo | null {
    return this.link?.info ?? null;
  }

  /** The current link's parsed OpusHead, or `null` before it. */
  get opusHead(): OpusHead | null {
    return this.link?.head ?? null;
  }

  /** Bytes held: the packet being gathered across pages. */
  get bufferedBytes(): number {
    return this.assembler.bufferedBytes;
  }

  /**
   * Forgets the position in the stream (the next page read may be anywhere): drops the packet
   * being gathered, keeps the link, and re-anchors its timestamps on the next granule position.
   */
  restart(): void {
    this.assembler.drop();
    this.restartPending = true;
    this.pending = null;
    const link = this.link;
    if (link) {
      link.timeKnown = false;
      link.lastSequence = -1;
      link.ended = false;
      link.finalGranule = -1;
      link.lastPageGranule = -1;
      this.endTrimSamples = 0;
    }
  }

  /** Ends the input: reports a skipped stretch whose losses were never told. */
  finish(): void {
    this.assembler.drop();
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      this.damage({ start: pending.start, end: pending.end, packetsLost: null, lostMs: null, reason: 'Bytes with no good Ogg page, and no later page of the stream' });
    }
  }

  skipped(start: number, end: number, truncated: boolean): void {
    if (this.link === null) return; // before the headers: looking for the stream, not damage
    if (truncated) {
      if (this.link.ended && this.pending === null) return; // after the end-of-stream page: outside the stream (a trailing tag)
      const from = this.pending !== null && this.pending.end === start ? this.pending.start : start;
      if (from !== start) this.pending = null;
      this.damage({ start: from, end, packetsLost: null, lostMs: null, reason: 'The input ends inside an Ogg page (cut short)' });
      return;
    }
    if (!this.resync) this.damage({ start, end, packetsLost: null, lostMs: null, reason: 'Bytes that hold no good Ogg page (bad CRC, broken page or garbage)' });
    if (this.pending === null) this.pending = { start, end };
    else this.pending.end = end;
  }

  page(buf: Uint8Array, p: number, _size: number, offset: number): void {
    const serial = pageSerial(buf, p);
    if (pageFlags(buf, p) & FLAG_BOS) {
      this.beginningOfStream(buf, p, serial);
      return;
    }
    const link = this.link;
    if (link === null || serial !== link.serial || link.ended) return; // another logical stream
    const sequence = pageSequence(buf, p);
    let lostPages = 0;
    if (link.lastSequence !== -1) {
      const delta = (sequence - link.lastSequence) >>> 0;
      // page_sequence_number (RFC 3533 §6) counts the stream's pages: one not past the last page
      // read is that page again (a repeated header page, or a page sent twice).
      if (delta === 0 || delta >= 0x80000000) return;
      lostPages = delta - 1;
    }
    link.lastSequence = sequence;
    const assembler = this.assembler;
    // The packet spanning a lost page is lost; what was lost is told from the granules around it.
    const lossFrom = link.timeKnown ? link.nextGranule : link.lastPageGranule;
    if (lostPages > 0) {
      assembler.drop();
      link.timeKnown = false;
    }
    assembler.tolerateOversize = link.headerPackets === 1;
    const count = assembler.readPage(buf, p);
    const granule = pageGranule(buf, p);
    const eos = (pageFlags(buf, p) & FLAG_EOS) !== 0;
    if (link.timeKnown && link.headerPackets === 2 && this.pending === null) {
      // The usual page: the next one of a link whose timeline is known, nothing lost (a loss
      // unsets timeKnown), no damage to report: its packets are timed as they are read.
      if (count > 0) this.emitTimed(link, buf, count);
    } else {
      const pageSamples = count > 0 ? this.measure(link, buf, count) : -1;
      // Where the page's first audio packet starts, when the timeline must be anchored anew.
      const start = link.timeKnown || pageSamples < 0 ? -1 : this.anchor(granule, pageSamples, lostPages > 0 ? lossFrom : -1, eos);
      // A gap before the link's first audio is where the stream was joined (RFC 7845 §4.5), not a loss.
      if ((lostPages > 0 && link.hasAudio) || this.pending !== null) this.reportLoss(link, offset, lostPages, lossFrom, start);
      if (pageSamples >= 0) this.emit(link, buf, count, start);
    }
    assembler.tolerateOversize = link.headerPackets === 1;
    assembler.endPage(buf);
    if (granule !== -1) link.lastPageGranule = granule;
    if (eos) this.endOfLink(link, granule);
  }

  /**
   * The granule position at which the page's first audio packet starts when the link's timeline is
   * not known (its first audio page, or the first after lost pages). RFC 7845 §4: the page's
   * granule position counts the samples up to the end of its last completed packet, so the first
   * packet started `pageSamples` earlier. On the end-of-stream page the granule position may be
   * smaller than that end (end trimming, §4.4): after a loss (`lossFrom`, the granule where the lost
   * audio began, or -1), the lost audio is then taken as whole packets of the page's last packet's
   * duration.
   */
  private anchor(granule: number, pageSamples: number, lossFrom: number, eos: boolean): number {
    if (granule === -1) return lossFrom >= 0 ? lossFrom : 0; // nothing to anchor on (a malformed page): carry on
    let start = granule - pageSamples;
    const unit = this.pageLastSamples;
    if (eos && lossFrom >= 0 && unit > 0 && start > lossFrom) start = lossFrom + Math.ceil((start - lossFrom) / unit) * unit;
    // A negative start is only valid with end trimming on the last page (§4.5); it is clamped to 0.
    return start < 0 ? 0 : start;
  }

  /**
   * Reads the header packets among the page's `count` packets and the TOC samples of the others
   * into `samples`; returns the audio packets' total samples, or -1 when the page has none.
   */
  private measure(link: OpusLink, buf: Uint8Array, count: number): number {
    const assembler = this.assembler;
    const starts = assembler.starts;
    const ends = assembler.ends;
    const samples = this.samples;
    let total = -1;
    for (let i = 0; i < count; i++) {
      const fromPartial = starts[i] === FROM_PARTIAL;
      const bytes = fromPartial ? assembler.partial : buf;
      const start = fromPartial ? 0 : starts[i]!;
      const end = ends[i]!;
      if (link.headerPackets < 2 ? this.headerPacket(link, bytes, start, end, fromPartial && assembler.overflowed) : bytes[start] === 0x4f && isHeader(bytes, start, end)) {
        samples[i] = -1;
        continue;
      }
      const n = opusSamplesAt(bytes, start, end - start);
      samples[i] = n;
      this.pageLastSamples = n;
      total = total < 0 ? n : total + n;
    }
    return total;
  }

  /** Hands the page's audio packets to the sink with their timestamps; the first starts at `start` unless the timeline is known. */
  private emit(link: OpusLink, buf: Uint8Array, count: number, start: number): void {
    let g = link.timeKnown ? link.nextGranule : start;
    const sink = this.sink!;
    const assembler = this.assembler;
    const starts = assembler.starts;
    const ends = assembler.ends;
    const samples = this.samples;
    // The audio packets that lie whole on the page are back to back in its body: one run.
    const runSink = this.runSink;
    runSink?.openRun(buf);
    const base = link.chainOffset - link.head.preSkip;
    let last = 0;
    for (let i = 0; i < count; i++) {
      const n = samples[i]!;
      if (n < 0) continue;
      const from = starts[i]!;
      if (from === FROM_PARTIAL) sink.packet(assembler.partial, 0, ends[i]!, (base + g) / 48, n / 48);
      else sink.packet(buf, from, ends[i]!, (base + g) / 48, n / 48);
      g += n;
      last = n;
    }
    runSink?.closeRun();
    link.nextGranule = g;
    link.timeKnown = true;
    link.hasAudio = true;
    link.lastPacketSamples = last;
  }

  /**
   * {@link measure} and {@link emit} in one pass, for a page whose first packet starts where the
   * link's timeline stands (its headers read): skips the header packets in audio positions, hands
   * the others to the sink as they are timed.
   */
  private emitTimed(link: OpusLink, buf: Uint8Array, count: number): void {
    const sink = this.sink!;
    const assembler = this.assembler;
    const starts = assembler.starts;
    const ends = assembler.ends;
    const runSink = this.runSink;
    runSink?.openRun(buf);
    const base = link.chainOffset - link.head.preSkip;
    let g = link.nextGranule;
    let last = -1;
    for (let i = 0; i < count; i++) {
      const from = starts[i]!;
      const bytes = from === FROM_PARTIAL ? assembler.partial : buf;
      const start = from === FROM_PARTIAL ? 0 : from;
      const end = ends[i]!;
      if (bytes[start] === 0x4f && isHeader(bytes, start, end)) continue;
      const n = opusSamplesAt(bytes, start, end - start);
      // Two call sites, each with one receiver type when both kinds of sink are in use, so that
      // each is inlined and the timestamps are not boxed into heap numbers to pass them.
      if (runSink !== null) runSink.packet(bytes, start, end, (base + g) / 48, n / 48);
      else sink.packet(bytes, start, end, (base + g) / 48, n / 48);
      g += n;
      last = n;
    }
    runSink?.closeRun();
    if (last < 0) return; // header packets only
    this.pageLastSamples = last;
    link.nextGranule = g;
    link.lastPacketSamples = last;
  }

  /** Reports the damage before the link's page at `offset`: the pending skipped stretch, lost pages; `start` as from {@link anchor}. */
  private reportLoss(link: OpusLink, offset: number, lostPages: number, lossFrom: number, start: number): void {
    const stretch = this.pending ?? { start: offset, end: offset };
    this.pending = null;
    let packetsLost: number | null = null;
    let lostMs: number | null = null;
    if (lostPages === 0) {
      packetsLost = 0; // bytes between two pages that follow each other: nothing of the stream was lost
      lostMs = 0;
    } else if (lossFrom >= 0 && start >= lossFrom) {
      // The granule where the packets after the loss start, less where the last packet before it ended.
      const lost = start - lossFrom;
      lostMs = lost / 48;
      const unit = link.lastPacketSamples || this.pageLastSamples;
      if (unit > 0) packetsLost = Math.round(lost / unit);
    }
    const what = lostPages > 0 ? `${lostPages} Ogg page${lostPages === 1 ? '' : 's'} missing (page sequence numbers)` : 'Bytes between Ogg pages that hold no good page';
    this.damage({ start: stretch.start, end: stretch.end, packetsLost, lostMs, reason: what });
  }

  private damage(damage: DemuxDamage): void {
    if (!this.resync) throw demuxError(`Damaged Ogg data at bytes ${damage.start}-${damage.end}: ${damage.reason}`);
    this.onDamage?.(damage);
  }

  /** Handles OpusTags, the packet after OpusHead; returns true when it was a header (not audio). */
  private headerPacket(link: OpusLink, bytes: Uint8Array, start: number, end: number, overflowed: boolean): boolean {
    // RFC 7845 §5.2: the second packet is OpusTags. A muxer that left it out goes straight to audio.
    link.headerPackets = 2;
    this.headersEverComplete = true;
    if (overflowed) {
      this.tags = null; // too large to keep: skipped
      return true;
    }
    if (!startsWith(bytes, start, end, OPUS_TAGS_MAGIC)) return false;
    try {
      this.tags = parseOpusTags(bytes.subarray(start, end));
    } catch {
      this.tags = null; // malformed comments do not prevent playback
    }
    return true;
  }

  private beginningOfStream(buf: Uint8Array, p: number, serial: number): void {
    const current = this.link;
    const reread = current !== null && this.restartPending && current.serial === serial;
    if (current !== null && !current.ended && !reread) {
      if (serial === current.serial && !current.hasAudio) {
        // The link's BOS page again (a repeated header page, RFC 7845 §3): its headers stand.
        if (((pageSequence(buf, p) - current.lastSequence) >>> 0) === 1) current.lastSequence = pageSequence(buf, p);
        return;
      }
      // While the current link is still in its headers, other BOS pages belong to multiplexed streams.
      if (!current.hasAudio) return;
    }
    // The first packet of the BOS page must be the OpusHead, alone on its page (RFC 7845 §3).
    const length = firstPacketLength(buf, p);
    if (length < 0) return; // no complete first packet: not an Ogg Opus BOS page
    const bodyStart = p + PAGE_HEADER_SIZE + pageSegments(buf, p);
    const packet = buf.subarray(bodyStart, bodyStart + length);
    if (!isOpusHead(packet)) return; // another codec's stream: ignored
    const head = parseOpusHead(packet);
    if (this.pending !== null) this.finish(); // the losses before a new link cannot be told
    let chainOffset = this.chainOffset;
    if (reread) {
      chainOffset = current.chainOffset; // re-reading the same link after a restart
    } else if (current !== null && current.hasAudio) {
      // RFC 3533 §4 chaining: the new link's timeline follows the previous link's playback end.
      const endGranule = current.finalGranule >= 0 ? current.finalGranule : current.nextGranule;
      chainOffset = current.chainOffset + Math.max(0, endGranule - current.head.preSkip);
    }
    this.chainOffset = chainOffset;
    this.restartPending = false;
    this.assembler.drop();
    this.opusHeadSeen = true;
    this.tags = null;
    this.endTrimSamples = 0;
    this.link = {
      serial,
      head,
      info: {
        codec: 'opus',
        container: 'ogg',
        channels: head.channels,
        preSkip: head.preSkip,
        inputSampleRate: head.inputSampleRate,
        outputGain: head.outputGain,
        channelMappingFamily: head.channelMappingFamily,
        opusHead: packet.slice(),
      },
      headerPackets: 1,
      lastSequence: pageSequence(buf, p),
      nextGranule: 0,
      timeKnown: false,
      ended: false,
      finalGranule: -1,
      hasAudio: false,
      chainOffset,
      lastPacketSamples: 0,
      lastPageGranule: -1,
    };
  }

  private endOfLink(link: OpusLink, granule: number): void {
    link.ended = true;
    link.finalGranule = granule;
    this.assembler.drop();
    if (granule >= 0 && link.timeKnown && granule < link.nextGranule) this.endTrimSamples = link.nextGranule - granule;
  }
}

/** True when `bytes[start, end)` is an OpusHead or OpusTags header packet (RFC 7845 §5). */
function isHeader(bytes: Uint8Array, start: number, end: number): boolean {
  return startsWith(bytes, start, end, OPUS_TAGS_MAGIC) || startsWith(bytes, start, end, OPUS_HEAD_MAGIC);
}
