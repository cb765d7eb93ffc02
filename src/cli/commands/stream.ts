import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { ErrorCodes, OggOpusWriter, Player, SpenceError, opusPacketSamples } from '../../index.js';
import type { LoadResult, OpusStreamInfo, Track } from '../../index.js';
import { formatDuration } from '../format.js';
import { nodeForInput } from '../node-for-input.js';
import type { CliNodeOptions } from '../node-for-input.js';

interface StreamOptions extends CliNodeOptions {
  output: string;
  realtime?: boolean;
  start?: string;
}

/** Picks the track a load result points at. */
function pickTrack(result: LoadResult): Track {
  switch (result.type) {
    case 'track':
      return result.track;
    case 'search':
      if (result.tracks[0]) return result.tracks[0];
      break;
    case 'playlist': {
      const track = result.playlist.tracks[result.playlist.selectedIndex ?? 0];
      if (track) return track;
      break;
    }
  }
  throw new SpenceError(ErrorCodes.NOT_FOUND, 'Nothing to play: the input resolved to no tracks');
}

/** `spence stream <input> -o out.opus`: resolve, fetch, demux and play through a player into an Ogg Opus file. */
export function registerStream(program: Command): void {
  program
    .command('stream')
    .description('play a track through a spence player and save what it sends as an Ogg Opus file')
    .argument('<input>', 'a URL, a file path, "ytsearch:...", or plain text to search')
    .requiredOption('-o, --output <file>', 'the .opus file to write')
    .option('--realtime', 'pace packets on the 20 ms deadlines, as a bot would (default: as fast as possible)')
    .option('--start <ms>', 'start at this position in ms (seeks on the Cues index where there is one)')
    .option('--local-root <dir...>', 'also allow local files under these directories')
    .option('--allow-private', 'allow URLs on loopback and private networks')
    .action(async (raw: string, options: StreamOptions) => {
      const { node, input } = nodeForInput(raw, options);
      const controller = new AbortController();
      const onSigint = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      try {
        const result = await node.resolve(input, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(60_000)]) });
        const track = pickTrack(result);
        let info: OpusStreamInfo | null = null;
        // The node's opener, tapped for the stream header the Ogg writer needs.
        const player = new Player({
          scheduler: node.scheduler,
          mode: options.realtime ? 'push' : 'pull',
          silenceFrames: 0,
          openTrack: async (t, open) => {
            const opened = await node.openTrack(t, open);
            info = opened.info;
            return opened;
          },
        });
        const out = createWriteStream(options.output);
        let writer: OggOpusWriter | null = null;
        let samples = 0;
        let packets = 0;
        const progress = makeProgress(track);
        const write = async (data: Uint8Array) => {
          writer ??= new OggOpusWriter(info!, { comments: { TITLE: track.title, ARTIST: track.author } });
          const pages = packets === 0 ? [...writer.headers(), ...writer.write(data)] : writer.write(data);
          packets++;
          samples += opusPacketSamples(data);
          for (const page of pages) if (!out.write(page)) await once(out, 'drain');
          progress(samples / 48);
        };
        const startMs = options.start === undefined ? undefined : Number(options.start);
        if (startMs !== undefined && !(startMs >= 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, '--start takes a position in ms');

        if (options.realtime) {
          const pending: Uint8Array[] = [];
          player.on('frame', ({ packet, silence }) => {
            if (!silence) pending.push(packet.data.slice()); // the frame's bytes are valid inside the listener only
          });
          const done = waitForEnd(player);
          await player.load(track, { signal: controller.signal, ...(startMs ? { startMs } : {}) });
          const flusher = setInterval(() => {
            const batch = pending.splice(0);
            void (async () => { for (const data of batch) await write(data); })();
          }, 100);
          try {
            await done;
          } finally {
            clearInterval(flusher);
          }
          for (const data of pending.splice(0)) await write(data);
        } else {
          const done = waitForEnd(player);
          await player.load(track, { signal: controller.signal, ...(startMs ? { startMs } : {}) });
          let finished = false;
          void done.then(() => (finished = true), () => (finished = true));
          while (true) {
            const packet = player.readFrame();
            if (packet) {
              await write(packet.data);
              continue;
            }
            if (finished) break;
            await new Promise((r) => setTimeout(r, 1));
          }
          await done;
        }
        if (writer === null) throw new SpenceError(ErrorCodes.DEMUX, 'The track had no audio packets');
        for (const page of (writer as OggOpusWriter).end()) out.write(page);
        out.end();
        await once(out, 'finish');
        player.destroy();
        progress(samples / 48, true);
        process.stderr.write(`wrote ${options.output}: ${packets} packets, ${formatDuration(samples / 48)}\n`);
      } finally {
        process.off('SIGINT', onSigint);
        await node.destroy();
      }
    });
}

/** Resolves when the player's track ends; rejects with the player's error. */
function waitForEnd(player: Player): Promise<void> {
  return new Promise((resolve, reject) => {
    player.on('stateChange', (_old, state) => {
      if (state.status === 'ended' || state.status === 'idle') resolve();
      else if (state.status === 'errored') reject(state.error ?? new SpenceError(ErrorCodes.UPSTREAM, 'Playback failed'));
    });
  });
}

/** A progress line on a terminal; nothing when stderr is not one. */
function makeProgress(track: Track): (ms: number, final?: boolean) => void {
  if (!process.stderr.isTTY) return () => {};
  let last = 0;
  return (ms, final = false) => {
    const now = Date.now();
    if (!final && now - last < 100) return;
    last = now;
    const total = track.durationMs === null ? '' : ` / ${formatDuration(track.durationMs)}`;
    process.stderr.write(`\r${track.title}: ${formatDuration(ms)}${total}${final ? '\n' : ''}`);
  };
}
