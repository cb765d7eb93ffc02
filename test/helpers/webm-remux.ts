/**
 * Writes a WebM from Opus packets, for fixtures and benchmarks: a template file's EBML header and
 * Tracks (and Info, unless another is given), an unknown-size Segment, one Cluster a second, one
 * SimpleBlock per packet, every element size an 8-octet VINT (RFC 8794 §6.2 allows any length;
 * some muxers write them all that way).
 *
 * @module
 */

/** An EBML element: its ID octets, its size as an 8-octet VINT (marker 0x01), the body. */
export function ebmlElement(id: readonly number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(id.length + 8 + body.length);
  out.set(id, 0);
  out[id.length] = 0x01;
  let size = body.length;
  for (let k = 7; k >= 1; k--, size = Math.floor(size / 256)) out[id.length + k] = size & 0xff;
  out.set(body, id.length + 8);
  return out;
}

/** A VINT at `at` of `bytes` (RFC 8794 §4): its value and its length. */
function vint(bytes: Uint8Array, at: number): [number, number] {
  const first = bytes[at]!;
  let len = 1;
  while (len <= 8 && (first & (0x80 >> (len - 1))) === 0) len++;
  let value = first & (0xff >> len);
  for (let k = 1; k < len; k++) value = value * 256 + bytes[at + k]!;
  return [value, len];
}

/** The template's EBML header, and its Segment's top-level Info and Tracks (walking the elements). */
function headersOf(template: Uint8Array): { header: Uint8Array; info: Uint8Array; tracks: Uint8Array } {
  const [headerSize, headerLen] = vint(template, 4);
  const headerEnd = 4 + headerLen + headerSize;
  let at = headerEnd + 4; // past the Segment ID
  at += vint(template, at)[1];
  let info: Uint8Array | null = null;
  let tracks: Uint8Array | null = null;
  while (at < template.length) {
    const idLen = template[at]! >= 0x80 ? 1 : template[at]! >= 0x40 ? 2 : template[at]! >= 0x20 ? 3 : 4;
    let id = 0;
    for (let k = 0; k < idLen; k++) id = id * 256 + template[at + k]!;
    const [size, sizeLen] = vint(template, at + idLen);
    const end = at + idLen + sizeLen + size;
    if (id === 0x1549a966) info = template.subarray(at, end);
    if (id === 0x1654ae6b) tracks = template.subarray(at, end);
    at = end;
  }
  if (info === null || tracks === null) throw new Error('the template WebM has no Info or Tracks');
  return { header: template.subarray(0, headerEnd), info, tracks };
}

/**
 * A WebM of `packets` (their bytes and times, rounded to ms) with `template`'s headers; `info`
 * replaces the template's Info element (say, with another Duration).
 */
export function remuxWebm(template: Uint8Array, packets: Iterable<{ data: Uint8Array; timestampMs: number }>, info?: Uint8Array): Uint8Array {
  const headers = headersOf(template);
  const parts: Uint8Array[] = [headers.header];
  parts.push(Uint8Array.of(0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)); // Segment, unknown size
  parts.push(info ?? headers.info, headers.tracks);
  let cluster: Uint8Array[] = [];
  let clusterMs = 0;
  const flush = (): void => {
    if (cluster.length === 0) return;
    const time = new Uint8Array([0xe7, 0x84, 0, 0, 0, 0]); // Cluster Timestamp, 4 octets
    new DataView(time.buffer).setUint32(2, clusterMs);
    parts.push(ebmlElement([0x1f, 0x43, 0xb6, 0x75], Buffer.concat([time, ...cluster])));
    cluster = [];
  };
  for (const packet of packets) {
    const ms = Math.max(0, Math.round(packet.timestampMs));
    if (cluster.length === 0 || ms - clusterMs >= 1000) {
      flush();
      clusterMs = ms;
    }
    const head = new Uint8Array([0x81, 0, 0, 0x80]); // track 1, time relative to the Cluster (int16), keyframe
    new DataView(head.buffer).setInt16(1, ms - clusterMs);
    cluster.push(ebmlElement([0xa3], Buffer.concat([head, packet.data])));
  }
  flush();
  return Buffer.concat(parts);
}
