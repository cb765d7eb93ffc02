/**
 * A player's playback: its state machine, after @discordjs/voice's `AudioPlayer`. The state is a
 * union tagged by status, each status carrying its own data (the track's source, whether a paused
 * track is ready, why it is buffering, the failure), and it changes in one place, {@link #set},
 * which does what a change implies: delivery started, halted or trailed by silence; the stuck
 * watchdog armed or disarmed; `stateChange` queued.
 *
 * ```
 *  idle ──load──▶ loading ──opened──▶ buffering ──prebuffered──▶ playing ──end──▶ ended
 *                  │  ▲                  ▲  │                      │  ▲ ╲
 *                  │  └──seek/load───────┼──┼──────────────────────┘  │  ╲──pause──▶ paused
 *                  │                     └──┼────ran dry──────────────┘          (ready or not)
 *                  └──────────failed / stuck┴──────────────────────────────▶ errored
 * ```
 *
 * Its {@link Delivery} takes the playing source's packets itself, and asks it, as a
 * {@link PacketSupply}, when there is none (the track ends or fails, the gapless switch to the
 * preloaded track, an underrun) or when one is a track's first or ends an underrun.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, throwIfAborted } from '../errors.js';
import type { DemuxDamage, OpusPacket } from '../demux/types.js';
import type { Track } from '../resolve/track.js';
import type { Clock, ClockTimer } from './clock.js';
import type { Delivery, PacketSupply } from './delivery.js';
import type { EventQueue } from './events.js';
import { TrackSource, type SourceOwner, type StartRule, type TranscodeContext } from './source.js';
import type { StartGate } from './start-gate.js';
import type { AudioSettings } from './transcode-stage.js';
import {
  SHORT_TRACK_TOLERANCE_MS,
  type PlayerSnapshot,
  type PlayerState,
  type TrackEndDetails,
  type TrackEndReason,
  type TrackOpener,
} from './types.js';

/** The state, with each status's data. @internal */
export type State =
  | { readonly status: 'idle' }
  /** Opening the source; `paused`: stays paused once opened (load with `paused`, or paused meanwhile). */
  | { readonly status: 'loading'; readonly source: TrackSource; readonly paused: boolean }
  | { readonly status: 'buffering'; readonly source: TrackSource; readonly reason: 'start' | 'underrun' }
  | { readonly status: 'playing'; readonly source: TrackSource }
  /** `ready`: the prebuffer was reached, so `resume()` plays at once. */
  | { readonly status: 'paused'; readonly source: TrackSource; readonly ready: boolean }
  | { readonly status: 'ended'; readonly track: Track }
  | { readonly status: 'errored'; readonly track: Track; readonly error: SpenceError };

const IDLE: State = Object.freeze({ status: 'idle' });
const IDLE_VIEW: PlayerState = Object.freeze({ status: 'idle', track: null });

function sourceOf(state: State): TrackSource | null {
  switch (state.status) {
    case 'loading':
    case 'buffering':
    case 'playing':
    case 'paused':
      return state.source;
    default:
      return null;
  }
}

/** True when the player should be delivering and is not: the stuck watchdog runs. */
function isDue(state: State): boolean {
  return state.status === 'buffering' || (state.status === 'loading' && !state.paused);
}

/** The public view of a state (see `PlayerState`). */
function view(state: State): PlayerState {
  switch (state.status) {
    case 'idle':
      return IDLE_VIEW;
    case 'buffering':
      return { status: 'buffering', track: state.source.track, reason: state.reason };
    case 'loading':
    case 'playing':
    case 'paused':
      return { status: state.status, track: state.source.track };
    case 'ended':
      return { status: 'ended', track: state.track };
    case 'errored':
      return { status: 'errored', track: state.track, error: state.error };
  }
}

interface Waiter {
  source: TrackSource;
  resolve: () => void;
  reject: (error: SpenceError) => void;
}

/** Options for {@link Playback}. @internal */
export interface PlaybackOptions {
  open: TrackOpener;
  clock: Clock;
  delivery: Delivery;
  events: EventQueue;
  readAheadUs: number;
  prebufferUs: number;
  rebufferUs: number;
  /** See `PlayerOptions.stuckThresholdMs` (Infinity: off). */
  stuckThresholdMs: number;
  transcode: TranscodeContext;
  /**
   * The pace of starts (the scheduler's start gate): a push player's new sources take their turns
   * there for their opens and first fills (a pull or stream player's take none: they are paced by
   * their readers, which need not move the clock, and a start waiting on it would wait for ever).
   */
  starts?: StartGate;
}

/** See the module comment. @internal */
export class Playback implements PacketSupply, SourceOwner {
  /** See {@link PacketSupply.taken}. */
  taken: TrackSource | null = null;
  readonly #options: PlaybackOptions;
  readonly #delivery: Delivery;
  readonly #events: EventQueue;
  #state: State = IDLE;
  #view: PlayerState = IDLE_VIEW;
  /** The preloaded track (see `preload`), and its promise. */
  #next: TrackSource | null = null;
  #preloadWaiter: Waiter | null = null;
  /** The promise of the load, seek or restore of the current source. */
  #waiter: Waiter | null = null;
  #stuckTimer: ClockTimer | null = null;

  constructor(options: PlaybackOptions) {
    this.#options = options;
    this.#delivery = options.delivery;
    this.#events = options.events;
    options.delivery.supply = this;
  }

  /** The public state (a new object on every change of status or track). */
  get state(): PlayerState {
    return this.#view;
  }

  /** The source being played (or opened, buffered, paused), or null. */
  get current(): TrackSource | null {
    return sourceOf(this.#state);
  }

  /** True while packets are being delivered (status `playing`). */
  get playing(): boolean {
    return this.#state.status === 'playing';
  }

  /** True while a track is loaded (status neither idle, ended nor errored). */
  get active(): boolean {
    return sourceOf(this.#state) !== null;
  }

  /** See `Player.position`. */
  get position(): number {
    return sourceOf(this.#state)?.positionMs ?? 0;
  }

  // ------------------------------------------------------------------ the one transition

  /** Moves to `next`, doing what the change implies. Events are queued, not emitted. */
  #set(next: State): void {
    const old = this.#state;
    this.#state = next;
    const delivery = this.#delivery;
    delivery.source = next.status === 'playing' ? next.source : null;
    if (next.status === 'playing') {
      if (old.status !== 'playing') delivery.start();
    } else if (next.status === 'loading') {
      delivery.halt(); // another track, or a seek: no deadline (nor silence) until it plays
    } else if (old.status === 'playing') {
      if (next.status === 'buffering') delivery.halt(); // ran dry
      else delivery.trail(); // paused, stopped, ended, failed: the trailing silence
    } else if (sourceOf(next) === null) {
      delivery.settle();
    }
    this.#watch(old, next);
    const before = this.#view;
    const after = view(next);
    if (after.status !== before.status || after.track !== before.track) {
      this.#view = after;
      this.#events.queue('stateChange', before, after);
    }
  }

  /**
   * The stuck watchdog: armed when the player becomes due frames it is not delivering (loading or
   * buffering, not paused), and when a new source opens; disarmed when it delivers, pauses or ends.
   * When it fires, a source waiting on I/O (`waitingSince`) for less than the threshold is given
   * until it has waited that long.
   */
  #watch(old: State, next: State): void {
    if (!isDue(next)) {
      this.#stuckTimer?.cancel();
      this.#stuckTimer = null;
      return;
    }
    if (isDue(old) && sourceOf(old) === sourceOf(next) && this.#stuckTimer !== null) return;
    this.#stuckTimer?.cancel();
    this.#stuckTimer = null;
    const threshold = this.#options.stuckThresholdMs;
    if (threshold === Number.POSITIVE_INFINITY) return;
    const clock = this.#options.clock;
    this.#stuckTimer = clock.setTimer(clock.now() + threshold, (this.#onStuck ??= () => this.#stuck()));
  }

  #onStuck: (() => void) | null = null;

  #stuck(): void {
    this.#stuckTimer = null;
    const state = this.#state;
    const source = sourceOf(state);
    if (source === null || !isDue(state)) return;
    const thresholdMs = this.#options.stuckThresholdMs;
    const clock = this.#options.clock;
    const waiting = source.waitingSince;
    if (waiting !== null && clock.now() - waiting < thresholdMs) {
      // Waiting on I/O, and not starved that long yet: the fetcher's own budgets have it (a
      // trickle or a stall fails there, as NETWORK); stuck only once it has waited the threshold.
      this.#stuckTimer = clock.setTimer(waiting + thresholdMs, this.#onStuck!);
      return;
    }
    this.#events.queue('trackStuck', source.track, { thresholdMs, positionMs: source.positionMs });
    const error = new SpenceError(ErrorCodes.STUCK, `The track delivered no audio for ${thresholdMs} ms (${state.status})`, { source: 'player' });
    this.#fail(source, error);
    this.#events.flush();
  }

  // ------------------------------------------------------------------------- commands

  /** Starts `track` (ending the current one with `replaced`); see `Player.load`. */
  begin(track: Track, rule: StartRule, frameIndex: number, paused: boolean, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, 'load');
    this.#dropNext();
    const source = this.#newSource(track, rule, frameIndex, this.#options.readAheadUs);
    const next: State = { status: 'loading', source, paused };
    if (sourceOf(this.#state) !== null) this.#endCurrent('replaced', next);
    else this.#set(next);
    this.#delivery.loaded();
    const promise = this.#load(source, signal, 'load');
    this.#events.flush();
    return promise;
  }

  /** Reopens the current track at `ms` (a seek); see `Player.seek`. */
  seek(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const state = this.#state;
    const cur = sourceOf(state)!;
    if (signal?.aborted) return Promise.reject(abortError(signal, 'seek'));
    const source = this.#newSource(cur.track, { kind: 'seek', ms }, cur.nextFrameIndex, this.#options.readAheadUs);
    source.started = cur.started;
    const paused = state.status === 'paused' || (state.status === 'loading' && state.paused);
    this.#resolveWaiter(cur);
    cur.close();
    this.#set({ status: 'loading', source, paused });
    const promise = this.#load(source, signal, 'seek');
    this.#events.flush();
    return promise;
  }

  /** See `Player.pause`. */
  pause(): boolean {
    const state = this.#state;
    switch (state.status) {
      case 'playing':
        this.#set({ status: 'paused', source: state.source, ready: true });
        break;
      case 'buffering':
        this.#set({ status: 'paused', source: state.source, ready: false });
        break;
      case 'loading':
        if (state.paused) return false;
        this.#set({ status: 'loading', source: state.source, paused: true });
        break;
      default:
        return false;
    }
    this.#events.flush();
    return true;
  }

  /** See `Player.resume`. */
  resume(): boolean {
    const state = this.#state;
    if (state.status === 'paused') {
      const source = state.source;
      if (state.ready) this.#set({ status: 'playing', source });
      else this.#set({ status: 'buffering', source, reason: source.underrunAt === null ? 'start' : 'underrun' });
      this.#check(source);
    } else if (state.status === 'loading' && state.paused) {
      this.#set({ status: 'loading', source: state.source, paused: false });
    } else {
      return false;
    }
    this.#events.flush();
    return true;
  }

  /** See `Player.stop`. */
  stop(): boolean {
    this.#dropNext();
    if (sourceOf(this.#state) === null) return false;
    this.#endCurrent('stopped', IDLE);
    this.#events.flush();
    return true;
  }

  /** See `Player.preload`. */
  preload(track: Track, signal: AbortSignal | undefined): Promise<void> {
    this.#dropNext();
    // Made with the bound it will have once current (its ring's memory is sized for it), filled to the prebuffer until then.
    const source = this.#newSource(track, { kind: 'start' }, 0, this.#options.readAheadUs);
    source.limitUs = this.#options.prebufferUs;
    source.preloaded = true;
    this.#next = source;
    const promise = new Promise<void>((resolve, reject) => {
      this.#preloadWaiter = { source, resolve, reject };
    });
    const onAbort = (): void => {
      if (this.#next !== source) return;
      const w = this.#preloadWaiter;
      this.#preloadWaiter = null;
      this.#dropNext();
      w?.reject(abortError(signal, 'preload'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    source.open(this.#options.open, signal);
    return promise.finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /** See `Player.snapshot`. */
  snapshot(): PlayerSnapshot {
    const cur = sourceOf(this.#state);
    if (cur === null) throw new SpenceError(ErrorCodes.INVALID_STATE, 'There is no track to snapshot');
    const snap: PlayerSnapshot = {
      version: 1,
      track: cur.track.encoded,
      frameIndex: cur.nextFrameIndex,
      positionMs: cur.positionMs,
      status: this.#view.status,
    };
    const head = cur.peekTimestampMs();
    if (head !== undefined) snap.nextTimestampMs = head;
    else if (!Number.isNaN(cur.lastTimestampMs)) snap.lastTimestampMs = cur.lastTimestampMs;
    return snap;
  }

  /** New volume or filters for the current and preloaded tracks. */
  applySettings(settings: AudioSettings): void {
    sourceOf(this.#state)?.applySettings(settings);
    this.#next?.applySettings(settings);
    this.#events.flush();
  }

  /** Ends the current track with `cleanup` and drops the preloaded one (see `Player.destroy`). */
  destroy(): void {
    this.#dropNext();
    if (sourceOf(this.#state) !== null) this.#endCurrent('cleanup', IDLE);
    this.#stuckTimer?.cancel();
    this.#stuckTimer = null;
    this.#events.flush();
  }

  // -------------------------------------------------------------------------- loading

  #newSource(track: Track, rule: StartRule, frameIndex: number, limitUs: number): TrackSource {
    const starts = this.#delivery.mode === 'push' ? (this.#options.starts ?? null) : null;
    const source = new TrackSource(track, rule, frameIndex, limitUs, this, this.#options.transcode, starts);
    source.positionHintMs = rule.kind === 'start' ? 0 : rule.ms;
    return source;
  }

  /**
   * The promise of a load (or seek, restore) of `source`, which starts opening it: resolves when
   * it is ready (or paused and ready), or when another command supersedes it; rejects with its
   * failure, or `ABORTED` when `signal` fires first (the track is then stopped).
   */
  #load(source: TrackSource, signal: AbortSignal | undefined, what: string): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.#waiter = { source, resolve, reject };
    });
    if (signal === undefined) {
      source.open(this.#options.open);
      return promise;
    }
    const onAbort = (): void => {
      if (sourceOf(this.#state) !== source || this.#waiter?.source !== source) return;
      this.#rejectWaiter(source, abortError(signal, what));
      this.#endCurrent('stopped', IDLE);
      this.#events.flush();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    source.open(this.#options.open, signal);
    return promise.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** See {@link SourceOwner.opened}. */
  opened(source: TrackSource): void {
    if (source.preloaded) {
      if (source.closed) return;
      source.pump();
      this.changed(source);
      return;
    }
    const state = this.#state;
    if (state.status !== 'loading' || state.source !== source) return;
    this.#set(state.paused ? { status: 'paused', source, ready: false } : { status: 'buffering', source, reason: 'start' });
    source.pump();
    this.changed(source);
  }

  /** See {@link SourceOwner.openFailed}. */
  openFailed(source: TrackSource, error: SpenceError): void {
    if (source.preloaded) {
      if (source.closed) return;
      source.error = error;
      this.changed(source);
      return;
    }
    if (sourceOf(this.#state) !== source) return;
    // Its signal fired (the load's abort listener ends it), or it was closed.
    if (error.code === ErrorCodes.ABORTED && source.controller.signal.aborted) return;
    this.#fail(source, error);
    this.#events.flush();
  }

  /**
   * See {@link SourceOwner.damaged}: a `damage` event. The demuxer reports in the middle of a
   * feed: the event is emitted once that is over (a microtask later), so that a listener that
   * stops the player does not pull the ring from under the feed.
   */
  damaged(source: TrackSource, damage: DemuxDamage): void {
    this.#events.queue('damage', { ...damage, track: source.track });
    queueMicrotask((this.#flushEvents ??= () => this.#events.flush()));
  }

  #flushEvents: (() => void) | null = null;

  /** See {@link SourceOwner.changed}. */
  changed(source: TrackSource): void {
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
    if (sourceOf(this.#state) !== source) return;
    this.#check(source);
    this.#delivery.feedStream();
    this.#events.flush();
  }

  /**
   * Buffering (or paused before it was ready): is the (pre/re)buffer reached? Then the track plays
   * (or is ready, paused) and its load resolves; a track that has nothing to play at all ends at
   * once (`finished` after a seek past its end; `loadFailed` when it failed or held no packet).
   */
  #check(source: TrackSource): void {
    const state = this.#state;
    const waiting = state.status === 'buffering' || (state.status === 'paused' && !state.ready);
    if (!waiting) return;
    const options = this.#options;
    const need = source.underrunAt !== null ? options.rebufferUs : options.prebufferUs;
    const buffered = source.bufferedUs >= need || source.bufferedUs >= source.limitUs || source.done;
    // A transcoding source is ready once its transcoder has a frame, not just its input buffered.
    if (!(buffered && source.outputReady) && source.error === null) return;
    if (source.length === 0 && source.error !== null) {
      this.#fail(source, source.error);
    } else if (source.exhausted && source.error === null && source.underrunAt === null) {
      // Nothing to play from here (a seek or restore past the end): the track ends, as Lavalink's
      // does, with the trailing silence of a player that was to play (the one a played end has).
      this.#endCurrent('finished', { status: 'ended', track: source.track });
      if (state.status === 'buffering') this.#delivery.trail();
    } else {
      source.endStart();
      this.#resolveWaiter(source);
      if (state.status === 'paused') this.#set({ status: 'paused', source, ready: true });
      else this.#set({ status: 'playing', source });
    }
  }

  // --------------------------------------------------------------------------- taking

  /** See {@link PacketSupply.ranOut}. */
  ranOut(source: TrackSource, borrow: OpusPacket | null): OpusPacket | null {
    for (let cur = source; ; ) {
      if (!cur.exhausted) {
        // Ran dry: wait for data, out of the scheduler.
        cur.underrunAt = this.#delivery.takeAt;
        this.#set({ status: 'buffering', source: cur, reason: 'underrun' });
        return null;
      }
      if (cur.error !== null) {
        this.#fail(cur, cur.error);
        return null;
      }
      const next = this.#switchToNext(cur);
      if (next === null) {
        this.#endCurrent('finished', { status: 'ended', track: cur.track });
        return null;
      }
      const packet = next.shift(borrow);
      if (packet !== undefined) {
        this.taken = next;
        return packet;
      }
      cur = next;
    }
  }

  /** See {@link PacketSupply.note}. */
  note(source: TrackSource, packet: OpusPacket): void {
    if (!source.started) {
      source.started = true;
      this.#events.queue('trackStart', source.track);
    }
    if (source.underrunAt !== null) this.#reportUnderrun(source, packet);
  }

  #reportUnderrun(source: TrackSource, packet: OpusPacket): void {
    const startedAt = source.underrunAt!;
    const durationMs = Math.max(0, this.#delivery.takeAt - startedAt);
    const frames = Math.max(1, Math.ceil(durationMs / (source.lastMicros / 1000)));
    this.#delivery.noteNulled(frames);
    this.#events.queue('underrun', { track: source.track, startedAt, durationMs, frames, positionMs: packet.timestampMs });
    source.underrunAt = null;
  }

  /** Gapless: the preloaded track continues the same timeline. Returns it, or null when there is none. */
  #switchToNext(cur: TrackSource): TrackSource | null {
    const next = this.#next;
    if (next === null) return null;
    this.#next = null;
    const w = this.#preloadWaiter;
    this.#preloadWaiter = null;
    w?.resolve();
    this.#events.queue('trackEnd', cur.track, 'finished', this.#details(cur, 'finished'));
    // Closed, not just dropped: its ring's memory goes to the next track's ring.
    cur.close();
    next.limitUs = this.#options.readAheadUs;
    next.pump();
    this.#set({ status: 'playing', source: next });
    return next;
  }

  // --------------------------------------------------------------------------- ending

  /** How far `source` got, for its `trackEnd`. */
  #details(source: TrackSource, reason: TrackEndReason, error?: SpenceError): TrackEndDetails {
    const finished = reason === 'finished';
    const positionMs = finished && !Number.isNaN(source.demuxedEndMs) ? source.demuxedEndMs : source.positionMs;
    const expectedMs = source.expectedMs;
    const details: TrackEndDetails = {
      positionMs,
      expectedMs,
      short: finished && expectedMs !== null && positionMs < expectedMs - SHORT_TRACK_TOLERANCE_MS,
    };
    if (error !== undefined) details.error = error;
    return details;
  }

  /** Ends the current track with `reason` and moves to `next`. */
  #endCurrent(reason: TrackEndReason, next: State): void {
    const source = sourceOf(this.#state);
    if (source === null) return;
    const details = this.#details(source, reason);
    source.close();
    this.#resolveWaiter(source);
    this.#events.queue('trackEnd', source.track, reason, details);
    this.#set(next);
  }

  /** The current track failed: `error` (when listened to), `trackEnd` with `loadFailed`, `errored`. */
  #fail(source: TrackSource, error: SpenceError): void {
    if (source !== sourceOf(this.#state)) return;
    this.#dropNext();
    const details = this.#details(source, 'loadFailed', error);
    source.close();
    this.#rejectWaiter(source, error);
    // A stuck track is reported by `trackStuck`, as Lavalink's is, not as an exception.
    if (error.code !== ErrorCodes.STUCK && this.#events.listened('error')) this.#events.queue('error', error);
    this.#events.queue('trackEnd', source.track, 'loadFailed', details);
    this.#set({ status: 'errored', track: source.track, error });
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

  /** The source is ready, or superseded (replaced, stopped, sought away from): its load resolves. */
  #resolveWaiter(source: TrackSource): void {
    const w = this.#waiter;
    if (w !== null && w.source === source) {
      this.#waiter = null;
      w.resolve();
    }
  }

  #rejectWaiter(source: TrackSource, error: SpenceError): void {
    const w = this.#waiter;
    if (w !== null && w.source === source) {
      this.#waiter = null;
      w.reject(error);
    }
  }
}
