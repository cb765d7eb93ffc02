/**
 * The player: a status-tagged state machine (after @discordjs/voice's `AudioPlayer`) that takes
 * Opus packets from a {@link TrackOpener}, keeps a bounded read-ahead, and delivers them in one
 * of three modes: push (`frame` events at each packet's deadline, driven by the shared
 * {@link FrameScheduler}), pull (`readFrame()`) or stream (`stream()`).
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import { ErrorCodes, SpenceError, abortError, throwIfAborted } from '../errors.js';
import type { OpusPacket } from '../demux/types.js';
import { OPUS_SILENCE_FRAME } from '../demux/opus.js';
import type { Track } from '../resolve/track.js';
import type { Clock } from './clock.js';
import type { DeadlineTask } from './calendar.js';
import type { FrameScheduler } from './scheduler.js';
import { PlayerStream, type PlayerStreamOptions } from './player-stream.js';
import { TrackSource, type StartRule, type TranscodeContext } from './source.js';
import { IDENTITY_SETTINGS, type AudioSettings, type TranscoderFactory } from './transcode-stage.js';
import { validateFilters, validateVolume } from '../transcode/filters/validate.js';
import type { FilterSettings } from '../transcode/filters/types.js';
import type { EncoderOptions } from '../transcode/encode/backends.js';
import type { TranscodePool } from '../transcode/pool/worker-pool.js';
import type {
  FrameEvent,
  LoadOptions,
  PlayerEvents,
  PlayerMode,
  PlayerSnapshot,
  PlayerState,
  PlayerStatus,
  SignalOptions,
  TrackEndReason,
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
  /** The transcoding path (MP3 sources, volume, filters); see {@link PlayerTranscodeOptions}. */
  transcode?: PlayerTranscodeOptions;
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

/**
 * The push frame and its packet: one pair for every player, filled in for each frame. Frames go
 * out one at a time, and a listener may use them only while it runs, so one pair serves all; it
 * stays in the CPU's cache, where one per player would be a cache miss per frame (and a new one,
 * garbage).
 */
const NO_BYTES = new Uint8Array(0);
const PUSH_PACKET: OpusPacket = { data: NO_BYTES, timestampMs: 0.5, durationMs: 20.5 };
const PUSH_FRAME: FrameEvent = { packet: PUSH_PACKET, frameIndex: 0, silence: false, deadline: 0.5, sentAt: 0.5, track: null };

/** Set by Player's static block: runs a player's push frame (its private `#run`). */
let runPush: (player: Player) => void;

/**
 * A player's entry in the scheduler: a class, so `run` is a prototype method (no closure and
 * context to load per frame, as an arrow function would need).
 */
class PushTask implements DeadlineTask {
  deadline = 0;
  heapIndex = -1;
  constructor(readonly player: Player) {}
  run(): void {
    runPush(this.player);
  }
}
/** The trailing-silence packet (20 ms). */
const SILENCE_PACKET: OpusPacket = Object.freeze({ data: OPUS_SILENCE_FRAME, timestampMs: 0, durationMs: 20 });

type Terminal = 'idle' | 'ended' | 'errored';

interface Waiter {
  source: TrackSource;
  resolve: () => void;
  reject: (error: SpenceError) => void;
}

type QueuedEvent = { [K in keyof PlayerEvents]: [K, PlayerEvents[K]] }[keyof PlayerEvents];

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
export class Player extends EventEmitter<PlayerEvents> {
  /** The scheduler driving this player in push mode. */
  readonly scheduler: FrameScheduler;
  /** The clock (the scheduler's). */
  readonly clock: Clock;
  readonly #open: TrackOpener;
  readonly #readAheadUs: number;
  readonly #prebufferUs: number;
  readonly #rebufferUs: number;
  readonly #silenceFrames: number;
  readonly #transcode: TranscodeContext;
  #settings: AudioSettings = IDENTITY_SETTINGS;

  #mode: PlayerMode;
  #state: PlayerState = { status: 'idle', track: null };
  #terminal: Terminal = 'idle';
  #terminalError: SpenceError | undefined;
  #lastTrack: Track | null = null;
  #current: TrackSource | null = null;
  #next: TrackSource | null = null;
  #paused = false;
  /** The current source has reached its (pre/re)buffer since it was opened or ran dry. */
  #ready = false;
  #started = false;
  #destroyed = false;
  #waiter: Waiter | null = null;
  #preloadWaiter: Waiter | null = null;

  // Timeline: packet deadlines are #baseMs + #elapsedUs / 1000, exact (integer µs, never accumulated floats).
  #baseMs = 0;
  #elapsedUs = 0;
  /** The next free frame slot: the deadline after the last frame delivered. */
  #nextSlot = Number.NEGATIVE_INFINITY;
  #silenceLeft = 0;
  #underrunAt: number | null = null;
  /** The last delivered packet's timestamp; NaN before one (a number field: stored without boxing). */
  #lastTs = Number.NaN;
  #lastDurMs = 20;
  #positionHint = 0;

  #outIndex = 0;
  #outSilence = false;
  #outTrack: Track | null = null;
  /** `#state.status === 'playing'`, kept beside the fields a frame reads (one cache line fewer). */
  #playing = false;
  /** Events are queued (see {@link #flush}). */
  #hasEvents = false;
  /** The time `#take` works at (a deadline, or the clock's time); 0.5 so the field holds a double. */
  #takeAt = 0.5;
  readonly #task: PushTask;
  #stream: PlayerStream | null = null;
  /** The stream has seen a track, so it ends when the player runs out of track. */
  #streamArmed = false;
  readonly #events: QueuedEvent[] = [];
  #flushing = false;
  /** The `frame` listeners as `rawListeners('frame')` gave them; null after any listener change. */
  #frameListeners: ((frame: FrameEvent) => void)[] | null = null;
  /** The one `frame` listener when there is exactly one (the usual case), else null. */
  #soleFrameListener: ((frame: FrameEvent) => void) | null = null;

  static {
    runPush = (player) => player.#run();
    // Every method that adds or removes listeners drops the cached `frame` listeners, so a frame
    // calls its listeners directly: `emit()` looks the name up in a dictionary-mode object and
    // copies its arguments, per frame, per player.
    const methods = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners'] as const;
    for (const name of methods) {
      const base = EventEmitter.prototype[name] as (...args: unknown[]) => unknown;
      Object.defineProperty(Player.prototype, name, {
        configurable: true,
        writable: true,
        value: function (this: Player, ...args: unknown[]): unknown {
          this.#frameListeners = null;
          return base.apply(this, args);
        },
      });
    }
  }

  constructor(options: PlayerOptions) {
    super();
    if (options.clock !== undefined && options.clock !== options.scheduler.clock) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'The player must use its scheduler’s clock');
    }
    this.scheduler = options.scheduler;
    this.clock = options.scheduler.clock;
    this.#open = options.openTrack;
    this.#mode = options.mode ?? 'push';
    const readAheadMs = positive(options.readAheadMs ?? 3000, 'readAheadMs');
    const prebufferMs = Math.min(nonNegative(options.prebufferMs ?? 200, 'prebufferMs'), readAheadMs);
    const rebufferMs = Math.min(nonNegative(options.rebufferMs ?? prebufferMs, 'rebufferMs'), readAheadMs);
    this.#readAheadUs = readAheadMs * 1000;
    this.#prebufferUs = prebufferMs * 1000;
    this.#rebufferUs = rebufferMs * 1000;
    this.#silenceFrames = Math.floor(nonNegative(options.silenceFrames ?? 5, 'silenceFrames'));
    this.#task = new PushTask(this);
    this.#transcode = transcodeContext(options.transcode ?? {}, () => this.#settings);
  }

  // ---------------------------------------------------------------- state

  /** The current state (a new object on each change). */
  get state(): PlayerState {
    return this.#state;
  }

  /** The current status; see {@link PlayerStatus}. */
  get status(): PlayerStatus {
    return this.#state.status;
  }

  /** The current track, or `null`. */
  get track(): Track | null {
    return this.#current?.track ?? null;
  }

  /** The delivery mode: `'push'`, `'pull'` or `'stream'`. */
  get mode(): PlayerMode {
    return this.#mode;
  }

  /** True when packets are being delivered (status `playing`). */
  isPlaying(): boolean {
    return this.#playing;
  }

  /**
   * The position in the current track in ms: the timestamp of the next packet to be delivered
   * (exact to the frame). 0 when there is no track.
   */
  get position(): number {
    const cur = this.#current;
    if (cur === null) return 0;
    const head = cur.peekTimestampMs();
    if (head !== undefined) return head;
    if (!Number.isNaN(this.#lastTs)) return this.#lastTs + this.#lastDurMs;
    return this.#positionHint;
  }

  /** The frame index of the next packet of the current track (0 when there is no track). */
  get frameIndex(): number {
    return this.#current?.nextFrameIndex ?? 0;
  }

  /**
   * The volume: 0..10, linear, 1 = unchanged (the transcoder's scale; Lavalink's player volume 0–1000
   * divided by 100). At 1 with no filter, Opus tracks pass through untouched.
   */
  get volume(): number {
    return this.#settings.volume;
  }

  /** The filters in force (Lavalink v4's `filters` object, validated); `{}` when none. */
  get filters(): FilterSettings {
    return this.#settings.filters;
  }

  /** True while the current track's packets come out of a transcoder (MP3, or volume/filters on). */
  get transcoding(): boolean {
    return this.#current?.transcoding ?? false;
  }

  /** Milliseconds of audio buffered ahead for the current track. */
  get bufferedMs(): number {
    return (this.#current?.bufferedUs ?? 0) / 1000;
  }

  // ---------------------------------------------------------------- commands

  /**
   * Loads `track` (ending the current one with `replaced`) and starts it once `prebufferMs` of
   * audio is buffered (or stays `paused` with `{ paused: true }`). Resolves when it starts (or is
   * ready, paused), or when another call (load, stop, destroy) ends it first (`trackEnd` says
   * which). Rejects with the open or read error (the track ends with `loadFailed`), or `ABORTED`
   * when its own signal fires before it starts (the track ends with `stopped`).
   */
  async load(track: Track, options: LoadOptions = {}): Promise<void> {
    const rule: StartRule = options.startMs === undefined ? { kind: 'start' } : { kind: 'seek', ms: checkMs(options.startMs) };
    return this.#begin(track, rule, 0, options.paused ?? false, options.signal);
  }

  /**
   * With a track: `load(track)` and play. Without: resumes a paused player (like {@link resume}).
   */
  async play(track?: Track, options: SignalOptions = {}): Promise<void> {
    if (track !== undefined) return this.load(track, { ...options, paused: false });
    this.#assertAlive();
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
    if (v === this.#settings.volume) return;
    this.#applySettings({ volume: v, filters: this.#settings.filters });
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
    this.#applySettings({ volume: this.#settings.volume, filters: validateFilters(filters) });
  }

  #applySettings(settings: AudioSettings): void {
    this.#settings = settings;
    this.#current?.applySettings(settings);
    this.#next?.applySettings(settings);
    this.#flush();
  }

  /** Pauses delivery at the next frame boundary; trailing silence follows. False if there was nothing to pause. */
  pause(): boolean {
    this.#assertAlive();
    if (this.#current === null || this.#paused) return false;
    const wasPlaying = this.#state.status === 'playing';
    this.#paused = true;
    if (wasPlaying) this.#startSilence();
    this.#refresh();
    this.#flush();
    return true;
  }

  /** Resumes a paused player at the next free frame slot. False if it was not paused. */
  resume(): boolean {
    this.#assertAlive();
    if (this.#current === null || !this.#paused) return false;
    this.#paused = false;
    this.#refresh();
    if (this.#ready) this.#startDelivery();
    this.#flush();
    return true;
  }

  /**
   * Stops: the track ends with `stopped`, the preloaded track is dropped, trailing silence follows
   * and the status becomes `idle`. False if there was no track.
   */
  stop(): boolean {
    this.#assertAlive();
    this.#dropNext();
    if (this.#current === null) return false;
    this.#endCurrent('stopped', 'idle');
    this.#flush();
    return true;
  }

  /**
   * Moves to `ms` in the current track: reopens the track there and lands on the packet that
   * contains `ms` (`position` becomes that packet's timestamp). Keeps playing or paused as it
   * was; the frame index keeps counting. Rejects `INVALID_STATE` for an unseekable track or none.
   * If the signal fires, the track is stopped.
   */
  async seek(ms: number, options: SignalOptions = {}): Promise<void> {
    this.#assertAlive();
    const cur = this.#current;
    if (cur === null) return Promise.reject(new SpenceError(ErrorCodes.INVALID_STATE, 'There is no track to seek in'));
    if (!cur.track.isSeekable) return Promise.reject(new SpenceError(ErrorCodes.INVALID_STATE, 'This track is not seekable'));
    let target: number;
    try {
      target = checkMs(ms);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#reopen(cur, { kind: 'seek', ms: target }, target, options.signal);
  }

  /**
   * Readies `track` to follow the current one without a gap: its first packet is due right after
   * the current track's last. Resolves when its prebuffer is filled; a failure surfaces when it
   * becomes current (it then ends with `loadFailed`). Replaces an earlier preload. With no current
   * track this is `load(track)`.
   */
  async preload(track: Track, options: SignalOptions = {}): Promise<void> {
    this.#assertAlive();
    if (this.#current === null) return this.load(track, options);
    this.#dropNext();
    const source = new TrackSource(track, { kind: 'start' }, 0, this.#prebufferUs, this.#onSourceChange, this.#transcode);
    this.#next = source;
    const promise = new Promise<void>((resolve, reject) => {
      this.#preloadWaiter = { source, resolve, reject };
    });
    const signal = options.signal;
    const onAbort = (): void => {
      if (this.#next !== source) return;
      const w = this.#preloadWaiter;
      this.#preloadWaiter = null;
      this.#dropNext();
      w?.reject(abortError(signal, 'preload'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    source.open(this.#open, signal).then(
      () => {
        if (source.closed) return;
        source.pump();
        this.#onSourceChange(source);
      },
      (error: SpenceError) => {
        if (source.closed) return;
        source.error = error;
        this.#onSourceChange(source);
      },
    );
    return promise.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /** A JSON-able snapshot of the position; see {@link restore}. Throws `INVALID_STATE` with no track. */
  snapshot(): PlayerSnapshot {
    const cur = this.#current;
    if (cur === null) throw new SpenceError(ErrorCodes.INVALID_STATE, 'There is no track to snapshot');
    const snap: PlayerSnapshot = {
      version: 1,
      track: cur.track.encoded,
      frameIndex: cur.nextFrameIndex,
      positionMs: this.position,
      status: this.#state.status,
    };
    const head = cur.peekTimestampMs();
    if (head !== undefined) snap.nextTimestampMs = head;
    else if (!Number.isNaN(this.#lastTs)) snap.lastTimestampMs = this.#lastTs;
    return snap;
  }

  /**
   * Loads `track` positioned from `snapshot` so that the next packet is exactly the one that would
   * have followed when the snapshot was taken (same bytes, same frame index). Starts paused when
   * the snapshot was paused, or with `{ paused }`.
   */
  async restore(track: Track, snapshot: PlayerSnapshot, options: LoadOptions = {}): Promise<void> {
    if (snapshot === null || typeof snapshot !== 'object' || snapshot.version !== 1) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'Unsupported player snapshot');
    }
    if (snapshot.track !== track.encoded) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'The snapshot is of another track');
    }
    let rule: StartRule;
    if (typeof snapshot.nextTimestampMs === 'number') rule = { kind: 'at', ms: snapshot.nextTimestampMs };
    else if (typeof snapshot.lastTimestampMs === 'number') rule = { kind: 'after', ms: snapshot.lastTimestampMs };
    else rule = snapshot.positionMs > 0 ? { kind: 'seek', ms: checkMs(snapshot.positionMs) } : { kind: 'start' };
    const frameIndex = Number.isInteger(snapshot.frameIndex) && snapshot.frameIndex >= 0 ? snapshot.frameIndex : 0;
    return this.#begin(track, rule, frameIndex, options.paused ?? snapshot.status === 'paused', options.signal);
  }

  /**
   * Pull mode: the next packet, or `null` when none is ready (buffering, paused, idle). Never
   * blocks; the caller keeps time. Trailing silence frames come through here too.
   * Throws `INVALID_STATE` in push or stream mode.
   */
  readFrame(): OpusPacket | null {
    if (this.#mode !== 'pull') {
      throw new SpenceError(ErrorCodes.INVALID_STATE, `readFrame() needs a player in pull mode (this one is in ${this.#mode} mode)`);
    }
    this.#takeAt = this.clock.now();
    const packet = this.#take(null);
    this.#flush();
    return packet;
  }

  /**
   * Stream mode: an object-mode Readable of packets (Buffers) for `@discordjs/voice`
   * (`createAudioResource(stream, { inputType: StreamType.Opus })`). Switches the player to stream
   * mode; the reader keeps time. The stream ends (after the trailing silence) when the track ends
   * with nothing preloaded, is stopped or fails, or the player is destroyed; preloaded tracks
   * continue in the same stream. Returns the open stream if there is one.
   */
  stream(options: PlayerStreamOptions = {}): PlayerStream {
    this.#assertAlive();
    if (this.#stream !== null && !this.#stream.destroyed && !this.#stream.readableEnded) return this.#stream;
    this.#mode = 'stream';
    this.scheduler.unschedule(this.#task);
    const stream = new PlayerStream(() => this.#feedStream(), options);
    stream.once('close', () => {
      if (this.#stream === stream) this.#stream = null;
    });
    this.#stream = stream;
    this.#streamArmed = this.#current !== null;
    return stream;
  }

  /** Ends the current track with `cleanup`, releases everything and ends any stream. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#dropNext();
    if (this.#current !== null) this.#endCurrent('cleanup', 'idle');
    this.#silenceLeft = 0;
    this.#destroyed = true;
    this.scheduler.unschedule(this.#task);
    this.#stream?.finish();
    this.#stream = null;
    this.#flush();
  }

  // ---------------------------------------------------------------- loading

  async #begin(track: Track, rule: StartRule, frameIndex: number, paused: boolean, signal?: AbortSignal): Promise<void> {
    this.#assertAlive();
    throwIfAborted(signal, 'load');
    this.#dropNext();
    if (this.#current !== null) this.#endCurrent('replaced', null);
    const source = new TrackSource(track, rule, frameIndex, this.#readAheadUs, this.#onSourceChange, this.#transcode);
    this.#current = source;
    this.#lastTrack = track;
    if (this.#stream !== null) this.#streamArmed = true;
    this.#paused = paused;
    this.#ready = false;
    this.#started = false;
    this.#underrunAt = null;
    this.#lastTs = Number.NaN;
    this.#positionHint = rule.kind === 'start' ? 0 : rule.ms;
    this.#refresh();
    this.#flush();
    return this.#settle(source, signal);
  }

  /** Replaces `cur` with a new source of the same track at `rule` (seek). */
  #reopen(cur: TrackSource, rule: StartRule, hint: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, 'seek'));
    const source = new TrackSource(cur.track, rule, cur.nextFrameIndex, this.#readAheadUs, this.#onSourceChange, this.#transcode);
    this.#releaseWaiter(cur);
    cur.close();
    this.scheduler.unschedule(this.#task);
    this.#current = source;
    this.#ready = false;
    this.#underrunAt = null;
    this.#lastTs = Number.NaN;
    this.#positionHint = hint;
    this.#refresh();
    this.#flush();
    return this.#settle(source, signal);
  }

  #settle(source: TrackSource, signal?: AbortSignal): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.#waiter = { source, resolve, reject };
    });
    const onAbort = (): void => {
      if (this.#current !== source || this.#waiter?.source !== source) return;
      this.#rejectWaiter(source, abortError(signal, 'load'));
      this.#endCurrent('stopped', 'idle');
      this.#flush();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    source.open(this.#open, signal).then(
      () => {
        if (this.#current !== source) return;
        this.#refresh();
        source.pump();
        this.#onSourceChange(source);
      },
      (error: SpenceError) => {
        if (this.#current !== source) return;
        if (error.code === ErrorCodes.ABORTED && signal?.aborted) return; // onAbort handles it
        source.error = error;
        this.#onSourceChange(source);
      },
    );
    return promise.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  readonly #onSourceChange = (source: TrackSource): void => {
    if (source === this.#next) {
      const w = this.#preloadWaiter;
      if (w !== null && w.source === source) {
        if (source.error !== null) {
          this.#preloadWaiter = null;
          w.reject(source.error);
        } else if (source.bufferedUs >= source.limitUs || source.done) {
          this.#preloadWaiter = null;
          w.resolve();
        }
      }
      return;
    }
    if (source !== this.#current) return;
    if (!this.#ready) {
      const need = this.#underrunAt !== null ? this.#rebufferUs : this.#prebufferUs;
      const buffered = source.bufferedUs >= need || source.bufferedUs >= source.limitUs || source.done;
      // A transcoding source is ready once its transcoder has a frame, not just its input buffered.
      if ((buffered && source.outputReady) || source.error !== null) {
        if (source.length === 0 && source.error !== null) {
          this.#fail(source, source.error);
        } else {
          this.#ready = true;
          this.#resolveWaiter(source);
          this.#refresh();
          if (!this.#paused) this.#startDelivery();
        }
      }
    }
    if (this.#mode === 'stream') this.#feedStream();
    this.#flush();
  };

  // ---------------------------------------------------------------- delivery

  /** Status just became playing: push mode arms the next deadline; stream mode feeds the stream. */
  #startDelivery(): void {
    this.#silenceLeft = 0;
    if (this.#mode === 'push') {
      const now = this.clock.now();
      // A timeline that is still ahead (a pause shorter than a frame) keeps its next slot; a new
      // one starts now, or a little later if this millisecond is crowded (see levelledStart).
      const at = this.#nextSlot >= now ? this.#nextSlot : this.scheduler.levelledStart(now);
      this.#baseMs = at - this.#elapsedUs / 1000;
      this.#task.deadline = at;
      this.scheduler.schedule(this.#task);
    } else if (this.#mode === 'stream') {
      this.#feedStream();
    }
  }

  #startSilence(): void {
    this.#silenceLeft = this.#silenceFrames;
    if (this.#mode === 'push') {
      if (this.#silenceLeft > 0) {
        if (this.#task.heapIndex < 0) {
          this.#task.deadline = Math.max(this.clock.now(), this.#nextSlot);
          this.scheduler.schedule(this.#task);
        }
      } else {
        this.scheduler.unschedule(this.#task);
      }
    } else if (this.#mode === 'stream') {
      this.#feedStream();
    }
  }

  /**
   * Push mode: the scheduler says this player's deadline has come. Written for 5000 players a
   * frame apart: each call finds this player cold in the CPU caches, so it reads few objects, and
   * the frame event is the shared {@link PUSH_FRAME}, which stays in the cache.
   */
  #run(): void {
    const scheduler = this.scheduler;
    const now = scheduler.tickTime;
    const task = this.#task;
    let deadline = task.deadline;
    const late = now - deadline;
    if (late > scheduler.stallThresholdMs) {
      // Rebase by whole frames, to this player's own next slot at or after now: it keeps its
      // phase, so the players a stall held up do not all come due in one millisecond after it.
      const skipped = Math.ceil(late / this.#lastDurMs);
      const shift = skipped * this.#lastDurMs;
      this.#baseMs += shift;
      deadline += shift;
      this.#nextSlot = deadline;
      scheduler.noteStall(skipped);
      this.#queue('stall', { lateMs: late, skippedFrames: skipped });
      if (deadline > now) {
        task.deadline = deadline;
        scheduler.schedule(task);
        this.#flush();
        return;
      }
    }
    this.#takeAt = deadline;
    const packet = this.#take(PUSH_PACKET);
    if (packet !== null) {
      // #take may have armed silence (track end); either way the next slot follows this packet.
      if (this.#mode === 'push' && (this.#silenceLeft > 0 || this.#playing)) {
        task.deadline = this.#nextSlot;
        scheduler.schedule(task);
      } else {
        scheduler.unschedule(task);
      }
    }
    if (this.#hasEvents) this.#flush();
    if (packet === null) return;
    const frame = PUSH_FRAME;
    frame.packet = packet;
    frame.frameIndex = this.#outIndex;
    frame.silence = this.#outSilence;
    frame.deadline = deadline;
    frame.track = this.#outTrack;
    frame.sentAt = this.clock.now();
    if (this.#frameListeners === null) {
      const listeners = this.rawListeners('frame') as ((frame: FrameEvent) => void)[];
      this.#frameListeners = listeners;
      this.#soleFrameListener = listeners.length === 1 ? listeners[0]! : null;
    }
    const sole = this.#soleFrameListener;
    try {
      if (sole !== null) {
        sole.call(this, frame);
      } else {
        const listeners = this.#frameListeners;
        for (let k = 0; k < listeners.length; k++) listeners[k]!.call(this, frame);
      }
    } finally {
      // The view dies now (not at the next frame), and nothing refers to this player's track.
      PUSH_PACKET.data = NO_BYTES;
      frame.track = null;
    }
  }

  #feedStream(): void {
    const stream = this.#stream;
    if (stream === null || this.#mode !== 'stream') return;
    while (stream.wanting) {
      this.#takeAt = this.clock.now();
      const packet = this.#take(null);
      if (packet === null) break;
      stream.pushPacket(packet);
    }
    if (this.#streamArmed && this.#current === null && this.#silenceLeft === 0) {
      stream.finish();
      this.#stream = null;
      this.#streamArmed = false;
    }
  }

  /**
   * The next packet to deliver at time `now` (a deadline in push mode), or null; moves the state
   * machine along (track start and end, gapless switch, underrun). Events are queued, not emitted.
   */
  #take(borrow: OpusPacket | null): OpusPacket | null {
    // The time comes in a field: a number argument to a call that is not inlined is boxed.
    const now = this.#takeAt;
    for (;;) {
      const cur = this.#current;
      if (cur === null || !this.#ready || this.#paused) break;
      const packet = cur.shift(borrow);
      if (packet !== undefined) {
        const micros = cur.lastMicros;
        this.#outIndex = cur.nextFrameIndex - 1;
        this.#outSilence = false;
        this.#outTrack = cur.track;
        this.#elapsedUs += micros;
        this.#nextSlot = this.#baseMs + this.#elapsedUs / 1000;
        this.#lastTs = packet.timestampMs;
        this.#lastDurMs = micros / 1000;
        if (!this.#started) {
          this.#started = true;
          this.#queue('trackStart', cur.track);
        }
        if (this.#underrunAt !== null) {
          const durationMs = Math.max(0, now - this.#underrunAt);
          this.#queue('underrun', {
            track: cur.track,
            startedAt: this.#underrunAt,
            durationMs,
            frames: Math.max(1, Math.ceil(durationMs / this.#lastDurMs)),
            positionMs: packet.timestampMs,
          });
          this.#underrunAt = null;
        }
        return packet;
      }
      if (cur.exhausted) {
        if (cur.error !== null) {
          this.#fail(cur, cur.error);
          break;
        }
        const next = this.#next;
        if (next !== null) {
          // Gapless: the next track continues the same timeline.
          this.#next = null;
          const pw = this.#preloadWaiter;
          this.#preloadWaiter = null;
          pw?.resolve();
          this.#queue('trackEnd', cur.track, 'finished');
          // Closed, not just dropped: its ring's memory goes to the next track's ring.
          cur.close();
          this.#current = next;
          this.#lastTrack = next.track;
          next.limitUs = this.#readAheadUs;
          next.pump();
          this.#started = false;
          this.#lastTs = Number.NaN;
          this.#positionHint = 0;
          this.#refresh();
          continue;
        }
        this.#endCurrent('finished', 'ended');
        break;
      }
      // Ran dry: wait for data, out of the scheduler.
      this.#underrunAt = now;
      this.#ready = false;
      this.#refresh();
      return null;
    }
    if (this.#silenceLeft > 0) {
      this.#silenceLeft--;
      this.#outIndex = -1;
      this.#outSilence = true;
      this.#outTrack = this.#lastTrack;
      this.#nextSlot = now + 20;
      return SILENCE_PACKET;
    }
    return null;
  }

  // ---------------------------------------------------------------- ending

  /** Ends the current track with `reason`; `terminal` null when another track takes over at once. */
  #endCurrent(reason: TrackEndReason, terminal: Terminal | null): void {
    const cur = this.#current;
    if (cur === null) return;
    const wasPlaying = this.#state.status === 'playing' || (this.#ready && !this.#paused);
    cur.close();
    this.#current = null;
    this.#ready = false;
    this.#underrunAt = null;
    this.#releaseWaiter(cur);
    this.#queue('trackEnd', cur.track, reason);
    if (terminal !== null) {
      this.#terminal = terminal;
      this.#terminalError = undefined;
      this.#refresh();
      if (wasPlaying && reason !== 'cleanup') this.#startSilence();
      else if (this.#silenceLeft === 0) this.scheduler.unschedule(this.#task);
      if (this.#mode === 'stream') this.#feedStream();
    } else {
      this.scheduler.unschedule(this.#task);
    }
  }

  #fail(source: TrackSource, error: SpenceError): void {
    if (source !== this.#current) return;
    this.#dropNext();
    const wasPlaying = this.#state.status === 'playing';
    source.close();
    this.#current = null;
    this.#ready = false;
    this.#underrunAt = null;
    this.#terminal = 'errored';
    this.#terminalError = error;
    this.#rejectWaiter(source, error);
    if (this.listenerCount('error') > 0) this.#queue('error', error);
    this.#queue('trackEnd', source.track, 'loadFailed');
    this.#refresh();
    if (wasPlaying) this.#startSilence();
    else if (this.#silenceLeft === 0) this.scheduler.unschedule(this.#task);
    if (this.#mode === 'stream') this.#feedStream();
  }

  #dropNext(): void {
    const next = this.#next;
    if (next === null) return;
    this.#next = null;
    next.close();
    const w = this.#preloadWaiter;
    this.#preloadWaiter = null;
    w?.resolve();
  }

  #resolveWaiter(source: TrackSource): void {
    const w = this.#waiter;
    if (w !== null && w.source === source) {
      this.#waiter = null;
      w.resolve();
    }
  }

  /** The source was superseded (replaced, stopped, sought away from): its waiter resolves. */
  #releaseWaiter(source: TrackSource): void {
    this.#resolveWaiter(source);
  }

  #rejectWaiter(source: TrackSource, error: SpenceError): void {
    const w = this.#waiter;
    if (w !== null && w.source === source) {
      this.#waiter = null;
      w.reject(error);
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** Recomputes the status and queues `stateChange` if it changed. */
  #refresh(): void {
    const cur = this.#current;
    let status: PlayerStatus;
    if (cur === null) status = this.#terminal;
    else if (cur.info === null && cur.error === null) status = 'loading';
    else if (this.#paused) status = 'paused';
    else status = this.#ready ? 'playing' : 'buffering';
    this.#playing = status === 'playing';
    const track = cur?.track ?? (status === 'idle' ? null : this.#lastTrack);
    const old = this.#state;
    if (old.status === status && old.track === track) return;
    const state: PlayerState = status === 'errored' && this.#terminalError !== undefined
      ? { status, track, error: this.#terminalError }
      : { status, track };
    this.#state = state;
    this.#queue('stateChange', old, state);
  }

  #queue<K extends keyof PlayerEvents>(name: K, ...args: PlayerEvents[K]): void {
    this.#events.push([name, args] as QueuedEvent);
    this.#hasEvents = true;
  }

  /** Emits queued events in order, once the state they describe is consistent. Re-entrant safe. */
  #flush(): void {
    if (this.#flushing || !this.#hasEvents) return;
    this.#flushing = true;
    try {
      let event: QueuedEvent | undefined;
      while ((event = this.#events.shift()) !== undefined) {
        (this.emit as (name: string, ...args: unknown[]) => boolean)(event[0], ...event[1]);
      }
    } finally {
      this.#hasEvents = this.#events.length > 0;
      this.#flushing = false;
    }
  }

  #assertAlive(): void {
    if (this.#destroyed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The player was destroyed');
  }
}

/** The sources' view of the player's transcoding options and settings. */
function transcodeContext(options: PlayerTranscodeOptions, settings: () => AudioSettings): TranscodeContext {
  const leadFrames = Math.max(1, Math.floor(options.leadFrames ?? DEFAULT_LEAD_FRAMES));
  const { pool } = options;
  const create: TranscoderFactory = options.create ?? (async (input, transcoderOptions) => {
    // Loaded on first use: a player that only passes Opus through never loads the codecs.
    const { Transcoder } = await import('../transcode/transcoder.js');
    const resolved = typeof pool === 'function' ? pool() : pool;
    return Transcoder.create(input, { ...transcoderOptions, ...(resolved !== undefined && { pool: resolved }) });
  });
  return {
    settings,
    create,
    leadFrames,
    transcoderOptions: {
      ...(options.inline === true && { inline: true }),
      ...(options.encoder !== undefined && { encoder: options.encoder }),
    },
  };
}

function checkMs(ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `A position must be a finite number of ms >= 0, not ${String(ms)}`);
  }
  return ms;
}

function positive(value: number, name: string): number {
  if (!(value > 0)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${name} must be > 0`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${name} must be a finite number >= 0`);
  return value;
}
