/**
 * WebM resynchronisation against ffmpeg: damaged copies of the bundled sample (the 64
 * bytes flipped at offset 60000, and seeded damage of every kind across the file) give at least
 * as many packets as ffprobe reads from the same copy, and at least as many intact ones (the
 * clean file's bytes at the clean file's time); the damage is reported, the same in any
 * chunking; and a file cut short ends with the packets it had, quietly.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemuxDamage, OpusPacket } from '../../src/demux/types.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { mulberry32Uint } from '../helpers/prng.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sample = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/sample.webm')));
const hasFfprobe = spawnSync('ffprobe', ['-h'], { stdio: 'ignore' }).error === undefined;
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

function ours(bytes: Uint8Array, chunk: number): { packets: OpusPacket[]; damage: DemuxDamage[] } {
  const damage: DemuxDamage[] = [];
  const demuxer = new WebmDemuxer({ onDamage: (d) => damage.push(d) });
  const packets: OpusPacket[] = [];
  for (let at = 0; at < bytes.length; at += chunk) packets.push(...demuxer.push(bytes.subarray(at, at + chunk)));
  packets.push(...demuxer.end());
  return { packets, damage };
}

/** ffprobe's audio packets of `bytes`, as "pts:md5". */
function ffprobe(bytes: Uint8Array, dir: string): string[] {
  const file = path.join(dir, 'damaged.webm');
  writeFileSync(file, bytes);
  const result = spawnSync('ffprobe', ['-v', 'quiet', '-select_streams', 'a:0', '-show_packets', '-show_data_hash', 'MD5', '-of', 'json', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const packets = (JSON.parse(result.stdout || '{}') as { packets?: { pts: number; data_hash: string }[] }).packets ?? [];
  return packets.map((p) => `${p.pts}:${p.data_hash.split(':')[1]}`);
}

interface Damage { name: string; bytes: Uint8Array }

/** The case and seeded damage: flips, zeros, random bytes, insertions and deletions. */
function damagedCopies(): Damage[] {
  const flipped = sample.slice();
  for (let i = 60_000; i < 60_064; i++) flipped[i] = flipped[i]! ^ 0xff;
  const out: Damage[] = [{ name: '64 bytes flipped at 60000', bytes: flipped }];
  const next = mulberry32Uint(20_240_515);
  const kinds = ['flip', 'zero', 'random', 'insert', 'delete'] as const;
  for (let k = 0; k < 15; k++) {
    const kind = kinds[k % kinds.length]!;
    const at = 600 + (next() % (sample.length - 1200)); // past the headers, before the Cues
    const length = 1 + (next() % 300);
    let bytes: Uint8Array;
    if (kind === 'insert') {
      const junk = Uint8Array.from({ length }, () => next() & 0xff);
      bytes = new Uint8Array(Buffer.concat([sample.subarray(0, at), junk, sample.subarray(at)]));
    } else if (kind === 'delete') {
      bytes = new Uint8Array(Buffer.concat([sample.subarray(0, at), sample.subarray(at + length)]));
    } else {
      bytes = sample.slice();
      for (let i = at; i < at + length; i++) bytes[i] = kind === 'flip' ? bytes[i]! ^ 0xff : kind === 'zero' ? 0 : next() & 0xff;
    }
    out.push({ name: `${kind} ${length} bytes at ${at}`, bytes });
  }
  return out;
}

describe('WebM resynchronisation', () => {
  const clean = ours(sample, sample.length).packets;
  const intact = new Set(clean.map((p) => `${p.timestampMs}:${md5(p.data)}`));

  it('the issue\'s case: 64 bytes flipped at offset 60000 keep at least ffmpeg\'s 493 of 501 packets, with the loss reported', () => {
    const { packets, damage } = ours(damagedCopies()[0]!.bytes, 65_536);
    expect(clean).toHaveLength(501);
    expect(packets.length).toBeGreaterThanOrEqual(493);
    expect(damage.length).toBeGreaterThan(0);
    expect(damage[0]!.start).toBeLessThan(60_064);
    expect(damage[0]!.end).toBeGreaterThan(60_000);
    expect(damage.reduce((n, d) => n + (d.packetsLost ?? 0), 0)).toBe(clean.length - packets.length);
  });

  it('gives the same packets and damage reports in any chunking', () => {
    for (const { bytes } of damagedCopies().slice(0, 6)) {
      const whole = ours(bytes, bytes.length);
      for (const chunk of [1, 4093]) {
        const other = ours(bytes, chunk);
        expect(other.packets.map((p) => `${p.timestampMs}:${md5(p.data)}`)).toEqual(whole.packets.map((p) => `${p.timestampMs}:${md5(p.data)}`));
        expect(other.damage).toEqual(whole.damage);
      }
    }
  });

  it('a file cut short ends with the packets it had, no error and no damage', () => {
    const cut = sample.subarray(0, Math.floor(sample.length * 0.6));
    const { packets, damage } = ours(cut, 4096);
    expect(packets.length).toBeGreaterThan(280);
    expect(packets.map((p) => md5(p.data))).toEqual(clean.slice(0, packets.length).map((p) => md5(p.data)));
    expect(damage).toEqual([]);
  });

  describe.skipIf(!hasFfprobe)('against ffprobe on the same damaged copies (skipped: ffprobe is not installed; CI installs ffmpeg)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spence-resync-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const reference = new Set(ffprobe(sample, dir));

    for (const { name, bytes } of damagedCopies()) {
      it(`${name}: at least ffprobe's packets, and at least as many intact`, () => {
        const theirs = ffprobe(bytes, dir);
        const { packets } = ours(bytes, 65_536);
        expect(packets.length).toBeGreaterThanOrEqual(theirs.length);
        const ourIntact = packets.filter((p) => intact.has(`${p.timestampMs}:${md5(p.data)}`)).length;
        const theirIntact = theirs.filter((p) => reference.has(p)).length;
        expect(ourIntact).toBeGreaterThanOrEqual(theirIntact);
      });
    }
  });
});
