/**
 * Joining the test voice server with the real @discordjs/voice, and playing into it from a node
 * on a ManualClock, for the voice tests.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinVoiceChannel, type VoiceConnection } from '@discordjs/voice';
import { demux } from '../../src/demux/demux.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { defaultProviders } from '../../src/default-providers.js';
import { Node } from '../../src/node.js';
import { ManualClock } from '../../src/player/clock.js';
import type { Track } from '../../src/resolve/track.js';
import { createTestVoiceChannel, type TestVoiceChannel, type VoiceServerLike } from '../helpers/voice-server/index.js';
import type { FrameEvent } from '../../src/player/types.js';
import type { ReceivedPacket, VoiceServer } from '../helpers/voice-server/index.js';

/** A @discordjs/voice connection to a test server, and the channel it joined. */
export interface TestJoin {
  connection: VoiceConnection;
  channel: TestVoiceChannel;
  errors: Error[];
}

/** Joins a fresh test channel on `server` (DAVE on unless `dave: false`). */
export function joinTestChannel(server: VoiceServerLike, options: { dave?: boolean } = {}): TestJoin {
  const channel = createTestVoiceChannel(server);
  const connection = joinVoiceChannel({
    guildId: channel.guildId,
    channelId: channel.channelId,
    adapterCreator: channel.adapterCreator,
    daveEncryption: options.dave ?? true,
    // A unique group per join: @discordjs/voice keeps one connection per guild and group.
    group: `${channel.guildId}-${channel.channelId}`,
  });
  const errors: Error[] = [];
  connection.on('error', (error) => errors.push(error));
  return { connection, channel, errors };
}

/** Resolves when `predicate` holds, checking after each of `emitter`'s `event`s (and now). */
export function until(check: () => boolean, subscribe: (wake: () => void) => () => void, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    unsubscribe = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** The hex of a byte array (for readable comparisons). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Resolves once `check()` holds, looking every few ms (for state another socket's message changes). */
export async function eventually(check: () => boolean, timeoutMs = 5_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A frame as a player gives its output (for driving an output by hand). */
export function frameOf(data: Uint8Array, durationMs: number, silence = false): FrameEvent {
  return { packet: { data, timestampMs: 0, durationMs }, frameIndex: 0, silence, deadline: 0, sentAt: 0, track: null };
}

/** The media fixtures. */
export const MEDIA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/media');

/** The silence frame, as the voice server records it. */
export const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);

/** A file's Opus packets, demuxed (their bytes copied). */
export async function sourcePackets(file: string): Promise<OpusPacket[]> {
  const packets: OpusPacket[] = [];
  for await (const packet of demux(createReadStream(path.resolve(MEDIA, file)))) packets.push({ ...packet, data: Uint8Array.from(packet.data) });
  return packets;
}

/** Hex of each packet's bytes. */
export function hexes(packets: readonly (OpusPacket | ReceivedPacket)[]): string[] {
  return packets.map((p) => Buffer.from('data' in p ? p.data : p.payload).toString('hex'));
}

/** A node that plays the fixtures on a ManualClock the test moves (the voice server and its sockets run in real time). */
export function voiceNode(): { node: Node; clock: ManualClock; track(file: string): Promise<Track> } {
  const clock = new ManualClock(1_000);
  const node = new Node({ clock, providers: defaultProviders({ local: { roots: [MEDIA] } }) });
  return {
    node,
    clock,
    async track(file) {
      const result = await node.resolve(path.join(MEDIA, file), { signal: AbortSignal.timeout(5_000) });
      if (result.type !== 'track') throw new Error(`${file}: ${result.type}`);
      return result.track;
    },
  };
}

/**
 * Plays manual time in 20 ms steps, with a real millisecond after each for the sockets (the voice
 * gateway, UDP, DAVE), until `done()`; fails after `maxMs` of manual time or 30 s of real time.
 */
export async function play(clock: ManualClock, done: () => boolean, maxMs = 60_000): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (let t = 0; !done(); t += 20) {
    if (t >= maxMs || performance.now() > deadline) throw new Error(`still waiting after ${t} ms of manual time`);
    await clock.advance(20);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Plays `ms` of manual time in 20 ms steps, with a real millisecond after each. */
export async function playFor(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    await clock.advance(20);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The audio a session received (trailing silence left out), as hex. */
export function audioOf(server: VoiceServer, ...sessions: string[]): string[] {
  const silence = SILENCE.toString('hex');
  return sessions.flatMap((session) => hexes(server.packetsOf(session)).filter((h) => h !== silence));
}

/** Asserts nothing: the sequence gaps of a session's packets, for messages (`a→b at i`). */
export function sequenceGaps(packets: readonly ReceivedPacket[]): string[] {
  return packets.flatMap((p, i) => (i > 0 && p.sequence !== (packets[i - 1]!.sequence + 1) % 65536 ? [`${packets[i - 1]!.sequence}→${p.sequence} at ${i}`] : []));
}

/**
 * Records, in order, what `connection` sends from now on (until its networking is replaced):
 * `speaking 1` / `speaking 0` for each Speaking op, `packet` for each RTP packet. The order the
 * client sends them in; the server receives them on two sockets, whose arrivals need not keep it.
 */
export function recordSends(connection: VoiceConnection): string[] {
  const state = connection.state;
  if (state.status !== 'ready') throw new Error('not ready');
  const networking = state.networking.state as unknown as {
    ws: { sendPacket(packet: { op: number; d: { speaking?: number } }): void };
    udp: { send(buffer: Buffer): void };
  };
  const log: string[] = [];
  const { ws, udp } = networking;
  const sendPacket = ws.sendPacket.bind(ws);
  ws.sendPacket = (packet) => {
    if (packet.op === 5) log.push(`speaking ${packet.d.speaking}`);
    sendPacket(packet);
  };
  const send = udp.send.bind(udp);
  udp.send = (buffer) => {
    log.push('packet');
    send(buffer);
  };
  return log;
}
