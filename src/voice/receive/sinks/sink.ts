/**
 * The sink interface: where a voice listener's session goes. A sink takes any of three forms of
 * the audio, per speaker and frame by frame on the session's timeline (20 ms frames counted from
 * when listening started, so frame `i` of every speaker is the same moment):
 *
 * - `opus`: each speaker's Opus packets as they were sent (no re-encoding), with runs of frames
 *   that had none: `silence` (nothing was sent) or `lost` (packets went missing);
 * - `pcm`: each speaker's audio decoded to 48 kHz 16-bit PCM, losses concealed;
 * - `mix`: everyone's decoded audio summed into one track.
 *
 * Decoding and mixing run on the transcoding worker pool, and only when some sink (or an
 * iterator) takes PCM or the mix. Every method is called on the main thread, in timeline order per
 * speaker; none may block. A method that throws, or a failure reported through
 * {@link SinkContext.fail}, detaches that sink (the listener calls nothing more on it and emits
 * `sinkError`); the other sinks go on.
 *
 * @module
 */

import type { RtcpPacket } from '../rtp.js';

/** One speaker's Opus on the timeline. The object is reused between calls: copy what you keep. */
export interface OpusFrame {
  /** The speaker's Discord user ID. */
  userId: string;
  /** The first 20 ms frame this covers, counted from the start of the session. */
  index: number;
  /** How many frames it covers (a 60 ms packet covers 3; a gap covers its length). */
  count: number;
  /** `audio`: a packet; `silence`: nothing was sent; `lost`: packets went missing. */
  kind: 'audio' | 'silence' | 'lost';
  /** The Opus packet for `audio` (valid during the call), null otherwise. */
  packet: Uint8Array | null;
}

/** What a decoded frame holds: a packet's audio, concealment of a lost one, or silence. */
export type PcmKind = 'audio' | 'concealed' | 'silence';

/**
 * One speaker's decoded audio: one 20 ms frame, or (for sinks) a run of `count` silent frames.
 * PCM is 48 kHz, 16-bit, interleaved, with the listener's channel count.
 */
export interface PcmFrame {
  userId: string;
  /** The frame's index on the session timeline (its time is `index * 20` ms). */
  index: number;
  /** 1, or for a run of silence given to a sink, its length in frames. */
  count: number;
  kind: PcmKind;
  /**
   * 960 samples per channel. For a silence run, one frame of zeros standing for each of the
   * `count` frames. Shared and reused: do not modify it, copy what you keep.
   */
  pcm: Int16Array;
  /** For `audio`: the clock time its packet arrived, ms (what the latency of a frame counts from). */
  arrivedAt: number | undefined;
}

/** The mix of every speaker: one frame, or a run of `count` frames where nobody made a sound. */
export interface MixFrame {
  index: number;
  /** 1, or the length of a silent run. */
  count: number;
  /** True when nobody made a sound in these frames (`pcm` is zeros). */
  silent: boolean;
  /** One 20 ms frame of the sum of every speaker's decoded PCM (clipped), or zeros for a silent run. */
  pcm: Int16Array;
}

/** What a sink is told when it is opened. */
export interface SinkContext {
  /** Channels of the PCM it will get (1 or 2). */
  readonly channels: 1 | 2;
  /** Reports a failure that happened outside a call (an asynchronous write): detaches the sink. */
  fail(error: unknown): void;
}

/** How a speaker's packets fared, in a session summary. */
export interface SpeakerSummary {
  userId: string;
  /** The SSRCs the speaker sent from (more than one after a reconnect). */
  ssrcs: number[];
  /** Packets placed on the timeline. */
  packets: number;
  duplicates: number;
  /** Packets that arrived after their frame was decided (dropped). */
  late: number;
  /** Sequence numbers that never arrived in time. */
  lost: number;
}

/** The end of a session, as sinks and `stop()` see it. */
export interface ReceiveSummary {
  /** The session's length in 20 ms frames: every speaker's track has exactly this many. */
  frames: number;
  /** `frames * 20`. */
  durationMs: number;
  speakers: SpeakerSummary[];
}

/**
 * A destination for a listener's session. Implement the methods for the forms you take; `close`
 * is required. See the module comment for the rules.
 */
export interface ReceiveSink {
  /** Called once, before anything else. */
  open?(context: SinkContext): void;
  /** A speaker's Opus: packets and gaps, in timeline order per speaker. */
  opus?(frame: OpusFrame): void;
  /** A speaker's decoded PCM, in timeline order per speaker. */
  pcm?(frame: PcmFrame): void;
  /** The mix, in timeline order. */
  mix?(frame: MixFrame): void;
  /** An RTCP packet (a sender or receiver report) from `userId` (undefined: an SSRC not announced). */
  rtcp?(packet: RtcpPacket, userId: string | undefined): void;
  /**
   * The session ended: every track has `summary.frames` frames. Write what is left and release
   * what you hold; the listener's `stop()` waits for the promise.
   */
  close(summary: ReceiveSummary): void | Promise<void>;
}
