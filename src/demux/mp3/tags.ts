/**
 * The tags found in MP3 streams around the audio frames, which a reader skips: ID3v2 (before the
 * audio, and at the start of every HLS segment), ID3v1 (the last 128 bytes) and APEv2.
 *
 * @module
 */

/** Bytes of an ID3v2 header (and of its optional footer): "ID3", version(2), flags, size(4) (id3.org v2.4 §3.1). */
export const ID3V2_HEADER_BYTES = 10;
/** An ID3v1 tag: "TAG" and 125 bytes of fixed fields. */
export const ID3V1_BYTES = 128;
/** An APEv2 header or footer: "APETAGEX", version, size, item count, flags, reserved (APEv2 spec). */
export const APE_HEADER_BYTES = 32;

/**
 * Size of an ID3v2 tag at `offset` (header, body and footer), or 0 when there is none: "ID3", a
 * major version and revision below 0xFF, and a 28-bit syncsafe size (id3.org v2.4 §3.1).
 */
export function id3v2Size(bytes: Uint8Array, offset = 0): number {
  if (offset + ID3V2_HEADER_BYTES > bytes.length) return 0;
  if (bytes[offset] !== 0x49 || bytes[offset + 1] !== 0x44 || bytes[offset + 2] !== 0x33) return 0; // "ID3"
  if (bytes[offset + 3] === 0xff || bytes[offset + 4] === 0xff) return 0;
  const flags = bytes[offset + 5]!;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = bytes[offset + i]!;
    if (b & 0x80) return 0; // sizes are syncsafe: 7 bits per byte
    size = size * 128 + b;
  }
  // Flag 0x10 (v2.4): a footer, a copy of the header, follows the body (§3.4).
  return ID3V2_HEADER_BYTES + size + (flags & 0x10 ? ID3V2_HEADER_BYTES : 0);
}

/** True when `bytes[offset..]` starts with "TAG", the ID3v1 marker. */
export function isId3v1(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === 0x54 && bytes[offset + 1] === 0x41 && bytes[offset + 2] === 0x47;
}

/**
 * Bytes to skip for an APEv2 header or footer at `offset` ("APETAGEX"), or 0 when there is none.
 * A header (flags bit 29 set) is followed by the items and a footer: its size field counts those,
 * so the whole tag is skipped; a footer alone (the items before it went as junk) is 32 bytes.
 */
export function apeTagSize(bytes: Uint8Array, offset: number): number {
  if (offset + APE_HEADER_BYTES > bytes.length) return 0;
  const magic = 'APETAGEX';
  for (let i = 0; i < 8; i++) if (bytes[offset + i] !== magic.charCodeAt(i)) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, APE_HEADER_BYTES);
  const size = view.getUint32(12, true);
  const isHeader = (view.getUint32(20, true) & 0x20000000) !== 0;
  return isHeader ? APE_HEADER_BYTES + size : APE_HEADER_BYTES;
}
