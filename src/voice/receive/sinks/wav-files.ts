/**
 * WAV files of the decoded audio: one per speaker ({@link wavFiles}) and one of everyone mixed
 * down ({@link mixWav}), 48 kHz 16-bit, written as the session goes. Silence is written as runs of
 * zeros, never held in memory; every file lasts as long as the session.
 *
 * @module
 */

import { FRAME_SAMPLES, SAMPLE_RATE } from '../../../transcode/pcm.js';
import { FileWriter } from './file-writer.js';
import { speakerPath, type SpeakerFileTarget } from './per-speaker.js';
import type { MixFrame, PcmFrame, ReceiveSink, ReceiveSummary, SinkContext } from './sink.js';
import { pcmBytes, wavHeader, wavSizePatches, WAV_HEADER_BYTES } from './wav.js';

/** A header for a length not known yet (patched at close). */
const UNKNOWN_LENGTH = 0xffffffff;

/** One WAV file: its header first, frames appended, sizes patched at close. */
class WavTrack {
  readonly #file: FileWriter;
  readonly #frameBytes: number;
  /** Frames written so far. */
  frames = 0;

  constructor(path: string, channels: number, onError: (error: unknown) => void) {
    this.#file = new FileWriter(path, onError);
    this.#file.write(wavHeader(channels, SAMPLE_RATE, UNKNOWN_LENGTH));
    this.#frameBytes = FRAME_SAMPLES * channels * 2;
  }

  /** Appends one frame of PCM, or `count` frames of silence. */
  append(pcm: Int16Array, count: number, silent: boolean): void {
    if (silent) this.#file.zeros(count * this.#frameBytes);
    else this.#file.write(pcmBytes(pcm));
    this.frames += count;
  }

  /** Pads with silence to `frames` frames and closes with the final sizes. */
  async close(frames: number): Promise<void> {
    if (frames > this.frames) this.append(EMPTY, frames - this.frames, true);
    await this.#file.close(wavSizePatches(this.#file.length - WAV_HEADER_BYTES));
  }
}

const EMPTY = new Int16Array(0);

/**
 * A sink writing each speaker's decoded audio to `<directory>/<user ID>.wav` (or the path `target`
 * gives), losses concealed by the Opus decoder.
 */
export function wavFiles(target: SpeakerFileTarget): ReceiveSink {
  return new WavFiles(speakerPath(target, 'wav'));
}

class WavFiles implements ReceiveSink {
  readonly #path: (userId: string) => string;
  readonly #tracks = new Map<string, WavTrack>();
  #context: SinkContext | null = null;

  constructor(path: (userId: string) => string) {
    this.#path = path;
  }

  open(context: SinkContext): void {
    this.#context = context;
  }

  pcm(frame: PcmFrame): void {
    let track = this.#tracks.get(frame.userId);
    if (track === undefined) {
      const context = this.#context!;
      track = new WavTrack(this.#path(frame.userId), context.channels, context.fail);
      this.#tracks.set(frame.userId, track);
    }
    track.append(frame.pcm, frame.count, frame.kind === 'silence');
  }

  async close(summary: ReceiveSummary): Promise<void> {
    const tracks = [...this.#tracks.values()];
    this.#tracks.clear();
    await Promise.all(tracks.map((track) => track.close(summary.frames)));
  }
}

/** A sink writing the mix of every speaker (their decoded audio summed, clipped) to one WAV file at `path`. */
export function mixWav(path: string): ReceiveSink {
  return new MixWav(path);
}

class MixWav implements ReceiveSink {
  readonly #path: string;
  #track: WavTrack | null = null;

  constructor(path: string) {
    this.#path = path;
  }

  open(context: SinkContext): void {
    // Created at once: the mix lasts the whole session even if nobody speaks.
    this.#track = new WavTrack(this.#path, context.channels, context.fail);
  }

  mix(frame: MixFrame): void {
    this.#track!.append(frame.pcm, frame.count, frame.silent);
  }

  async close(summary: ReceiveSummary): Promise<void> {
    await this.#track?.close(summary.frames);
  }
}
