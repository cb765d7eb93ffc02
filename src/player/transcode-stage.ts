/**
 * The transcoding stage of one track inside a player: between the read-ahead ring (compressed
 * units: Opus packets or MP3 frames, 3 s) and the delivered packets. It exists only while it is
 * needed: for an MP3 source, and for an Opus source while the volume is not 1 or a filter is on.
 * Opus at volume 1 without filters never creates one (no decoder, no encoder, no worker message).
 *
 * The long read-ahead stays compressed in the ring; the {@link Transcoder} is fed a little ahead
 * ({@link FEED_AHEAD_MS}) and keeps only `leadFrames` encoded packets ready, so a volume or filter
 * change is heard after at most that lead, not after 3 s of audio encoded in advance.
 *
 * Seamless switching (no gap, nothing repeated or skipped):
 * - Passthrough → transcoding: the switch packet k is chosen at least {@link SWITCH_MARGIN_MS}
 *   ahead (time for the worker to render its first frames); the transcoder is fed from k − n, the
 *   n packets of pre-roll (80 ms, RFC 7845 §4.6) it decodes and drops (`skipMs`), with the encoder
 *   delay aligned, so its frame 0 is the audio of packet k. Packets before k go out as they are.
 * - Transcoding → passthrough: the transcoder is ramped to identity first; once the frames rendered
 *   after that are out, the switch happens at the first frame whose source time is the start of a
 *   buffered packet: that packet and the ones after it go out as they are.
 *
 * @module
 */

import type { OpusPacket } from '../demux/types.js';
import { ErrorCodes, SpenceError, toSpenceError } from '../errors.js';
import type { TranscodeInput } from '../transcode/decode/types.js';
import type { FilterSettings } from '../transcode/filters/types.js';
import type { Transcoder, TranscoderOptions } from '../transcode/transcoder.js';

/** A player's volume (0..10, 1 = unchanged) and Lavalink v4 filters, both validated. */
export interface AudioSettings {
  readonly volume: number;
  readonly filters: FilterSettings;
}

/** Volume 1 and no filter: what Opus passthrough plays. */
export const IDENTITY_SETTINGS: AudioSettings = Object.freeze({ volume: 1, filters: Object.freeze({}) });

/** True when `settings` change nothing (Opus can pass through). */
export function isIdentity(settings: AudioSettings): boolean {
  return settings.volume === 1 && Object.keys(settings.filters).length === 0;
}

/**
 * Source time played per unit of output time: the timescale's speed · rate (1 without one). At 5,
 * a second of output takes five of the track: what is read and fed ahead must be five times as long.
 */
export function sourceRatio(settings: AudioSettings): number {
  const ts = settings.filters.timescale;
  return ts ? (ts.speed ?? 1) * (ts.rate ?? 1) : 1;
}

/** Creates a transcoder; the player's default runs it in the node's worker pool. */
export type TranscoderFactory = (input: TranscodeInput, options: TranscoderOptions) => Promise<Transcoder>;

/** The ring as the stage sees it: units by index from the head, with absolute sequence numbers. */
export interface StageRing {
  /** The sequence number of the head unit (units shifted or dropped so far). */
  readonly headSeq: number;
  /** Units buffered. */
  readonly length: number;
  /** The unit `i` places after the head (0 ≤ i < length). */
  at(i: number): OpusPacket;
  /** Removes the head unit (its audio has been transcoded and delivered). */
  drop(): void;
  /** No more units will come. */
  readonly done: boolean;
}

/** Pre-roll fed before the switch packet and dropped after decoding (RFC 7845 §4.6 recommends 80 ms). */
export const PREROLL_MS = 80;
/** How far ahead of its deadline the switch packet is chosen: the worker's time to render the first frames. */
export const SWITCH_MARGIN_MS = 100;
/**
 * Compressed input fed to the transcoder ahead of the frame being read, in ms of output time: the
 * source time fed ahead is this times the {@link sourceRatio} (at least this), so that a fast
 * timescale still has input for its lead of frames and its stretcher's window.
 */
export const FEED_AHEAD_MS = 500;
/** A frame's source time matches a packet start within this (timestamps are float ms). */
const ALIGN_TOLERANCE_MS = 0.5;

function feedAhead(settings: AudioSettings): number {
  return FEED_AHEAD_MS * Math.max(1, sourceRatio(settings));
}

/** Returned by {@link TranscodeStage.next} when the packet comes from the ring as it is. */
export const PASS: unique symbol = Symbol('pass');

interface Lookahead {
  packet: OpusPacket;
  /** Source time of the frame's start (track ms). */
  src: number;
}

/** Options for {@link TranscodeStage}. */
export interface TranscodeStageOptions {
  ring: StageRing;
  input: TranscodeInput;
  create: TranscoderFactory;
  /** Options passed to every transcoder (pool, encoder, inline). */
  transcoderOptions: TranscoderOptions;
  /** Packets the transcoder keeps ready. */
  leadFrames: number;
  settings: AudioSettings;
  /**
   * True: transcode from the first unit the ring gets (MP3, or Opus with settings on before the
   * first packet went out). False: switch mid-track from passthrough (see the module comment).
   */
  fromStart: boolean;
  /** Called when the stage has something new: a frame ready, a failure, a detach. */
  onChange: () => void;
}

/** See the module comment. @internal */
export class TranscodeStage {
  readonly #ring: StageRing;
  readonly #options: TranscodeStageOptions;
  /** The source can go back to passthrough (it is Opus). */
  readonly #canRelease: boolean;
  #settings: AudioSettings;
  /** {@link FEED_AHEAD_MS} in source time, at the settings' {@link sourceRatio}. */
  #feedAheadMs: number;
  /** The settings the transcoder last received (creation or set*). */
  #applied: AudioSettings;
  #t: Transcoder | null = null;
  #engaged: boolean;
  /** Sequence number of the first unit whose audio comes out of the transcoder. */
  #switchSeq = 0;
  /** Sequence number of the next unit to feed. */
  #feedSeq = 0;
  #fedEndMs = Number.NEGATIVE_INFINITY;
  #blocked = false;
  #inputEnded = false;
  /** Track time of the transcoder's time 0 (NaN until the first unit is fed, from the start). */
  #base = Number.NaN;
  #lastSrc = 0;
  readonly #preMs: number;
  #lookahead: Lookahead | null = null;
  #delivered = 0;
  /** Frames delivered after which the switch back to passthrough is looked for; -1: not wanted. */
  #releaseAt = -1;
  #closed = false;
  /** The stage let go: the ring's packets go out as they are from now on. */
  detached = false;
  /** The transcoder could not be created or failed. */
  failed: SpenceError | null = null;

  constructor(options: TranscodeStageOptions) {
    this.#ring = options.ring;
    this.#options = options;
    this.#canRelease = options.input.codec === 'opus';
    this.#settings = options.settings;
    this.#feedAheadMs = feedAhead(options.settings);
    this.#applied = options.fromStart ? options.settings : IDENTITY_SETTINGS;
    this.#engaged = options.fromStart;
    this.#switchSeq = options.ring.headSeq;
    this.#feedSeq = options.ring.headSeq;
    // Pre-roll in whole packets of the current duration (20 ms → 4 packets, 60 ms → 2).
    const d = options.ring.length > 0 ? options.ring.at(0).durationMs : 20;
    this.#preMs = options.fromStart ? 0 : Math.ceil(PREROLL_MS / d - 1e-9) * d;
  }

  /** True once packets come out of the transcoder (the ring's head has reached the switch packet). */
  get outputting(): boolean {
    return this.#engaged && !this.detached && this.#ring.headSeq >= this.#switchSeq;
  }

  /** True when every frame has been read. */
  get finished(): boolean {
    const t = this.#t;
    return this.outputting && this.#inputEnded && this.#lookahead === null && t !== null && t.ended && t.error === null;
  }

  /**
   * Creates the transcoder. From the start, the settings go in at creation; mid-track, it is created
   * at identity and the settings are ramped in from the switch packet on. With `rethrow`, rejects
   * with the creation error (the track's open waits on it); otherwise a failure sets {@link failed}.
   */
  async start(signal: AbortSignal, rethrow: boolean): Promise<void> {
    let t: Transcoder;
    try {
      t = await this.#options.create(this.#options.input, {
        ...this.#options.transcoderOptions,
        volume: this.#applied.volume,
        filters: this.#applied.filters,
        skipMs: this.#preMs,
        leadFrames: this.#options.leadFrames,
        signal,
      });
    } catch (error) {
      const failure = toSpenceError(error, ErrorCodes.UNAVAILABLE, 'The transcoder could not be created', signal);
      if (rethrow) throw failure;
      if (!this.#closed) this.#fail(failure);
      return;
    }
    if (this.#closed) {
      t.destroy();
      return;
    }
    this.#t = t;
    t.on('readable', this.#options.onChange);
    t.on('drain', () => {
      this.#blocked = false;
      this.feed();
      this.#options.onChange();
    });
    t.on('error', (error: SpenceError) => this.#fail(error));
    if (isIdentity(this.#settings) && this.#canRelease) {
      this.#detach();
      return;
    }
    this.#apply();
    if (!this.#engaged) this.#tryEngage();
    // Prime at once: a preloaded track is not read until it becomes current, and its first frame
    // must be ready then (gapless), so the transcoder starts on its input now.
    this.feed();
    this.#options.onChange();
  }

  /** New settings: applied to the transcoder (ramped), or the way back to passthrough begins. */
  setSettings(settings: AudioSettings): void {
    this.#settings = settings;
    this.#feedAheadMs = feedAhead(settings);
    if (this.#t === null || this.detached) return; // applied when it is created
    if (isIdentity(settings) && this.#canRelease) {
      if (!this.outputting || this.#delivered === 0) {
        // Nothing of it has been heard: drop it, the ring's packets go out as they are.
        this.#detach();
        return;
      }
      if (this.#releaseAt < 0) this.#releaseAt = this.#delivered + this.#options.leadFrames + 2;
    } else {
      this.#releaseAt = -1;
    }
    this.#apply();
    this.feed(); // a faster timescale wants more input ahead
  }

  #apply(): void {
    const t = this.#t!;
    const target = this.#settings;
    const applied = this.#applied;
    if (target.volume !== applied.volume) t.setVolume(target.volume);
    if (target.filters !== applied.filters) t.setFilters(target.filters);
    this.#applied = target;
  }

  /** The next packet to deliver, {@link PASS} for the ring's own, or undefined when none is ready. */
  next(): OpusPacket | undefined | typeof PASS {
    if (this.failed !== null) return undefined;
    if (this.detached) return PASS;
    if (!this.#engaged) {
      this.#tryEngage();
      if (!this.#engaged) return PASS;
    }
    if (this.#ring.headSeq < this.#switchSeq) return PASS;
    const f = this.#peekFrame();
    if (f === null) return undefined;
    if (this.#releaseAt >= 0 && this.#delivered >= this.#releaseAt && this.#tryRelease(f.src)) return PASS;
    this.#lookahead = null;
    this.#delivered++;
    this.#prune(f.src);
    this.feed();
    return f.packet;
  }

  /** The next packet this stage will deliver, when it is ready (for `position`). */
  peek(): OpusPacket | undefined {
    return this.outputting ? this.#peekFrame()?.packet : undefined;
  }

  /**
   * True when delivery can start without waiting on the transcoder: it holds its full lead of
   * frames (or all that is left of the track). One ready frame is not enough: the next deadline,
   * 20 ms later, would find the worker still encoding and underrun.
   */
  get outputReady(): boolean {
    if (this.failed !== null || !this.outputting) return true;
    if (this.#peekFrame() === null) return this.finished;
    return this.#inputEnded || this.#t!.leadReady;
  }

  #peekFrame(): Lookahead | null {
    if (this.#lookahead !== null) return this.#lookahead;
    const t = this.#t;
    if (t === null) return null;
    this.feed();
    const frame = t.read();
    if (frame === null) {
      if (t.error !== null) this.#fail(t.error);
      return null;
    }
    const src = this.#base + frame.sourceTimestampMs;
    this.#lastSrc = src;
    this.#lookahead = { packet: { data: frame.data, timestampMs: this.#base + frame.timestampMs, durationMs: frame.durationMs }, src };
    return this.#lookahead;
  }

  /** Feeds units from the ring up to {@link FEED_AHEAD_MS} (in output time) past the frame being read. */
  feed(): void {
    const t = this.#t;
    if (t === null || !this.#engaged || this.detached || this.#inputEnded || this.#blocked || this.failed !== null) return;
    const ring = this.#ring;
    for (;;) {
      const i = this.#feedSeq - ring.headSeq;
      if (i >= ring.length) {
        if (ring.done) {
          this.#inputEnded = true;
          t.end();
        }
        return;
      }
      const unit = ring.at(Math.max(0, i));
      if (Number.isNaN(this.#base)) {
        this.#base = unit.timestampMs;
        this.#lastSrc = unit.timestampMs;
      }
      if (this.#fedEndMs - this.#lastSrc >= this.#feedAheadMs) return;
      this.#feedSeq = ring.headSeq + Math.max(0, i) + 1;
      this.#fedEndMs = unit.timestampMs + unit.durationMs;
      if (!t.push(unit.data)) {
        this.#blocked = true; // resumed on 'drain'
        return;
      }
    }
  }

  /** Drops the ring units whose audio ends before `src`: transcoded and delivered. */
  #prune(src: number): void {
    const ring = this.#ring;
    while (ring.length > 0 && ring.headSeq < this.#feedSeq) {
      const head = ring.at(0);
      if (head.timestampMs + head.durationMs > src + ALIGN_TOLERANCE_MS) break;
      ring.drop();
    }
  }

  /** Chooses the switch packet k (see the module comment) and feeds the pre-roll. */
  #tryEngage(): void {
    if (this.#engaged || this.#t === null || this.detached) return;
    const ring = this.#ring;
    const threshold = Math.max(SWITCH_MARGIN_MS, this.#preMs);
    let ahead = 0;
    for (let k = 1; k < ring.length && k < 1024; k++) {
      ahead += ring.at(k - 1).durationMs;
      if (ahead < threshold - 1e-6) continue;
      // The pre-roll must sum to exactly the skip the transcoder was created with.
      let sum = 0;
      let j = k;
      while (j > 0 && sum < this.#preMs - 1e-6) sum += ring.at(--j).durationMs;
      if (Math.abs(sum - this.#preMs) > 1e-6) continue;
      this.#engaged = true;
      this.#switchSeq = ring.headSeq + k;
      this.#feedSeq = ring.headSeq + j;
      this.#base = ring.at(k).timestampMs;
      this.#lastSrc = this.#base;
      this.feed();
      return;
    }
  }

  /** At a frame whose source time starts a buffered packet: back to passthrough. */
  #tryRelease(src: number): boolean {
    this.#prune(src);
    const ring = this.#ring;
    if (ring.length === 0 || ring.headSeq >= this.#feedSeq) return false;
    if (Math.abs(ring.at(0).timestampMs - src) > ALIGN_TOLERANCE_MS) return false;
    this.#detach();
    return true;
  }

  #detach(): void {
    this.detached = true;
    this.#lookahead = null;
    this.#t?.destroy();
    this.#t = null;
    this.#options.onChange();
  }

  #fail(error: SpenceError): void {
    if (this.failed !== null || this.#closed) return;
    this.failed = error instanceof SpenceError ? error : new SpenceError(ErrorCodes.UPSTREAM, String(error));
    this.#options.onChange();
  }

  /** Frees the transcoder. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lookahead = null;
    this.#t?.destroy();
    this.#t = null;
  }
}
