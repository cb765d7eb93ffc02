/**
 * `inspectMedia()`: reads a whole WebM or Ogg Opus file and reports what is in it; the engine
 * behind `spence inspect`.
 *
 * @module
 */

import { demux, type DemuxInput, type DemuxOptions } from './demux.js';
import { OggDemuxer } from './ogg/ogg-demuxer.js';
import type { OpusContainer, OpusStreamInfo } from './types.js';
import { WebmDemuxer } from './webm/webm-demuxer.js';

/** One bar of the frame-size histogram: how many packets last `durationMs`. */
export interface FrameSizeCount {
  /** Packet duration from its TOC (RFC 6716 §3.1), in ms: 2.5 to 120. */
  durationMs: number;
  /** Number of packets of that duration. */
  count: number;
}

/** What {@link inspectMedia} reports. */
export interface MediaInspection {
  /** `'webm'` or `'ogg'`. */
  container: OpusContainer;
  /** The Opus codec parameters (channels, pre-skip, input rate, gain, mapping family...). */
  info: OpusStreamInfo;
  /**
   * The playable duration in ms: the container's stated duration when it has one (Matroska
   * `Duration`), else the packets' total less pre-skip (and, for Ogg, the end trim).
   */
  durationMs: number;
  /** The sum of every packet's TOC duration, in ms (before pre-skip and end trimming). */
  packetsDurationMs: number;
  /** Number of Opus packets. */
  packetCount: number;
  /** Total bytes of Opus packet data. */
  packetBytes: number;
  /** Average Opus bitrate in bits per second, over {@link packetsDurationMs} (0 when empty). */
  averageBitrate: number;
  /** Packet counts by duration, shortest first. */
  frameSizes: FrameSizeCount[];
  /** True when the file has a seek index (WebM Cues); always false for Ogg, which has none. */
  hasCues: boolean;
  /** Number of seek points in the index (0 without one). */
  cuePointCount: number;
}

/** What {@link inspectMedia} reads: a whole file in memory, or any input {@link demux} takes. */
export type InspectInput = Uint8Array | DemuxInput;

/**
 * Reads a whole WebM/Matroska or Ogg Opus file (in memory, or streamed) and reports its container,
 * codec parameters, duration, packet count, frame-size histogram and whether it has Cues.
 * Rejects with `DEMUX` for input that is neither, `ABORTED` when `options.signal` fires.
 *
 * @example
 * ```ts
 * const report = await inspectMedia(await readFile('song.webm'));
 * console.log(report.container, report.info.channels, report.durationMs, report.frameSizes);
 * ```
 */
export async function inspectMedia(input: InspectInput, options: DemuxOptions & { mp3?: false } = {}): Promise<MediaInspection> {
  const stream = demux(input instanceof Uint8Array ? chunksOf(input) : input, options);
  const histogram = new Map<number, number>();
  let packetCount = 0;
  let packetBytes = 0;
  let packetsDurationMs = 0;
  for await (const packet of stream) {
    packetCount++;
    packetBytes += packet.data.length;
    packetsDurationMs += packet.durationMs;
    histogram.set(packet.durationMs, (histogram.get(packet.durationMs) ?? 0) + 1);
  }
  const info = await stream.info();
  const demuxer = stream.demuxer;
  const cues = demuxer instanceof WebmDemuxer ? demuxer.cues : null;
  const endTrimMs = demuxer instanceof OggDemuxer ? demuxer.endTrimSamples / 48 : 0;
  const durationMs = info.durationMs ?? Math.max(0, packetsDurationMs - info.preSkip / 48 - endTrimMs);
  return {
    container: info.container,
    info,
    durationMs,
    packetsDurationMs,
    packetCount,
    packetBytes,
    averageBitrate: packetsDurationMs > 0 ? Math.round((packetBytes * 8 * 1000) / packetsDurationMs) : 0,
    frameSizes: [...histogram].sort((a, b) => a[0] - b[0]).map(([d, count]) => ({ durationMs: d, count })),
    hasCues: cues !== null && cues.length > 0,
    cuePointCount: cues?.length ?? 0,
  };
}

/** Feeds an in-memory file in 64 KiB views (no copies), as a stream would arrive. */
async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += 65_536) yield bytes.subarray(offset, offset + 65_536);
}
