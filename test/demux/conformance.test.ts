/**
 * Conformance: every `NAME.packets.json` beside a media file (in ../shared/media,
 * ../shared/realworld and fixtures/media) lists the audio packets ffprobe reads from it. The
 * sniffing demuxer (createDemuxer: the one demux() and the players read through) must yield
 * exactly those packets (count, md5 of the bytes, order) from 64 KiB chunks and from 1-byte
 * chunks; the real-world files (other projects' test assets) in odd chunkings too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDemuxer } from '../../src/demux/media-demuxer.js';
import type { OpusPacket } from '../../src/demux/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedMedia = path.resolve(repoRoot, '../shared/media');
const sharedRealworld = path.resolve(repoRoot, '../shared/realworld');
const fixtureMedia = path.join(repoRoot, 'fixtures/media');

interface ExpectedPacket { size: number; md5: string }

function mediaIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.packets.json') && existsSync(path.join(dir, name.slice(0, -'.packets.json'.length))))
    .map((name) => name.slice(0, -'.packets.json'.length))
    .sort();
}

/** The container each file's name says it is: the sniffing demuxer must tell the same. */
function containerOf(name: string): string {
  if (/\.(webm|mka|mkv)$/.test(name)) return 'webm';
  return name.endsWith('.mp3') ? 'mp3' : 'ogg';
}

function demuxInChunks(bytes: Uint8Array, chunkSize: number, name: string): OpusPacket[] {
  const demuxer = createDemuxer();
  const packets: OpusPacket[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    for (const packet of demuxer.push(bytes.subarray(offset, offset + chunkSize))) packets.push(packet);
  }
  for (const packet of demuxer.end()) packets.push(packet);
  expect(demuxer.container).toBe(containerOf(name));
  return packets;
}

function checkFile(dir: string, name: string, chunkSize: number): void {
  const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
  const expected = JSON.parse(readFileSync(path.join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[];
  const packets = demuxInChunks(bytes, chunkSize, name);
  expect(packets.length, 'packet count').toBe(expected.length);
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    // MP3: the Xing/Info frame (no packet for ffprobe) rides in front of the first audio frame.
    const data = i === 0 && name.endsWith('.mp3') ? packet.data.subarray(packet.data.length - expected[0]!.size) : packet.data;
    const md5 = createHash('md5').update(data).digest('hex');
    if (md5 !== expected[i]!.md5) {
      expect.fail(`packet ${i}: md5 ${md5} (${packet.data.length} bytes), ffprobe says ${expected[i]!.md5} (${expected[i]!.size} bytes)`);
    }
    // A packet's bytes are copied out: never a view on a pushed chunk.
    if (packet.data.buffer === bytes.buffer) expect.fail(`packet ${i} is a view on the input`);
  }
  for (let i = 1; i < packets.length; i++) expect(packets[i]!.timestampMs).toBeGreaterThanOrEqual(packets[i - 1]!.timestampMs);
}

const CHUNKINGS = [65_536, 1] as const;
/** Other projects' files, in odd chunkings as well: a server may cut anywhere. */
const REALWORLD_CHUNKINGS = [65_536, 4093, 7, 1] as const;

describe.skipIf(!existsSync(sharedMedia))('conformance: ../shared/media', () => {
  const files = mediaIn(sharedMedia);
  it('has media files', () => expect(files.length).toBeGreaterThan(0));
  for (const name of files) {
    for (const chunkSize of CHUNKINGS) {
      it(`${name} in ${chunkSize}-byte chunks yields ffprobe's packets`, () => checkFile(sharedMedia, name, chunkSize));
    }
  }
});

describe.skipIf(!existsSync(sharedRealworld))('conformance: ../shared/realworld (other projects\' files)', () => {
  const files = mediaIn(sharedRealworld);
  it('has media files of both containers', () => {
    expect(files.some((name) => containerOf(name) === 'webm')).toBe(true);
    expect(files.some((name) => containerOf(name) === 'ogg')).toBe(true);
  });
  for (const name of files) {
    for (const chunkSize of REALWORLD_CHUNKINGS) {
      it(`${name} in ${chunkSize}-byte chunks yields ffprobe's packets`, () => checkFile(sharedRealworld, name, chunkSize));
    }
  }
});

describe('conformance: fixtures/media', () => {
  const files = mediaIn(fixtureMedia);
  it('has the bundled sample', () => expect(files).toContain('sample.webm'));
  for (const name of files) {
    for (const chunkSize of CHUNKINGS) {
      it(`${name} in ${chunkSize}-byte chunks yields ffprobe's packets`, () => checkFile(fixtureMedia, name, chunkSize));
    }
  }
});
