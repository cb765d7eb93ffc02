/**
 * Conformance: the Ogg demuxer yields exactly ffprobe's packets (count, bytes, order) for the
 * shared conformance media, the real-world files of other projects and the project's own
 * fixtures, in 64 KiB, 1-byte and random chunks, through push() and through feed().
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { mulberry32 } from '../helpers/prng.js';

interface ExpectedPacket { pts: number; duration: number; size: number; md5: string }

const root = join(import.meta.dirname, '..', '..');
const sharedDir = join(root, '..', 'shared', 'media');
const realworldDir = join(root, '..', 'shared', 'realworld');
const fixturesDir = join(root, 'fixtures', 'media');
const SHARED = ['opusenc.opus', 'ffmpeg-10ms.ogg', 'ogg-split-pages.opus'];
const isOgg = (name: string): boolean => /\.(opus|ogg|oga)$/.test(name);

/** Chunk sizes: a fixed size, or (0) random sizes of 1 B to 32 KiB from a seeded PRNG. */
function sizes(chunkSize: number): () => number {
  if (chunkSize > 0) return () => chunkSize;
  const next = mulberry32(chunkSize + 7);
  return () => 1 + Math.floor(next() ** 3 * 32 * 1024);
}

function demuxAll(bytes: Uint8Array, chunkSize: number): OpusPacket[] {
  const demuxer = new OggDemuxer();
  const packets: OpusPacket[] = [];
  const size = sizes(chunkSize);
  for (let i = 0, n = size(); i < bytes.length; i += n, n = size()) {
    for (const p of demuxer.push(bytes.subarray(i, i + n))) packets.push(p);
  }
  packets.push(...demuxer.end());
  return packets;
}

/** The same through feed(), the sink copying each packet it is handed. */
function feedAll(bytes: Uint8Array, chunkSize: number): OpusPacket[] {
  const demuxer = new OggDemuxer();
  const packets: OpusPacket[] = [];
  const sink = { packet: (b: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number) => packets.push({ data: b.slice(start, end), timestampMs, durationMs }) };
  const size = sizes(chunkSize);
  for (let i = 0, n = size(); i < bytes.length; i += n, n = size()) demuxer.feed(bytes.subarray(i, i + n), sink);
  packets.push(...demuxer.end());
  return packets;
}

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

function check(dir: string, name: string, chunkSize: number, through = demuxAll): void {
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const expected = JSON.parse(readFileSync(join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[];
  const packets = through(bytes, chunkSize);
  expect(packets.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const packet = packets[i]!;
    const want = expected[i]!;
    if (packet.data.length !== want.size || md5(packet.data) !== want.md5) {
      expect.fail(`${name}: packet ${i} differs (size ${packet.data.length}, want ${want.size})`);
    }
  }
  // Timestamps are ffprobe's pts (1/48000 s in Ogg), except in chained files, where ffprobe's
  // per-link list restarts and ours continues.
  if (!name.startsWith('chained')) {
    expect(packets.map((p) => p.timestampMs * 48)).toEqual(expected.map((e) => e.pts));
  }
}

const sharedFiles = existsSync(sharedDir) ? SHARED.filter((f) => existsSync(join(sharedDir, f))) : [];
describe.skipIf(sharedFiles.length === 0)('Ogg conformance: ../shared/media (skipped: ../shared/media is absent)', () => {
  for (const name of sharedFiles) {
    it(`${name} in 64 KiB chunks`, () => check(sharedDir, name, 65536));
    it(`${name} in 1-byte chunks`, () => check(sharedDir, name, 1));
  }
});

const realworldFiles = existsSync(realworldDir) ? readdirSync(realworldDir).filter((f) => isOgg(f) && existsSync(join(realworldDir, `${f}.packets.json`))) : [];
describe.skipIf(realworldFiles.length === 0)('Ogg conformance: ../shared/realworld (skipped: absent)', () => {
  for (const name of realworldFiles) {
    it(`${name} in 64 KiB, 1-byte and random chunks, through push() and feed()`, () => {
      for (const chunkSize of [65536, 1, 0]) {
        check(realworldDir, name, chunkSize);
        check(realworldDir, name, chunkSize, feedAll);
      }
    });
  }
});

const fixtureFiles = readdirSync(fixturesDir).filter((f) => isOgg(f) && existsSync(join(fixturesDir, `${f}.packets.json`)));
describe('Ogg conformance: fixtures/media', () => {
  it('has Ogg fixtures', () => expect(fixtureFiles.length).toBeGreaterThanOrEqual(8));
  for (const name of fixtureFiles) {
    it(`${name} in 64 KiB chunks`, () => check(fixturesDir, name, 65536));
    it(`${name} in 1-byte chunks`, () => check(fixturesDir, name, 1));
    it(`${name} in 4093-byte chunks`, () => check(fixturesDir, name, 4093));
  }
});
