/**
 * The Ogg Opus comment header, "OpusTags" (RFC 7845 §5.2): a vendor string and a list of
 * `KEY=value` user comments, in the Vorbis comment layout with 32-bit little-endian lengths.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';

/** The parsed OpusTags header. */
export interface OpusTags {
  /** The encoder's vendor string. */
  vendor: string;
  /** User comments, each `KEY=value` as stored (RFC 7845 §5.2). */
  comments: string[];
}

/** "OpusTags", the comment header's magic signature (RFC 7845 §5.2). */
export const OPUS_TAGS_MAGIC: Uint8Array = Uint8Array.of(0x4f, 0x70, 0x75, 0x73, 0x54, 0x61, 0x67, 0x73);

/** True when `packet` starts with the "OpusTags" magic signature. */
export function isOpusTags(packet: Uint8Array): boolean {
  if (packet.length < 8) return false;
  for (let i = 0; i < 8; i++) if (packet[i] !== OPUS_TAGS_MAGIC[i]) return false;
  return true;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/**
 * Parses an OpusTags packet (RFC 7845 §5.2). Binary data after the comments (allowed when the
 * first byte after them has its low bit set) is ignored.
 *
 * @throws SpenceError `DEMUX` when the signature is missing or a length runs past the end.
 */
export function parseOpusTags(packet: Uint8Array): OpusTags {
  const fail = (message: string): never => {
    throw new SpenceError(ErrorCodes.DEMUX, `Invalid OpusTags: ${message}`, { source: 'demux' });
  };
  if (!isOpusTags(packet)) fail('missing the "OpusTags" signature');
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let pos = 8;
  const u32 = (): number => {
    if (pos + 4 > packet.length) fail('truncated');
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const str = (): string => {
    const length = u32();
    if (length > packet.length - pos) fail('a string runs past the end of the packet');
    const s = decoder.decode(packet.subarray(pos, pos + length));
    pos += length;
    return s;
  };
  const vendor = str();
  const count = u32();
  // Each comment needs at least its 4-byte length: refuse counts the packet cannot hold.
  if (count > (packet.length - pos) / 4) fail(`comment count ${count} exceeds the packet`);
  const comments: string[] = [];
  for (let i = 0; i < count; i++) comments.push(str());
  return { vendor, comments };
}

/** Serialises an OpusTags packet (RFC 7845 §5.2). */
export function serializeOpusTags(tags: OpusTags): Uint8Array {
  const vendor = encoder.encode(tags.vendor);
  const comments = tags.comments.map((c) => encoder.encode(c));
  let size = 8 + 4 + vendor.length + 4;
  for (const c of comments) size += 4 + c.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(OPUS_TAGS_MAGIC, 0);
  let pos = 8;
  view.setUint32(pos, vendor.length, true);
  out.set(vendor, pos + 4);
  pos += 4 + vendor.length;
  view.setUint32(pos, comments.length, true);
  pos += 4;
  for (const c of comments) {
    view.setUint32(pos, c.length, true);
    out.set(c, pos + 4);
    pos += 4 + c.length;
  }
  return out;
}
