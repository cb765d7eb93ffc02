import { oggCrc } from '../../src/demux/ogg/crc.js';

/** An Ogg page (RFC 3533 §6) with a correct CRC: serial 7 unless given, granule -1 unless given. */
export function oggPage(opts: { flags?: number; granule?: bigint; serial?: number; sequence: number; lacing: number[]; body: Uint8Array }): Uint8Array {
  const p = new Uint8Array(27 + opts.lacing.length + opts.body.length);
  const v = new DataView(p.buffer);
  p.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  p[5] = opts.flags ?? 0;
  v.setBigInt64(6, opts.granule ?? -1n, true);
  v.setUint32(14, opts.serial ?? 7, true);
  v.setUint32(18, opts.sequence, true);
  p[26] = opts.lacing.length;
  p.set(opts.lacing, 27);
  p.set(opts.body, 27 + opts.lacing.length);
  v.setUint32(22, oggCrc(p), true);
  return p;
}

/** The offsets of the pages of a valid Ogg file (RFC 3533 §6: header, lacing table, body). */
export function oggPageOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 27 <= bytes.length;) {
    out.push(i);
    const n = bytes[i + 26]!;
    let size = 27 + n;
    for (let k = 0; k < n; k++) size += bytes[i + 27 + k]!;
    i += size;
  }
  return out;
}
