/**
 * Ogg resynchronisation (issue 15 item 2): damaged copies of every Ogg file of ../shared/media,
 * ../shared/realworld and fixtures/media, built here (bytes flipped, deleted, inserted, zeroed, a
 * page's CRC broken, the file cut short), demux to
 *
 * - packets that are all packets of the undamaged file, with the same bytes and the same timestamps
 *   (a packet that spans damage is dropped whole; the timeline is re-anchored on the next granule);
 * - at least as many of them as ffmpeg recovers from the same bytes (ffprobe -show_packets). Only
 *   ffmpeg's packets that are packets of the undamaged file count: across a lost page ffmpeg may
 *   join the pieces of two packets into one that is neither;
 * - one `onDamage` report per damaged stretch, and with `resync: false` a DEMUX error after the
 *   packets before the damage.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { DemuxDamage, OpusPacket } from '../../src/demux/types.js';
import { oggPageOffsets } from '../helpers/ogg-page.js';
import { mulberry32 } from '../helpers/prng.js';

const root = join(import.meta.dirname, '..', '..');
const DIRS = [join(root, '..', 'shared', 'media'), join(root, '..', 'shared', 'realworld'), join(root, 'fixtures', 'media')];
const files = DIRS.filter(existsSync).flatMap((dir) =>
  readdirSync(dir).filter((f) => /\.(opus|ogg|oga)$/.test(f)).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) })));

const hasFfprobe = ((): boolean => {
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

/** A packet as `md5@pts` (pts in 1/48000 s, as ffprobe gives Ogg's). */
const key = (p: OpusPacket): string => `${md5(p.data)}@${Math.round(p.timestampMs * 48)}`;

/** The MD5s of the packets ffprobe reads from `bytes` (through standard input). */
function ffprobePackets(bytes: Uint8Array): string[] {
  let out: string;
  try {
    out = execFileSync('ffprobe', ['-v', 'quiet', '-select_streams', 'a:0', '-show_data_hash', 'MD5', '-show_entries', 'packet=data_hash', '-of', 'json', '-i', 'pipe:0'], { input: bytes, encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (error) {
    out = (error as { stdout?: string }).stdout || '{}'; // ffprobe fails on some damage after printing what it read
  }
  const packets = (JSON.parse(out) as { packets?: { data_hash: string }[] }).packets ?? [];
  return packets.map((p) => p.data_hash.replace(/^MD5:/, ''));
}

interface Run { packets: OpusPacket[]; damage: DemuxDamage[]; error: SpenceError | null }

/** Pushes `bytes` in chunks of `chunk` bytes (0: one chunk), then ends; collects packets, damage reports and the error. */
function demux(bytes: Uint8Array, chunk: number, resync = true): Run {
  const damage: DemuxDamage[] = [];
  const demuxer = new OggDemuxer({ resync, onDamage: (d) => damage.push(d) });
  const packets: OpusPacket[] = [];
  const size = chunk || bytes.length;
  try {
    for (let i = 0; i < bytes.length; i += size) packets.push(...demuxer.push(bytes.subarray(i, i + size)));
    packets.push(...demuxer.end());
  } catch (error) {
    if (!(error instanceof SpenceError)) throw error;
    return { packets, damage, error };
  }
  return { packets, damage, error: null };
}

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));


/** Damaged copies of `bytes`, seeded: damage lands after the first three pages (the headers and more). */
function damaged(bytes: Uint8Array, seed: number): { what: string; bytes: Uint8Array }[] {
  const next = mulberry32(seed);
  const pages = oggPageOffsets(bytes);
  const from = pages[Math.min(3, pages.length - 1)]!;
  const at = (): number => from + Math.floor(next() * (bytes.length - from));
  const out: { what: string; bytes: Uint8Array }[] = [];
  {
    const i = at();
    const copy = bytes.slice();
    for (let k = i; k < Math.min(copy.length, i + 64); k++) copy[k] = copy[k]! ^ 0xa5;
    out.push({ what: `64 bytes flipped at ${i}`, bytes: copy });
  }
  {
    const i = at();
    const n = 1 + Math.floor(next() * 6000);
    out.push({ what: `${n} bytes deleted at ${i}`, bytes: concat(bytes.subarray(0, i), bytes.subarray(i + n)) });
  }
  {
    const i = at();
    const junk = Uint8Array.from({ length: 1 + Math.floor(next() * 3000) }, (_, k) => (k % 61 < 4 ? [0x4f, 0x67, 0x67, 0x53][k % 61]! : (next() * 256) | 0));
    out.push({ what: `${junk.length} bytes of junk (with capture patterns) inserted at ${i}`, bytes: concat(bytes.subarray(0, i), junk, bytes.subarray(i)) });
  }
  {
    const i = at();
    const copy = bytes.slice();
    copy.fill(0, i, i + 20000);
    out.push({ what: `20000 bytes zeroed at ${i}`, bytes: copy });
  }
  {
    const copy = bytes.slice();
    const page = pages[3 + Math.floor(next() * Math.max(1, pages.length - 3))] ?? pages.at(-1)!;
    copy[page + 22] = copy[page + 22]! ^ 0xff; // the stored CRC (RFC 3533 §6)
    out.push({ what: `CRC of the page at ${page} broken`, bytes: copy });
  }
  {
    const i = at();
    out.push({ what: `cut short at ${i}`, bytes: bytes.slice(0, i) });
  }
  return out;
}

/** True when `sub` is a subsequence of `all`. */
function isSubsequence(sub: string[], all: string[]): boolean {
  let j = 0;
  for (const s of sub) {
    while (j < all.length && all[j] !== s) j++;
    if (j === all.length) return false;
    j++;
  }
  return true;
}

describe('Ogg resynchronisation on damaged copies of real files', () => {
  it('has files to damage', () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const [index, { name, bytes }] of files.entries()) {
    it(`${name}: the undamaged file's packets, as many as ffmpeg's, each damage reported`, () => {
      const clean = demux(bytes, 65536);
      expect(clean.error).toBeNull();
      expect(clean.damage).toEqual([]);
      const cleanKeys = clean.packets.map(key);
      const cleanMd5s = new Set(clean.packets.map((p) => md5(p.data)));
      for (const { what, bytes: bad } of damaged(bytes, 100 + index)) {
        const run = demux(bad, 65536);
        // Headers intact: never an error, whatever the damage after them.
        expect(run.error, what).toBeNull();
        const keys = run.packets.map(key);
        expect(isSubsequence(keys, cleanKeys), `${what}: every packet is an undamaged one, with its timestamp`).toBe(true);
        if (keys.length < cleanKeys.length) expect(run.damage.length, `${what}: the loss is reported`).toBeGreaterThan(0);
        for (const d of run.damage) {
          expect(d.start).toBeLessThanOrEqual(d.end);
          expect(d.end).toBeLessThanOrEqual(bad.length);
          if (d.packetsLost !== null) expect(d.packetsLost).toBeGreaterThanOrEqual(0);
        }
        // Any chunking gives the same.
        const bytewise = bad.length <= 150_000 ? demux(bad, 1) : demux(bad, 4093);
        expect(bytewise.packets.map(key), what).toEqual(keys);
        expect(bytewise.damage, what).toEqual(run.damage);
        if (hasFfprobe) {
          const theirs = ffprobePackets(bad).filter((m) => cleanMd5s.has(m));
          expect(keys.length, `${what}: ffmpeg recovers ${theirs.length}`).toBeGreaterThanOrEqual(theirs.length);
        }
        // resync: false: the first damage is a DEMUX error, after the packets before it.
        const strict = demux(bad, 65536, false);
        if (run.damage.length > 0) {
          expect(strict.error?.code, what).toBe('DEMUX');
          expect(isSubsequence(strict.packets.map(key), keys), what).toBe(true);
        } else {
          expect(strict.error, what).toBeNull();
          expect(strict.packets.map(key), what).toEqual(keys);
        }
      }
    });
  }
});

describe('what a damage report says', () => {
  const bytes = new Uint8Array(readFileSync(join(root, 'fixtures', 'media', 'opusenc-stereo.opus')));
  const pages = oggPageOffsets(bytes);
  const clean = demux(bytes, 0);
  const pageEnd = (i: number): number => pages[i + 1] ?? bytes.length;

  it('a page with a bad CRC: its byte range, and the packets it held from the granule positions', () => {
    const copy = bytes.slice();
    copy[pages[3]! + 100] = copy[pages[3]! + 100]! ^ 1;
    const run = demux(copy, 0);
    expect(run.damage).toHaveLength(1);
    const [d] = run.damage;
    expect(d!.start).toBe(pages[3]);
    expect(d!.end).toBe(pages[4]);
    const lost = clean.packets.length - run.packets.length;
    expect(lost).toBeGreaterThan(0);
    expect(d!.packetsLost).toBe(lost);
    expect(d!.lostMs).toBe(lost * 20);
  });

  it('a page cut out cleanly: an empty range where it was, and what it held', () => {
    const run = demux(concat(bytes.subarray(0, pages[3]!), bytes.subarray(pages[4]!)), 0);
    expect(run.damage).toHaveLength(1);
    expect(run.damage[0]).toMatchObject({ start: pages[3], end: pages[3], packetsLost: clean.packets.length - run.packets.length });
  });

  it('junk between two pages: reported, nothing lost', () => {
    const junk = new Uint8Array(500).fill(0x4f);
    const run = demux(concat(bytes.subarray(0, pages[3]!), junk, bytes.subarray(pages[3]!)), 0);
    expect(run.packets.map(key)).toEqual(clean.packets.map(key));
    expect(run.damage).toEqual([{ start: pages[3], end: pages[3]! + 500, packetsLost: 0, lostMs: 0, reason: expect.any(String) }]);
  });

  it('a stream cut short ends cleanly with the packets of its complete pages; the cut is reported', () => {
    const cut = pages[4]! + 50;
    const run = demux(bytes.subarray(0, cut), 1000);
    expect(run.error).toBeNull();
    expect(run.packets.map(key)).toEqual(demux(bytes.subarray(0, pageEnd(3)), 0).packets.map(key));
    expect(run.damage).toEqual([{ start: pages[4], end: cut, packetsLost: null, lostMs: null, reason: expect.stringMatching(/cut short/) }]);
    expect(demux(bytes.subarray(0, cut), 1000, false).error?.code).toBe('DEMUX');
  });

  it('junk before the first page is not damage (a stream joined mid-way)', () => {
    const run = demux(concat(new Uint8Array(300).fill(7), bytes), 0, false);
    expect(run.error).toBeNull();
    expect(run.packets.map(key)).toEqual(clean.packets.map(key));
  });

  it('bytes after the end-of-stream page that are not a page are not damage', () => {
    const run = demux(concat(bytes, new TextEncoder().encode('TAG trailing tag')), 0, false);
    expect(run.error).toBeNull();
    expect(run.packets.length).toBe(clean.packets.length);
  });
});
