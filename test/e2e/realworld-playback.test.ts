/**
 * Other projects' Opus files (`../shared/realworld`: browsers' MediaRecorder output, Android's and
 * libwebm's test assets, tag libraries' samples, decoders' test data) play through a player
 * (issue 15, "Done when"): resolved by a node's `local` provider rooted at that folder, played in
 * push mode on a ManualClock and in pull mode, and the packets the player delivers must be the
 * ones ffprobe lists beside each file (`NAME.packets.json`): the same count, order, sizes and
 * bytes (md5), Ogg timestamps equal to the list's pts (1/48000 s), WebM timestamps in order (the
 * list's are in the file's own time base, less CodecDelay: see test/demux/conformance.test.ts).
 * Each track ends `finished`, not short of its declared duration, with no error and no damage
 * reported: test/demux/conformance.test.ts expects every one of these files to demux to the whole
 * list, so none of them counts as damaged.
 *
 * The files are found at run time: any Ogg or Matroska/WebM file dropped into the folder with its
 * packet list is played too. Without the folder, the suite is skipped (and says so).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/player/clock.js';
import { Node } from '../../src/node.js';
import { localProvider } from '../../providers/local/index.js';
import type { FrameEvent, TrackEndDetails, TrackEndReason } from '../../src/player/types.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const realworld = path.resolve(repoRoot, '../shared/realworld');

/** One line of `NAME.packets.json` (ffprobe): pts and duration in the stream's time base. */
interface ExpectedPacket {
  pts: number;
  duration: number;
  size: number;
  md5: string;
}

interface Media {
  name: string;
  file: string;
  kind: 'webm' | 'ogg';
  packets: ExpectedPacket[];
}

/** Every Ogg or Matroska/WebM file in `dir` that has its packet list beside it. */
function mediaIn(dir: string): Media[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.(webm|mka|mkv|opus|ogg|oga)$/.test(name) && existsSync(path.join(dir, `${name}.packets.json`)))
    .sort()
    .map((name) => ({
      name,
      file: path.join(dir, name),
      kind: /\.(webm|mka|mkv)$/.test(name) ? ('webm' as const) : ('ogg' as const),
      packets: JSON.parse(readFileSync(path.join(dir, `${name}.packets.json`), 'utf8')) as ExpectedPacket[],
    }));
}

const MEDIA = mediaIn(realworld);
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

/** A packet as the player delivered it: hashed when delivered (push: its bytes live only then). */
interface Got {
  md5: string;
  size: number;
  timestampMs: number;
}

interface Played {
  packets: Got[];
  ends: { reason: TrackEndReason; details: TrackEndDetails | undefined }[];
  errors: string[];
  damage: unknown[];
}

function watch(player: Player): Played {
  const played: Played = { packets: [], ends: [], errors: [], damage: [] };
  player.on('damage', (damage) => played.damage.push(damage));
  player.on('trackEnd', (_track, reason, details) => played.ends.push({ reason, details }));
  player.on('error', (error) => played.errors.push(`${error.code}: ${error.message}`));
  return played;
}

/**
 * No trailing silence, and no stuck watchdog: the manual clock runs far ahead of the file reads
 * (20 ms a turn of the event loop), so a read that lands a little late is an underrun here.
 */
const MANUAL_TIME = { silenceFrames: 0, stuckThresholdMs: Number.POSITIVE_INFINITY } as const;
/** A bound on the turns of the event loop a track may take (a hang fails, it does not time out). */
const MAX_TURNS = 200_000;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The list's packets against the player's: count, order, sizes, bytes, and the timeline. */
function expectListed(media: Media, played: Played, what: string): void {
  const want = media.packets;
  const got = played.packets;
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    if (got[i]!.md5 !== want[i]!.md5 || got[i]!.size !== want[i]!.size) {
      expect.fail(`${what}: packet ${i} of ${want.length} is ${got[i]!.size} bytes with md5 ${got[i]!.md5}; ffprobe lists ${want[i]!.size} bytes with md5 ${want[i]!.md5}`);
    }
  }
  expect(got.length, `${what}: packet count`).toBe(want.length);
  if (media.kind === 'ogg') {
    // Ogg: the list's pts are in 1/48000 s (RFC 7845 §4: granule positions at 48 kHz).
    expect(got.map((p) => Math.round(p.timestampMs * 48)), `${what}: timestamps`).toEqual(want.map((p) => p.pts));
  } else {
    for (let i = 1; i < got.length; i++) {
      if (got[i]!.timestampMs < got[i - 1]!.timestampMs) expect.fail(`${what}: packet ${i} is timed before packet ${i - 1}`);
    }
  }
}

function expectFinished(played: Played, what: string): void {
  expect(played.errors, `${what}: errors`).toEqual([]);
  expect(played.ends.map((e) => e.reason), `${what}: trackEnd`).toEqual(['finished']);
  // Whole files: nothing skipped, and played to the duration they declare.
  expect(played.damage, `${what}: damage reported`).toEqual([]);
  expect(played.ends[0]!.details?.short, `${what}: ended short of its declared duration`).toBe(false);
}

describe.skipIf(MEDIA.length === 0)(`real-world files play through a player (${realworld})`, () => {
  let clock: ManualClock;
  let node: Node;
  const tracks = new Map<string, Track>();

  beforeAll(() => {
    clock = new ManualClock();
    node = new Node({ providers: [localProvider({ roots: [realworld] })], clock });
  });

  afterAll(async () => {
    await node?.close();
  });

  async function trackOf(media: Media): Promise<Track> {
    let track = tracks.get(media.file);
    if (track === undefined) {
      const result = await node.resolve(media.file);
      if (result.type !== 'track') throw new Error(`${media.name} resolved to ${result.type}`);
      track = result.track;
      tracks.set(media.file, track);
    }
    return track;
  }

  it('finds files of both containers', () => {
    expect(MEDIA.some((m) => m.kind === 'webm')).toBe(true);
    expect(MEDIA.some((m) => m.kind === 'ogg')).toBe(true);
  });

  describe('push mode (frame events, the ManualClock advanced as fast as the reads allow)', () => {
    for (const media of MEDIA) {
      it(media.name, async () => {
        const player = node.createPlayer({ ...MANUAL_TIME });
        const played = watch(player);
        player.on('frame', (frame: FrameEvent) => {
          if (frame.silence) return;
          played.packets.push({ md5: md5(frame.packet.data), size: frame.packet.data.length, timestampMs: frame.packet.timestampMs });
        });
        try {
          await player.play(await trackOf(media));
          for (let turns = 0; played.ends.length === 0; turns++) {
            if (turns > MAX_TURNS) throw new Error(`${media.name}: no trackEnd after ${MAX_TURNS} clock steps (${played.packets.length} packets, status ${player.status})`);
            await clock.advance(20);
          }
        } finally {
          player.destroy();
        }
        expectFinished(played, `push ${media.name}`);
        expectListed(media, played, `push ${media.name}`);
      });
    }
  });

  describe('pull mode (readFrame)', () => {
    for (const media of MEDIA) {
      it(media.name, async () => {
        const player = node.createPlayer({ mode: 'pull', ...MANUAL_TIME });
        const played = watch(player);
        try {
          await player.play(await trackOf(media));
          for (let turns = 0; played.ends.length === 0; ) {
            const packet = player.readFrame();
            if (packet === null) {
              if (++turns > MAX_TURNS) throw new Error(`${media.name}: no trackEnd after ${MAX_TURNS} empty reads (${played.packets.length} packets, status ${player.status})`);
              await turn();
              continue;
            }
            played.packets.push({ md5: md5(packet.data), size: packet.data.length, timestampMs: packet.timestampMs });
          }
        } finally {
          player.destroy();
        }
        expectFinished(played, `pull ${media.name}`);
        expectListed(media, played, `pull ${media.name}`);
      });
    }
  });
});

if (MEDIA.length === 0) {
  describe('real-world files play through a player', () => {
    it.skip(`skipped: ${realworld} is absent (or holds no file with a NAME.packets.json beside it)`, () => {});
  });
}
