/**
 * The demuxers' properties on hostile input, through the sniffing demuxer every caller uses:
 * WebM/Matroska, Ogg and MP3 files (the fixtures, ../shared/media, ../shared/realworld) mutated
 * by test/helpers/mutate.ts (bit flips, overwrites, insertions, deletions, truncations, splices,
 * EBML sizes set to huge and to unknown, Ogg CRCs and segment tables broken, MPEG frame headers
 * garbled), fed through push() or feed() in every chunking from 1 byte up, with and without
 * resynchronisation, under several buffering limits. Whatever the bytes:
 *
 * - nothing but a `SpenceError` (DEMUX, or INVALID_STATE) escapes;
 * - the work done (the demuxer's own count of steps, chunk walks and copies) is bounded by a
 *   constant times the input's bytes and chunks: it terminates, in linear time (no wall clock);
 * - memory is bounded by the input plus a constant: the bytes held between pushes stay within the
 *   buffering limit, and the packets handed out are no more, and no bigger, than the input allows;
 * - damage reports lie within the input.
 *
 * A fixed seed: every run sees the same inputs, and a failure names the seed that replays it.
 * SPENCE_FUZZ_RUNS (default 10 500) sets the number of inputs; SPENCE_FUZZ_SEED the first seed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { createDemuxer } from '../../src/demux/media-demuxer.js';
import { MAX_OGG_PAGE_SIZE } from '../../src/demux/ogg/ogg-demuxer.js';
import { DEFAULT_MAX_ELEMENT_SIZE, type DemuxDamage, type PacketSink } from '../../src/demux/types.js';
import { MAX_HEADER_LENGTH } from '../../src/demux/webm/ebml.js';
import { mutate, type MediaKind, type Random } from '../helpers/mutate.js';
import { mulberry32Uint } from '../helpers/prng.js';

const RUNS = Number(process.env.SPENCE_FUZZ_RUNS ?? 10_500);
const SEED = Number(process.env.SPENCE_FUZZ_SEED ?? 0x5eed);
/** Inputs are windows of the files this long at most: many small inputs find more than few big ones. */
const WINDOW = 6 * 1024;
/** Work per input byte and per chunk the demuxers may take (their counts stay under 2 per byte). */
const WORK_PER_BYTE = 16;
const WORK_PER_CHUNK = 16;
const WORK_CONSTANT = 20_000;
const LIMITS = [256, 2048, DEFAULT_MAX_ELEMENT_SIZE] as const;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIRS = [path.join(repoRoot, 'fixtures/media'), path.resolve(repoRoot, '../shared/media'), path.resolve(repoRoot, '../shared/realworld')];

function kindOf(name: string): MediaKind | null {
  if (/\.(webm|mka|mkv)$/.test(name)) return 'webm';
  if (/\.(ogg|opus|oga)$/.test(name)) return 'ogg';
  return name.endsWith('.mp3') ? 'mp3' : null;
}

/** Windows of every file: its start (the headers), and a stretch from the middle (no headers). */
function corpus(): Record<MediaKind, { name: string; bytes: Uint8Array }[]> {
  const out: Record<MediaKind, { name: string; bytes: Uint8Array }[]> = { webm: [], ogg: [], mp3: [] };
  for (const dir of DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const kind = kindOf(name);
      if (kind === null) continue;
      const bytes = new Uint8Array(readFileSync(path.join(dir, name)));
      out[kind].push({ name, bytes: bytes.slice(0, WINDOW) });
      if (bytes.length > 3 * WINDOW) out[kind].push({ name: `${name} (middle)`, bytes: bytes.slice(bytes.length >> 1, (bytes.length >> 1) + WINDOW) });
    }
  }
  return out;
}

/** Chunk sizes: all 1-byte, tiny ones, anything up to 4 KiB, or the whole input at once. */
function chunking(random: Random): { sizes: number[]; name: string } {
  const plan = random() % 100;
  if (plan < 4) return { sizes: [1], name: '1-byte' };
  if (plan < 24) return { sizes: Array.from({ length: 1 + (random() % 6) }, () => 1 + (random() % 16)), name: 'tiny' };
  if (plan < 84) return { sizes: Array.from({ length: 1 + (random() % 6) }, () => 1 + (random() % 4096)), name: 'random' };
  return { sizes: [Number.MAX_SAFE_INTEGER], name: 'whole' };
}

interface Outcome { packets: number; packetBytes: number; chunks: number; work: number | null; error: unknown; damage: DemuxDamage[] }

/** Feeds `bytes` through the sniffing demuxer, checking the bounds after each chunk. */
function run(bytes: Uint8Array, sizes: number[], feed: boolean, limit: number, resync: boolean, container?: MediaKind): Outcome {
  const damage: DemuxDamage[] = [];
  const demuxer = createDemuxer({ maxElementSize: limit, resync, onDamage: (d) => damage.push(d), ...(container && { container }) });
  const outcome: Outcome = { packets: 0, packetBytes: 0, chunks: 0, work: null, error: undefined, damage };
  const sink: PacketSink = {
    packet(_bytes, start, end) {
      outcome.packets++;
      outcome.packetBytes += end - start;
    },
  };
  // One reused buffer for feed(), scribbled over after each call: nothing may keep a view of it.
  const borrowed = new Uint8Array(4096);
  // What the demuxer may hold between pushes: its limit and a header (WebM), a page (Ogg).
  const held = limit + Math.max(MAX_HEADER_LENGTH, MAX_OGG_PAGE_SIZE) + 4096;
  try {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = Math.min(sizes[i % sizes.length]!, bytes.length - at);
      const piece = bytes.subarray(at, at + size);
      outcome.chunks++;
      if (feed && size <= borrowed.length) {
        borrowed.set(piece);
        demuxer.feed(borrowed.subarray(0, size), sink);
        borrowed.fill(0xa3);
      } else {
        for (const p of demuxer.push(piece)) sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
      }
      at += size;
      if (demuxer.bufferedBytes > held) throw new Error(`holds ${demuxer.bufferedBytes} bytes, over ${held}`);
    }
    for (const p of demuxer.end()) sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
  } catch (error) {
    outcome.error = error;
  }
  // No container's demuxer: the sniffer refused the first bytes, with no work to speak of.
  const work = demuxer.demuxer === null ? 0 : (demuxer.demuxer as { work?: number }).work;
  outcome.work = typeof work === 'number' ? work : null;
  return outcome;
}

/** The properties, as a failure message (null when they hold). */
function violation(bytes: Uint8Array, outcome: Outcome): string | null {
  const { error } = outcome;
  if (error !== undefined) {
    if (!(error instanceof SpenceError)) return `threw ${String(error)}${error instanceof Error ? `\n${error.stack}` : ''}`;
    if (error.code !== 'DEMUX' && error.code !== 'INVALID_STATE') return `threw ${error.code}: ${error.message}`;
  }
  if (outcome.work !== null && outcome.work > WORK_PER_BYTE * bytes.length + WORK_PER_CHUNK * outcome.chunks + WORK_CONSTANT) {
    return `work ${outcome.work} for ${bytes.length} bytes in ${outcome.chunks} chunks`;
  }
  if (outcome.work === null) return 'the demuxer counts no work';
  // A packet takes at least 2 bytes of input (a lacing value or size, and a byte of data); the
  // MP3 Info frame rides once more in front of the first frame.
  if (outcome.packets * 2 > bytes.length + 64) return `${outcome.packets} packets from ${bytes.length} bytes`;
  if (outcome.packetBytes > bytes.length + 4096) return `${outcome.packetBytes} packet bytes from ${bytes.length} bytes`;
  for (const d of outcome.damage) {
    if (!(d.start >= 0 && d.start <= d.end && d.end <= bytes.length)) return `damage ${d.start}-${d.end} outside the input (${bytes.length} bytes)`;
    if (d.packetsLost !== null && !(d.packetsLost >= 0)) return `damage with ${d.packetsLost} packets lost`;
  }
  return null;
}

const files = corpus();

/** Runs `count` seeded inputs of `kind`; returns the failures, each with its seed. */
function property(kind: MediaKind, count: number, firstSeed: number): string[] {
  const failures: string[] = [];
  const inputs = files[kind];
  for (let n = 0; n < count && failures.length < 5; n++) {
    const seed = firstSeed + n;
    const random = mulberry32Uint(seed);
    const file = inputs[random() % inputs.length]!;
    const mutant = mutate(file.bytes, kind, random);
    const { sizes, name } = chunking(random);
    const feed = (random() & 1) === 1;
    const limit = LIMITS[random() % LIMITS.length]!;
    const resync = (random() & 3) !== 0;
    // A window from the middle of a file has no container header to sniff: say the container.
    const container = file.name.endsWith('(middle)') || (random() & 7) === 0 ? kind : undefined;
    const outcome = run(mutant.bytes, sizes, feed, limit, resync, container);
    const problem = violation(mutant.bytes, outcome);
    if (problem !== null) {
      failures.push(`seed ${seed}: ${file.name}, ${mutant.description}; ${name} chunks via ${feed ? 'feed' : 'push'}, limit ${limit}, resync ${resync}${container ? `, container ${container}` : ''}: ${problem}`);
    }
  }
  return failures;
}

/** The share of the runs each container gets. */
const SHARES: Record<MediaKind, number> = { webm: 0.5, ogg: 0.3, mp3: 0.2 };

describe(`property: mutated media through createDemuxer (${RUNS} inputs, seed ${SEED})`, () => {
  it('has files of every container', () => {
    for (const kind of ['webm', 'ogg', 'mp3'] as const) expect(files[kind].length, kind).toBeGreaterThan(0);
  });

  let firstSeed = SEED;
  for (const kind of ['webm', 'ogg', 'mp3'] as const) {
    const count = Math.round(RUNS * SHARES[kind]);
    const seed = firstSeed;
    firstSeed += count;
    it(`${kind}: ${count} inputs, only SpenceError, linear work, bounded memory`, () => {
      expect(property(kind, count, seed)).toEqual([]);
    });
  }
});
