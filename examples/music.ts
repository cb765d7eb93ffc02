/**
 * The example bot's music, apart from discord.js: one player per guild, joined to a voice channel,
 * playing what a query resolves to, straight from spence's scheduler into the voice connection.
 * bot.ts calls it with discord.js's gateway adapter; the test suite calls it with the test voice
 * server's (test/voice/example-bot.test.ts), so the wiring a user copies is the wiring tested.
 */
import { joinVoiceChannel, type DiscordGatewayAdapterCreator, type VoiceConnection } from '@discordjs/voice';
import type { BaseNode, Player, Track } from 'spence';

/** A guild's voice channel, and the adapter that joins it (discord.js: `guild.voiceAdapterCreator`). */
export interface VoiceChannelRef {
  guildId: string;
  channelId: string;
  adapterCreator: DiscordGatewayAdapterCreator;
}

/** One player and one voice connection per guild. */
export class GuildMusic {
  readonly #node: BaseNode;
  readonly #guilds = new Map<string, { player: Player; connection: VoiceConnection }>();

  constructor(node: BaseNode) {
    this.#node = node;
  }

  /**
   * Resolves `query` (a URL or a search) and plays its first track in `channel`, joining it the
   * first time. Resolves with the track once it starts, or null when nothing was found.
   */
  async play(channel: VoiceChannelRef, query: string, options: { signal?: AbortSignal } = {}): Promise<Track | null> {
    const signal = options.signal ?? AbortSignal.timeout(15_000);
    const result = await this.#node.resolve(query, { signal });
    const track =
      result.type === 'track' ? result.track
      : result.type === 'search' ? result.tracks[0]
      : result.type === 'playlist' ? result.playlist.tracks[0]
      : undefined;
    if (track === undefined) return null;

    let guild = this.#guilds.get(channel.guildId);
    if (guild === undefined) {
      const connection = joinVoiceChannel({ guildId: channel.guildId, channelId: channel.channelId, adapterCreator: channel.adapterCreator });
      const player = this.#node.createPlayer();
      // The player's packets go from spence's scheduler into the connection (DAVE included);
      // while the connection reconnects, the player holds its place.
      player.connect(connection);
      // Kicked, or the channel deleted: the link is over.
      player.on('voiceClose', () => this.stop(channel.guildId));
      guild = { player, connection };
      this.#guilds.set(channel.guildId, guild);
    }
    await guild.player.play(track, { signal });
    return track;
  }

  /** The guild's player, if it has one. */
  player(guildId: string): Player | undefined {
    return this.#guilds.get(guildId)?.player;
  }

  /** Stops playing in the guild and leaves its channel. False if it was not playing there. */
  stop(guildId: string): boolean {
    const guild = this.#guilds.get(guildId);
    if (guild === undefined) return false;
    this.#guilds.delete(guildId);
    guild.player.destroy();
    guild.connection.destroy();
    return true;
  }
}
