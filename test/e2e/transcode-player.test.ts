/**
 * The transcoding path through a real player (issue 6's "done when"): a Node with local roots, a
 * pull player drained with readFrame(), the packets written to Ogg and decoded by ffmpeg.
 * - an MP3 file and an Opus file at volume 0.5: the expected duration, −6.02 dB ± 1 dB;
 * - a continuous sine through passthrough → volume 0.5 → passthrough: the expected level in each
 *   section, contiguous timestamps, no dropout and no jump (nothing repeated or skipped).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import { probeMedia } from '../../src/demux/probe.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';
import { defaultProviders } from '../../src/default-providers.js';
import { readFileSync } from 'node:fs';
import { db, rms } from '../transcode/signal.js';
import { ffmpegDecode, hasFfmpeg } from '../transcode/reference.js';

const fixtures = new URL('../../fixtures/media/', import.meta.url).pathname;
let dir = '';
let node: Node;

beforeAll(() => {
  if (!hasFfmpeg) return;
  dir = mkdtempSync(join(tmpdir(), 'spence-transcode-'));
  // A 440 Hz sine (ffmpeg's 1/8 amplitude, halved), 3 s, Ogg Opus in 20 ms packets: one level to measure per section.
  const made = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3',
    '-af', 'volume=0.5', '-ac', '2', '-c:a', 'libopus', '-b:a', '128k', '-frame_duration', '20', join(dir, 'sine.opus')]);
  if (made.status !== 0) throw new Error(`ffmpeg: ${made.stderr.toString()}`);
  node = new Node({ providers: defaultProviders({ local: { roots: [fixtures, dir] } }) });
});
afterAll(async () => {
  await node?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function resolveFile(path: string): Promise<Track> {
  const result = await node.resolve(path);
  if (result.type !== 'track') throw new Error(`expected a track, got ${result.type}`);
  return result.track;
}

/** Drains a pull player to the end (real clock: waits a little whenever no packet is ready). */
async function drain(player: Player, onFrame?: (index: number) => void, paceMs = 0): Promise<OpusPacket[]> {
  const out: OpusPacket[] = [];
  const deadline = Date.now() + 30_000;
  while (player.status !== 'ended' && player.status !== 'errored' && Date.now() < deadline) {
    const packet = player.readFrame();
    if (packet === null) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    out.push(packet);
    onFrame?.(out.length);
    if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
  }
  expect(player.status).toBe('ended');
  return out;
}

function toOgg(packets: readonly OpusPacket[], preSkip: number): Uint8Array {
  const writer = new OggOpusWriter({ channels: 2, preSkip }, { serial: 9 });
  const pages: Uint8Array[] = [...writer.headers()];
  for (const p of packets) pages.push(...writer.write(p.data));
  pages.push(...writer.end());
  return Buffer.concat(pages);
}

function expectContiguous(packets: readonly OpusPacket[]): void {
  for (let i = 1; i < packets.length; i++) {
    const prev = packets[i - 1]!;
    expect(Math.abs(packets[i]!.timestampMs - (prev.timestampMs + prev.durationMs))).toBeLessThan(0.01);
  }
}

describe.skipIf(!hasFfmpeg)('transcoding through a player, checked by ffmpeg (skipped: ffmpeg is not installed; CI installs it)', () => {
  it('an MP3 file at volume 0.5: 3 s, both channels −6.02 dB ± 1 dB', async () => {
    const track = await resolveFile(join(fixtures, 'tone-44k.mp3'));
    expect(Math.abs((track.durationMs ?? 0) - 3000)).toBeLessThan(60);
    const player = node.createPlayer({ mode: 'pull', silenceFrames: 0 });
    player.setVolume(0.5);
    await player.load(track);
    expect(player.transcoding).toBe(true);
    const packets = await drain(player);
    expectContiguous(packets);
    const out = ffmpegDecode(toOgg(packets, 0));
    const ref = ffmpegDecode(join(fixtures, 'tone-44k.mp3'));
    const durationMs = out.left.length / 48;
    const to = Math.min(out.left.length, ref.left.length) - 4800;
    const left = db(rms(out.left, 4800, to), rms(ref.left, 4800, to));
    const right = db(rms(out.right, 4800, to), rms(ref.right, 4800, to));
    console.log(`player, MP3 at volume 0.5: ${packets.length} packets, ${durationMs.toFixed(1)} ms decoded, left ${left.toFixed(2)} dB, right ${right.toFixed(2)} dB`);
    expect(Math.abs(durationMs - 3000)).toBeLessThan(30);
    expect(Math.abs(left + 6.02)).toBeLessThan(1);
    expect(Math.abs(right + 6.02)).toBeLessThan(1);
    player.destroy();
  });

  it('an Opus file at volume 0.5: the source duration, −6.02 dB ± 1 dB', async () => {
    const file = join(fixtures, 'sample.webm');
    const probe = probeMedia(readFileSync(file));
    if (probe.codec !== 'opus') throw new Error('expected Opus');
    const track = await resolveFile(file);
    const player = node.createPlayer({ mode: 'pull', silenceFrames: 0 });
    player.setVolume(0.5);
    await player.load(track);
    const packets = await drain(player);
    expectContiguous(packets);
    // No pre-skip is applied while transcoding (frames stay aligned with passthrough): the header's does it.
    const out = ffmpegDecode(toOgg(packets, probe.info.preSkip));
    const ref = ffmpegDecode(file);
    const to = Math.min(out.left.length, ref.left.length) - 4800;
    const left = db(rms(out.left, 4800, to), rms(ref.left, 4800, to));
    const right = db(rms(out.right, 4800, to), rms(ref.right, 4800, to));
    const diffMs = (out.left.length - ref.left.length) / 48;
    console.log(`player, Opus at volume 0.5: ${packets.length} packets, ${(out.left.length / 48).toFixed(1)} ms decoded (source ${(ref.left.length / 48).toFixed(1)}), left ${left.toFixed(2)} dB, right ${right.toFixed(2)} dB`);
    expect(Math.abs(diffMs)).toBeLessThan(21);
    expect(Math.abs(left + 6.02)).toBeLessThan(1);
    expect(Math.abs(right + 6.02)).toBeLessThan(1);
    player.destroy();
  });

  it('passthrough → volume 0.5 → passthrough on a sine: levels per section, no gap, nothing repeated', async () => {
    const file = join(dir, 'sine.opus');
    const probe = probeMedia(readFileSync(file));
    if (probe.codec !== 'opus') throw new Error('expected Opus');
    const track = await resolveFile(file);
    const player = node.createPlayer({ mode: 'pull', silenceFrames: 0 });
    await player.load(track);
    expect(player.transcoding).toBe(false);
    let transcodedFrom = -1;
    let passthroughAgainFrom = -1;
    const packets = await drain(player, (n) => {
      if (n === 50) player.setVolume(0.5);
      if (n === 100) player.setVolume(1);
      if (transcodedFrom < 0 && player.transcoding) transcodedFrom = n;
      if (transcodedFrom >= 0 && passthroughAgainFrom < 0 && !player.transcoding) passthroughAgainFrom = n;
    }, 4); // paced (4 ms a packet), so the worker's transcoder is ready before the track has been read

    const demuxed = await collectSource(file);
    expect(packets.length).toBe(demuxed.length);
    expectContiguous(packets);
    expect(transcodedFrom).toBeGreaterThan(50);
    expect(passthroughAgainFrom).toBeGreaterThan(100);
    expect(passthroughAgainFrom).toBeLessThan(140);
    // Passthrough packets are the source's own bytes, before and after.
    for (const i of [0, 49, 52, 140, demuxed.length - 1]) expect(Buffer.from(packets[i]!.data).equals(Buffer.from(demuxed[i]!.data))).toBe(true);

    const out = ffmpegDecode(toOgg(packets, probe.info.preSkip));
    const ref = ffmpegDecode(file);
    // The source's last page trims its final packet (granule position); the writer keeps whole packets.
    expect(Math.abs(out.left.length - ref.left.length) / 48).toBeLessThan(21);
    const ms = (t: number): number => Math.round(t * 48);
    const before = db(rms(out.left, ms(200), ms(900)), rms(ref.left, ms(200), ms(900)));
    const during = db(rms(out.left, ms(1400), ms(1900)), rms(ref.left, ms(1400), ms(1900)));
    const after = db(rms(out.left, ms(2600), ms(2900)), rms(ref.left, ms(2600), ms(2900)));
    // No dropout: every 10 ms window keeps at least the quieter section's level; no jump between samples.
    let minWindow = Infinity;
    for (let at = ms(50); at + 480 <= out.left.length - ms(50); at += 480) minWindow = Math.min(minWindow, rms(out.left, at, at + 480));
    let maxStep = 0;
    for (let i = ms(50); i < out.left.length - ms(50); i++) maxStep = Math.max(maxStep, Math.abs(out.left[i]! - out.left[i - 1]!));
    let refStep = 0;
    for (let i = ms(50); i < ref.left.length - ms(50); i++) refStep = Math.max(refStep, Math.abs(ref.left[i]! - ref.left[i - 1]!));
    const sourceRms = rms(ref.left, ms(200), ms(2800));
    console.log(`switch: transcoding from packet ${transcodedFrom}, passthrough again from ${passthroughAgainFrom}; levels ${before.toFixed(2)} / ${during.toFixed(2)} / ${after.toFixed(2)} dB; ` +
      `quietest 10 ms window ${db(minWindow, sourceRms).toFixed(2)} dB; largest sample step ${maxStep.toFixed(4)} (the source's: ${refStep.toFixed(4)})`);
    expect(Math.abs(before)).toBeLessThan(0.5);
    expect(Math.abs(during + 6.02)).toBeLessThan(1);
    expect(Math.abs(after)).toBeLessThan(0.5);
    expect(db(minWindow, sourceRms)).toBeGreaterThan(-7.5);
    // A repeated or skipped stretch of a sine jumps by up to twice its amplitude (here ~35× the largest step).
    expect(maxStep).toBeLessThan(refStep * 3);
    player.destroy();
  });
});

async function collectSource(file: string): Promise<OpusPacket[]> {
  const { OggDemuxer } = await import('../../src/demux/index.js');
  const demuxer = new OggDemuxer();
  return [...demuxer.push(readFileSync(file)), ...demuxer.end()];
}

/**
 * Issue 15 item 1: a fast timescale, set before the load or while playing, plays to the end: the
 * read-ahead holds `speed · rate` times more of the track and the transcoder is fed that much
 * further ahead (before, speed 5 froze the player in `buffering` for good). No ffmpeg needed.
 */
describe('fast timescales through a player (the transcoder in the worker pool)', () => {
  let fast: Node;
  beforeAll(() => {
    fast = new Node({ providers: defaultProviders({ local: { roots: [fixtures] } }) });
  });
  afterAll(async () => {
    await fast?.destroy();
  });

  for (const timescale of [{ speed: 5 }, { speed: 10 }, { rate: 10 }, { speed: 4, rate: 2.5 }]) {
    const ratio = (timescale.speed ?? 1) * (timescale.rate ?? 1);
    it(`${JSON.stringify(timescale)} before load and while playing: ends, at ${ratio}× the pace`, async () => {
      const result = await fast.resolve(join(fixtures, 'sample.webm'));
      if (result.type !== 'track') throw new Error('expected a track');
      const source = 501; // sample.webm's packets, 20 ms each
      for (const before of [true, false]) {
        const player = fast.createPlayer({ mode: 'pull', silenceFrames: 0 });
        if (before) player.setFilters({ timescale });
        await player.load(result.track);
        const packets = await drain(player, (n) => {
          if (!before && n === 20) player.setFilters({ timescale });
        }, before ? 0 : 4); // paced while switching, so the worker's transcoder is ready before the track has been read
        if (before) {
          expectContiguous(packets);
          expect(Math.abs(packets.length - source / ratio)).toBeLessThan(4);
        } else {
          // (The container's own timestamps, before the switch, are rounded to the millisecond.)
          for (let i = 1; i < packets.length; i++) expect(packets[i]!.timestampMs).toBeGreaterThan(packets[i - 1]!.timestampMs);
          expect(packets.length).toBeLessThan(source); // it switched, and the rest went at the timescale's pace
        }
        player.destroy();
      }
    });
  }
});
