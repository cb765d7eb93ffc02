/**
 * A discord.js music bot on spence: `/play <query>` joins your voice channel, resolves the query
 * (a URL or a search) and plays it through spence's scheduler straight into the voice connection;
 * `/stop` leaves.
 *
 *   npm install spence @discordjs/voice discord.js
 *   DISCORD_TOKEN=... node bot.ts
 *
 * Register the two slash commands once (see discord.js's guide); this file only answers them.
 */
import { Client, Events, GatewayIntentBits, type ChatInputCommandInteraction } from 'discord.js';
import { joinVoiceChannel, type VoiceConnection } from '@discordjs/voice';
import { Node, type Player } from 'spence';

const node = new Node();
const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] });
const players = new Map<string, { player: Player; connection: VoiceConnection }>();

async function play(interaction: ChatInputCommandInteraction<'cached'>): Promise<void> {
  const channel = interaction.member.voice.channel;
  if (channel === null) {
    await interaction.reply({ content: 'Join a voice channel first.', ephemeral: true });
    return;
  }
  await interaction.deferReply();
  const result = await node.resolve(interaction.options.getString('query', true), { signal: AbortSignal.timeout(15_000) });
  const track = result.type === 'track' ? result.track : result.type === 'search' ? result.tracks[0] : result.type === 'playlist' ? result.playlist.tracks[0] : undefined;
  if (track === undefined) {
    await interaction.editReply('Nothing found.');
    return;
  }

  let entry = players.get(interaction.guildId);
  if (entry === undefined) {
    const connection = joinVoiceChannel({
      guildId: interaction.guildId,
      channelId: channel.id,
      adapterCreator: interaction.guild.voiceAdapterCreator,
    });
    const player = node.createPlayer();
    // The player's packets go from spence's scheduler into the connection (DAVE included);
    // while the connection reconnects, the player holds its place.
    player.connect(connection);
    player.on('voiceClose', () => stop(interaction.guildId));
    entry = { player, connection };
    players.set(interaction.guildId, entry);
  }
  await entry.player.play(track);
  await interaction.editReply(`Playing **${track.title}**`);
}

function stop(guildId: string): void {
  const entry = players.get(guildId);
  if (entry === undefined) return;
  players.delete(guildId);
  entry.player.disconnect();
  entry.player.destroy();
  entry.connection.destroy();
}

client.on(Events.InteractionCreate, async (interaction) => {
  if (!interaction.isChatInputCommand() || !interaction.inCachedGuild()) return;
  try {
    if (interaction.commandName === 'play') await play(interaction);
    else if (interaction.commandName === 'stop') {
      stop(interaction.guildId);
      await interaction.reply('Stopped.');
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await (interaction.deferred ? interaction.editReply(message) : interaction.reply(message)).catch(() => {});
  }
});

await client.login(process.env.DISCORD_TOKEN);
