/**
 * Seeded mutations of media files for the demuxers' property tests: what damage, hostile servers
 * and other muxers do to WebM, Ogg and MP3. Generic ones (bit flips, byte overwrites, insertions,
 * deletions, truncations, splices) and ones aimed at each container's structure: EBML size fields
 * set to huge or to the reserved "unknown" value (all ones, RFC 8794 §6.2), Ogg page CRCs and
 * segment tables broken (RFC 3533 §6), MPEG audio frame headers garbled.
 */
import { newElementHeader, peekElementHeaderIn, vintLength } from '../../src/demux/webm/ebml.js';

/** The containers the mutations know. */
export type MediaKind = 'webm' | 'ogg' | 'mp3';

/** A random source: unsigned 32-bit integers (see prng.ts). */
export type Random = () => number;

/** One mutated input and how it was made (for a failure's message: replay it from the seed). */
export interface Mutant {
  bytes: Uint8Array;
  description: string;
}

/** EBML masters the size-field mutations descend into (RFC 9559 §5.1, RFC 8794 §11.2). */
const EBML_MASTERS = new Set([
  0x1a45dfa3, 0x18538067, 0x114d9b74, 0x4dbb, 0x1549a966, 0x1654ae6b, 0xae, 0xe1, 0x1f43b675, 0xa0, 0x1c53bb6b, 0xbb, 0xb7,
  0x1254c367, 0x7373, 0x63c0, 0x67c8, 0x6d80,
]);

/** Where the Data Size fields of the file's elements are: offset and length of each. */
function ebmlSizeFields(bytes: Uint8Array): { at: number; length: number }[] {
  const fields: { at: number; length: number }[] = [];
  const header = newElementHeader();
  const walk = (start: number, end: number, depth: number): void => {
    for (let pos = start; pos < end && fields.length < 4096;) {
      if (!peekElementHeaderIn(bytes, pos, Math.min(end, bytes.length), header)) return;
      const idLength = vintLength(bytes[pos]!);
      fields.push({ at: pos + idLength, length: header.headerLength - idLength });
      const dataStart = pos + header.headerLength;
      const dataEnd = header.size < 0 ? end : Math.min(end, dataStart + header.size);
      if (EBML_MASTERS.has(header.id) && depth < 8) walk(dataStart, dataEnd, depth + 1);
      if (header.size < 0) return;
      pos = dataStart + header.size;
    }
  };
  walk(0, bytes.length, 0);
  return fields;
}

/** Offsets of the Ogg pages' capture patterns "OggS". */
function oggPages(bytes: Uint8Array): number[] {
  const pages: number[] = [];
  for (let i = Buffer.from(bytes).indexOf('OggS'); i >= 0 && pages.length < 4096; i = Buffer.from(bytes).indexOf('OggS', i + 4)) pages.push(i);
  return pages;
}

/** Offsets of what look like MPEG audio frame headers (11 sync bits). */
function mp3Frames(bytes: Uint8Array): number[] {
  const frames: number[] = [];
  for (let i = 0; i + 4 <= bytes.length && frames.length < 4096; i++) if (bytes[i] === 0xff && (bytes[i + 1]! & 0xe0) === 0xe0) frames.push(i);
  return frames;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random() % items.length]!;
}

function randomBytes(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => random() & 0xff);
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** The mutations a container's files get (generic ones for all). */
const KINDS: Record<MediaKind, readonly string[]> = {
  webm: ['flip', 'set', 'insert', 'delete', 'truncate', 'splice', 'size-huge', 'size-unknown', 'size-huge', 'size-unknown'],
  ogg: ['flip', 'set', 'insert', 'delete', 'truncate', 'splice', 'crc', 'segments', 'crc', 'segments'],
  mp3: ['flip', 'set', 'insert', 'delete', 'truncate', 'splice', 'frame-header', 'frame-header'],
};

/** Applies one mutation of a kind that suits `kind`'s files; returns the bytes and what was done. */
export function mutateOnce(bytes: Uint8Array, kind: MediaKind, random: Random): Mutant {
  if (bytes.length === 0) return { bytes, description: 'empty' };
  const what = pick(random, KINDS[kind]);
  const at = random() % bytes.length;
  switch (what) {
    case 'flip': {
      const out = bytes.slice();
      const bits = 1 + (random() % 8);
      for (let i = 0; i < bits; i++) { const p = (at + (random() % 64)) % out.length; out[p] = out[p]! ^ (1 << (random() % 8)); }
      return { bytes: out, description: `flip ${bits} bits near ${at}` };
    }
    case 'set': {
      const length = 1 + (random() % 16);
      const out = bytes.slice();
      out.set(randomBytes(random, Math.min(length, out.length - at)), at);
      return { bytes: out, description: `set ${length} bytes at ${at}` };
    }
    case 'insert': {
      const length = 1 + (random() % 64);
      return { bytes: splice(bytes, at, 0, randomBytes(random, length)), description: `insert ${length} bytes at ${at}` };
    }
    case 'delete': {
      const length = Math.min(1 + (random() % 64), bytes.length - at);
      return { bytes: splice(bytes, at, length, new Uint8Array(0)), description: `delete ${length} bytes at ${at}` };
    }
    case 'truncate':
      return { bytes: bytes.subarray(0, at), description: `truncate at ${at}` };
    case 'splice': {
      // A stretch of the file again elsewhere: plausible structure in the wrong place.
      const from = random() % bytes.length;
      const length = Math.min(1 + (random() % 512), bytes.length - from);
      return { bytes: splice(bytes, at, 0, bytes.slice(from, from + length)), description: `copy ${length} bytes from ${from} to ${at}` };
    }
    case 'size-huge':
    case 'size-unknown': {
      const fields = ebmlSizeFields(bytes);
      if (fields.length === 0) return mutateOnce(bytes, kind, random);
      const field = pick(random, fields);
      const out = bytes.slice();
      if (what === 'size-unknown') {
        // All VINT_DATA bits set: the reserved "unknown" size (RFC 8794 §6.2).
        out[field.at] = 0xff >> (field.length - 1);
        out.fill(0xff, field.at + 1, field.at + field.length);
      } else {
        // The largest known size of that length: all ones but the last bit.
        out[field.at] = 0xff >> (field.length - 1);
        out.fill(0xff, field.at + 1, field.at + field.length);
        out[field.at + field.length - 1] = out[field.at + field.length - 1]! - 1;
      }
      return { bytes: out, description: `${what} at ${field.at} (${field.length}-octet size)` };
    }
    case 'crc':
    case 'segments': {
      const pages = oggPages(bytes);
      if (pages.length === 0) return mutateOnce(bytes, kind, random);
      const page = pick(random, pages);
      const out = bytes.slice();
      if (what === 'crc') {
        const p = page + 22 + (random() % 4); // the CRC field (RFC 3533 §6)
        if (p < out.length) out[p] = out[p]! ^ (1 + (random() % 255));
        return { bytes: out, description: `crc of the page at ${page}` };
      }
      // page_segments (byte 26) or one lacing value: to 0, 255 or anything.
      const p = page + 26 + (random() % 8);
      if (p < out.length) out[p] = pick(random, [0, 255, random() & 0xff]);
      return { bytes: out, description: `segment table of the page at ${page} (byte ${p})` };
    }
    case 'frame-header': {
      const frames = mp3Frames(bytes);
      if (frames.length === 0) return mutateOnce(bytes, kind, random);
      const frame = pick(random, frames);
      const out = bytes.slice();
      const p = frame + 1 + (random() % 3);
      if (p < out.length) out[p] = random() & 0xff;
      return { bytes: out, description: `frame header at ${frame} (byte ${p})` };
    }
    default:
      throw new Error(`unknown mutation ${what}`);
  }
}

/** One to four mutations of `bytes`, chosen by `random`. */
export function mutate(bytes: Uint8Array, kind: MediaKind, random: Random): Mutant {
  const count = 1 + (random() % 4);
  let current: Mutant = { bytes, description: '' };
  const steps: string[] = [];
  for (let i = 0; i < count; i++) {
    current = mutateOnce(current.bytes, kind, random);
    steps.push(current.description);
  }
  return { bytes: current.bytes, description: steps.join('; ') };
}
