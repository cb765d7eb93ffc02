/**
 * Conformance: every `NAME.packets.json` beside a media file (in ../shared/media and in
 * fixtures/media) lists the audio packets ffprobe reads from it. Each demuxer must yield exactly
 * those packets (count, md5 of the bytes, order) from 64 KiB chunks and from 1-byte chunks.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import type { OpusPacket, PushDemuxer } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedMedia = path.resolve(repoRoot, '../shared/media');
const fixtureMedia = path.join(repoRoot, 'fixtures/media');

interface ExpectedPacket { size: number; md5: string }

function mediaIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.packets.json') && existsSync(path.join(dir, name.slice(0, -'.packets.json'.length))))
    .map((name) => name.slice(0, -'.packets.json'.length))
    .sort();
}

function newDemuxer(bytes: Uint8Array): PushDemuxer {
  // EBML header ID 1A 45 DF A3 (RFC 8794 §11.2.1) or the Ogg capture pattern "OggS" (RFC 3533 §6).
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return new WebmDemuxer();
  if (bytes[0] === 0x4f && bytes[1] === 0x67 && bytes[2] === 0x67 && bytes[3] === 0x53) return new OggDemuxer();
  throw new Error('unknown container');
}

function demuxInChunks(bytes: Uint8Array, chunkSize: number): OpusPacket[] {
  const demuxer = newDemuxer(bytes);
  const packets: OpusPacket[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    for (const packet of demuxer.push(bytes.subarray(offset, offset + chunkSize))) packets.push(packet);
  }
  for (const packet of demuxer.end()) packets.push(packet);
  return packets;
}

function checkFile(dir: string, name: string, chunkSize: number): void {
  const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
  const expected = JSON.parse(readFileSync(path.join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[];
  const packets = demuxInChunks(bytes, chunkSize);
  expect(packets.length, 'packet count').toBe(expected.length);
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    const md5 = createHash('md5').update(packet.data).digest('hex');
    if (md5 !== expected[i]!.md5) {
      expect.fail(`packet ${i}: md5 ${md5} (${packet.data.length} bytes), ffprobe says ${expected[i]!.md5} (${expected[i]!.size} bytes)`);
    }
    // A packet's bytes are copied out: never a view on a pushed chunk.
    if (packet.data.buffer === bytes.buffer) expect.fail(`packet ${i} is a view on the input`);
  }
  for (let i = 1; i < packets.length; i++) expect(packets[i]!.timestampMs).toBeGreaterThanOrEqual(packets[i - 1]!.timestampMs);
}

const CHUNKINGS = [65_536, 1] as const;

describe.skipIf(!existsSync(sharedMedia))('conformance: ../shared/media', () => {
  const files = mediaIn(sharedMedia);
  it('has media files', () => expect(files.length).toBeGreaterThan(0));
  for (const name of files) {
    for (const chunkSize of CHUNKINGS) {
      it(`${name} in ${chunkSize}-byte chunks yields ffprobe's packets`, () => checkFile(sharedMedia, name, chunkSize));
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
