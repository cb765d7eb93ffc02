/**
 * The example bot's wiring (examples/music.ts: resolve, createPlayer, connect, play), as the bot
 * runs it, with the test voice server's gateway adapter in place of discord.js's: it joins, plays
 * the query's track into the channel end-to-end encrypted (DAVE on), and leaves when kicked (4014).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuildMusic } from '../../examples/music.js';
import { createTestVoiceChannel, startVoiceServer, type VoiceServer } from '../helpers/voice-server/index.js';
import { MEDIA, hexes, play, sourcePackets, voiceNode } from './helpers.js';

describe('examples/music.ts (the example bot) against the test voice server', () => {
  let server: VoiceServer;
  beforeAll(async () => {
    server = await startVoiceServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('joins, plays the resolved track end-to-end encrypted, and leaves when kicked', async () => {
    const { node, clock } = voiceNode();
    const music = new GuildMusic(node);
    const channel = createTestVoiceChannel(server);
    const source = await sourcePackets('opusenc-stereo.opus');
    const before = server.sessions.length;
    const playing = music.play(channel, `${MEDIA}/opusenc-stereo.opus`);
    const track = await playing;
    expect(track?.title).toBeTruthy();
    const player = music.player(channel.guildId)!;
    let ended = false;
    player.once('trackEnd', () => (ended = true));
    await play(clock, () => ended);
    const session = server.sessions.at(-1)!;
    expect(server.sessions.length).toBe(before + 1);
    await play(clock, () => server.packetsOf(session).length >= source.length + 5);
    const got = server.packetsOf(session);
    expect(hexes(got.slice(0, source.length))).toEqual(hexes(source));
    expect(got.slice(0, source.length).every((p) => p.e2ee)).toBe(true);
    expect(server.errors).toEqual([]);

    server.close(4014, session);
    await play(clock, () => music.player(channel.guildId) === undefined, 10_000);
    expect(player.destroyed).toBe(true);
    node.destroy();
  });
});
