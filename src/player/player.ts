/**
 * The player: the handle a bot holds. It checks what it is given, and hands the work to its
 * {@link Playback} (the state machine: tracks, statuses, buffering, the stuck watchdog) and its
 * {@link Delivery} (when and where packets go: push `frame` events and a connected output on the
 * shared {@link FrameScheduler}, pull `readFrame()`, or `stream()`).
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import type { OpusPacket } from '../demux/types.js';
import type { Track } from '../resolve/track.js';
import { validateFilters, validateVolume } from '../transcode/filters/validate.js';
import type { FilterSettings } from '../transcode/filters/types.js';
import type { EncoderOptions } from '../transcode/encode/backends.js';
import type { TranscodePool } from '../transcode/pool/worker-pool.js';
import { createDiscordJsOutput, isDiscordJsConnection, type DiscordJsVoiceConnection } from '../voice/discordjs-output.js';
import { isTerminal, type VoiceOutput } from '../voice/output.js';
import {
  checkBoolean,
  checkMs,
  checkOptions,
  checkSignal,
  checkSnapshot,
  checkTrack,
  nonNegative,
  positive,
} from './arguments.js';
import type { Clock } from './clock.js';
import { ConnectedOutput } from './connected-output.js';
import { Delivery } from './delivery.js';
import { EventQueue } from './events.js';
import { FrameEmitter } from './frame-emitter.js';
import { Playback } from './playback.js';
import type { PlayerStream, PlayerStreamOptions } from './player-stream.js';
import type { FrameScheduler } from './scheduler.js';
import type { StartRule, TranscodeContext } from './source.js';
import { IDENTITY_SETTINGS, type AudioSettings, type TranscoderFactory } from './transcode-stage.js';
import type {
  ConnectOptions,
  LoadOptions,
  PlayerFrameStats,
  PlayerMode,
  PlayerSnapshot,
  PlayerState,
  PlayerStatus,
  SignalOptions,
  TrackOpener,
} from './types.js';

/** Options for {@link Player}. */
export interface PlayerOptions {
  /** The scheduler that drives push mode (one per node, shared by every player). */
  scheduler: FrameScheduler;
  /** Opens tracks as packets. */
  openTrack: TrackOpener;
  /** The clock; must be the scheduler's (the default). */
  clock?: Clock;
  /** `'push'` (default: `frame` events on deadlines) or `'pull'` (`readFrame()`). `stream()` switches to `'stream'`. */
  mode?: 'push' | 'pull';
  /** Read-ahead bound, in ms of audio (default 3000). Memory per player is bounded by this. */
  readAheadMs?: number;
  /** Audio buffered before a track starts or a seek lands (default 200 ms, capped at `readAheadMs`). */
  prebufferMs?: number;
  /** Audio buffered before playback resumes after an underrun (default: `prebufferMs`). */
  rebufferMs?: number;
  /** Silence frames (F8 FF FE) sent after pause, stop and end, in push, pull and stream modes (default 5). */
  silenceFrames?: number;
  /**
   * How long (ms) the player may be due frames (loading or buffering, not paused) and deliver
   * none before it reports the track stuck (`trackStuck`) and fails it (`trackEnd: loadFailed`,
   * error `STUCK`). Default 10000, as Lavalink's `trackStuckThresholdMs`; `Infinity` turns it off.
   */
  stuckThresholdMs?: number;
  /** The transcoding path (MP3 sources, volume, filters); see {@link PlayerTranscodeOptions}. */
  transcode?: PlayerTranscodeOptions;
  /**
   * Called once when the player is destroyed (by {@link Player.destroy}, whoever calls it): how
   * the player's owner (a `Node`) learns that it is gone.
   */
  onDestroy?: (player: Player) => void;
}

/**
 * Where and how a player transcodes. Nothing here costs anything until a track needs it (an MP3
 * source, or a volume other than 1 or a filter): Opus passthrough creates no transcoder.
 */
export interface PlayerTranscodeOptions {
  /**
   * The worker pool (or a function returning it, called when the first transcoder is created).
   * Default: the process-wide `defaultTranscodePool()`; a node passes its own.
   */
  pool?: TranscodePool | (() => TranscodePool);
  /** Transcode on the calling thread when frames are read (tests, tools); default false. */
  inline?: boolean;
  /** Encoded packets kept ready ahead of the reader (the latency of a volume or filter change); default 4. */
  leadFrames?: number;
  /** Encoder backend, bitrate, complexity. */
  encoder?: EncoderOptions;
  /** Replaces how transcoders are created (tests). */
  create?: TranscoderFactory;
}

/** The default encoded lead: 80 ms, within the 3–5 frames the transcoder's notes advise. */
const DEFAULT_LEAD_FRAMES = 4;
/** Lavalink's default `trackStuckThresholdMs`. */
const DEFAULT_STUCK_THRESHOLD_MS = 10_000;

const NOT_AN_OUTPUT = 'connect() takes a @discordjs/voice VoiceConnection, or an output with prepare(frame) and dispatch() (see VoiceOutput)';

function invalid(message: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_ARGUMENT, message, { source: 'player' });
}

/**
 * Plays tracks as Opus packets on exact deadlines.
 *
 * Frame index: the index of the packet in the track's packet sequence as delivered by this player:
 * 0 for the track's first packet, +1 per packet. After a seek it keeps counting from where it was
 * (it is a sequence number; `position` is the time), and `restore()` carries it over, so the same
 * bytes and the same calls give the same packets at the same frame indices.
 *
 * @example
 * ```ts
 * const player = node.createPlayer();
 * player.on('frame', ({ packet }) => udp.send(packet.data));
 * await player.load(track);
 * ```
 */
export class Player extends FrameEmitter {
  /** The scheduler driving this player in push mode. */
  readonly scheduler: FrameScheduler;
  /** The clock (the scheduler's). */
  readonly clock: Clock;
  readonly #playback: Playback;
  readonly #delivery: Delivery;
  readonly #onDestroy: ((player: Player) => void) | undefined;
  /** The sources' view of the transcoding options, and the volume and filters in force (`settings`). */
  readonly #transcode: TranscodeContext;
  #destroyed = false;

  /** @throws SpenceError `INVALID_ARGUMENT` for options it cannot use, named. */
  constructor(options: PlayerOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw invalid('Player options must be an object');
    const { scheduler } = options;
    if (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.schedule !== 'function') {
      throw invalid('options.scheduler must be a FrameScheduler');
    }
    if (typeof options.openTrack !== 'function') throw invalid('options.openTrack must be a function (a TrackOpener)');
    if (options.clock !== undefined && options.clock !== scheduler.clock) {
      throw invalid('The player must use its scheduler’s clock');
    }
    const mode = options.mode ?? 'push';
    if (mode !== 'push' && mode !== 'pull') throw invalid(`options.mode must be 'push' or 'pull' (stream() switches to 'stream'), not ${String(mode)}`);
    if (options.onDestroy !== undefined && typeof options.onDestroy !== 'function') throw invalid('options.onDestroy must be a function');
    const readAheadMs = positive(options.readAheadMs ?? 3000, 'readAheadMs');
    const prebufferMs = Math.min(nonNegative(options.prebufferMs ?? 200, 'prebufferMs'), readAheadMs);
    const rebufferMs = Math.min(nonNegative(options.rebufferMs ?? prebufferMs, 'rebufferMs'), readAheadMs);
    const silenceFrames = Math.floor(nonNegative(options.silenceFrames ?? 5, 'silenceFrames'));
    const stuck = options.stuckThresholdMs ?? DEFAULT_STUCK_THRESHOLD_MS;
    if (typeof stuck !== 'number' || !(stuck > 0)) throw invalid(`stuckThresholdMs must be a number of ms > 0 (Infinity: off), not ${String(stuck)}`);
    this.scheduler = scheduler;
    this.clock = scheduler.clock;
    this.#onDestroy = options.onDestroy;
    this.#transcode = transcodeContext(options.transcode);
    const events = new EventQueue(this);
    this.#delivery = new Delivery({ scheduler, mode, silenceFrames, events, emitter: this });
    this.#playback = new Playback({
      open: options.openTrack,
      clock: scheduler.clock,
      delivery: this.#delivery,
      events,
      readAheadUs: readAheadMs * 1000,
      prebufferUs: prebufferMs * 1000,
      rebufferUs: rebufferMs * 1000,
      stuckThresholdMs: stuck,
      transcode: this.#transcode,
      starts: scheduler.starts,
    });
  }

  // ---------------------------------------------------------------- state

  /** The current state (a new object on each change of status or track); narrow on `status`. */
  get state(): PlayerState {
    return this.#playback.state;
  }

  /** The current status; see {@link PlayerStatus}. */
  get status(): PlayerStatus {
    return this.#playback.state.status;
  }

  /** The current track, or `null`. */
  get track(): Track | null {
    return this.#playback.current?.track ?? null;
  }

  /** The delivery mode: `'push'`, `'pull'` or `'stream'`. */
  get mode(): PlayerMode {
    return this.#delivery.mode;
  }

  /** True when packets are being delivered (status `playing`). */
  isPlaying(): boolean {
    return this.#playback.playing;
  }

  /** True once {@link destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * The position in the current track in ms: the timestamp of the next packet to be delivered
   * (exact to the frame). 0 when there is no track.
   */
  get position(): number {
    return this.#playback.position;
  }

  /** The frame index of the next packet of the current track (0 when there is no track). */
  get frameIndex(): number {
    return this.#playback.current?.nextFrameIndex ?? 0;
  }

  /**
   * The volume: 0..10, linear, 1 = unchanged (the transcoder's scale; Lavalink's player volume 0–1000
   * divided by 100). At 1 with no filter, Opus tracks pass through untouched.
   */
  get volume(): number {
    return this.#transcode.settings.volume;
  }

  /** The filters in force (Lavalink v4's `filters` object, validated); `{}` when none. */
  get filters(): FilterSettings {
    return this.#transcode.settings.filters;
  }

  /** True while the current track's packets come out of a transcoder (MP3, or volume/filters on). */
  get transcoding(): boolean {
    return this.#playback.current?.transcoding ?? false;
  }

  /** Milliseconds of audio buffered ahead for the current track. */
  get bufferedMs(): number {
    return (this.#playback.current?.bufferedUs ?? 0) / 1000;
  }

  /** The output the player sends through (the one given to {@link connect}, or the one it made over the connection given), or null. */
  get output(): VoiceOutput | null {
    return this.#delivery.output;
  }

  // ---------------------------------------------------------------- commands

  /**
   * Loads `track` (ending the current one with `replaced`) and starts it once `prebufferMs` of
   * audio is buffered (or stays `paused` with `{ paused: true }`). Resolves when it starts (or is
   * ready, paused), or when another call (load, stop, destroy) ends it first (`trackEnd` says
   * which), or when there is nothing to play from `startMs` (past the end: the track ends
   * `finished`). Rejects with the open or read error (the track ends with `loadFailed`), or
   * `ABORTED` when its own signal fires before it starts (the track ends with `stopped`).
   *
   * @throws SpenceError `INVALID_ARGUMENT` (not a track, bad options), `INVALID_STATE` (destroyed).
   */
  load(track: Track, options?: LoadOptions): Promise<void> {
    // Not async: the playback's promise itself, not one more around it (thousands of players
    // loaded at once each hold theirs until they start).
    try {
      this.#assertAlive();
      const { startMs, paused, signal } = this.#loadOptions(options);
      const rule: StartRule = startMs === undefined ? { kind: 'start' } : { kind: 'seek', ms: checkMs(startMs) };
      return this.#playback.begin(checkTrack(track), rule, 0, paused ?? false, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * With a track: `load(track)` and play. Without: resumes a paused player (like {@link resume}).
   */
  async play(track?: Track, options?: SignalOptions): Promise<void> {
    this.#assertAlive();
    const signal = checkSignal(checkOptions(options, 'play').signal);
    if (track !== undefined) return this.load(track, { ...(signal !== undefined && { signal }), paused: false });
    this.resume();
  }

  /**
   * Sets the volume: 0..10, linear, 1 = unchanged (0.5 is −6.02 dB; Lavalink's 0–1000 divided by
   * 100). Applies to the current and preloaded tracks and to later ones. Moving away from 1 (with
   * no filters) switches an Opus track to the transcoding path seamlessly, about 100 ms later;
   * back to 1, it returns to passthrough the same way. Changes are ramped over 20 ms.
   *
   * @throws SpenceError `INVALID_ARGUMENT` outside 0..10.
   */
  setVolume(volume: number): void {
    this.#assertAlive();
    const v = validateVolume(volume);
    if (v === this.#transcode.settings.volume) return;
    this.#applySettings({ volume: v, filters: this.#transcode.settings.filters });
  }

  /**
   * Replaces every filter with Lavalink v4's `filters` object (`equalizer`, `karaoke`,
   * `timescale`, `tremolo`, `vibrato`, `rotation`, `distortion`, `channelMix`, `lowPass`,
   * `volume`): absent means off, `{}` clears them. Crossfaded over one frame; switching between
   * passthrough and transcoding as with {@link setVolume}. A timescale, once on, keeps the track on
   * the transcoding path until it ends (the source position no longer falls on packet starts).
   *
   * @throws SpenceError `INVALID_ARGUMENT` naming the field and its range.
   */
  setFilters(filters: FilterSettings): void {
    this.#assertAlive();
    this.#applySettings({ volume: this.#transcode.settings.volume, filters: validateFilters(filters) });
  }

  /** A listener was added or removed: the delivery looks its `frame` listeners up again. @internal */
  protected override framesChanged(): void {
    this.#delivery.framesChanged();
  }

  #applySettings(settings: AudioSettings): void {
    this.#transcode.settings = settings;
    this.#playback.applySettings(settings);
  }

  /** Pauses delivery at the next frame boundary; trailing silence follows. False if there was nothing to pause. */
  pause(): boolean {
    this.#assertAlive();
    return this.#playback.pause();
  }

  /** Resumes a paused player at the next free frame slot. False if it was not paused. */
  resume(): boolean {
    this.#assertAlive();
    return this.#playback.resume();
  }

  /**
   * Stops: the track ends with `stopped`, the preloaded track is dropped, trailing silence follows
   * and the status becomes `idle`. False if there was no track.
   */
  stop(): boolean {
    this.#assertAlive();
    return this.#playback.stop();
  }

  /**
   * Moves to `ms` in the current track: reopens the track there and lands on the packet that
   * contains `ms` (`position` becomes that packet's timestamp). Keeps playing or paused as it
   * was; the frame index keeps counting. Past the end of the track (there is no packet from
   * `ms` on), the track ends `finished`, as Lavalink's does, and the promise resolves. Rejects
   * `INVALID_STATE` for an unseekable track or none, `INVALID_ARGUMENT` for a bad position. If the
   * signal fires, the track is stopped.
   */
  async seek(ms: number, options?: SignalOptions): Promise<void> {
    this.#assertAlive();
    const signal = checkSignal(checkOptions(options, 'seek').signal);
    const target = checkMs(ms);
    const cur = this.#playback.current;
    if (cur === null) throw new SpenceError(ErrorCodes.INVALID_STATE, 'There is no track to seek in');
    if (!cur.track.isSeekable) throw new SpenceError(ErrorCodes.INVALID_STATE, 'This track is not seekable');
    return this.#playback.seek(target, signal);
  }

  /**
   * Readies `track` to follow the current one without a gap: its first packet is due right after
   * the current track's last. Resolves when its prebuffer is filled; a failure surfaces when it
   * becomes current (it then ends with `loadFailed`). Replaces an earlier preload. With no current
   * track this is `load(track)`.
   */
  async preload(track: Track, options?: SignalOptions): Promise<void> {
    this.#assertAlive();
    const signal = checkSignal(checkOptions(options, 'preload').signal);
    checkTrack(track);
    if (this.#playback.current === null) return this.load(track, signal === undefined ? {} : { signal });
    return this.#playback.preload(track, signal);
  }

  /** A JSON-able snapshot of the position; see {@link restore}. Throws `INVALID_STATE` with no track. */
  snapshot(): PlayerSnapshot {
    return this.#playback.snapshot();
  }

  /**
   * Loads `track` positioned from `snapshot` so that the next packet is exactly the one that would
   * have followed when the snapshot was taken (same bytes, same frame index). Starts paused when
   * the snapshot was paused, or with `{ paused }`.
   *
   * @throws SpenceError `INVALID_ARGUMENT` for a snapshot that is not one of this track, or whose
   *   positions or frame index the player could not have been at (not finite, past the track's end).
   */
  async restore(track: Track, snapshot: PlayerSnapshot, options?: LoadOptions): Promise<void> {
    this.#assertAlive();
    const { paused, signal } = this.#loadOptions(options);
    const snap = checkSnapshot(snapshot, checkTrack(track));
    let rule: StartRule;
    if (snap.nextTimestampMs !== undefined) rule = { kind: 'at', ms: snap.nextTimestampMs };
    else if (snap.lastTimestampMs !== undefined) rule = { kind: 'after', ms: snap.lastTimestampMs };
    else rule = snap.positionMs > 0 ? { kind: 'seek', ms: snap.positionMs } : { kind: 'start' };
    return this.#playback.begin(track, rule, snap.frameIndex, paused ?? snap.status === 'paused', signal);
  }

  /**
   * Pull mode: the next packet, or `null` when none is ready (buffering, paused, idle). Never
   * blocks; the caller keeps time. Trailing silence frames come through here too.
   * Throws `INVALID_STATE` in push or stream mode.
   */
  readFrame(): OpusPacket | null {
    const mode = this.#delivery.mode;
    if (mode !== 'pull') {
      throw new SpenceError(ErrorCodes.INVALID_STATE, `readFrame() needs a player in pull mode (this one is in ${mode} mode)`);
    }
    return this.#delivery.pull();
  }

  /**
   * Stream mode: an object-mode Readable of packets (Buffers) for `@discordjs/voice`
   * (`createAudioResource(stream, { inputType: StreamType.Opus })`). Switches the player to stream
   * mode; the reader keeps time. The stream ends (after the trailing silence) when the track ends
   * with nothing preloaded, is stopped or fails, or the player is destroyed; preloaded tracks
   * continue in the same stream. Returns the open stream if there is one.
   */
  stream(options?: PlayerStreamOptions): PlayerStream {
    this.#assertAlive();
    return this.#delivery.stream(checkOptions(options, 'stream'));
  }

  /**
   * Push mode: sends every frame (packets and trailing silence) into a voice connection, from the
   * node's scheduler, as well as to the `frame` listeners. Give it a @discordjs/voice (>= 0.19.2)
   * `VoiceConnection` as it is (recognised by its methods; spence does not load @discordjs/voice
   * itself), or any object with spence's output interface (see {@link VoiceOutput}).
   *
   * At each scheduler tick every due player prepares its packet (RTP, transport encryption, DAVE)
   * and then the prepared outputs are dispatched, as @discordjs/voice's own cycle does. While the
   * connection is not ready (joining, resuming after 4015, reconnecting after 4006, moved to
   * another voice server, setting up its DAVE group) the player holds its position and resumes
   * with the exact next packet: nothing lost, nothing repeated; with `{ realtime: true }` it drops
   * the frames that fall due meanwhile instead (live sources). Speaking goes on before a run's
   * first audio frame and off after its trailing silence. When the connection closes for good
   * (4014: kicked, or the channel deleted) or is destroyed, the link ends: the player disconnects
   * and emits `voiceClose`.
   *
   * One connection per player, one player per connection.
   *
   * @example
   * ```ts
   * const connection = joinVoiceChannel({ guildId, channelId, adapterCreator });
   * const player = node.createPlayer();
   * player.connect(connection);
   * await player.play(track);
   * ```
   *
   * @throws SpenceError `INVALID_STATE` in pull or stream mode, when this player is connected
   *   already (`disconnect()` first), when the connection or output is another player's, or when it
   *   was destroyed or disconnected for good; `INVALID_ARGUMENT` for something that is neither a
   *   connection nor an output (`prepare` and `dispatch`), or bad options.
   */
  connect(connection: DiscordJsVoiceConnection | VoiceOutput, options?: ConnectOptions): void {
    this.#assertAlive();
    const realtime = checkBoolean(checkOptions(options, 'connect').realtime, 'realtime') ?? false;
    if (typeof connection !== 'object' || connection === null) throw invalid(NOT_AN_OUTPUT);
    const isConnection = isDiscordJsConnection(connection);
    if (!isConnection && (typeof connection.prepare !== 'function' || typeof connection.dispatch !== 'function')) throw invalid(NOT_AN_OUTPUT);
    const mode = this.#delivery.mode;
    if (mode !== 'push') throw new SpenceError(ErrorCodes.INVALID_STATE, `connect() needs a player in push mode (this one is in ${mode} mode)`);
    if (this.#delivery.output !== null) throw new SpenceError(ErrorCodes.INVALID_STATE, 'This player is connected already: disconnect() it first');
    if (ConnectedOutput.isLinked(connection)) throw new SpenceError(ErrorCodes.INVALID_STATE, 'This connection is connected to another player: one player per connection');
    let output: VoiceOutput = connection as VoiceOutput;
    let release: (() => void) | undefined;
    if (isConnection) {
      // The player's own output over the connection, closed with the link.
      const wrapped = createDiscordJsOutput(connection);
      output = wrapped;
      release = () => wrapped.close();
    }
    if (output.state !== undefined && isTerminal(output.state)) {
      release?.();
      throw new SpenceError(ErrorCodes.INVALID_STATE, `The voice connection is ${output.state.status}`);
    }
    this.#delivery.connect(output, connection, realtime, release);
  }

  /**
   * Counters of the frames sent to connected outputs, cumulative (see {@link PlayerFrameStats}):
   * sent, nulled (nothing ready while playing), deficit (the output was not ready). The object is
   * live: read its fields when needed.
   */
  get frameStats(): Readonly<PlayerFrameStats> {
    return this.#delivery.frameStats;
  }

  /** Stops sending to the connected output (speaking off); the connection stays as it is. False if there was none. */
  disconnect(): boolean {
    if (this.#delivery.output === null) return false;
    this.#delivery.disconnect();
    return true;
  }

  /**
   * Ends the current track with `cleanup`, releases everything, ends any stream and tells the
   * player's owner (`PlayerOptions.onDestroy`). Idempotent.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#delivery.close();
    this.#playback.destroy();
    this.#onDestroy?.(this);
  }

  #loadOptions(options: LoadOptions | undefined): { startMs?: number; paused?: boolean; signal?: AbortSignal } {
    const o = checkOptions(options, 'load');
    const signal = checkSignal(o.signal);
    const paused = checkBoolean(o.paused, 'paused');
    return {
      ...(o.startMs !== undefined && { startMs: o.startMs }),
      ...(paused !== undefined && { paused }),
      ...(signal !== undefined && { signal }),
    };
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The player was destroyed');
  }
}

/** The transcoders of the process-wide pool, and those of each pool given (a node's). */
const factories = new WeakMap<object, TranscoderFactory>();
let defaultFactory: TranscoderFactory | null = null;

/**
 * How transcoders are made for `pool`: one factory per pool, shared by every player given it (a
 * node's players share its pool), not one per player.
 */
function factoryFor(pool: PlayerTranscodeOptions['pool']): TranscoderFactory {
  if (pool === undefined) return (defaultFactory ??= transcoderFactory(undefined));
  let factory = factories.get(pool);
  if (factory === undefined) factories.set(pool, (factory = transcoderFactory(pool)));
  return factory;
}

function transcoderFactory(pool: PlayerTranscodeOptions['pool']): TranscoderFactory {
  return async (transcodeInput, transcoderOptions) => {
    // Loaded on first use: a player that only passes Opus through never loads the codecs.
    const { Transcoder } = await import('../transcode/transcoder.js');
    const resolved = typeof pool === 'function' ? pool() : pool;
    return Transcoder.create(transcodeInput, { ...transcoderOptions, ...(resolved !== undefined && { pool: resolved }) });
  };
}

/** The options given with no transcoder option: one object for every such player. */
const NO_TRANSCODER_OPTIONS = Object.freeze({});

/** The sources' view of the player's transcoding options, with the identity settings. */
function transcodeContext(input: PlayerTranscodeOptions | undefined): TranscodeContext {
  const options = checkOptions(input, 'transcode');
  const leadFrames = Math.floor(positive(options.leadFrames ?? DEFAULT_LEAD_FRAMES, 'transcode.leadFrames'));
  if (leadFrames < 1) throw invalid('transcode.leadFrames must be at least 1');
  if (options.create !== undefined && typeof options.create !== 'function') throw invalid('transcode.create must be a function');
  const inline = checkBoolean(options.inline, 'transcode.inline');
  const transcoderOptions =
    inline !== true && options.encoder === undefined
      ? NO_TRANSCODER_OPTIONS
      : { ...(inline === true && { inline: true }), ...(options.encoder !== undefined && { encoder: options.encoder }) };
  return { settings: IDENTITY_SETTINGS, create: options.create ?? factoryFor(options.pool), leadFrames, transcoderOptions };
}
