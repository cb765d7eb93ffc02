/**
 * One Ogg Opus file per speaker, written as the session goes: each speaker's packets as they were
 * sent (no re-encoding) through spence's Ogg writer, with the Opus silence frame for every frame
 * that had no packet (nothing sent, or lost), so every file starts at the session's start and
 * lasts as long as the session. Granule positions are the session's timeline in 48 kHz samples
 * (pre-skip 0: sample `n` of every file is the same moment).
 *
 * @module
 */

import { OggOpusWriter } from '../../../demux/ogg/ogg-writer.js';
import { OPUS_SILENCE_FRAME } from '../../../demux/opus.js';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../../transcode/pcm.js';
import { FileWriter } from './file-writer.js';
import { speakerPath, type SpeakerFileTarget } from './per-speaker.js';
import type { OpusFrame, ReceiveSink, ReceiveSummary, SinkContext } from './sink.js';

interface Track {
  writer: OggOpusWriter;
  file: FileWriter;
}

/**
 * A sink writing `<directory>/<user ID>.ogg` (or the path `target` gives) for every speaker.
 *
 * @example
 * ```ts
 * const listener = node.listen(connection, { sinks: [oggFiles('./recording')] });
 * ```
 */
export function oggFiles(target: SpeakerFileTarget): ReceiveSink {
  return new OggFiles(speakerPath(target, 'ogg'));
}

class OggFiles implements ReceiveSink {
  readonly #path: (userId: string) => string;
  readonly #tracks = new Map<string, Track>();
  #fail: (error: unknown) => void = () => {};

  constructor(path: (userId: string) => string) {
    this.#path = path;
  }

  open(context: SinkContext): void {
    this.#fail = context.fail;
  }

  opus(frame: OpusFrame): void {
    const track = this.#track(frame.userId);
    if (frame.kind === 'audio') {
      write(track, track.writer.write(frame.packet!));
      return;
    }
    for (let i = 0; i < frame.count; i++) write(track, track.writer.write(OPUS_SILENCE_FRAME));
  }

  async close(summary: ReceiveSummary): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const track of this.#tracks.values()) {
      // The last packet may run past the session's end (a 60 ms packet): the end granule trims it.
      write(track, track.writer.end({ totalSamples: summary.frames * FRAME_SAMPLES }));
      closing.push(track.file.close());
    }
    this.#tracks.clear();
    await Promise.all(closing);
  }

  #track(userId: string): Track {
    let track = this.#tracks.get(userId);
    if (track === undefined) {
      const writer = new OggOpusWriter({ channels: 2, preSkip: 0, inputSampleRate: SAMPLE_RATE }, { comments: { DISCORD_USER_ID: userId } });
      track = { writer, file: new FileWriter(this.#path(userId), this.#fail) };
      this.#tracks.set(userId, track);
    }
    return track;
  }
}

function write(track: Track, pages: Uint8Array[]): void {
  for (const page of pages) track.file.write(page);
}
