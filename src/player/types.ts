/**
 * Types of the player: the seam to the track opener, statuses, events, options and snapshots.
 *
 * @module
 */

import type { SpenceError } from '../errors.js';
import type { DemuxDamage, Mp3StreamInfo, OpusPacket, OpusStreamInfo, PacketSink } from '../demux/types.js';
import type { Track } from '../resolve/track.js';

/**
 * Opens a track's audio as Opus packets, starting at or before `startMs` (a cluster boundary, say;
 * from the start when omitted). The player drops the packets before the position it wants, so
 * the opener need not be exact. Reject with a {@link SpenceError} (`ABORTED` when `signal` fired).
 * The node's opener is `Node.openTrack`; a hand-written one may return a {@link PacketTrack}.
 */
export type TrackOpener = (track: Track, options: TrackOpenOptions) => Promise<OpenedTrack>;

/** The options a {@link TrackOpener} receives. */
export interface TrackOpenOptions {
  /** Fires when the player no longer wants this track (stop, seek, replace, destroy). */
  signal: AbortSignal;
  /** Where the player wants to start, in ms from the track's start; omitted for the start. */
  startMs?: number;
  /**
   * Called for each stretch of damaged media the demuxer skipped to find its place again (see
   * {@link DemuxDamage}); the player reports them as its `damage` event. Optional to call.
   */
  onDamage?: (damage: DemuxDamage) => void;
}

/**
 * Where {@link FillTrack.fill} puts packets: a {@link PacketSink} that may also lend the opener
 * the memory to read media bytes into.
 */
export interface FillTarget extends PacketSink {
  /**
   * Optional: a buffer to read the next media bytes into (when the media can read into a given
   * buffer), instead of one of the opener's own; the demuxed packets then reach `packet()` as
   * views of the target's own memory. The opener may keep using it until it asks for another.
   * `pending`: bytes the opener holds already (a page or block the last read cut) that will come
   * out as packets with this read's: the target is that much smaller, so what a fill brings fits.
   */
  readBuffer?(pending?: number): Uint8Array;
}

/** What every opened track has, whichever way its packets are pulled. */
export interface OpenedTrackInfo {
  /**
   * The parameters of the Opus stream the player delivers, known before the first packet. For an
   * MP3 source, those of the transcoded output (stereo, no pre-skip; `container` is `'ogg'`, the
   * container such a stream is written to), with the source's in {@link sourceInfo}.
   */
  info: OpusStreamInfo;
  /**
   * The source codec: `'opus'` (the default when absent: the packets are Opus packets) or `'mp3'`
   * (the packets are MPEG audio frames with their times; the player transcodes them to Opus).
   */
  codec?: 'opus' | 'mp3';
  /** The MP3 source's parameters, when {@link codec} is `'mp3'`. */
  sourceInfo?: Mp3StreamInfo;
  /**
   * Optional: since when (on the player's clock) a read has been waiting on I/O without getting
   * bytes at a useful rate; null while none is (`TrackMedia.waitingSince`). The stuck watchdog
   * leaves a source that waits on I/O to its fetcher's own budgets until it has waited that long.
   */
  readonly waitingSince?: number | null;
  /**
   * Optional: the media's length in bytes, when known. With the track's duration it gives the
   * bitrate the player sizes its read-ahead's memory for, once, rather than growing it as it plays.
   */
  readonly byteLength?: number | null;
  /** Releases the source (aborts the fetch). Called once, whenever the player is done with it. */
  close(): void;
}

/**
 * An opened track the player pulls by {@link fill}: the one pull path from an opener to a player
 * (the node's opener has it; see `docs/players.md`).
 */
export interface FillTrack extends OpenedTrackInfo {
  /**
   * Demuxes the next piece of the media straight into `sink` (each packet's bytes are valid only
   * during `sink.packet()`, which copies them into the player's read-ahead) and resolves `true`,
   * or `false` at the end of the track (after its last packets). Zero or more packets per call,
   * with `timestampMs` from the track's start, strictly increasing. Called one at a time, only
   * while the player's read-ahead is below its bound (not calling is the backpressure to the byte
   * source), so the bound is exceeded by at most one call's packets. A rejection fails the track,
   * after the packets given to `sink` before it.
   */
  fill(sink: FillTarget): Promise<boolean>;
}

/**
 * An opened track that has only a packet iterator: what a hand-written opener may return. The
 * player pulls it through an adapter (one `next()` per packet), the same way as {@link FillTrack}.
 */
export interface PacketTrack extends OpenedTrackInfo {
  /**
   * The packets in order, with `timestampMs` from the track's start (strictly increasing), pulled
   * one `next()` at a time while the read-ahead is below its bound. A rejected `next()` fails the
   * track.
   */
  packets: AsyncIterator<OpusPacket>;
  fill?: undefined;
}

/** An opened track, as a {@link TrackOpener} returns it. */
export type OpenedTrack = FillTrack | PacketTrack;

/**
 * A player's status:
 * - `idle`: no track (initially, and after `stop()`).
 * - `loading`: the track is being opened.
 * - `buffering`: opened, and filling the prebuffer (first start, after a seek, or after an underrun).
 * - `playing`: packets are being delivered.
 * - `paused`: a track is loaded and held; nothing is delivered (apart from the trailing silence).
 * - `ended`: the track played to its end and nothing was preloaded.
 * - `errored`: the track failed to open or to read, or got stuck; see {@link ErroredState.error}.
 */
export type PlayerStatus = 'idle' | 'loading' | 'buffering' | 'playing' | 'paused' | 'ended' | 'errored';

/** No track: initially, after `stop()`, after `destroy()`. */
export interface IdleState {
  readonly status: 'idle';
  readonly track: null;
  readonly error?: undefined;
}

/** The track is being opened (`load`, `seek`, `restore`). */
export interface LoadingState {
  readonly status: 'loading';
  readonly track: Track;
  readonly error?: undefined;
}

/** Opened, filling the prebuffer before packets go out. */
export interface BufferingState {
  readonly status: 'buffering';
  readonly track: Track;
  /** `'start'`: the first prebuffer after a load, seek or restore; `'underrun'`: it ran dry while playing. */
  readonly reason: 'start' | 'underrun';
  readonly error?: undefined;
}

/** Packets are being delivered. */
export interface PlayingState {
  readonly status: 'playing';
  readonly track: Track;
  readonly error?: undefined;
}

/** A track is loaded and held: nothing is delivered but the trailing silence. */
export interface PausedState {
  readonly status: 'paused';
  readonly track: Track;
  readonly error?: undefined;
}

/** The track played to its end and nothing was preloaded. */
export interface EndedState {
  readonly status: 'ended';
  readonly track: Track;
  readonly error?: undefined;
}

/** The track failed to open or to read, or got stuck (see the `trackStuck` event). */
export interface ErroredState {
  readonly status: 'errored';
  readonly track: Track;
  /** The failure (`STUCK` for a stuck track). */
  readonly error: SpenceError;
}

/**
 * A player's state, as `stateChange` reports it: one of the statuses with what it carries
 * (narrow on `status`). A new object on every change of status or track.
 */
export type PlayerState = IdleState | LoadingState | BufferingState | PlayingState | PausedState | EndedState | ErroredState;

/** How packets leave a player. See `docs/players.md`. */
export type PlayerMode = 'push' | 'pull' | 'stream';

/**
 * Why a track ended. As Lavalink's: a bot starts the next track after `finished` and `loadFailed`
 * (a track that failed, or got stuck), not after the others.
 */
export type TrackEndReason = 'finished' | 'stopped' | 'replaced' | 'loadFailed' | 'cleanup';

/** The third argument of `trackEnd`: how far the track got, and how far it should have. */
export interface TrackEndDetails {
  /**
   * How far into the track playback got, in ms: for `finished` the end of its last packet; else
   * the position when it ended (the next packet's timestamp).
   */
  positionMs: number;
  /**
   * The duration the track declared, in ms: the container's, else the track's metadata; `null`
   * when unknown (a live stream, a file that does not say).
   */
  expectedMs: number | null;
  /**
   * True when a `finished` track ended more than {@link SHORT_TRACK_TOLERANCE_MS} before
   * `expectedMs`: the media was cut short (or damaged) and the listener heard less than the
   * track's length.
   */
  short: boolean;
  /** The failure, for `loadFailed` (also in the state and the `error` event). */
  error?: SpenceError;
}

/** How much shorter than declared a finished track may be before `trackEnd` calls it short. */
export const SHORT_TRACK_TOLERANCE_MS = 1000;

/** The payload of the `trackStuck` event (Lavalink's `TrackStuckEvent`). */
export interface TrackStuckEvent {
  /** How long the player had been due frames and delivered none (`PlayerOptions.stuckThresholdMs`). */
  thresholdMs: number;
  /** The position it was stuck at, in ms. */
  positionMs: number;
}

/** The payload of the `damage` event: a stretch of the media the demuxer could not read and skipped. */
export interface TrackDamageEvent extends DemuxDamage {
  /** The track it is in. */
  track: Track;
}

/**
 * The payload of the `frame` event. **Valid inside the listener only**: one object (and one
 * packet object) serves every frame of every player, filled in for each, so that a frame costs no
 * allocation and no cache miss: read its fields there, and copy what you keep.
 */
export interface FrameEvent {
  /**
   * The packet to send. For trailing silence, `OPUS_SILENCE_FRAME` (F8 FF FE). Like the event,
   * **valid inside the listener only**: its `data` is a view of the player's read-ahead buffer,
   * which later packets overwrite (a `SharedArrayBuffer`: see `docs/players.md`, Buffering). Send
   * it (or encrypt it) there, or copy the bytes you keep (`Buffer.from(packet.data)`). This is what lets one
   * process push thousands of players: no allocation per frame beyond that view. Pull mode
   * (`readFrame()`) and stream mode give packets whose bytes are their own.
   */
  packet: OpusPacket;
  /** The packet's index in the track's sequence (see `docs/players.md`); -1 for silence. */
  frameIndex: number;
  /** True for the trailing silence frames after pause, stop and end. */
  silence: boolean;
  /** The absolute clock time (ms) the packet was due. */
  deadline: number;
  /** The clock time the packet was handed to the listeners (`sentAt - deadline` is the lateness). */
  sentAt: number;
  /** The track the packet belongs to (the last track, for trailing silence). */
  track: Track | null;
}

/** The payload of the `underrun` event, emitted when playback resumes after running dry. */
export interface UnderrunEvent {
  /** The track that ran dry. */
  track: Track;
  /** The clock time of the first deadline (or read) that found no packet. */
  startedAt: number;
  /** How long playback waited for data, in ms (until the packet that resumes it is due). */
  durationMs: number;
  /** How many frame slots went without a packet: `ceil(durationMs / last packet duration)`. */
  frames: number;
  /** The position at which it ran dry, in ms. */
  positionMs: number;
}

/** The payload of the `stall` event (see `FrameSchedulerOptions.stallThresholdMs`). */
export interface StallEvent {
  /** How late the deadline was when the scheduler got to it, in ms. */
  lateMs: number;
  /** The frame slots skipped by the rebase. */
  skippedFrames: number;
}

/** The events a player emits, with their arguments. */
export interface PlayerEvents {
  /** The state changed (its status or its track): old state, new state. */
  stateChange: [oldState: PlayerState, newState: PlayerState];
  /** Push mode: a packet is due now. The payload object is reused; see {@link FrameEvent}. */
  frame: [event: FrameEvent];
  /** A track's first packet is being delivered. */
  trackStart: [track: Track];
  /**
   * A track ended; every `load()` (and every preloaded track that became current) ends exactly
   * once. `details` says how far it got (and whether a finished track was cut short).
   */
  trackEnd: [track: Track, reason: TrackEndReason, details: TrackEndDetails];
  /**
   * The player was due frames and delivered none for `stuckThresholdMs` (a source that stopped
   * or trickles, a transcoder that cannot keep up): the track then ends `loadFailed` with a
   * `STUCK` error, so the bot can skip it (Lavalink's TrackStuckEvent, then TrackEndEvent).
   */
  trackStuck: [track: Track, event: TrackStuckEvent];
  /** The demuxer skipped a damaged stretch of the media (and found its place again). */
  damage: [event: TrackDamageEvent];
  /** Playback ran dry and has now resumed. */
  underrun: [event: UnderrunEvent];
  /** The scheduler rebased this player after an event-loop stall. */
  stall: [event: StallEvent];
  /**
   * The link to the connected output ended: its connection was closed for good (close code 4014:
   * kicked, or the channel deleted) or destroyed. The player is disconnected by then; it plays on
   * with no output, as a player never connected does: pause it, connect it again or destroy it.
   */
  voiceClose: [event: VoiceCloseEvent];
  /** A failure (open or read). Emitted only when there is a listener; the state keeps it too. */
  error: [error: SpenceError];
}

/** Options for `Player.connect()`. */
export interface ConnectOptions {
  /**
   * While the output is not ready, drop the frames that fall due (the track goes on at its pace)
   * instead of holding the position. For live sources. Default false.
   */
  realtime?: boolean;
}

/** The payload of the `voiceClose` event: the connected output's link ended (see `VoiceOutputStatus`). */
export interface VoiceCloseEvent {
  /** The voice gateway close code, when the voice server closed the connection (4014: kicked, or the channel deleted). */
  code?: number;
  /** Why, in words: Discord's reason for the code, else what ended the link. */
  reason: string;
}

/**
 * A player's frame counters while connected to an output, cumulative (Lavalink's `frameStats` are
 * these per minute).
 */
export interface PlayerFrameStats {
  /** Frames prepared on the output (audio and trailing silence). */
  sent: number;
  /** Frame slots with nothing ready to send while playing (underruns), counted when playback resumes. */
  nulled: number;
  /** Frame slots due while the output was not ready (held, or dropped with `realtime`). */
  deficit: number;
}

/** A JSON-able record of where a player is; see `Player.snapshot()` and `Player.restore()`. */
export interface PlayerSnapshot {
  /** The snapshot format version: 1. */
  version: 1;
  /** The track's `encoded` string. */
  track: string;
  /** The frame index of the next packet. */
  frameIndex: number;
  /** The position in ms: the next packet's timestamp. */
  positionMs: number;
  /** The status when taken (`playing`, `paused`, ...); restore resumes paused when `paused`. */
  status: PlayerStatus;
  /** The next packet's timestamp as the container gave it, when it was buffered. */
  nextTimestampMs?: number;
  /** The last delivered packet's timestamp as the container gave it, when there was one. */
  lastTimestampMs?: number;
}

/** Options common to the player's async methods. */
export interface SignalOptions {
  /** Aborts the operation; the promise rejects with an `ABORTED` SpenceError. */
  signal?: AbortSignal;
}

/** Options for `Player.load()`. */
export interface LoadOptions extends SignalOptions {
  /** Start at this position (ms) instead of the beginning; lands on the packet containing it. */
  startMs?: number;
  /** Load and prebuffer, but stay `paused` instead of starting. Default false. */
  paused?: boolean;
}
