import type { Command } from 'commander';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { Player } from '../../player/player.js';
import type { LoadResult } from '../../resolve/provider.js';
import type { OpusStreamInfo } from '../../demux/types.js';
import type { Track } from '../../resolve/track.js';
import { CliExit } from '../errors.js';
import { formatDuration } from '../format.js';
import { nodeForInput } from '../node-for-input.js';
import type { CliNodeOptions } from '../node-for-input.js';
import { OggOutput, STDOUT, checkOutputPath } from '../ogg-output.js';

interface StreamOptions extends CliNodeOptions {
  output: string;
  realtime?: boolean;
  start?: string;
}

/** The exit status after Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130;

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

/** `--start`: a position in ms, before the end of the track when its length is known. */
function startPosition(start: string | undefined, track?: Track): number | undefined {
  if (start === undefined) return undefined;
  const ms = Number(start);
  if (start.trim() === '' || !(ms >= 0) || !Number.isFinite(ms)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `--start takes a position in ms, got ${JSON.stringify(start)}`);
  if (track?.durationMs != null && ms >= track.durationMs) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `--start ${ms} is past the end of the track (${formatDuration(track.durationMs)}, ${track.durationMs} ms)`);
  }
  return ms;
}

/**
 * `spence stream <input> -o out.opus`: resolve, fetch, demux and play through a player into an Ogg
 * Opus file (`-o -`: standard output). Ctrl-C stops at once and leaves a valid file of what was
 * sent (none when nothing was), exit status 130; a second Ctrl-C quits without closing the node,
 * once the file is whole.
 */
export function registerStream(program: Command): void {
  program
    .command('stream')
    .description('play a track through a spence player and save what it sends as an Ogg Opus file')
    .argument('<input>', 'a URL, a file path, "ytsearch:...", or plain text to search')
    .requiredOption('-o, --output <file>', 'the .opus file to write; - for standard output')
    .option('--realtime', 'pace packets on the 20 ms deadlines, as a bot would (default: as fast as possible)')
    .option('--start <ms>', 'start at this position in ms (seeks on the Cues index where there is one)')
    .option('--local-root <dir...>', 'also allow local files under these directories')
    .option('--allow-private', 'allow URLs on loopback and private networks')
    .action(async (raw: string, options: StreamOptions) => {
      startPosition(options.start); // a malformed --start fails before any work
      await checkOutputPath(options.output);
      const { node, input } = nodeForInput(raw, options);
      const interrupt = new AbortController();
      let player: Player | null = null;
      let output: OggOutput | null = null;
      let reported = false;
      const reportInterrupted = (wrote: boolean): void => {
        if (reported) return;
        reported = true;
        process.stderr.write(`spence: interrupted; ${wrote ? `wrote ${describeOutput(output!)}` : 'nothing was sent, no file written'}\n`);
      };
      const onSigint = () => {
        if (interrupt.signal.aborted) {
          // A second Ctrl-C: quit without the rest of the clean-up, but never with a file cut
          // short: its last pages (a few KiB, the same finish() the first Ctrl-C started) are
          // written first. Standard output may have a reader that stopped reading: quit at once.
          const out = output;
          if (out === null || out.path === STDOUT) process.exit(INTERRUPTED);
          void out.finish().catch(() => false).then((wrote) => {
            reportInterrupted(wrote);
            process.exit(INTERRUPTED);
          });
          return;
        }
        interrupt.abort(new SpenceError(ErrorCodes.ABORTED, 'Interrupted (Ctrl-C)'));
        player?.destroy(); // no frame after this one: what was sent is what the file holds
      };
      process.on('SIGINT', onSigint);
      try {
        const result = await node.resolve(input, { signal: AbortSignal.any([interrupt.signal, AbortSignal.timeout(60_000)]) });
        const track = pickTrack(result);
        const startMs = startPosition(options.start, track);
        let info: OpusStreamInfo | null = null;
        // The node's opener, tapped for the stream header the Ogg writer needs.
        player = new Player({
          scheduler: node.scheduler,
          mode: options.realtime ? 'push' : 'pull',
          silenceFrames: 0,
          openTrack: async (t, open) => {
            const opened = await node.openTrack(t, open);
            info = opened.info;
            return opened;
          },
        });
        const out = new OggOutput(options.output, () => info!, { comments: { TITLE: track.title, ARTIST: track.author } });
        output = out;
        const progress = makeProgress(track);
        const done = waitForEnd(player, interrupt.signal);
        process.stderr.write(`spence: streaming ${track.author} - ${track.title} to ${options.output === STDOUT ? 'standard output' : options.output}\n`);
        let writeError: unknown = null;
        if (options.realtime) {
          // The writer copies the packet before write() returns: the frame's view is enough. A
          // failing output stops the player; it is thrown here, never inside the frame event.
          player.on('frame', ({ packet, silence }) => {
            if (silence || writeError !== null) return;
            try {
              out.write(packet.data);
              progress(out.durationMs);
            } catch (error) {
              writeError = error;
              player?.stop();
            }
          });
        }
        await player.load(track, { signal: interrupt.signal, ...(startMs ? { startMs } : {}) });
        if (options.realtime) {
          await done;
          if (writeError !== null) throw writeError;
        } else {
          let finished = false;
          void done.then(() => (finished = true), () => (finished = true));
          for (;;) {
            const packet = interrupt.signal.aborted ? null : player.readFrame();
            if (packet) {
              out.write(packet.data);
              await out.drained(); // the file's pace, not memory's
              progress(out.durationMs);
              continue;
            }
            if (finished || interrupt.signal.aborted) break;
            await new Promise((r) => setTimeout(r, 1));
          }
          await done;
        }
        if (interrupt.signal.aborted) throw interrupt.signal.reason;
        if (out.packets === 0) {
          throw new SpenceError(ErrorCodes.DEMUX, startMs ? `The track had no audio after --start ${startMs} (ms): it ends before that` : 'The track had no audio packets');
        }
        await out.finish();
        progress(out.durationMs, true);
        process.stderr.write(`spence: wrote ${describeOutput(out)}\n`);
      } catch (error) {
        // What was sent stays a valid file (ended on its last packet); nothing sent, no file.
        const wrote = await output?.finish().catch(() => false);
        if (!interrupt.signal.aborted) {
          if (wrote) process.stderr.write(`spence: wrote ${describeOutput(output!)} before the failure\n`);
          throw error;
        }
        reportInterrupted(wrote === true);
        throw new CliExit(INTERRUPTED);
      } finally {
        process.off('SIGINT', onSigint);
        player?.destroy();
        await node.destroy();
      }
    });
}

function describeOutput(out: OggOutput): string {
  return `${out.path === STDOUT ? 'standard output' : out.path}: ${out.packets} packets, ${formatDuration(out.durationMs)}`;
}

/** Resolves when the player's track ends or `signal` fires; rejects with the player's error. */
function waitForEnd(player: Player, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
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
