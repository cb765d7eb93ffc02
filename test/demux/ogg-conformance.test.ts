/**
 * Conformance: the Ogg demuxer yields exactly ffprobe's packets (count, bytes, order) for the
 * shared conformance media and the project's own fixtures, in 64 KiB and in 1-byte chunks.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { OpusPacket } from '../../src/demux/types.js';

interface ExpectedPacket { pts: number; duration: number; size: number; md5: string }

const root = join(import.meta.dirname, '..', '..');
const sharedDir = join(root, '..', 'shared', 'media');
const fixturesDir = join(root, 'fixtures', 'media');
const SHARED = ['opusenc.opus', 'ffmpeg-10ms.ogg', 'ogg-split-pages.opus'];
const isOgg = (name: string): boolean => /\.(opus|ogg|oga)$/.test(name);

function demuxAll(bytes: Uint8Array, chunkSize: number): OpusPacket[] {
  const demuxer = new OggDemuxer();
  const packets: OpusPacket[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) {
    for (const p of demuxer.push(bytes.subarray(i, i + chunkSize))) packets.push(p);
  }
  packets.push(...demuxer.end());
  return packets;
}

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

function check(dir: string, name: string, chunkSize: number): void {
  const bytes = new Uint8Array(readFileSync(join(dir, name)));
  const expected = JSON.parse(readFileSync(join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[];
  const packets = demuxAll(bytes, chunkSize);
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

const fixtureFiles = readdirSync(fixturesDir).filter((f) => isOgg(f) && existsSync(join(fixturesDir, `${f}.packets.json`)));
describe('Ogg conformance: fixtures/media', () => {
  it('has Ogg fixtures', () => expect(fixtureFiles.length).toBeGreaterThanOrEqual(8));
  for (const name of fixtureFiles) {
    it(`${name} in 64 KiB chunks`, () => check(fixturesDir, name, 65536));
    it(`${name} in 1-byte chunks`, () => check(fixturesDir, name, 1));
    it(`${name} in 4093-byte chunks`, () => check(fixturesDir, name, 4093));
  }
});
