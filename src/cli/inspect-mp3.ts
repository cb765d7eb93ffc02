/**
 * `spence inspect` for MP3, which `stream` and `resolve` play through the transcoding path:
 * the same walk as {@link inspectMedia}, over the MPEG audio frames the player would read.
 *
 * @module
 */

import type { FrameSizeCount } from '../demux/index.js';
import { Mp3Demuxer } from '../demux/mp3/mp3-demuxer.js';
import type { Mp3StreamInfo } from '../demux/types.js';
import { ErrorCodes, SpenceError, isSpenceError } from '../errors.js';

/** What {@link inspectMp3} reports. */
export interface Mp3Inspection {
  container: 'mp3';
  /** Sample rate and channels of the first frame; `durationMs` when a Xing/Info/VBRI header gives it. */
  info: Mp3StreamInfo;
  /** The stated duration (Xing/Info/VBRI) when there is one, else the frames' total. */
  durationMs: number;
  /** The sum of every audio frame's duration, in ms. */
  framesDurationMs: number;
  /** Number of audio frames (a Xing/Info header frame is not one). */
  frameCount: number;
  /** Bytes of MPEG audio frames. */
  frameBytes: number;
  /** Average bitrate in bits per second (0 when empty). */
  averageBitrate: number;
  /** Frame counts by duration, shortest first. */
  frameSizes: FrameSizeCount[];
}

/** Reads a whole MP3 stream and reports its frames. Rejects with `DEMUX` when it holds none. */
export async function inspectMp3(bytes: AsyncIterable<Uint8Array>): Promise<Mp3Inspection> {
  const framer = new Mp3Demuxer();
  const histogram = new Map<number, number>();
  let frameCount = 0;
  let frameBytes = 0;
  let framesDurationMs = 0;
  const count = (frames: { data: Uint8Array; durationMs: number }[]) => {
    for (const frame of frames) {
      frameCount++;
      frameBytes += frame.data.length;
      framesDurationMs += frame.durationMs;
      histogram.set(frame.durationMs, (histogram.get(frame.durationMs) ?? 0) + 1);
    }
  };
  try {
    for await (const chunk of bytes) count(framer.push(chunk));
  } catch (error) {
    if (isSpenceError(error)) throw error;
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Reading the file failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  count(framer.end());
  const info = framer.info!;
  return {
    container: 'mp3',
    info,
    durationMs: info.durationMs ?? framesDurationMs,
    framesDurationMs,
    frameCount,
    frameBytes,
    averageBitrate: framesDurationMs > 0 ? Math.round((frameBytes * 8 * 1000) / framesDurationMs) : 0,
    frameSizes: [...histogram].sort((a, b) => a[0] - b[0]).map(([durationMs, n]) => ({ durationMs, count: n })),
  };
}
