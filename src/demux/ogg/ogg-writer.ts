/**
 * An Ogg Opus muxer (RFC 3533 pages, RFC 7845 Opus mapping): Opus packets in, pages out, so
 * that what spence plays can be saved and played by any player.
 *
 * The writer returns pages as byte arrays, so it works the same in memory and in front of a Node
 * `Writable`:
 *
 * ```ts
 * const writer = new OggOpusWriter(demuxer.info!, { comments: { TITLE: 'Song' } });
 * for (const packet of packets) for (const page of writer.write(packet)) file.write(page);
 * for (const page of writer.end()) file.write(page);
 * ```
 *
 * Layout (RFC 7845 §3): the OpusHead alone on the first page (BOS flag, granule 0), the OpusTags on
 * the next page(s) (granule 0), then audio pages. An audio page holds up to 255 lacing values and
 * is closed once it holds `maxPageDurationMs` of audio (default 1 s, like opusenc); a packet that
 * does not fit continues on the next page. Granule positions count the 48 kHz samples decoded up
 * to the end of each page's last completed packet, pre-skip included (RFC 7845 §4). The last page
 * carries the EOS flag, and its granule position can trim the final packet's padding (§4.4).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { opusPacketSamples } from '../opus.js';
import type { OpusPacket, OpusStreamInfo } from '../types.js';
import { oggCrc } from './crc.js';
import { parseOpusHead, serializeOpusHead } from './opus-head.js';
import type { OpusHeadInit } from './opus-head.js';
import { serializeOpusTags } from './opus-tags.js';

/** What the writer needs to know about the stream: the raw OpusHead, stream info (as a demuxer gives it), or its fields. */
export type OggOpusWriterHead = Uint8Array | OpusStreamInfo | OpusHeadInit;

/** Options for {@link OggOpusWriter}. */
export interface OggOpusWriterOptions {
  /** The logical stream's serial number (default: random). */
  serial?: number;
  /** The OpusTags vendor string (default `'spence'`). */
  vendor?: string;
  /** User comments: `KEY=value` strings, or a record of keys to values (RFC 7845 §5.2). */
  comments?: readonly string[] | Readonly<Record<string, string>>;
  /** Close an audio page once it holds this much audio (default 1000 ms; lower for live streaming). */
  maxPageDurationMs?: number;
}

/** Options for {@link OggOpusWriter.end}. */
export interface OggOpusWriterEndOptions {
  /**
   * The real length of the audio in 48 kHz samples, after pre-skip. The final granule position
   * becomes `preSkip + totalSamples`, trimming the padding of the last packet (RFC 7845 §4.4).
   */
  totalSamples?: number;
  /** Samples to trim from the end of the last packet (an alternative to `totalSamples`). */
  trimSamples?: number;
}

/** header_type_flag bits (RFC 3533 §6). */
const FLAG_CONTINUED = 0x01;
const FLAG_BOS = 0x02;
const FLAG_EOS = 0x04;
/** Largest page body: 255 segments of 255 bytes (RFC 3533 §6). */
const MAX_BODY = 255 * 255;

function resolveHead(head: OggOpusWriterHead): Uint8Array {
  if (head instanceof Uint8Array) {
    parseOpusHead(head); // validates (throws DEMUX when invalid)
    return head.slice();
  }
  if ('container' in head && head.opusHead) {
    parseOpusHead(head.opusHead);
    return head.opusHead.slice();
  }
  return serializeOpusHead(head);
}

/**
 * Writes Ogg Opus pages. Call {@link write} for each packet, then {@link end}; each call returns
 * the pages it completed, in order, to be written out as they are.
 */
export class OggOpusWriter {
  /** The logical stream's serial number. */
  readonly serial: number;
  /** The pre-skip from the OpusHead, in 48 kHz samples. */
  readonly preSkip: number;
  private readonly head: Uint8Array;
  private readonly tags: Uint8Array;
  private readonly maxPageSamples: number;

  private sequence = 0;
  private granule = 0;
  private lastPageGranule = 0;
  private headersWritten = false;
  private finished = false;
  private ready: Uint8Array[] = [];

  // The page being filled.
  private readonly lacing = new Uint8Array(255);
  private segments = 0;
  private readonly body = new Uint8Array(MAX_BODY);
  private bodyLength = 0;
  private pageGranule = -1;
  private pageFlags = 0;
  private pageSamples = 0;

  /**
   * @param head - The raw OpusHead, a demuxer's {@link OpusStreamInfo} (its `opusHead` is used when present), or the header's fields.
   * @param options - Serial number, tags and page duration.
   * @throws SpenceError `INVALID_ARGUMENT` when the header fields cannot make a valid OpusHead, `DEMUX` when raw OpusHead bytes are invalid.
   */
  constructor(head: OggOpusWriterHead, options: OggOpusWriterOptions = {}) {
    this.head = resolveHead(head);
    this.preSkip = parseOpusHead(this.head).preSkip;
    this.serial = (options.serial ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
    const comments = options.comments ?? [];
    const list = Array.isArray(comments)
      ? [...(comments as readonly string[])]
      : Object.entries(comments as Record<string, string>).map(([key, value]) => `${key}=${value}`);
    this.tags = serializeOpusTags({ vendor: options.vendor ?? 'spence', comments: list });
    const maxMs = options.maxPageDurationMs ?? 1000;
    if (!(maxMs > 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `maxPageDurationMs must be positive, got ${maxMs}`);
    this.maxPageSamples = maxMs * 48;
  }

  /** The granule position after the packets written so far (48 kHz samples, pre-skip included). */
  get granulePosition(): number {
    return this.granule;
  }

  /**
   * Returns the header pages (OpusHead, OpusTags) if they have not been returned yet. {@link write}
   * and {@link end} do this themselves; call it to write the headers before the first packet.
   */
  headers(): Uint8Array[] {
    this.ensureHeaders();
    return this.takeReady();
  }

  /** Adds one Opus packet; returns the pages it completed (often none). */
  write(packet: OpusPacket | Uint8Array): Uint8Array[] {
    if (this.finished) throw new SpenceError(ErrorCodes.INVALID_STATE, 'OggOpusWriter.write() after end()', { source: 'demux' });
    this.ensureHeaders();
    const data = packet instanceof Uint8Array ? packet : packet.data;
    const samples = opusPacketSamples(data);
    // Close the page before adding when it is full, so the last packet is always on the open page
    // (end trimming applies to the last page only, RFC 7845 §4.4).
    if (this.segments > 0 && (this.pageSamples >= this.maxPageSamples || this.segments + Math.floor(data.length / 255) + 1 > 255)) {
      this.emitPage(0);
    }
    this.granule += samples;
    this.pageSamples += samples;
    this.appendPacket(data, this.granule);
    return this.takeReady();
  }

  /** Closes the current page now (for lower latency when streaming); returns it, if it held anything. */
  flush(): Uint8Array[] {
    this.ensureHeaders();
    if (this.segments > 0) this.emitPage(0);
    return this.takeReady();
  }

  /**
   * Writes the last page, flagged end-of-stream, and returns the remaining pages. With
   * `totalSamples` or `trimSamples`, the final granule position trims the end of the last page
   * (never below the previous page's granule position, RFC 7845 §4.4).
   */
  end(options: OggOpusWriterEndOptions = {}): Uint8Array[] {
    if (this.finished) return [];
    this.ensureHeaders();
    let final = this.granule;
    if (options.totalSamples !== undefined) final = Math.min(final, this.preSkip + options.totalSamples);
    if (options.trimSamples !== undefined) final = Math.min(final, this.granule - options.trimSamples);
    final = Math.max(final, this.lastPageGranule);
    this.pageGranule = final;
    this.emitPage(FLAG_EOS);
    this.finished = true;
    return this.takeReady();
  }

  private ensureHeaders(): void {
    if (this.headersWritten) return;
    this.headersWritten = true;
    // RFC 7845 §3: OpusHead alone on the BOS page; OpusTags from the next page, ending its last page.
    this.pageFlags = FLAG_BOS;
    this.appendPacket(this.head, 0);
    this.emitPage(0);
    this.appendPacket(this.tags, 0);
    this.emitPage(0);
  }

  private appendPacket(data: Uint8Array, granuleAfter: number): void {
    let offset = 0;
    for (;;) {
      const remaining = data.length - offset;
      const free = 255 - this.segments;
      const full = Math.floor(remaining / 255);
      if (full + 1 <= free) {
        for (let i = 0; i < full; i++) this.lacing[this.segments++] = 255;
        this.lacing[this.segments++] = remaining - full * 255;
        this.body.set(offset === 0 ? data : data.subarray(offset), this.bodyLength);
        this.bodyLength += remaining;
        this.pageGranule = granuleAfter;
        return;
      }
      // Fill the page with 255-byte segments; the packet continues on the next page.
      const bytes = free * 255;
      for (let i = 0; i < free; i++) this.lacing[this.segments++] = 255;
      this.body.set(data.subarray(offset, offset + bytes), this.bodyLength);
      this.bodyLength += bytes;
      offset += bytes;
      this.emitPage(0);
      if (bytes > 0) this.pageFlags |= FLAG_CONTINUED;
    }
  }

  private emitPage(extraFlags: number): void {
    const segments = this.segments;
    const page = new Uint8Array(27 + segments + this.bodyLength);
    page[0] = 0x4f; // capture pattern "OggS" (RFC 3533 §6)
    page[1] = 0x67;
    page[2] = 0x67;
    page[3] = 0x53;
    page[4] = 0; // stream_structure_version
    page[5] = this.pageFlags | extraFlags;
    const granule = this.pageGranule;
    if (granule < 0) {
      page.fill(0xff, 6, 14); // -1: no packet finishes on this page
    } else {
      writeU32(page, 6, granule % 0x100000000);
      writeU32(page, 10, Math.floor(granule / 0x100000000));
      this.lastPageGranule = granule;
    }
    writeU32(page, 14, this.serial);
    writeU32(page, 18, this.sequence++);
    page[26] = segments;
    page.set(this.lacing.subarray(0, segments), 27);
    page.set(this.body.subarray(0, this.bodyLength), 27 + segments);
    writeU32(page, 22, oggCrc(page)); // computed with the CRC field still zero (RFC 3533 §6)
    this.ready.push(page);
    this.segments = 0;
    this.bodyLength = 0;
    this.pageGranule = -1;
    this.pageFlags = 0;
    this.pageSamples = 0;
  }

  private takeReady(): Uint8Array[] {
    const pages = this.ready;
    if (pages.length > 0) this.ready = [];
    return pages;
  }
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}
