/**
 * One opened track inside a player: the opener's packets (pulled by `fill()`, the one pull path:
 * see `pull.ts`), a read-ahead ring bounded by duration, and the pump that pulls only while the
 * ring is below its bound.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, toSpenceError } from '../errors.js';
import type { DemuxDamage, OpusPacket, OpusStreamInfo } from '../demux/types.js';
import type { Track } from '../resolve/track.js';
import type { TranscodeInput } from '../transcode/decode/types.js';
import type { TranscoderOptions } from '../transcode/transcoder.js';
import { PASS, TranscodeStage, isIdentity, sourceRatio, type AudioSettings, type StageRing, type TranscoderFactory } from './transcode-stage.js';
import type { FillTarget, FillTrack, OpenedTrack, TrackOpenOptions, TrackOpener } from './types.js';
import { toFillTrack } from './pull.js';
import { PacketRing, micros } from './packet-ring.js';
import type { StartGate, StartStep } from './start-gate.js';

/** What a source needs to transcode: the player's settings and how to create a transcoder. @internal */
export interface TranscodeContext {
  /** The volume and filters in force (the player sets them). */
  settings: AudioSettings;
  create: TranscoderFactory;
  transcoderOptions: TranscoderOptions;
  leadFrames: number;
}

/** Where a source starts: the packets before it are dropped as they arrive. @internal */
export type StartRule =
  | { kind: 'start' }
  /** Seek: keep from the packet containing `ms` (drop packets that end at or before it). */
  | { kind: 'seek'; ms: number }
  /** Restore: keep from the packet whose timestamp is `ms` (drop earlier ones). */
  | { kind: 'at'; ms: number }
  /** Restore: keep the packets after the one whose timestamp is `ms`. */
  | { kind: 'after'; ms: number };

/** Pacing duration of a packet in integer microseconds; a malformed 0 ms packet paces as 20 ms. */
export function packetMicros(packet: OpusPacket): number {
  return micros(packet.durationMs);
}

/**
 * Spreads refills: each source's refill hysteresis is 100 ms plus a share of 900 ms picked by a
 * counter through a multiplicative hash (evenly spread, not in steps). Players started together
 * at the same point of the same file (a restart restoring 5000 snapshots, a benchmark) would
 * otherwise refill together, every time: a read completion and a demux for each, bunched between
 * two ticks, which then run late. Spread over most of a read's period (a 16 KiB read is about a
 * second of audio), the refills of 5000 players come a few per millisecond. Deterministic (a
 * counter, not a random number): refill timing never changes which packet goes out when.
 */
let refillSpread = 0;

/**
 * What a source tells its owner (the player's playback): no callback of its own per source, so
 * that a source waiting for its turn at the start gate holds no closure. @internal
 */
export interface SourceOwner {
  /** The source buffered more, ended or failed. */
  changed(source: TrackSource): void;
  /** The source is open (see {@link TrackSource.open}). */
  opened(source: TrackSource): void;
  /** The source could not be opened: `error` (`ABORTED` when its signal fired or it was closed). */
  openFailed(source: TrackSource, error: SpenceError): void;
  /** The demuxer skipped a damaged stretch of the source (see `TrackOpenOptions.onDamage`). */
  damaged(source: TrackSource, damage: DemuxDamage): void;
}

/** Filled in by packets shifted only to be dropped: no bytes of their own made for them. */
const DISCARDED: OpusPacket = { data: new Uint8Array(0), timestampMs: 0, durationMs: 0 };

/**
 * What a source hands its opener to fill: its ring, through the source's start rule. One small
 * object, not an object of two closures and their context: a player keeps it for the track.
 */
class SourceSink implements FillTarget {
  readonly #source: TrackSource;
  readonly #ring: PacketRing;

  constructor(source: TrackSource, ring: PacketRing) {
    this.#source = source;
    this.#ring = ring;
  }

  packet(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    this.#source.acceptPacket(bytes, start, end, timestampMs, durationMs);
  }

  readBuffer(pending?: number): Uint8Array {
    return this.#ring.readBuffer(pending);
  }
}

/** @internal */
export class TrackSource implements StartStep {
  // Read at every frame, declared first so that they sit together in memory: at thousands of
  // players a frame finds this object cold in the CPU caches, and each line it spans is a miss.
  /** Present only while transcoding (or switching): null is plain Opus passthrough, at no cost. */
  #stage: TranscodeStage | null = null;
  /** The read-ahead: packets as bytes, no object per packet (see `packet-ring.ts`). */
  readonly #ring = new PacketRing();
  /** The pacing duration (µs) of the packet the last {@link shift} returned. */
  lastMicros = 20_000;
  /** The frame index the first kept packet will carry. */
  nextFrameIndex: number;
  /** Sequence number of the ring's head: units shifted or dropped so far. */
  #seq = 0;
  /** The pump restarts when the queue falls to this (the bound less a little hysteresis). */
  #refillAtUs = 0;
  #pumping = false;
  #pumpQueued = false;
  /** The opener said the track is over. */
  done = false;
  /** The open or a read failed. */
  error: SpenceError | null = null;
  #opened: FillTrack | null = null;
  readonly track: Track;
  /** `trackStart` was emitted for this track (a seek's new source carries it over). */
  started = false;
  /** The clock time the player ran dry on this source (see `underrun`); null while it has not. */
  underrunAt: number | null = null;
  /** The last delivered packet's timestamp; NaN before one (a number field: stored without boxing). */
  lastTimestampMs = Number.NaN;

  /** Made when first needed (the open, after the source's turn at the start gate). */
  #controller: AbortController | null = null;
  info: OpusStreamInfo | null = null;
  /** The source codec (from the opener). */
  codec: 'opus' | 'mp3' = 'opus';
  /**
   * Where an opener's `fill()` demuxes to: the ring, through the start rule; it reads into the
   * ring's memory. Made with the first fill.
   */
  #sink: FillTarget | null = null;
  /** Set by the playback: this source was preloaded (see `Playback.preload`). */
  preloaded = false;
  /** Packets the opener gave (before the start rule dropped any). */
  demuxed = 0;
  /** The end (timestamp + duration, ms) of the last packet the opener gave; NaN before one. */
  demuxedEndMs = Number.NaN;
  /** The duration the track declares (the container's, else its metadata), ms; null when unknown. */
  expectedMs: number | null = null;
  /** The position before any packet: where the source was opened (0, or the seek target). */
  positionHintMs = 0;
  closed = false;
  #rule: StartRule;
  /** Opened from the track's start (not at a position). */
  readonly #fromStart: boolean;
  readonly #owner: SourceOwner;
  /** What {@link open} was given, kept while the source waits for its turn at the start gate. */
  #opener: TrackOpener | null = null;
  #signal: AbortSignal | undefined = undefined;
  /** Waiting for a turn at the start gate (see {@link go}). */
  #atGate = false;
  #deferredPump: (() => void) | null = null;
  #limitUs = 0;
  /** The bound as set ({@link limitUs}), before the timescale's scale. */
  #baseLimitUs = 0;
  /**
   * The read-ahead is bounded by duration of *output*: with a timescale that plays the track
   * faster (speed · rate above 1), it holds that many times more of the track.
   */
  #scale = 1;
  readonly #spreadUs: number;
  readonly #transcode: TranscodeContext | null;
  #stageRing: StageRing | null = null;
  /** The frame index when opened: nothing has been delivered while `nextFrameIndex` equals it. */
  #openedFrameIndex = -1;
  /** The bound the ring's memory is sized for: the one the source was made with (see the constructor). */
  readonly #sizeUs: number;
  /**
   * The pace of starts, while the source is starting: its open and each fill until the read-ahead
   * first reaches its bound take their turns there (see `start-gate.ts`); null once started.
   */
  #starts: StartGate | null;
  /** The gate's millisecond of this source's last turn: its steps within it need no other. */
  #turnMs = Number.NaN;

  /**
   * `limitUs`: the read-ahead bound; the ring's memory is sized for it (see {@link PacketRing.expect}),
   * so a source that starts with a smaller one (a preload's prebuffer) is made with the bound it
   * will have and given the smaller one after.
   */
  constructor(
    track: Track, rule: StartRule, firstFrameIndex: number, limitUs: number, owner: SourceOwner,
    transcode: TranscodeContext | null = null, starts: StartGate | null = null,
  ) {
    this.track = track;
    this.#transcode = transcode;
    this.#rule = rule;
    this.#fromStart = rule.kind === 'start';
    this.nextFrameIndex = firstFrameIndex;
    this.#spreadUs = 100_000 + (Math.imul(refillSpread++, 0x9e3779b1) >>> 0) % 900_001;
    const settings = transcode?.settings;
    if (settings !== undefined) this.#scale = Math.max(1, sourceRatio(settings));
    this.limitUs = limitUs;
    this.#sizeUs = limitUs;
    this.#starts = starts;
    this.#owner = owner;
  }

  /** Aborted when the source is closed (and with the signal given to {@link open}). */
  get controller(): AbortController {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.closed) this.#controller.abort(released());
    }
    return this.#controller;
  }

  /** The read-ahead bound in µs of the track; the pump stops when the queue holds this much. */
  get limitUs(): number {
    return this.#limitUs;
  }

  /** Sets the bound in µs of output (see {@link #scale}). */
  set limitUs(base: number) {
    this.#baseLimitUs = base;
    const us = base * this.#scale;
    this.#limitUs = us;
    // Refill with hysteresis (100 to 1000 ms, at most a third of the bound): the pump restarts
    // per batch rather than per packet, yet never in big bursts, and not on the same frame for
    // every player (see refillSpread).
    this.#refillAtUs = us - Math.min(us / 3, this.#spreadUs);
  }

  get length(): number {
    return this.#ring.count;
  }

  /** Duration of the queued packets, µs. */
  get bufferedUs(): number {
    return this.#ring.bufferedUs;
  }

  /**
   * The position in ms: the timestamp of the next packet to deliver, else the end of the last one
   * delivered, else where the source was opened.
   */
  get positionMs(): number {
    const head = this.peekTimestampMs();
    if (head !== undefined) return head;
    if (!Number.isNaN(this.lastTimestampMs)) return this.lastTimestampMs + this.lastMicros / 1000;
    return this.positionHintMs;
  }

  /** See `OpenedTrackInfo.waitingSince` (null before the open and after the end). */
  get waitingSince(): number | null {
    return this.#opened?.waitingSince ?? null;
  }

  /** The timestamp of the next packet {@link shift} would return, or undefined when none is queued. */
  peekTimestampMs(): number | undefined {
    const stage = this.#stage;
    if (stage !== null && stage.outputting) return stage.peek()?.timestampMs;
    return this.#ring.headTimestampMs;
  }

  /** True while packets come out of a transcoder rather than the ring. */
  get transcoding(): boolean {
    return this.#stage?.outputting ?? false;
  }

  /** True when {@link shift} would not wait on a transcoder (always, in passthrough). */
  get outputReady(): boolean {
    return this.#stage?.outputReady ?? true;
  }

  /**
   * The next packet, or undefined when none is ready. Restarts the pump as room appears. With a
   * transcoding stage, the packet is the stage's (a transcoded 20 ms frame) or the ring's own.
   * `borrow`: see {@link PacketRing.shift} (a ring packet's bytes are a view of the ring).
   */
  shift(borrow: OpusPacket | null = null): OpusPacket | undefined {
    const stage = this.#stage;
    if (stage !== null) {
      const out = stage.next();
      if (out !== PASS) {
        if (out !== undefined) {
          this.lastMicros = packetMicros(out);
          this.nextFrameIndex++;
        } else if (stage.finished) {
          while (this.#ring.count > 0) this.#shiftUnit(DISCARDED); // left over after the last frame: nothing more to hear
        }
        return out;
      }
      if (stage.detached) this.#stage = null;
    }
    const packet = this.#shiftUnit(borrow);
    if (packet !== undefined) this.nextFrameIndex++;
    return packet;
  }

  /** Removes the ring's head unit and accounts for it (pacing duration, refill). */
  #shiftUnit(borrow: OpusPacket | null): OpusPacket | undefined {
    const ring = this.#ring;
    const packet = ring.shift(borrow);
    if (packet === undefined) return undefined;
    this.lastMicros = ring.lastMicros;
    this.#seq++;
    if (ring.bufferedUs <= this.#refillAtUs && !this.#pumping && !this.#pumpQueued && !this.done && this.error === null && this.#opened !== null) {
      // Not inside the caller (the scheduler's tick): the refill (a demuxer push, often without
      // I/O) runs right after it, so it delays no other player's frame in that tick.
      this.#pumpQueued = true;
      queueMicrotask((this.#deferredPump ??= () => {
        this.#pumpQueued = false;
        this.pump();
      }));
    }
    return packet;
  }

  /** True when nothing more will come: done or failed, and the queue (or the transcoder) is empty. */
  get exhausted(): boolean {
    const stage = this.#stage;
    if (stage !== null && this.error === null && stage.outputting) return stage.finished;
    return this.length === 0 && (this.done || this.error !== null);
  }

  /**
   * New volume or filters. Passthrough Opus starts a transcoding stage only when they change
   * something; a stage goes on its own way back to passthrough when they no longer do.
   */
  applySettings(settings: AudioSettings): void {
    const scale = Math.max(1, sourceRatio(settings));
    if (scale !== this.#scale) {
      this.#scale = scale;
      this.limitUs = this.#baseLimitUs;
      this.pump(); // a larger bound: read on
    }
    const stage = this.#stage;
    if (stage !== null) {
      stage.setSettings(settings);
      return;
    }
    if (this.#transcode === null || this.info === null || this.closed || this.error !== null || isIdentity(settings)) return;
    if (this.done && this.#ring.count === 0) return;
    // Nothing delivered yet: the transcoder starts at the first packet, no switch needed.
    void this.#startStage(this.nextFrameIndex === this.#openedFrameIndex, settings, false);
  }

  #startStage(fromStart: boolean, settings: AudioSettings, rethrow: boolean): Promise<void> {
    const ctx = this.#transcode!;
    const info = this.info!;
    const input: TranscodeInput = this.codec === 'mp3'
      ? { codec: 'mp3' }
      : {
          codec: 'opus',
          channels: info.channels,
          // No pre-skip: the transcoded frames stay aligned with the packets as passthrough plays them.
          ...(info.opusHead !== undefined && { opusHead: info.opusHead }),
        };
    this.#stageRing ??= this.#makeStageRing();
    const stage = new TranscodeStage({
      ring: this.#stageRing,
      input,
      create: ctx.create,
      transcoderOptions: ctx.transcoderOptions,
      leadFrames: ctx.leadFrames,
      settings,
      fromStart,
      onChange: () => this.#onStageChange(stage),
    });
    this.#stage = stage;
    return stage.start(this.controller.signal, rethrow);
  }

  #onStageChange(stage: TranscodeStage): void {
    if (stage !== this.#stage || this.closed) return;
    if (stage.failed !== null && this.error === null) {
      this.error = stage.failed;
      this.#dropRing();
    }
    if (stage.detached) {
      // Before the next shift: the ring's packets go out as they are.
      if (!stage.outputting) this.#stage = null;
    }
    this.#owner.changed(this);
  }

  #makeStageRing(): StageRing {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const source = this;
    return {
      get headSeq() {
        return source.#seq;
      },
      get length() {
        return source.#ring.count;
      },
      at: (i) => this.#ring.at(i),
      drop: () => void this.#shiftUnit(DISCARDED),
      get done() {
        return source.done;
      },
    };
  }

  #dropRing(): void {
    this.#ring.clear();
  }

  /**
   * Opens the track through `opener`, after the source's turn at the start gate when it has one,
   * and tells its owner how it went (`opened`, or `openFailed` with a SpenceError), never before
   * this call has returned. `signal` aborts the open (a source closed meanwhile fails `ABORTED`).
   */
  open(opener: TrackOpener, signal?: AbortSignal): void {
    this.#opener = opener;
    this.#signal = signal;
    const gate = this.#starts;
    if (gate === null || gate.enter(this, false)) this.#goFrom(gate);
    else this.#atGate = true;
  }

  /** See {@link StartStep.cancelled}: a source that left the gate (closed, or started) gives up its turn. */
  get cancelled(): boolean {
    return !this.#atGate;
  }

  /** See {@link StartStep.go}: the source's turn at the start gate: it opens, or fills on. */
  go(): void {
    this.#atGate = false;
    this.#goFrom(this.#starts);
  }

  #goFrom(gate: StartGate | null): void {
    if (gate !== null) this.#turnMs = gate.ms;
    if (this.#opener !== null) void this.#openNow(this.#opener);
    else this.pump();
  }

  async #openNow(opener: TrackOpener): Promise<void> {
    this.#opener = null;
    const signal = this.#signal;
    this.#signal = undefined;
    let failure: SpenceError | null = null;
    try {
      await this.#openWith(opener, signal);
    } catch (error) {
      failure = toSpenceError(error, ErrorCodes.UPSTREAM, 'The track could not be opened', this.controller.signal);
    }
    if (failure === null) this.#owner.opened(this);
    else this.#owner.openFailed(this, failure);
  }

  async #openWith(opener: TrackOpener, signal: AbortSignal | undefined): Promise<void> {
    const ctl = this.controller;
    const onAbort = (): void => ctl.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (ctl.signal.aborted) throw abortError(ctl.signal, 'track open');
      const options: TrackOpenOptions = { signal: ctl.signal };
      if (this.#rule.kind !== 'start') options.startMs = this.#rule.ms;
      options.onDamage = (damage) => {
        if (!this.closed) this.#owner.damaged(this, damage);
      };
      const opened = await opener(this.track, options);
      if (this.closed || ctl.signal.aborted) {
        safeClose(opened);
        throw abortError(ctl.signal, 'track open');
      }
      this.#opened = toFillTrack(opened);
      this.info = opened.info;
      this.expectedMs = declaredDuration(opened.info.durationMs ?? opened.sourceInfo?.durationMs ?? (this.track.isStream ? null : this.track.durationMs));
      const byteLength = opened.byteLength;
      if (typeof byteLength === 'number' && this.expectedMs !== null) this.#ring.expect(byteLength / this.expectedMs, (this.#sizeUs * this.#scale) / 1000);
      this.codec = opened.codec ?? 'opus';
      this.#openedFrameIndex = this.nextFrameIndex;
      const settings = this.#transcode?.settings;
      if (this.codec !== 'opus' || (settings !== undefined && !isIdentity(settings))) {
        if (this.#transcode === null || settings === undefined) {
          safeClose(opened);
          throw new SpenceError(ErrorCodes.UNAVAILABLE, `This player cannot transcode, and the track is ${this.codec}`);
        }
        // From the first packet; the open waits for the transcoder, so its failure fails the load.
        await this.#startStage(true, settings, true);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The source's start is over (its player plays it, or it is ready paused): its fills from now on
   * are a playing player's and take no turn at the start gate.
   */
  endStart(): void {
    const gate = this.#starts;
    this.#starts = null;
    if (this.#atGate) {
      // Waiting to fill on: it need not wait any more.
      this.#atGate = false;
      gate!.leave();
      this.pump();
    }
  }

  /** Starts pulling packets (if not already, nor waiting for a turn), up to the bound. */
  pump(): void {
    if (!this.#pumping && !this.#atGate && !this.done && this.error === null && this.#opened !== null) void this.#pump();
  }

  async #pump(): Promise<void> {
    const opened = this.#opened;
    if (opened === null) return;
    this.#pumping = true;
    const sink = (this.#sink ??= this.#makeSink());
    try {
      // Packets go from the demuxer's input straight into the ring: no object per packet.
      while (!this.closed && this.#ring.bufferedUs < this.#limitUs) {
        // Steps in the same millisecond as the source's turn go on without another: a fill that
        // needs no I/O (an iterator's packets one by one) is no new step.
        const gate = this.#starts;
        if (gate !== null && gate.ms !== this.#turnMs) {
          if (!gate.enter(this, true)) {
            this.#atGate = true; // go() pumps on
            return;
          }
          this.#turnMs = gate.ms;
        }
        const more = await opened.fill(sink);
        if (this.closed) return;
        if (!more) {
          this.done = true;
          break;
        }
        // A transcoder primes from new input before anyone reads it: a preloaded track's first
        // frame must be ready when it becomes current (gapless).
        this.#stage?.feed();
        this.#owner.changed(this);
      }
    } catch (error) {
      if (this.closed) return;
      this.error = toSpenceError(error, ErrorCodes.UPSTREAM, 'Reading the track failed', this.controller.signal);
    } finally {
      this.#pumping = false;
      // Started (the read-ahead reached its bound once, or the track ended or failed): refills
      // from now on take no turn.
      if (!this.#atGate) this.#starts = null;
    }
    if (!this.closed && this.done && this.error === null && this.demuxed === 0 && this.#fromStart) {
      // Not an empty track: media whose demuxer finds no packet at all is not what it claims.
      // (Opened at a position, none means nothing from there: the end, see `exhausted`.)
      this.error = new SpenceError(ErrorCodes.DEMUX, 'The media holds no audio packet', { source: 'demux' });
    }
    if (!this.closed && (this.done || this.error !== null)) {
      this.#stage?.feed(); // the end of the input reaches the transcoder too
      this.#releaseSource();
      this.#owner.changed(this);
    }
  }

  #makeSink(): FillTarget {
    return new SourceSink(this, this.#ring);
  }

  /** A demuxed packet from the opener (see {@link SourceSink}): counted, and kept unless the start rule drops it. @internal */
  acceptPacket(bytes: Uint8Array, start: number, end: number, timestampMs: number, durationMs: number): void {
    this.demuxed++;
    this.demuxedEndMs = timestampMs + durationMs;
    if (this.#rule.kind === 'start' || this.#keep(timestampMs, durationMs)) this.#ring.packet(bytes, start, end, timestampMs, durationMs);
  }

  #keep(timestampMs: number, durationMs: number): boolean {
    const rule = this.#rule;
    let keep: boolean;
    switch (rule.kind) {
      case 'start':
        return true;
      case 'seek':
        keep = timestampMs + durationMs > rule.ms;
        break;
      case 'at':
        keep = timestampMs >= rule.ms;
        break;
      case 'after':
        keep = timestampMs > rule.ms;
        break;
    }
    if (keep) this.#rule = { kind: 'start' };
    return keep;
  }

  #releaseSource(): void {
    const opened = this.#opened;
    this.#opened = null;
    if (opened !== null) safeClose(opened);
  }

  /** Aborts the open or the reads and releases the source. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#controller?.abort(released());
    if (this.#atGate) {
      this.#atGate = false;
      this.#starts!.leave();
    }
    this.#releaseSource();
    this.#stage?.close();
    this.#stage = null;
    // A fill in progress may have a read in flight into the ring's read area.
    this.#ring.release(!this.#pumping);
  }
}

function released(): SpenceError {
  return new SpenceError(ErrorCodes.ABORTED, 'The player released the track');
}

/** A declared duration worth comparing with: a positive finite number of ms, else null. */
function declaredDuration(ms: number | null | undefined): number | null {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : null;
}

function safeClose(opened: OpenedTrack): void {
  try {
    opened.close();
  } catch {
    // A failing close must not break the player; the source is being dropped anyway.
  }
}
