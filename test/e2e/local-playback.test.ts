/**
 * End to end through the real `local` provider, the track opener (positional reads into the
 * player's read area, demuxed straight into its ring) and the players: every WebM and Ogg fixture
 * that has ffprobe's packet list (`NAME.packets.json`, in fixtures/media and ../shared/media) is
 * played, and the packets the player hands out must be exactly ffprobe's (count, order, md5):
 *
 * - push mode, on a ManualClock (the bytes are copied inside the `frame` listener: they are valid
 *   only there),
 * - pull mode (`readFrame()`; the packets' bytes are their own, so they are hashed again after the
 *   whole track),
 * - stream mode (`player.stream()`, object mode; hashed again at the end too).
 *
 * Then: a seek mid-track lands on the packet that contains the target, per the packet list's
 * timestamps; a track preloaded after itself plays twice, gapless, both copies exact; two players
 * play one file at once; a track replaced mid-way leaves the next one exact; and generated files
 * whose bitrate makes the read-ahead outgrow the ring's first 64 KiB (the ring grows while reads
 * land in its read area) play exactly too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/player/clock.js';
import { Node } from '../../src/node.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import type { FrameEvent, TrackEndReason } from '../../src/player/types.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Player } from '../../src/player/player.js';
import type { Provider, TrackMedia } from '../../src/resolve/provider.js';
import type { Track } from '../../src/resolve/track.js';
import { defaultProviders } from '../../src/default-providers.js';
import { remuxWebm } from '../helpers/webm-remux.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtureMedia = path.join(repoRoot, 'fixtures/media');
const sharedMedia = path.resolve(repoRoot, '../shared/media');

/** One line of `NAME.packets.json` (ffprobe): pts and duration in the stream's time base. */
interface ExpectedPacket {
  pts: number;
  duration: number;
  size: number;
  md5: string;
}

interface Media {
  /** `fixtures/NAME` or `shared/NAME`. */
  label: string;
  file: string;
  kind: 'webm' | 'ogg';
  packets: ExpectedPacket[];
}

function mediaIn(dir: string, label: string): Media[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.(webm|mka|mkv|opus|ogg|oga)$/.test(name) && existsSync(path.join(dir, `${name}.packets.json`)))
    .sort()
    .map((name) => ({
      label: `${label}/${name}`,
      file: path.join(dir, name),
      kind: /\.(webm|mka|mkv)$/.test(name) ? ('webm' as const) : ('ogg' as const),
      packets: JSON.parse(readFileSync(path.join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[],
    }));
}

const MEDIA = [...mediaIn(fixtureMedia, 'fixtures'), ...mediaIn(sharedMedia, 'shared')];
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

/**
 * A seek target in the middle of packet `i` (between its start and the next packet's), on the
 * packet list's timeline mapped to the player's. The list's pts are in the stream's time base
 * (Ogg: 1/48000 s; Matroska: its TimestampScale) and ffprobe subtracts a WebM track's CodecDelay
 * where the player does not, so the mapping (a scale and an offset) is fitted on the packets
 * played before the seek; those packets' bytes are checked against the list separately.
 */
function seekTarget(media: Media, playedBefore: readonly { timestampMs: number }[], i: number): number {
  const a = 1;
  const b = playedBefore.length - 1;
  const scale = (playedBefore[b]!.timestampMs - playedBefore[a]!.timestampMs) / (media.packets[b]!.pts - media.packets[a]!.pts);
  const offset = playedBefore[a]!.timestampMs - media.packets[a]!.pts * scale;
  // The fit holds on every packet played: a constant offset, one time base.
  for (let k = a; k <= b; k++) {
    expect(Math.abs(media.packets[k]!.pts * scale + offset - playedBefore[k]!.timestampMs), `${media.label}: packet ${k}'s time`).toBeLessThan(1);
  }
  const at = (k: number): number => media.packets[k]!.pts * scale + offset;
  return (at(i) + at(i + 1)) / 2;
}

/** Fails at the first packet that differs, with where and how; then checks the count. */
function expectPackets(got: readonly string[], want: readonly string[], what: string): void {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      const from = want.indexOf(got[i]!);
      expect.fail(`${what}: packet ${i} of ${want.length} has md5 ${got[i]}, want ${want[i]}${from >= 0 ? ` (it is packet ${from}'s)` : ' (no packet has it)'}; ${got.length} packets in all`);
    }
  }
  expect(got.length, `${what}: packet count`).toBe(want.length);
}

// ------------------------------------------------------------------------------- generated media

/** xorshift32 bytes. */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * 10 s of 20 ms packets of 900 to 1,275 bytes (about 430 kbit/s, Opus's high end): the sample's
 * TOC byte (config, stereo) with code 0 (one frame, RFC 6716 §3.2.2), then random bytes. 3 s of
 * it is about 160 KiB, well over the ring's first 64 KiB plus its read area.
 */
function bigPackets(sample: readonly OpusPacket[], seed: number): OpusPacket[] {
  return sample.map((p, k) => {
    const size = 900 + ((Math.imul(k + 1, 0x9e3779b1) >>> 0) % 376);
    const data = randomBytes(size, seed + k);
    data[0] = p.data[0]! & 0xfc;
    return { data, timestampMs: p.timestampMs, durationMs: 20 };
  });
}

/** The most packet bytes in any 3 s window: what a 3 s read-ahead holds at once. */
function maxBytesIn3s(packets: readonly OpusPacket[]): number {
  let max = 0;
  let sum = 0;
  let from = 0;
  for (let to = 0; to < packets.length; to++) {
    sum += packets[to]!.data.length;
    while (packets[to]!.timestampMs - packets[from]!.timestampMs >= 3000) sum -= packets[from++]!.data.length;
    max = Math.max(max, sum);
  }
  return max;
}

function oggOf(packets: readonly OpusPacket[]): Uint8Array {
  const writer = new OggOpusWriter({ channels: 2, preSkip: 312 }, { serial: 0x5eed });
  const pages: Uint8Array[] = [...writer.headers()];
  for (const packet of packets) pages.push(...writer.write(packet.data));
  pages.push(...writer.end());
  return Buffer.concat(pages);
}

// ----------------------------------------------------------------------------------- playing

/** A packet as a player handed it out: its md5 then, and what it must still hash to later. */
interface Got {
  md5: string;
  timestampMs: number;
  durationMs: number;
  frameIndex: number;
  deadline: number;
  /** Pull and stream: the bytes as handed out (their own), hashed again at the end. */
  data?: Uint8Array;
}

interface Played {
  packets: Got[];
  ends: TrackEndReason[];
  starts: number;
  underruns: number;
  errors: string[];
}

const WAIT_MS = 15_000;

function watch(player: Player): Played {
  const played: Played = { packets: [], ends: [], starts: 0, underruns: 0, errors: [] };
  player.on('trackStart', () => played.starts++);
  player.on('trackEnd', (_track, reason) => played.ends.push(reason));
  player.on('underrun', () => played.underruns++);
  player.on('error', (error) => played.errors.push(`${error.code}: ${error.message}`));
  return played;
}

/** Push mode: records each frame inside the listener (its bytes are valid there only). */
function recordPush(player: Player, played: Played): void {
  player.on('frame', (frame: FrameEvent) => {
    if (frame.silence) return;
    played.packets.push({
      md5: md5(frame.packet.data),
      timestampMs: frame.packet.timestampMs,
      durationMs: frame.packet.durationMs,
      frameIndex: frame.frameIndex,
      deadline: frame.deadline,
    });
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The players' options here: no trailing silence, and no stuck watchdog. The manual clock runs
 * far ahead of the real reads (20 ms a turn of the event loop), so a read that lands a few real
 * milliseconds late is seconds of manual time: an underrun here, never a stuck track.
 */
const MANUAL_TIME = { silenceFrames: 0, stuckThresholdMs: Number.POSITIVE_INFINITY } as const;

/** Moves the manual clock on, 20 ms at a time (I/O runs between), until `done()`. */
async function runClock(clock: ManualClock, done: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + WAIT_MS;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`${what}: did not finish in ${WAIT_MS} ms`);
    await clock.advance(20);
  }
}

/** Pull mode: reads until `done()` (or `count` packets), waiting for I/O when nothing is ready. */
async function readFrames(player: Player, played: Played, done: () => boolean, what: string, count = Number.POSITIVE_INFINITY): Promise<void> {
  const giveUpAt = Date.now() + WAIT_MS;
  let n = 0;
  while (!done() && n < count) {
    const packet = player.readFrame();
    if (packet === null) {
      if (Date.now() > giveUpAt) throw new Error(`${what}: did not finish in ${WAIT_MS} ms (${played.packets.length} packets, status ${player.status})`);
      await turn();
      continue;
    }
    n++;
    played.packets.push({ md5: md5(packet.data), timestampMs: packet.timestampMs, durationMs: packet.durationMs, frameIndex: player.frameIndex - 1, deadline: Number.NaN, data: packet.data });
  }
}

/** Pull and stream packets' bytes are their own: after the whole track they still hash the same. */
function expectStillOwned(played: Played, what: string): void {
  const later = played.packets.map((p) => md5(p.data!));
  expectPackets(later, played.packets.map((p) => p.md5), `${what} (hashed again after the track)`);
}

/**
 * Controls the `inflight:` provider's reads (see {@link inflightProvider}).
 */
interface InFlight {
  /** The next read stays in flight: it lands only when {@link land} is called. */
  armed: boolean;
  /** The read in flight: lands (writes over its target, as a late fs read would) and resolves. */
  land: (() => void) | null;
  /** The memory the read in flight writes into. */
  lateTarget: Uint8Array | null;
  /** Reads (after the one in flight) whose target shared memory with it. */
  overlaps: number;
  reads: number;
  /** Reads at or past the end of the file (they can only return 0). */
  pastEnd: number;
  /** The media does not say its length (`contentLength` absent). */
  noLength?: boolean;
}

/**
 * Files by path (`inflight:/abs/path`), read with `readAt` like the local provider's, except
 * that one read can be held in flight past its track's end: its bytes land when the test says,
 * whatever the abort signal says (a read in the kernel is not called back). Every later read
 * fills its target first and then lets the held read land (write junk over its own target)
 * before it resolves: if the two shared memory, the later read's bytes would be junk by the time
 * they are demuxed.
 */
function inflightProvider(control: InFlight, name = 'inflight'): Provider {
  return {
    name,
    canResolve: (input) => input.raw.startsWith(`${name}:`),
    resolve: async (input, context) => ({
      type: 'track',
      track: context.createTrack({ source: name, identifier: input.raw.slice(name.length + 1), uri: input.raw, title: input.raw, author: 'test', durationMs: null, isStream: false, isSeekable: true }),
    }),
    open: async (track): Promise<TrackMedia> => {
      const bytes = new Uint8Array(await readFile(track.identifier));
      return {
        ...(control.noLength !== true && { contentLength: bytes.length }),
        async *read(start: number) {
          yield bytes.slice(start);
        },
        async readAt(position: number, target: Uint8Array): Promise<number> {
          const n = Math.max(0, Math.min(target.length, bytes.length - position));
          control.reads++;
          if (position >= bytes.length) control.pastEnd++;
          if (control.armed) {
            control.armed = false;
            control.lateTarget = target;
            await new Promise<void>((resolve) => {
              control.land = () => {
                target.fill(0xee);
                resolve();
              };
            });
            return n;
          }
          target.set(bytes.subarray(position, position + n));
          if (control.lateTarget !== null && control.lateTarget.buffer === target.buffer) {
            const a = control.lateTarget;
            if (a.byteOffset < target.byteOffset + target.length && target.byteOffset < a.byteOffset + a.length) control.overlaps++;
          }
          control.land?.();
          await turn();
          return n;
        },
        close() {},
      };
    },
  };
}

// ---------------------------------------------------------------------------------------- tests

describe('local playback, end to end: the packets sent are ffprobe\'s', () => {
  let dir: string;
  let clock: ManualClock;
  let node: Node;
  const tracks = new Map<string, Track>();
  let roots: string[] = [];
  /** Generated high-bitrate media: the file and its packets' md5s. */
  const big: { label: string; file: string; md5s: string[]; bytesIn3s: number }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spence-e2e-local-'));
    const sampleBytes = new Uint8Array(readFileSync(path.join(fixtureMedia, 'sample.webm')));
    const demuxer = new WebmDemuxer();
    const sample = [...demuxer.push(sampleBytes), ...demuxer.end()];
    const webmPackets = bigPackets(sample, 1);
    const oggPackets = bigPackets(sample, 2);
    await writeFile(path.join(dir, 'big.webm'), remuxWebm(sampleBytes, webmPackets));
    await writeFile(path.join(dir, 'big.opus'), oggOf(oggPackets));
    big.push(
      { label: 'generated big.webm', file: path.join(dir, 'big.webm'), md5s: webmPackets.map((p) => md5(p.data)), bytesIn3s: maxBytesIn3s(webmPackets) },
      { label: 'generated big.opus', file: path.join(dir, 'big.opus'), md5s: oggPackets.map((p) => md5(p.data)), bytesIn3s: maxBytesIn3s(oggPackets) },
    );
    clock = new ManualClock();
    roots = [fixtureMedia, dir, ...(existsSync(sharedMedia) ? [sharedMedia] : [])];
    // The node's defaults: readWorker 'auto' may send paced reads to the read worker at this
    // suite's read rate. The worker also has tests of its own below, forced on.
    node = new Node({ providers: defaultProviders({ local: { roots } }), clock });
  });

  afterAll(async () => {
    await node?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function trackOf(file: string): Promise<Track> {
    let track = tracks.get(file);
    if (track === undefined) {
      track = await resolveTrack(node, file);
      tracks.set(file, track);
    }
    return track;
  }

  async function resolveTrack(on: Node, file: string): Promise<Track> {
    const result = await on.resolve(file);
    if (result.type !== 'track') throw new Error(`${file} resolved to ${result.type}`);
    return result.track;
  }

  /** A push-mode player with no trailing silence, its events and frames recorded. */
  function pushPlayer(): { player: Player; played: Played } {
    const player = node.createPlayer({ ...MANUAL_TIME });
    const played = watch(player);
    recordPush(player, played);
    return { player, played };
  }

  async function playPush(file: string, what: string): Promise<Played> {
    const { player, played } = pushPlayer();
    try {
      await player.play(await trackOf(file));
      await runClock(clock, () => played.ends.length > 0, what);
    } finally {
      player.destroy();
    }
    return played;
  }

  /** Pull mode, on `on` (default: the suite's node, which reads through fs.read at this rate). */
  async function playPull(file: string, what: string, on: Node = node): Promise<Played> {
    const player = on.createPlayer({ mode: 'pull', ...MANUAL_TIME });
    const played = watch(player);
    try {
      await player.play(on === node ? await trackOf(file) : await resolveTrack(on, file));
      await readFrames(player, played, () => played.ends.length > 0, what);
    } finally {
      player.destroy();
    }
    return played;
  }

  async function playStream(file: string, what: string): Promise<Played> {
    const player = node.createPlayer({ ...MANUAL_TIME });
    const played = watch(player);
    const stream = player.stream();
    const read = (async () => {
      for await (const chunk of stream) {
        const data = chunk as Buffer;
        played.packets.push({ md5: md5(data), timestampMs: Number.NaN, durationMs: Number.NaN, frameIndex: -1, deadline: Number.NaN, data });
      }
    })();
    try {
      await player.play(await trackOf(file));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: the stream did not end in ${WAIT_MS} ms (${played.packets.length} packets)`)), WAIT_MS);
      });
      try {
        await Promise.race([read, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      player.destroy();
    }
    return played;
  }

  function expectFinished(played: Played, what: string): void {
    expect(played.errors, `${what}: errors`).toEqual([]);
    expect(played.ends, `${what}: trackEnd`).toEqual(['finished']);
    expect(played.starts, `${what}: trackStart`).toBe(1);
  }

  it('has media to play', () => {
    expect(MEDIA.filter((m) => m.label.startsWith('fixtures/')).length).toBeGreaterThanOrEqual(15);
    expect(MEDIA.some((m) => m.kind === 'webm') && MEDIA.some((m) => m.kind === 'ogg')).toBe(true);
  });

  describe('push mode (frame events on a manual clock)', () => {
    for (const media of MEDIA) {
      it(media.label, async () => {
        const played = await playPush(media.file, `push ${media.label}`);
        expectFinished(played, media.label);
        expectPackets(played.packets.map((p) => p.md5), media.packets.map((p) => p.md5), `push ${media.label}`);
        expect(played.packets.map((p) => p.frameIndex)).toEqual(media.packets.map((_, i) => i));
      });
    }
  });

  // Pull and stream mode hand out packets with bytes of their own: checked again at the end.
  for (const [mode, title, play] of [
    ['pull', 'pull mode (readFrame)', playPull],
    ['stream', 'stream mode (player.stream())', playStream],
  ] as const) {
    describe(title, () => {
      for (const media of MEDIA) {
        it(media.label, async () => {
          const played = await play(media.file, `${mode} ${media.label}`);
          expectFinished(played, media.label);
          expectPackets(played.packets.map((p) => p.md5), media.packets.map((p) => p.md5), `${mode} ${media.label}`);
          expectStillOwned(played, `${mode} ${media.label}`);
        });
      }
    });
  }

  // The read worker the local provider moves to at hundreds of reads a second (a few players
  // here: forced on). Reads land 1-2 ms later and through shared memory, the packets are the same.
  describe("pull mode through the local read worker (readWorker: 'always')", () => {
    let workerNode: Node;
    beforeAll(() => {
      workerNode = new Node({ providers: defaultProviders({ local: { roots, readWorker: 'always' } }), clock });
    });
    afterAll(async () => {
      await workerNode?.close();
    });
    for (const media of MEDIA) {
      it(media.label, async () => {
        const played = await playPull(media.file, `worker ${media.label}`, workerNode);
        expectFinished(played, media.label);
        expectPackets(played.packets.map((p) => p.md5), media.packets.map((p) => p.md5), `worker ${media.label}`);
        expectStillOwned(played, `worker ${media.label}`);
      });
    }
    for (const name of ['big.webm', 'big.opus']) {
      it(`generated ${name}`, async () => {
        const media = big.find((m) => m.file.endsWith(name))!;
        const played = await playPull(media.file, `worker ${media.label}`, workerNode);
        expectFinished(played, media.label);
        expectPackets(played.packets.map((p) => p.md5), media.md5s, `worker ${media.label}`);
      });
    }
  });

  describe('seeking mid-track lands on the packet that contains the target', () => {
    // A chained file's packet list restarts its times at each link (ours continue): no target to compute.
    for (const media of MEDIA.filter((m) => m.packets.length >= 20 && !m.label.includes('chained'))) {
      it(media.label, async () => {
        const what = `seek ${media.label}`;
        const want = media.packets.map((p) => p.md5);
        const before = Math.min(25, Math.floor(want.length / 4));
        const target = Math.floor(want.length * 0.6);
        const player = node.createPlayer({ mode: 'pull', ...MANUAL_TIME });
        const played = watch(player);
        let seekMs = Number.NaN;
        try {
          await player.play(await trackOf(media.file));
          await readFrames(player, played, () => played.ends.length > 0, what, before);
          expect(played.packets.length).toBe(before);
          seekMs = seekTarget(media, played.packets, target);
          await player.seek(seekMs);
          await readFrames(player, played, () => played.ends.length > 0, what);
        } finally {
          player.destroy();
        }
        expect(played.errors).toEqual([]);
        expect(played.ends).toEqual(['finished']);
        const got = played.packets.map((p) => p.md5);
        expect(got[before], `${what} to ${seekMs} ms: the first packet after the seek is packet ${target}`).toBe(want[target]);
        expectPackets(got, [...want.slice(0, before), ...want.slice(target)], what);
        // The frame index keeps counting across the seek.
        expect(played.packets.map((p) => p.frameIndex)).toEqual(got.map((_, i) => i));
      });
    }
  });

  describe('gapless: a track preloaded after itself', () => {
    const picks = MEDIA.filter((m) => ['fixtures/sample.webm', 'fixtures/opusenc-stereo.opus', 'shared/default.webm', 'shared/ffmpeg-10ms.ogg'].includes(m.label));
    for (const media of picks) {
      it(`${media.label} twice in a row: both copies exact, the second right after the first`, async () => {
        const what = `gapless ${media.label}`;
        const { player, played } = pushPlayer();
        const track = await trackOf(media.file);
        try {
          await player.play(track);
          await player.preload(track);
          await runClock(clock, () => played.ends.length >= 2, what);
        } finally {
          player.destroy();
        }
        expect(played.errors).toEqual([]);
        expect(played.ends).toEqual(['finished', 'finished']);
        expect(played.starts).toBe(2);
        const want = media.packets.map((p) => p.md5);
        expectPackets(played.packets.map((p) => p.md5), [...want, ...want], what);
        const n = want.length;
        expect(played.packets[n]!.frameIndex, 'the second copy counts from 0').toBe(0);
        // No gap: the second copy's first packet is due one packet after the first copy's last.
        const last = played.packets[n - 1]!;
        const first = played.packets[n]!;
        expect(first.deadline - last.deadline).toBeCloseTo(Math.round(last.durationMs * 1000) / 1000, 6);
        if (played.underruns === 0) {
          for (let i = 1; i < played.packets.length; i++) {
            const gap = played.packets[i]!.deadline - played.packets[i - 1]!.deadline;
            const micros = played.packets[i - 1]!.durationMs > 0 ? Math.round(played.packets[i - 1]!.durationMs * 1000) : 20_000;
            if (Math.abs(gap - micros / 1000) > 1e-6) expect.fail(`${what}: packet ${i} is due ${gap} ms after the one before, want ${micros / 1000}`);
          }
        }
      });
    }
  });

  it('two players play the same file at once, both exact', async () => {
    const media = MEDIA.find((m) => m.label === 'shared/cues-front.webm') ?? MEDIA.find((m) => m.label === 'fixtures/sample.webm')!;
    const track = await trackOf(media.file);
    const { player: a, played: playedA } = pushPlayer();
    const { player: b, played: playedB } = pushPlayer();
    try {
      await a.play(track);
      await clock.advance(200);
      await b.play(track);
      await runClock(clock, () => playedA.ends.length > 0 && playedB.ends.length > 0, 'two players');
    } finally {
      a.destroy();
      b.destroy();
    }
    const want = media.packets.map((p) => p.md5);
    expectPackets(playedA.packets.map((p) => p.md5), want, `player A, ${media.label}`);
    expectPackets(playedB.packets.map((p) => p.md5), want, `player B, ${media.label}`);
    // They played at the same time: B started before A ended.
    expect(playedB.packets[0]!.deadline).toBeLessThan(playedA.packets.at(-1)!.deadline);
  });

  it('a track replaced mid-way (a read may be in flight) leaves the next track exact', async () => {
    const first = MEDIA.find((m) => m.label === 'fixtures/sample.webm')!;
    const second = MEDIA.find((m) => m.label === 'fixtures/opusenc-stereo.opus')!;
    const { player, played } = pushPlayer();
    try {
      for (let round = 0; round < 5; round++) {
        await player.play(await trackOf(first.file));
        await runClock(clock, () => played.packets.length >= 40 + round * 7, 'replace');
        played.packets = [];
        await player.play(await trackOf(second.file));
        await runClock(clock, () => played.ends.at(-1) === 'finished', 'replace');
        expectPackets(played.packets.map((p) => p.md5), second.packets.map((p) => p.md5), `round ${round}: ${second.label} after ${first.label} was replaced`);
        played.packets = [];
      }
    } finally {
      player.destroy();
    }
    expect(played.errors).toEqual([]);
  });

  describe('high bitrate: the read-ahead outgrows the ring\'s first 64 KiB while reads land in its read area', () => {
    it('the generated files hold more than 64 KiB + 16 KiB in 3 s', () => {
      for (const media of big) expect(media.bytesIn3s, media.label).toBeGreaterThan(80 * 1024);
    });

    for (const mode of ['push', 'pull', 'stream'] as const) {
      for (const name of ['big.webm', 'big.opus']) {
        it(`${name} in ${mode} mode`, async () => {
          const media = big.find((m) => m.file.endsWith(name))!;
          const what = `${mode} ${media.label}`;
          const played = mode === 'push' ? await playPush(media.file, what) : mode === 'pull' ? await playPull(media.file, what) : await playStream(media.file, what);
          expectFinished(played, what);
          expectPackets(played.packets.map((p) => p.md5), media.md5s, what);
          if (mode !== 'push') expectStillOwned(played, what);
        });
      }
    }

    it('two players on big.webm at once, then big.opus gapless after it', async () => {
      const webm = big.find((m) => m.file.endsWith('big.webm'))!;
      const ogg = big.find((m) => m.file.endsWith('big.opus'))!;
      const { player: a, played: playedA } = pushPlayer();
      const { player: b, played: playedB } = pushPlayer();
      try {
        await a.play(await trackOf(webm.file));
        await clock.advance(500);
        await b.play(await trackOf(webm.file));
        await a.preload(await trackOf(ogg.file));
        await runClock(clock, () => playedA.ends.length >= 2 && playedB.ends.length > 0, 'two players, big');
      } finally {
        a.destroy();
        b.destroy();
      }
      expect([...playedA.errors, ...playedB.errors]).toEqual([]);
      expectPackets(playedA.packets.map((p) => p.md5), [...webm.md5s, ...ogg.md5s], 'player A: big.webm then big.opus');
      expectPackets(playedB.packets.map((p) => p.md5), webm.md5s, 'player B: big.webm');
    });

    it('seeks in big.webm (no Cues: read from the start) and big.opus', async () => {
      for (const media of big) {
        const player = node.createPlayer({ mode: 'pull', ...MANUAL_TIME });
        const played = watch(player);
        try {
          await player.play(await trackOf(media.file));
          await readFrames(player, played, () => played.ends.length > 0, media.label, 30);
          await player.seek(6_010);
          await readFrames(player, played, () => played.ends.length > 0, media.label);
        } finally {
          player.destroy();
        }
        expect(played.errors).toEqual([]);
        // The first packet after the seek contains 6,010 ms (the packets are 20 ms: about packet 300).
        expect(played.packets[30]!.timestampMs).toBeLessThanOrEqual(6_010);
        expect(played.packets[30]!.timestampMs + played.packets[30]!.durationMs).toBeGreaterThan(6_010);
        const from = media.md5s.indexOf(played.packets[30]!.md5);
        expect(from).toBeGreaterThan(250);
        expectPackets(played.packets.map((p) => p.md5), [...media.md5s.slice(0, 30), ...media.md5s.slice(from)], `seek ${media.label}`);
      }
    });
  });
  describe('a read still in flight when its track is dropped lands in memory no other track reads into', () => {
    const control: InFlight = { armed: false, land: null, lateTarget: null, overlaps: 0, reads: 0, pastEnd: 0 };
    beforeAll(() => {
      node.registerProvider(inflightProvider(control));
    });

    for (const how of ['replaced by another track', 'seeked'] as const) {
      it(how, async () => {
        const first = MEDIA.find((m) => m.label === 'fixtures/sample.webm')!;
        const second = MEDIA.find((m) => m.label === 'fixtures/long-sizes.webm')!;
        Object.assign(control, { armed: false, land: null, lateTarget: null, overlaps: 0, reads: 0, pastEnd: 0 });
        const player = node.createPlayer({ mode: 'pull', ...MANUAL_TIME });
        const played = watch(player);
        try {
          const track = (await node.resolve(`inflight:${first.file}`)) as { type: 'track'; track: Track };
          await player.play(track.track);
          await readFrames(player, played, () => false, how, 60);
          // The next refill's read stays in flight.
          control.armed = true;
          const giveUpAt = Date.now() + WAIT_MS;
          while (control.land === null) {
            if (Date.now() > giveUpAt) throw new Error('no refill read came');
            if (player.readFrame() === null) await turn();
          }
          const before = played.packets;
          played.packets = [];
          played.ends = [];
          let want: string[];
          if (how === 'seeked') {
            await player.seek(seekTarget(first, before, 300));
            want = first.packets.slice(300).map((p) => p.md5);
          } else {
            const next = (await node.resolve(`inflight:${second.file}`)) as { type: 'track'; track: Track };
            await player.play(next.track);
            played.ends = [];
            want = second.packets.map((p) => p.md5);
          }
          await readFrames(player, played, () => played.ends.length > 0, how);
          expect(played.errors).toEqual([]);
          expect(control.reads).toBeGreaterThan(5);
          expect(control.overlaps, 'reads into the memory the dropped read still writes into').toBe(0);
          expectPackets(played.packets.map((p) => p.md5), want, `${how} while a read was in flight`);
        } finally {
          control.land?.();
          player.destroy();
        }
      });
    }
  });

  // The input ends with its last bytes when the media says its length: a preloaded track's switch
  // never waits on a read that can only return 0 (on a busy machine that read made a gap).
  describe('positional reads stop at contentLength', () => {
    const control: InFlight = { armed: false, land: null, lateTarget: null, overlaps: 0, reads: 0, pastEnd: 0 };
    beforeAll(() => {
      node.registerProvider(inflightProvider(control, 'inflight-end'));
    });

    for (const noLength of [false, true]) {
      it(noLength ? 'without contentLength: one read past the end, which returns 0' : 'with contentLength: no read past the end', async () => {
        const media = MEDIA.find((m) => m.label === 'fixtures/sample.webm')!;
        Object.assign(control, { armed: false, land: null, lateTarget: null, overlaps: 0, reads: 0, pastEnd: 0, noLength });
        const player = node.createPlayer({ mode: 'pull', ...MANUAL_TIME });
        const played = watch(player);
        try {
          const track = (await node.resolve(`inflight-end:${media.file}`)) as { type: 'track'; track: Track };
          await player.play(track.track);
          await readFrames(player, played, () => played.ends.length > 0, 'contentLength');
        } finally {
          player.destroy();
        }
        expectFinished(played, media.label);
        expectPackets(played.packets.map((p) => p.md5), media.packets.map((p) => p.md5), 'contentLength');
        expect(control.reads).toBeGreaterThan(0);
        expect(control.pastEnd).toBe(noLength ? 1 : 0);
      });
    }
  });
});
