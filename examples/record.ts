/**
 * `/record start` and `/record stop` for the example bot: records everyone in your voice channel,
 * one Ogg Opus file per speaker (their packets as sent, no re-encoding) and a WAV of everyone
 * mixed, all on one timeline, into `recordings/<guild>-<time>/`.
 *
 * Register it from bot.ts with one line, after the client is made:
 *
 *   registerRecord(client, node);
 *
 * and a `/record` slash command with two subcommands, `start` and `stop` (see discord.js's guide).
 * Receiving needs the bot not to be self-deafened: the command joins (or rejoins) with
 * `selfDeaf: false`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Events, type ChatInputCommandInteraction, type Client } from 'discord.js';
import { joinVoiceChannel } from '@discordjs/voice';
import { mixWav, oggFiles, type BaseNode, type VoiceListener } from 'spence';

const recordings = new Map<string, { listener: VoiceListener; directory: string }>();

async function start(interaction: ChatInputCommandInteraction<'cached'>, node: BaseNode): Promise<void> {
  const channel = interaction.member.voice.channel;
  if (channel === null) {
    await interaction.reply({ content: 'Join a voice channel first.', ephemeral: true });
    return;
  }
  if (recordings.has(interaction.guildId)) {
    await interaction.reply({ content: 'Already recording here.', ephemeral: true });
    return;
  }
  const directory = path.resolve('recordings', `${interaction.guildId}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(directory, { recursive: true });
  // The same connection as /play's when the bot is already in the channel, rejoined undeafened.
  const connection = joinVoiceChannel({
    guildId: interaction.guildId,
    channelId: channel.id,
    adapterCreator: interaction.guild.voiceAdapterCreator,
    selfDeaf: false,
  });
  const listener = node.listen(connection, { sinks: [oggFiles(directory), mixWav(path.join(directory, 'mix.wav'))] });
  listener.on('sinkError', (error) => console.error('recording:', error.message));
  recordings.set(interaction.guildId, { listener, directory });
  listener.once('end', () => recordings.delete(interaction.guildId));
  await interaction.reply(`Recording ${channel.name}. \`/record stop\` to finish.`);
}

async function stop(interaction: ChatInputCommandInteraction<'cached'>): Promise<void> {
  const recording = recordings.get(interaction.guildId);
  if (recording === undefined) {
    await interaction.reply({ content: 'Not recording here.', ephemeral: true });
    return;
  }
  await interaction.deferReply();
  const summary = await recording.listener.stop({ signal: AbortSignal.timeout(30_000) });
  const seconds = Math.round(summary.durationMs / 1000);
  await interaction.editReply(`Recorded ${seconds} s of ${summary.speakers.length} speaker(s) into \`${recording.directory}\`: one .ogg per speaker and mix.wav.`);
}

/** Answers `/record start` and `/record stop` on `client`, recording with `node`. */
export function registerRecord(client: Client, node: BaseNode): void {
  client.on(Events.InteractionCreate, async (interaction) => {
    if (!interaction.isChatInputCommand() || !interaction.inCachedGuild() || interaction.commandName !== 'record') return;
    try {
      if (interaction.options.getSubcommand() === 'start') await start(interaction, node);
      else await stop(interaction);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await (interaction.deferred ? interaction.editReply(message) : interaction.reply(message)).catch(() => {});
    }
  });
}
