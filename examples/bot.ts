/**
 * A discord.js music bot on spence: `/play <query>` joins your voice channel, resolves the query
 * (a URL or a search) and plays it through spence's scheduler straight into the voice connection;
 * `/stop` leaves; `/record start|stop` records everyone in your channel (record.ts). The music
 * itself is in music.ts.
 *
 *   npm install spence @discordjs/voice discord.js
 *   DISCORD_TOKEN=... node bot.ts
 *
 * Register the slash commands (`/play`, `/stop`, `/record`) once (see discord.js's guide); this file only answers them.
 */
import { Client, Events, GatewayIntentBits, type ChatInputCommandInteraction } from 'discord.js';
import { Node } from 'spence';
import { GuildMusic } from './music.js';
import { registerRecord } from './record.js';

const node = new Node();
const music = new GuildMusic(node);
const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] });
registerRecord(client, node);

async function play(interaction: ChatInputCommandInteraction<'cached'>): Promise<void> {
  const channel = interaction.member.voice.channel;
  if (channel === null) {
    await interaction.reply({ content: 'Join a voice channel first.', ephemeral: true });
    return;
  }
  await interaction.deferReply();
  const track = await music.play(
    { guildId: interaction.guildId, channelId: channel.id, adapterCreator: interaction.guild.voiceAdapterCreator },
    interaction.options.getString('query', true),
  );
  await interaction.editReply(track === null ? 'Nothing found.' : `Playing **${track.title}**`);
}

client.on(Events.InteractionCreate, async (interaction) => {
  if (!interaction.isChatInputCommand() || !interaction.inCachedGuild()) return;
  try {
    if (interaction.commandName === 'play') await play(interaction);
    else if (interaction.commandName === 'stop') {
      music.stop(interaction.guildId);
      await interaction.reply('Stopped.');
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await (interaction.deferred ? interaction.editReply(message) : interaction.reply(message)).catch(() => {});
  }
});

await client.login(process.env.DISCORD_TOKEN);
