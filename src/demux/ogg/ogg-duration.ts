/**
 * The length of an Ogg Opus file from its first and last bytes, without reading the rest.
 *
 * RFC 7845 §4: a link's granule positions count its samples at 48 kHz from its start, so a link
 * plays `final granule − pre-skip` samples (its last page's granule position, its OpusHead's
 * pre-skip). A chained file (RFC 3533 §4) plays its links one after the other, each with a granule
 * that starts anew, so its length is the sum of its links' (the demuxer's timeline does the same).
 *
 * The links are read from the pages found in the head and in the tail. A link first seen in the
 * tail still gives its whole length (its granule counts from its own start); its pre-skip, when
 * its OpusHead is not in the tail, is taken from the head's. The sum is exact when the tail
 * continues the head's last link, when the two overlap, or whenever no link ends in the bytes
 * between them; a link that starts and ends there, or the rest of a head link that ends there,
 * is not counted (reading them needs more of the file), so the length is never overstated.
 *
 * @module
 */

import { oggPageCrc } from './crc.js';
import { isOpusHead, parseOpusHead } from './opus-head.js';
import { FLAG_BOS, FLAG_EOS, findCapturePattern, firstPacketLength, isCapturePattern, PAGE_HEADER_SIZE, pageFlags, pageGranule, pageSegments, pageSerial, pageSize, storedCrc } from './ogg-page.js';

/** A link as far as the probed bytes show it. */
interface LinkExtent {
  serial: number;
  /** OpusHead's pre-skip, or -1 when its BOS page was not seen. */
  preSkip: number;
  /** The last granule position seen (-1: none). */
  lastGranule: number;
  /** Its end-of-stream page was seen. */
  ended: boolean;
}

/** Calls `visit` for every good page (CRC checked) in `bytes`, from the first capture pattern on. */
function forEachPage(bytes: Uint8Array, visit: (p: number, size: number) => void): void {
  let p = findCapturePattern(bytes, 0, bytes.length);
  while (p + PAGE_HEADER_SIZE <= bytes.length) {
    const size = isCapturePattern(bytes, p) && bytes[p + 4] === 0 ? pageSize(bytes, p, bytes.length) : null;
    if (size !== null && oggPageCrc(bytes, p, size) === storedCrc(bytes, p)) {
      visit(p, size);
      p += size;
    } else {
      p = findCapturePattern(bytes, p + 1, bytes.length);
    }
  }
}

/** The Opus links of the pages in `bytes`, appended to `links` (a link already there goes on). */
function readLinks(bytes: Uint8Array, links: LinkExtent[]): void {
  forEachPage(bytes, (p) => {
    const serial = pageSerial(bytes, p);
    const flags = pageFlags(bytes, p);
    let link = links.find((l) => l.serial === serial);
    if (flags & FLAG_BOS) {
      const length = firstPacketLength(bytes, p);
      const body = p + PAGE_HEADER_SIZE + pageSegments(bytes, p);
      const packet = bytes.subarray(body, body + Math.max(0, length));
      if (length < 0 || !isOpusHead(packet)) return; // another codec's stream
      if (link !== undefined) return; // its BOS page again (a serial names one link, RFC 3533 §4)
      let preSkip: number;
      try {
        preSkip = parseOpusHead(packet).preSkip;
      } catch {
        return;
      }
      link = { serial, preSkip, lastGranule: -1, ended: false };
      links.push(link);
    } else if (link === undefined) {
      // A page of a link whose start is not in these bytes (the tail's first link), or another
      // codec's stream: it is an Opus link only when no other link came since (chains are sequential).
      if (links.length > 0 && !links.at(-1)!.ended) return;
      link = { serial, preSkip: -1, lastGranule: -1, ended: false };
      links.push(link);
    }
    const granule = pageGranule(bytes, p);
    if (granule > link.lastGranule) link.lastGranule = granule;
    if (flags & FLAG_EOS) link.ended = true;
  });
}

/**
 * The playback length in ms of the Ogg Opus file whose first bytes are `head` and last bytes are
 * `tail` (`totalBytes` long in all), or `null` when no granule position was found. See the module
 * notes.
 */
export function oggDurationMs(head: Uint8Array, tail: Uint8Array, totalBytes?: number): number | null {
  const tailStart = totalBytes === undefined ? -1 : totalBytes - tail.length;
  if (tail === head || (tailStart >= 0 && tailStart <= head.length)) {
    // The two overlap or touch: read them as one run of bytes.
    const whole = tail === head ? head : new Uint8Array(tailStart + tail.length);
    if (whole !== head) {
      whole.set(head.subarray(0, tailStart), 0);
      whole.set(tail, tailStart);
    }
    const links: LinkExtent[] = [];
    readLinks(whole, links);
    return sumMs(links, links.find((l) => l.preSkip >= 0)?.preSkip ?? 0);
  }
  const headLinks: LinkExtent[] = [];
  readLinks(head, headLinks);
  const tailLinks: LinkExtent[] = [];
  readLinks(tail, tailLinks);
  // A serial names one link of the physical stream (RFC 3533 §4): a tail link seen in the head
  // too (the head's last link going on, or bytes the two share) is that link.
  const links = [...headLinks];
  for (const link of tailLinks) {
    const same = headLinks.find((l) => l.serial === link.serial);
    if (same === undefined) {
      links.push(link);
    } else {
      same.lastGranule = Math.max(same.lastGranule, link.lastGranule);
      same.ended ||= link.ended;
    }
  }
  // A link first seen in the tail has its whole length in its granule; only its OpusHead is unseen.
  const fallbackPreSkip = headLinks.find((l) => l.preSkip >= 0)?.preSkip ?? 0;
  return sumMs(links, fallbackPreSkip);
}

/** The summed length in ms of `links` (each `final granule − pre-skip`), or `null` when none has a granule. */
function sumMs(links: LinkExtent[], fallbackPreSkip: number): number | null {
  let samples = 0;
  let any = false;
  for (const link of links) {
    if (link.lastGranule < 0) continue;
    any = true;
    samples += Math.max(0, link.lastGranule - (link.preSkip >= 0 ? link.preSkip : fallbackPreSkip));
  }
  return any ? (samples / 48000) * 1000 : null;
}
