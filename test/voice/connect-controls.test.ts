/**
 * The player's controls through `player.connect(connection)` to the test voice server, both
 * transport modes, DAVE on: pause and resume (silence after the pause, Speaking off and on, the
 * rest of the track after), seek (the track from the sought packet, RTP unbroken), a gapless
 * preload (the second track's first packet right after the first's last, no silence between) and
 * filters (the packets transcoded from the switch on, still one unbroken RTP stream).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceConnection } from '@discordjs/voice';
import type { ManualClock } from '../../src/player/clock.js';
import type { Node } from '../../src/node.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';
import { startVoiceServer, type TransportMode, type VoiceServer } from '../helpers/voice-server/index.js';
import { SILENCE, audioOf, hexes, joinTestChannel, play, playFor, sequenceGaps, sourcePackets, until, voiceNode } from './helpers.js';

describe.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('controls through a connection (%s, DAVE on)', (mode) => {
  let server: VoiceServer;
  let node: Node;
  let clock: ManualClock;
  let track: (file: string) => Promise<Track>;
  let connection: VoiceConnection;
  let player: Player;
  let session: string;
  let errors: Error[];

  beforeAll(async () => {
    server = await startVoiceServer({ modes: [mode] });
    ({ node, clock, track } = voiceNode());
  });
  afterAll(async () => {
    node.destroy();
    await server.stop();
  });
  afterEach(() => {
    player.destroy();
    connection.destroy();
  });

  /** A player connected to a fresh channel, once the connection and its DAVE group are ready. */
  async function connected(options: Parameters<Node['createPlayer']>[0] = {}): Promise<void> {
    ({ connection, errors } = joinTestChannel(server));
    player = node.createPlayer(options);
    player.connect(connection);
    const output = player.output!;
    await until(() => output.state?.status === 'ready', (wake) => output.subscribe!(wake), 10_000, 'the connection');
    session = server.sessions.at(-1)!;
  }

  const received = () => server.packetsOf(session);
  const speakingOps = () => server.messages.filter((m) => m.session === session && m.op === 5).map((m) => (m.d as { speaking: number }).speaking);

  it('pause and resume: the five silence frames and Speaking off at the pause, the rest of the track after the resume', async () => {
    const source = await sourcePackets('mkvmerge-cbr.webm');
    await connected();
    await player.load(await track('mkvmerge-cbr.webm'));
    await play(clock, () => received().length >= 30);
    player.pause();
    await play(clock, () => speakingOps().length >= 2);
    const atPause = received().length;
    await playFor(clock, 400);
    expect(received().length).toBe(atPause); // nothing while paused
    player.resume();
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await play(clock, () => ended);
    await play(clock, () => speakingOps().length >= 4);
    const got = received();
    const silence = SILENCE.toString('hex');
    const heard = hexes(got);
    const pausedAt = heard.indexOf(silence);
    expect(heard.slice(pausedAt, pausedAt + 5)).toEqual(Array(5).fill(silence));
    expect(heard.filter((h) => h !== silence)).toEqual(hexes(source));
    expect(speakingOps()).toEqual([1, 0, 1, 0]);
    expect(sequenceGaps(got)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('seek: the track from the packet that holds the position, one unbroken RTP stream', async () => {
    const source = await sourcePackets('mkvmerge-cbr.webm');
    await connected();
    await player.load(await track('mkvmerge-cbr.webm'));
    await play(clock, () => received().length >= 20);
    const before = received().length;
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await player.seek(1_000);
    await play(clock, () => ended);
    await play(clock, () => speakingOps().length >= 2);
    const heard = audioOf(server, session);
    const from = source.findIndex((p) => p.timestampMs + p.durationMs > 1_000);
    // What went out before the seek (it may have gone on while the seek opened), then the track from 1000 ms.
    const cut = heard.length - (source.length - from);
    expect(cut).toBeGreaterThanOrEqual(before);
    expect(heard).toEqual([...hexes(source.slice(0, cut)), ...hexes(source.slice(from))]);
    expect(received().every((p) => p.e2ee || p.payload.equals(SILENCE))).toBe(true);
    expect(sequenceGaps(received())).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('gapless preload: the second track\'s first packet right after the first\'s last', async () => {
    const first = await sourcePackets('mkvmerge-cbr.webm');
    const second = await sourcePackets('opusenc-stereo.opus');
    await connected();
    await player.load(await track('mkvmerge-cbr.webm'));
    await player.preload(await track('opusenc-stereo.opus'));
    const ends: string[] = [];
    player.on('trackEnd', (t, reason) => ends.push(`${t.identifier.split('/').at(-1)} ${reason}`));
    await play(clock, () => ends.length === 2);
    await play(clock, () => speakingOps().length >= 2);
    const got = received();
    expect(hexes(got.slice(0, first.length + second.length))).toEqual(hexes([...first, ...second]));
    expect(got.slice(first.length + second.length).map((p) => p.payload)).toEqual(Array(5).fill(SILENCE));
    for (let i = 1; i < first.length + second.length; i++) {
      const before = i - 1 < first.length ? first[i - 1]! : second[i - 1 - first.length]!;
      expect(got[i]!.timestamp, `timestamp at ${i}`).toBe((got[i - 1]!.timestamp + Math.round(before.durationMs * 48)) % 2 ** 32);
    }
    expect(sequenceGaps(got)).toEqual([]);
    expect(speakingOps()).toEqual([1, 0]);
    expect(errors).toEqual([]);
  });

  it('filters: transcoded packets from the switch on, end-to-end encrypted, one unbroken RTP stream to the track\'s end', async () => {
    const source = await sourcePackets('mkvmerge-cbr.webm');
    await connected({ transcode: { inline: true } });
    await player.load(await track('mkvmerge-cbr.webm'));
    await play(clock, () => received().length >= 20);
    player.setFilters({ equalizer: [{ band: 0, gain: 0.2 }] });
    // The transcoder loads in real time (its codecs' WebAssembly, the first time): the clock waits for it.
    for (let i = 0; i < 1000 && !player.transcoding; i++) {
      await clock.advance(20);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(player.transcoding).toBe(true);
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await play(clock, () => ended);
    await play(clock, () => speakingOps().length >= 2);
    const heard = audioOf(server, session);
    const sourceHex = hexes(source);
    // Passthrough until the switch, then the transcoder's own packets: the same 20 ms frames, other bytes.
    const switched = heard.findIndex((h, i) => h !== sourceHex[i]);
    expect(switched).toBeGreaterThanOrEqual(20);
    expect(heard.slice(0, switched)).toEqual(sourceHex.slice(0, switched));
    expect(heard.slice(switched).filter((h, i) => h === sourceHex[switched + i]).length).toBeLessThan(3);
    expect(heard.length).toBeGreaterThanOrEqual(source.length - 2);
    expect(received().filter((p) => !p.payload.equals(SILENCE)).every((p) => p.e2ee)).toBe(true);
    const got = received();
    for (let i = 1; i < got.length; i++) expect(got[i]!.timestamp, `timestamp at ${i}`).toBe((got[i - 1]!.timestamp + 960) % 2 ** 32);
    expect(sequenceGaps(got)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
