/**
 * Packets out of the pages of one logical stream (RFC 3533 §5-6): the lacing values split a page's
 * body into packets, a lacing value of 255 continues a packet into the next segment, and a packet
 * whose last lacing value is 255 continues on the next page (which sets its "continued" flag).
 *
 * {@link PacketAssembler.readPage} lists the packets that a page completes in a fixed table, as
 * ranges of the page's buffer or as the packet gathered across pages ({@link FROM_PARTIAL}); the
 * caller reads them, then calls {@link PacketAssembler.endPage}, which keeps the unfinished packet
 * at the page's end. Nothing is allocated per packet or page.
 *
 * - A zero-length packet (a lacing value of 0 that ends no continued packet) is not listed: it
 *   holds no Opus packet (RFC 6716 §3.4 [R1]: a packet has at least one byte) and no duration
 *   (RFC 7845 §4.1: a page's granule position counts only the samples of packets present, and
 *   gaps, DTX included, are filled with packets that have a TOC byte). Skipping it here keeps a page
 *   of 255 of them as cheap as any page.
 * - A packet that spans a lost page is dropped whole ({@link PacketAssembler.drop}): its start,
 *   or its continuation up to the next packet boundary. Packets never come out with missing bytes.
 * - A packet gathered across pages is bounded by `maxElementSize`; a larger one is a `DEMUX`
 *   error, unless the caller tolerates it (an OpusTags header with cover art is skipped instead).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { FLAG_CONTINUED, PAGE_HEADER_SIZE, pageFlags, pageSegments } from './ogg-page.js';

/** The most packets a page can complete: one per lacing value, and a page has at most 255 (RFC 3533 §6). */
export const MAX_PAGE_PACKETS = 255;
/** In the table of a page's packets: the packet is the one gathered across pages ({@link PacketAssembler.partial}). */
export const FROM_PARTIAL = -1;

/** A gathered packet's buffer above this size is not kept for the next one. */
const KEEP_PARTIAL_BUFFER = 64 * 1024;

/** Assembles the packets of one logical stream; see the module notes. */
export class PacketAssembler {
  /** The start of each packet the page completes, as an offset in the page's buffer, or {@link FROM_PARTIAL}. */
  readonly starts = new Int32Array(MAX_PAGE_PACKETS);
  /** The end (exclusive) of each packet the page completes. */
  readonly ends = new Int32Array(MAX_PAGE_PACKETS);
  /** The packet gathered across pages: `partial[0, partialLength)`. */
  partial: Uint8Array = new Uint8Array(0);
  partialLength = 0;
  /**
   * The gathered packet outgrew `maxElementSize` while {@link tolerateOversize} was set: its bytes
   * were not kept. The table's {@link FROM_PARTIAL} entry then stands for a packet to skip.
   */
  overflowed = false;
  /** Whether a packet larger than `maxElementSize` is skipped rather than refused. */
  tolerateOversize = false;
  private readonly maxElementSize: number;
  private partialActive = false;
  /** The unfinished packet at the page's end, `[tailStart, tailEnd)` of its buffer; `tailStart` -1 when none. */
  private tailStart = -1;
  private tailEnd = 0;
  /** The page listed a {@link FROM_PARTIAL} packet, released by {@link endPage}. */
  private completedPartial = false;

  constructor(maxElementSize: number) {
    this.maxElementSize = maxElementSize;
  }

  /** Bytes held: the packet being gathered. */
  get bufferedBytes(): number {
    return this.partialLength;
  }

  /**
   * Lists the packets that the page at `buf[p]` completes in {@link starts}/{@link ends}; returns
   * their count. A page flagged as continuing a packet that is not being gathered (its start was
   * lost) has that continuation skipped; a page not so flagged while one is being gathered ends it.
   *
   * @throws SpenceError `DEMUX` when a packet completed here outgrows `maxElementSize`.
   */
  readPage(buf: Uint8Array, p: number): number {
    const segments = pageSegments(buf, p);
    const table = p + PAGE_HEADER_SIZE;
    let seg = 0;
    let body = table + segments;
    let continuing = this.partialActive;
    if (pageFlags(buf, p) & FLAG_CONTINUED) {
      if (!continuing) {
        // The start of this packet was lost (or precedes a restart): skip to the next packet boundary.
        while (seg < segments) {
          const lace = buf[table + seg++]!;
          body += lace;
          if (lace < 255) break;
        }
      }
    } else if (continuing) {
      this.drop(); // the previous page promised a continuation that never came
      continuing = false;
    }
    const starts = this.starts;
    const ends = this.ends;
    let count = 0;
    this.tailStart = -1;
    this.completedPartial = false;
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
      if (continuing) {
        continuing = false;
        this.append(buf, start, body);
        this.completedPartial = true;
        starts[count] = FROM_PARTIAL;
        ends[count++] = this.partialLength;
      } else if (body > start) {
        starts[count] = start;
        ends[count++] = body;
      }
    }
    return count;
  }

  /** Ends the page read by {@link readPage}: releases the completed gathered packet, gathers the unfinished one. */
  endPage(buf: Uint8Array): void {
    if (this.completedPartial) {
      this.completedPartial = false;
      this.release();
    }
    // Gathered only now: the page's first packet may have been read from `partial`, which this reuses.
    if (this.tailStart !== -1) this.append(buf, this.tailStart, this.tailEnd);
  }

  /** Drops the packet being gathered (it spans lost bytes); returns whether there was one. */
  drop(): boolean {
    const had = this.partialActive;
    this.partialActive = false;
    this.overflowed = false;
    this.partialLength = 0;
    this.completedPartial = false;
    return had;
  }

  private append(buf: Uint8Array, start: number, end: number): void {
    const needed = this.partialLength + (end - start);
    this.partialActive = true;
    if (this.overflowed) return;
    if (needed > this.maxElementSize) {
      if (this.tolerateOversize) {
        this.overflowed = true;
        this.partialLength = 0;
        return;
      }
      this.drop();
      throw new SpenceError(ErrorCodes.DEMUX, `An Ogg packet exceeds maxElementSize (${this.maxElementSize} bytes); refusing to buffer it`, { source: 'demux' });
    }
    if (needed > this.partial.length) {
      const grown = new Uint8Array(Math.min(this.maxElementSize, Math.max(needed, this.partial.length * 2, 4096)));
      grown.set(this.partial.subarray(0, this.partialLength));
      this.partial = grown;
    }
    this.partial.set(buf.subarray(start, end), this.partialLength);
    this.partialLength = needed;
  }

  private release(): void {
    this.partialActive = false;
    this.overflowed = false;
    this.partialLength = 0;
    if (this.partial.length > KEEP_PARTIAL_BUFFER) this.partial = new Uint8Array(0); // do not keep a large buffer around
  }
}
