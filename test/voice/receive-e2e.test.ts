/**
 * Voice receive end to end: the test voice server's simulated members speak to a real
 * @discordjs/voice connection (both transport modes with DAVE on, as Discord requires, and one
 * run without), and `node.listen()` records them on a ManualClock-driven timeline into Ogg, WAV
 * and mix files. Three speakers: one whose sequence number wraps and whose timestamp follows the
 * clock across a silence; one whose timestamp jumps away from it, and who leaves mid-session; one
 * who joins late and whose first packets come before their SSRC is announced. The network
 * reorders packets within 60 ms, loses 2 % and duplicates some.
 *
 * Asserted: each speaker's Ogg file holds exactly the packets sent, in sequence order, with the
 * silence frame where nothing was sent; every file lasts as long as the session and starts with
 * it; ffmpeg decodes the WAVs to the session's length at a level within 0.5 dB of the source; the
 * mix is the sum of the decoded tracks; the events and counters say what happened.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';
import { demux } from '../../src/demux/index.js';
import { lastGranulePosition } from '../../src/demux/probe.js';
import { createDiscordJsOutput } from '../../src/voice/index.js';
import { mixWav, oggFiles, wavFiles, type RtcpPacket, type VoiceListener } from '../../src/voice/receive/index.js';
import { startVoiceServer, type TransportMode, type VoiceServer } from '../helpers/voice-server/index.js';
import { SimulatedCall } from '../helpers/voice-server/speakers.js';
import { joinTestChannel, until } from './helpers.js';
import { expectedOgg, expectedSource, FRAME_SAMPLES, meanVolume, planSpeaker, type PlannedPacket, type SpeakerScript } from './receive-scenario.js';

const A = '710000000000000001';
const B = '710000000000000002';
const C = '710000000000000003';
const FRAMES = 300;

const scripts: SpeakerScript[] = [
  // Sequence wraps at frame ~46; after 54 frames of silence, the timestamp follows the clock.
  { userId: A, sequence: 65_500, timestamp: 4_294_000_000, spurts: [{ start: 10, length: 110 }, { start: 180, length: 90 }], tone: { hz: 440, dbfs: -12 } },
  // After silence the timestamp jumps far from the clock; leaves at frame 160.
  { userId: B, sequence: 1000, timestamp: 77_777, spurts: [{ start: 20, length: 60 }, { start: 100, length: 50, timestamp: 3_000_000_000 }], tone: { hz: 660, dbfs: -18 } },
  // Joins at frame 140, speaks from 150; its SSRC is announced at 160.
  { userId: C, sequence: 30_000, timestamp: 123, spurts: [{ start: 150, length: 140 }], tone: { hz: 330, dbfs: -15 } },
];

const plans = new Map<string, PlannedPacket[]>(scripts.map((s, i) => [s.userId, planSpeaker(s, { loss: 0.02, reorder: 0.06, duplicate: 0.04, seed: 1000 + i })]));

/** ffmpeg's volumedetect of a file: its mean power, dB relative to full scale. */
function ffmpegMeanVolume(file: string): number {
  const { stderr } = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-af', 'volumedetect', '-f', 'null', '-'], { encoding: 'utf8' });
  const match = /mean_volume: (-?[\d.]+) dB/.exec(stderr);
  if (match === null) throw new Error(`ffmpeg gave no mean_volume for ${file}: ${stderr.slice(-500)}`);
  return Number(match[1]);
}

function ffprobeDuration(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());
}

/** The samples of a 16-bit WAV (spence writes a 44-byte header). */
function wavSamples(file: string): Int16Array {
  const bytes = readFileSync(file);
  expect(bytes.toString('ascii', 0, 4)).toBe('RIFF');
  expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
}

/** Waits (on the real loop: loopback I/O) until `check` holds. */
async function settle(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.each<{ mode: TransportMode; dave: boolean }>([
  { mode: 'aead_aes256_gcm_rtpsize', dave: true },
  { mode: 'aead_xchacha20_poly1305_rtpsize', dave: true },
  { mode: 'aead_aes256_gcm_rtpsize', dave: false },
])('voice receive ($mode, DAVE $dave)', ({ mode, dave }) => {
  let server: VoiceServer;
  let dir: string;
  beforeAll(async () => {
    server = await startVoiceServer({ modes: [mode], dave, daveMembers: [A, B, C] });
    dir = mkdtempSync(path.join(tmpdir(), 'spence-receive-'));
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records three speakers on one timeline through loss, reordering, duplicates, a wrap, jumps, a late joiner and a leaver', async () => {
    const { connection, errors } = joinTestChannel(server, { dave });
    const output = createDiscordJsOutput(connection);
    await until(() => output.state.status === 'ready', (wake) => output.subscribe(wake), 10_000, 'the connection (and its DAVE group)');
    output.close?.();
    const session = server.sessions.at(-1)!;
    const call = await SimulatedCall.open(server, session);
    const speakers = new Map(await Promise.all(scripts.map(async (s) => [s.userId, await call.speaker(s.userId)] as const)));

    const clock = new ManualClock(1000);
    const node = new BaseNode({ clock });
    const listener: VoiceListener = node.listen(connection, { sinks: [oggFiles(dir), wavFiles(dir), mixWav(path.join(dir, 'mix.wav'))] });
    const events: string[] = [];
    const rtcp: { packet: RtcpPacket; userId: string | undefined }[] = [];
    listener.on('speakingStart', (userId, ms) => events.push(`start ${userId} ${ms}`));
    listener.on('speakingEnd', (userId, ms) => events.push(`end ${userId} ${ms}`));
    listener.on('memberConnect', (userId) => events.push(`connect ${userId}`));
    listener.on('memberDisconnect', (userId) => events.push(`disconnect ${userId}`));
    listener.on('rtcp', (packet, userId) => rtcp.push({ packet, userId }));
    const sinkErrors: unknown[] = [];
    listener.on('sinkError', (error) => sinkErrors.push(error));

    const sends = new Map<number, PlannedPacket[]>();
    let duplicatesSent = 0;
    for (const packets of plans.values()) {
      for (const p of packets) {
        if (p.dropped) continue;
        for (const at of [p.sendAt, ...p.copies]) sends.set(at, [...(sends.get(at) ?? []), p]);
        duplicatesSent += p.copies.length;
      }
    }
    const ssrcOf = (userId: string) => speakers.get(userId)!.ssrc;
    const known = (userId: string) => connection.receiver.ssrcMap.get(ssrcOf(userId))?.userId === userId;

    for (let frame = 0; frame < FRAMES; frame++) {
      if (frame === 0) {
        speakers.get(A)!.announce();
        speakers.get(B)!.announce();
        await settle(() => known(A) && known(B), 'the first SSRCs');
      }
      if (frame === 140) call.connect([C]);
      if (frame === 160) {
        call.disconnect(B);
        speakers.get(C)!.announce();
        await settle(() => known(C) && events.includes(`disconnect ${B}`), 'the late SSRC and the leaver');
      }
      if (frame === 50) speakers.get(A)!.senderReport(123_456, 40, 4000);
      for (const p of sends.get(frame) ?? []) speakers.get(p.userId)!.send(p.sequence, p.timestamp, p.opus);
      const rtp = call.sent - (frame >= 50 ? 1 : 0);
      await settle(() => listener.stats.packets === rtp, `frame ${frame}'s packets`);
      await clock.advance(20);
    }
    const summary = await listener.stop();
    await call.close();
    connection.destroy();

    // The session: 300 frames from when listening started; every speaker's track as long.
    expect(summary.frames).toBe(FRAMES);
    expect(summary.speakers.map((s) => s.userId)).toEqual([A, B, C]);
    const dropped = (userId: string) => plans.get(userId)!.filter((p) => p.dropped).length;
    for (const s of summary.speakers) {
      expect(s, s.userId).toMatchObject({ ssrcs: [ssrcOf(s.userId)], late: 0, lost: dropped(s.userId) });
      expect(s.packets + s.duplicates).toBe(plans.get(s.userId)!.filter((p) => !p.dropped).reduce((n, p) => n + 1 + p.copies.length, 0));
    }
    expect(summary.speakers.reduce((n, s) => n + s.duplicates, 0)).toBe(duplicatesSent);
    expect(listener.stats).toMatchObject({ rejected: 0, undecryptable: 0, unattributed: 0, late: 0, waiting: 0 });
    expect(sinkErrors).toEqual([]);

    for (const script of scripts) {
      const file = path.join(dir, `${script.userId}.ogg`);
      const bytes = readFileSync(file);
      const packets: string[] = [];
      const timestamps: number[] = [];
      for await (const packet of demux(createReadStream(file))) {
        packets.push(Buffer.from(packet.data).toString('hex'));
        timestamps.push(packet.timestampMs);
      }
      expect(packets, script.userId).toEqual(expectedOgg(plans.get(script.userId)!, FRAMES));
      expect(timestamps[0]).toBe(0); // every track starts with the session
      expect(lastGranulePosition(bytes)).toBe(FRAMES * FRAME_SAMPLES);

      const wav = path.join(dir, `${script.userId}.wav`);
      expect(Math.abs(ffprobeDuration(wav) - FRAMES * 0.02)).toBeLessThanOrEqual(0.02);
      const source = meanVolume(expectedSource(plans.get(script.userId)!, FRAMES));
      expect(Math.abs(ffmpegMeanVolume(wav) - source), `${script.userId}: level ${ffmpegMeanVolume(wav)} dB against the source's ${source} dB`).toBeLessThanOrEqual(0.5);
    }

    // The mix is the sum of the decoded tracks (clipped), sample for sample.
    const mix = wavSamples(path.join(dir, 'mix.wav'));
    const tracks = scripts.map((s) => wavSamples(path.join(dir, `${s.userId}.wav`)));
    expect(mix.length).toBe(FRAMES * FRAME_SAMPLES * 2);
    let differing = 0;
    for (let i = 0; i < mix.length; i++) {
      const sum = tracks.reduce((n, t) => n + t[i]!, 0);
      if (mix[i] !== Math.max(-32768, Math.min(32767, sum))) differing++;
    }
    expect(differing).toBe(0);
    expect(Math.abs(ffprobeDuration(path.join(dir, 'mix.wav')) - FRAMES * 0.02)).toBeLessThanOrEqual(0.02);

    // Speaking follows the talkspurts; the late joiner's and the leaver's gateway events came through.
    const speaking = (userId: string) => events.filter((e) => e.includes(userId) && /^(start|end)/.test(e));
    expect(speaking(A)).toEqual([`start ${A} 200`, `end ${A} 2400`, `start ${A} 3600`, `end ${A} 5400`]);
    expect(speaking(B)).toEqual([`start ${B} 400`, `end ${B} 1600`, `start ${B} 2000`, `end ${B} 3000`]);
    expect(speaking(C)).toEqual([`start ${C} 3000`, `end ${C} 5800`]);
    expect(events).toContain(`connect ${C}`);
    expect(events).toContain(`disconnect ${B}`);
    expect(rtcp).toEqual([{ userId: A, packet: expect.objectContaining({ type: 'sender', ssrc: ssrcOf(A), rtpTimestamp: 123_456, packetCount: 40, octetCount: 4000 }) }]);
    expect(server.errors).toEqual([]);
    expect(errors).toEqual([]);
    await node.destroy();
  });
});
