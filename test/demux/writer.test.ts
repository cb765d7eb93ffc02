/**
 * OggOpusWriter: its output re-demuxes to the same packets, has valid pages (CRC, flags, granule
 * positions per RFC 7845 §4), and ffprobe/opusdec read it (those tests skip when the tools are absent).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { oggPageCrc } from '../../src/demux/ogg/crc.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import type { OpusPacket } from '../../src/demux/types.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'media');
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));
const has = (tool: string): boolean => spawnSync(tool, ['-h'], { stdio: 'ignore' }).error === undefined;
const hasFfprobe = has('ffprobe');
const hasOpusdec = has('opusdec');
const tmp = mkdtempSync(join(tmpdir(), 'spence-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function demuxAll(bytes: Uint8Array, demuxer = new OggDemuxer()): OpusPacket[] {
  return [...demuxer.push(bytes), ...demuxer.end()];
}
const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

interface Page { flags: number; granule: bigint; serial: number; sequence: number; size: number; crcOk: boolean }
function readPages(bytes: Uint8Array): Page[] {
  const out: Page[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.length; ) {
    const n = bytes[i + 26]!;
    let size = 27 + n;
    for (let k = 0; k < n; k++) size += bytes[i + 27 + k]!;
    out.push({
      flags: bytes[i + 5]!,
      granule: view.getBigInt64(i + 6, true),
      serial: view.getUint32(i + 14, true),
      sequence: view.getUint32(i + 18, true),
      size,
      crcOk: oggPageCrc(bytes, i, size) === view.getUint32(i + 22, true),
    });
    i += size;
  }
  return out;
}

/** Re-muxes a fixture through the writer, carrying its OpusHead, tags and end trim. */
function remux(name: string, options: { maxPageDurationMs?: number } = {}): { input: OpusPacket[]; output: Uint8Array; demuxer: OggDemuxer } {
  const demuxer = new OggDemuxer();
  const input = demuxAll(load(name), demuxer);
  const writer = new OggOpusWriter(demuxer.info!, { serial: 0x1234abcd, comments: { TITLE: 'remux', ARTIST: 'spence' }, ...options });
  const parts: Uint8Array[] = [...writer.headers()];
  for (const packet of input) parts.push(...writer.write(packet));
  parts.push(...writer.end({ trimSamples: demuxer.endTrimSamples }));
  return { input, output: concat(parts), demuxer };
}

describe('OggOpusWriter', () => {
  it('re-demuxes to the same packets, timestamps, head and end trim', () => {
    for (const name of ['opusenc-stereo.opus', 'mono-60ms.opus', 'ffmpeg-2.5ms.ogg', 'surround-51.opus', 'repaged-120ms.opus']) {
      const { input, output, demuxer } = remux(name);
      const again = new OggDemuxer();
      const packets = demuxAll(output, again);
      expect(packets.length).toBe(input.length);
      for (let i = 0; i < input.length; i++) {
        expect(Buffer.compare(packets[i]!.data, input[i]!.data)).toBe(0);
        expect(packets[i]!.timestampMs).toBe(input[i]!.timestampMs);
      }
      expect(again.info).toEqual(demuxer.info);
      expect(again.endTrimSamples).toBe(demuxer.endTrimSamples);
      expect(again.tags!.comments).toEqual(['TITLE=remux', 'ARTIST=spence']);
    }
  });

  it('writes valid pages: OpusHead alone on the BOS page, OpusTags, audio, EOS last, CRCs, granules', () => {
    const { input, output } = remux('opusenc-stereo.opus', { maxPageDurationMs: 500 });
    const pages = readPages(output);
    expect(pages.every((p) => p.crcOk && p.serial === 0x1234abcd)).toBe(true);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(pages[0]).toMatchObject({ flags: 2, granule: 0n, size: 27 + 1 + 19 });
    expect(pages[1]!.granule).toBe(0n);
    expect(pages.slice(1, -1).every((p) => p.flags === 0)).toBe(true);
    expect(pages.at(-1)!.flags).toBe(4);
    // 500 ms pages of 20 ms packets: 25 packets each; granules count samples, pre-skip included.
    const audioPages = pages.slice(2);
    expect(audioPages.length).toBe(Math.ceil(input.length / 25));
    expect(audioPages[0]!.granule).toBe(25n * 960n);
    expect(audioPages.at(-1)!.granule).toBe(BigInt(input.length * 960 - 648));
  });

  it('splits packets over pages when they exceed a page, with continuation flags', () => {
    const big = new Uint8Array(150_000).fill(7);
    big[0] = 0xfc;
    const small = Uint8Array.of(0xfc, 1, 2);
    const writer = new OggOpusWriter({ channels: 2 }, { serial: 1 });
    const bytes = concat([...writer.write(small), ...writer.write(big), ...writer.write(small), ...writer.end()]);
    const pages = readPages(bytes);
    expect(pages.filter((p) => p.flags & 1).length).toBeGreaterThanOrEqual(2);
    expect(pages.filter((p) => p.granule === -1n).length).toBeGreaterThanOrEqual(1);
    expect(demuxAll(bytes).map((p) => p.data.length)).toEqual([3, 150_000, 3]);
  });

  it('trims the end with totalSamples, never below the previous page', () => {
    const packets = Array.from({ length: 10 }, () => Uint8Array.of(0xfc, 0));
    const write = (end: { totalSamples?: number; trimSamples?: number }): Page[] => {
      const writer = new OggOpusWriter({ channels: 1, preSkip: 312 }, { serial: 2, maxPageDurationMs: 100 });
      return readPages(concat([...packets.flatMap((p) => writer.write(p)), ...writer.end(end)]));
    };
    expect(write({ totalSamples: 9000 }).at(-1)!.granule).toBe(9312n);
    expect(write({ trimSamples: 500 }).at(-1)!.granule).toBe(9100n);
    // Pages of 5 packets: the previous page ends at 4800; more trimming is clamped there.
    expect(write({ totalSamples: 10 }).at(-1)!.granule).toBe(4800n);
  });

  it('flush() closes a page early; headers are written once; no writes after end()', () => {
    const writer = new OggOpusWriter({ channels: 2 }, { serial: 3 });
    const headers = writer.headers();
    expect(headers.length).toBe(2);
    expect(writer.write(Uint8Array.of(0xfc))).toEqual([]);
    expect(writer.flush().length).toBe(1);
    expect(writer.flush()).toEqual([]);
    expect(writer.granulePosition).toBe(960);
    expect(writer.end().length).toBe(1);
    expect(writer.end()).toEqual([]);
    expect(() => writer.write(Uint8Array.of(0xfc))).toThrow(SpenceError);
    expect(() => new OggOpusWriter({ channels: 6 })).toThrow(SpenceError);
    expect(() => new OggOpusWriter(Uint8Array.of(1, 2, 3))).toThrow(SpenceError);
  });

  it('writes an empty but valid stream', () => {
    const writer = new OggOpusWriter({ channels: 2 }, { serial: 4 });
    const bytes = concat(writer.end());
    const demuxer = new OggDemuxer();
    expect(demuxAll(bytes, demuxer)).toEqual([]);
    expect(readPages(bytes).map((p) => p.flags)).toEqual([2, 0, 4]);
  });

  describe.skipIf(!hasFfprobe)('read by ffprobe (skipped: ffprobe is not installed; CI installs ffmpeg)', () => {
    it('ffprobe reads the output with no error, the same packets and the right duration', () => {
      for (const name of ['opusenc-stereo.opus', 'ffmpeg-2.5ms.ogg', 'surround-51.opus']) {
        const { output } = remux(name);
        const file = join(tmp, `remux-${name}`);
        writeFileSync(file, output);
        const probe = (path: string): { duration: string; packets: Array<{ data_hash: string }>; stderr: string } => {
          const result = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-select_streams', 'a:0', '-show_packets', '-show_data_hash', 'MD5', '-of', 'json', path], { encoding: 'utf8' });
          const json = JSON.parse(result.stdout) as { format: { duration: string }; packets: Array<{ data_hash: string }> };
          return { duration: json.format.duration, packets: json.packets, stderr: result.stderr };
        };
        const ours = probe(file);
        const original = probe(join(fixtures, name));
        expect(ours.stderr).toBe('');
        expect(ours.duration).toBe(original.duration);
        expect(ours.packets.map((p) => p.data_hash)).toEqual(original.packets.map((p) => p.data_hash));
      }
    });
  });

  describe.skipIf(!hasOpusdec)('decoded by opusdec (skipped: opus-tools is not installed)', () => {
    it('opusdec decodes it to the right number of samples', () => {
      const { output } = remux('opusenc-stereo.opus');
      const file = join(tmp, 'decode.opus');
      const wav = join(tmp, 'decode.wav');
      writeFileSync(file, output);
      execFileSync('opusdec', ['--quiet', '--rate', '48000', file, wav]);
      // 2 s of stereo 16-bit PCM after pre-skip and end trim, plus the 44-byte WAV header.
      expect(statSync(wav).size).toBe(44 + 2 * 48000 * 2 * 2);
    });
  });
});
