/**
 * The scheduler bench's tracks: the conformance media of `../shared/media` in the layouts the
 * world's muxers write, made a few minutes long by the muxer that wrote each, so that the long
 * file has exactly that muxer's layout (its Cluster sizes, CRC-32 elements, Cues, page sizes):
 *
 * - `youtube`: `cues-front.webm` looped by ffmpeg with `-dash 1 -cues_to_front 1`, as it was made:
 *   Cues before the first Cluster, 5 s Clusters (YouTube's audio files).
 * - `ffmpeg`: `default.webm` looped by ffmpeg: CRC-32 elements in every Cluster, Cues at the end.
 * - `opusenc`: `opusenc.opus` decoded, looped and encoded again by opusenc with its options
 *   (`--bitrate 96`): one logical stream, ~1 s pages.
 * - `mkvmerge`: that long Ogg file through mkvmerge, as `mkvmerge.webm` was made: SimpleBlocks of
 *   3 to 8 laced packets, Cues at the end, 20832 ns timestamps.
 * - `bench`: the bench's own WebM (`_long-track.ts`: 1 s Clusters of SimpleBlocks, no Cues), the
 *   file the earlier rounds of docs/benchmarks.md measured.
 *
 * Building needs ffmpeg, opusdec/opusenc (opus-tools) and mkvmerge (mkvtoolnix), as
 * `fixtures/media/make-fixtures.sh` does; a bench is no runtime, and only the muxers themselves
 * write their layouts faithfully. The files are cached in a directory (by name and length), so
 * only the first run pays the ~10 s of encoding.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildTrackFile } from './_long-track.js';

/** The layouts, in the order the bench runs them. */
export const LAYOUT_NAMES = ['youtube', 'ffmpeg', 'mkvmerge', 'opusenc'] as const;
/** A layout name: one of {@link LAYOUT_NAMES}, or `bench` (the bench's own WebM). */
export type LayoutName = (typeof LAYOUT_NAMES)[number] | 'bench';

/** What each layout is, for the bench's header. */
export const LAYOUT_DESCRIPTIONS: Record<LayoutName, string> = {
  youtube: "YouTube's WebM (ffmpeg -dash 1 -cues_to_front 1: Cues first, 5 s Clusters)",
  ffmpeg: "ffmpeg's WebM (CRC-32 elements, Cues at the end)",
  mkvmerge: "mkvmerge's WebM (laced SimpleBlocks, Cues at the end)",
  opusenc: "opusenc's Ogg Opus (~1 s pages)",
  bench: "the bench's own WebM (1 s Clusters of SimpleBlocks, no Cues)",
};

const MEDIA = path.resolve('..', 'shared', 'media');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error !== undefined) throw new Error(`${command} could not run (${result.error.message}): the layouts need ffmpeg, opus-tools and mkvtoolnix`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr.toString().trim()}`);
}

const ffmpeg = (...args: string[]): void => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);

/**
 * The file of `layout`, about `seconds` long, built into `dir` unless it is there already.
 * @throws when `../shared/media` or a tool is missing.
 */
export function layoutFile(layout: LayoutName, seconds: number, dir: string): string {
  mkdirSync(dir, { recursive: true });
  if (layout === 'bench') return buildTrackFile(dir, seconds);
  if (!existsSync(MEDIA)) throw new Error(`${MEDIA} not found: the layouts are made from the shared conformance media`);
  // The conformance files are 30 s long.
  const loops = Math.max(0, Math.ceil(seconds / 30) - 1);
  const file = path.join(dir, `${layout}-${seconds}s.${layout === 'opusenc' ? 'opus' : 'webm'}`);
  if (existsSync(file)) return file;
  const partial = `${file}.part${path.extname(file)}`;
  const tmp = path.join(dir, `tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    switch (layout) {
      case 'youtube':
        ffmpeg('-stream_loop', String(loops), '-i', path.join(MEDIA, 'cues-front.webm'), '-c', 'copy', '-dash', '1', '-cues_to_front', '1', '-f', 'webm', partial);
        break;
      case 'ffmpeg':
        ffmpeg('-stream_loop', String(loops), '-i', path.join(MEDIA, 'default.webm'), '-c', 'copy', '-f', 'webm', partial);
        break;
      case 'mkvmerge':
        run('mkvmerge', ['--quiet', '-o', partial, '--webm', layoutFile('opusenc', seconds, dir)]);
        break;
      case 'opusenc': {
        // Decoded, looped and encoded again, as opusenc.opus was made (`--bitrate 96`, a title).
        const one = path.join(tmp, 'one.wav');
        const long = path.join(tmp, 'long.wav');
        run('opusdec', ['--quiet', '--rate', '48000', path.join(MEDIA, 'opusenc.opus'), one]);
        ffmpeg('-stream_loop', String(loops), '-i', one, '-c', 'copy', long);
        run('opusenc', ['--quiet', '--bitrate', '96', '--title', 'conformance', long, partial]);
        break;
      }
    }
    renameSync(partial, file);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
  return file;
}
