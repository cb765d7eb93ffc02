/**
 * A spence player's packets into a @discordjs/voice connection to the test voice server, through
 * the voice output and the tick's prepare-then-dispatch batch (wired here by a `frame` listener,
 * the way `player.connect()` will), in both transport modes with DAVE on: every packet of the
 * source arrives once, in order, its decrypted payload equal to the source packet; RTP sequence
 * numbers consecutive, timestamps advancing by each packet's duration at 48 kHz, one SSRC; then
 * the five silence frames. On the real clock: no timing is asserted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { demux } from '../../src/demux/demux.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { defaultProviders } from '../../src/default-providers.js';
import { createDiscordJsOutput, type VoiceOutput } from '../../src/voice/index.js';
import { DispatchBatch, OutputLink } from '../../src/voice/dispatch-batch.js';
import { startVoiceServer, type TransportMode, type VoiceServer } from '../helpers/voice-server/index.js';
import { joinTestChannel, until } from './helpers.js';
import { createReadStream } from 'node:fs';

const media = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media');
const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);

async function sourcePackets(file: string): Promise<OpusPacket[]> {
  const packets: OpusPacket[] = [];
  for await (const packet of demux(createReadStream(file))) packets.push({ ...packet, data: Uint8Array.from(packet.data) });
  return packets;
}

describe.each<TransportMode>(['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'])('player → voice (%s, DAVE on)', (mode) => {
  let server: VoiceServer;
  let node: Node;
  beforeAll(async () => {
    server = await startVoiceServer({ modes: [mode] });
    node = new Node({ providers: defaultProviders({ local: { roots: [media] } }) });
  });
  afterAll(async () => {
    node.destroy();
    await server.stop();
  });

  it.each(['mkvmerge-cbr.webm', 'mono-60ms.opus'])('%s: every packet once, in order, decrypted equal; RTP consecutive', async (name) => {
    const file = path.join(media, name);
    const source = await sourcePackets(file);
    const { connection, errors } = joinTestChannel(server);
    const output: VoiceOutput = createDiscordJsOutput(connection);
    await until(() => output.state.status === 'ready', (wake) => output.subscribe(wake), 10_000, 'the output');
    const session = server.sessions.at(-1)!;

    const batch = new DispatchBatch();
    const link = new OutputLink(output);
    const stats = link.stats;
    const player = node.createPlayer();
    player.on('frame', ({ packet }) => {
      batch.send(link, packet.data, packet.durationMs);
    });
    const result = await node.resolve(file, { signal: AbortSignal.timeout(5_000) });
    if (result.type !== 'track') throw new Error(result.type);
    const ended = new Promise<void>((resolve) => player.once('trackEnd', () => resolve()));
    await player.load(result.track);
    await ended;
    await server.waitForPackets((p) => p.filter((x) => x.session === session).length >= source.length + 5, 15_000).catch((error: Error) => {
      const seqs = server.packetsOf(session).map((p) => p.sequence);
      const gaps = seqs.flatMap((q, i) => (i > 0 && q !== (seqs[i - 1]! + 1) % 65536 ? [`${seqs[i - 1]}→${q} at ${i}`] : []));
      throw new Error(`${error.message}; gaps: ${gaps.join(', ') || 'none'}; stats ${JSON.stringify(stats)}; connection errors: ${errors.map(String).join('; ')}`);
    });

    const got = server.packetsOf(session);
    expect(got.slice(0, source.length).map((p) => p.payload.toString('hex'))).toEqual(source.map((p) => Buffer.from(p.data).toString('hex')));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(got.slice(source.length).map((p) => p.payload)).toEqual(Array(5).fill(SILENCE));
    expect(new Set(got.map((p) => p.ssrc)).size).toBe(1);
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequence, `sequence at ${i}`).toBe((got[i - 1]!.sequence + 1) % 65536);
      const duration = i - 1 < source.length ? source[i - 1]!.durationMs : 20;
      expect(got[i]!.timestamp, `timestamp at ${i}`).toBe((got[i - 1]!.timestamp + Math.round(duration * 48)) % 2 ** 32);
    }
    expect(stats).toEqual({ sent: source.length + 5, nulled: 0, deficit: 0 });
    expect(server.errors).toEqual([]);
    expect(errors).toEqual([]);
    player.destroy();
    output.close?.();
    connection.destroy();
  });
});
