/**
 * A player's delivery: when and where its packets go. In push mode it is the player's entry in
 * the {@link FrameScheduler}: it keeps the timeline (each packet due at `base + the durations
 * before it`, summed in integer µs), rebases it after an event-loop stall, and at each deadline
 * takes the due packet from the player's playback and gives it to the outputs: the `frame`
 * listeners, and the output given to `connect()` (prepared now, dispatched at the end of the
 * tick). In pull mode `readFrame()` takes packets at the clock's time; in stream mode the stream's
 * reads do. After pause, stop, end and failure it sends the trailing silence, in every mode.
 *
 * The seam for transports is {@link VoiceOutput}: `prepare(frame)` per packet at its deadline,
 * `dispatch()` once the tick's due players have all prepared.
 *
 * @module
 */

import type { EventEmitter } from 'node:events';
import { OPUS_SILENCE_FRAME } from '../demux/opus.js';
import type { OpusPacket } from '../demux/types.js';
import type { Track } from '../resolve/track.js';
import type { DeadlineTask } from './calendar.js';
import type { Clock } from './clock.js';
import type { EventQueue } from './events.js';
import { PlayerStream, type PlayerStreamOptions } from './player-stream.js';
import type { FrameScheduler } from './scheduler.js';
import type { TrackSource } from './source.js';
import type { VoiceOutput } from '../voice/output.js';
import { ConnectedOutput } from './connected-output.js';
import type { FrameEvent, PlayerEvents, PlayerFrameStats, PlayerMode, VoiceCloseEvent } from './types.js';

/**
 * The push frame and its packet: one pair for every player, filled in for each frame. Frames go
 * out one at a time, and a listener may use them only while it runs, so one pair serves all; it
 * stays in the CPU's cache, where one per player would be a cache miss per frame (and a new one,
 * garbage).
 */
const NO_BYTES = new Uint8Array(0);
const PUSH_PACKET: OpusPacket = { data: NO_BYTES, timestampMs: 0.5, durationMs: 20.5 };
const PUSH_FRAME: FrameEvent = { packet: PUSH_PACKET, frameIndex: 0, silence: false, deadline: 0.5, sentAt: 0.5, track: null };

/** The trailing-silence packet (20 ms). */
const SILENCE_PACKET: OpusPacket = Object.freeze({ data: OPUS_SILENCE_FRAME, timestampMs: 0, durationMs: 20 });

/**
 * What delivery asks the player's playback (its state machine) when the playing source does not
 * simply hand over its next packet. Events are queued, not emitted. @internal
 */
export interface PacketSupply {
  /**
   * `source`, the one playing, had no packet at {@link Delivery.takeAt}: the playback moves on
   * (the track ends or fails, the preloaded track follows, or it ran dry) and returns the packet
   * that follows, if one does (the preloaded track's first), with {@link taken} its source.
   */
  ranOut(source: TrackSource, borrow: OpusPacket | null): OpusPacket | null;
  /** The source of the packet {@link ranOut} last returned. */
  readonly taken: TrackSource | null;
  /** `packet`, just taken from `source`, is its track's first or ends an underrun: report it. */
  note(source: TrackSource, packet: OpusPacket): void;
  /** True while a track is loaded (status neither idle, ended nor errored). */
  readonly active: boolean;
}

/** Options for {@link Delivery}. @internal */
export interface DeliveryOptions {
  scheduler: FrameScheduler;
  mode: 'push' | 'pull';
  silenceFrames: number;
  events: EventQueue;
  /** The player: its `frame` listeners are called with each push frame (and it as `this`). */
  emitter: EventEmitter<PlayerEvents>;
}

type FrameListener = (frame: FrameEvent) => void;

/** See the module comment. @internal */
export class Delivery implements DeadlineTask {
  // Read at every frame, declared first so that they sit together in memory (see `#source`).
  deadline = 0;
  heapIndex = -1;
  /** The time a take works at (a deadline, or the clock's time); 0.5 so the field holds a double. */
  takeAt = 0.5;
  readonly #scheduler: FrameScheduler;
  readonly #clock: Clock;
  /**
   * The source being played (status `playing`), else null: the packets come from it directly, and
   * the playback is asked only when it has none, or for a track's first packet. A frame so touches
   * this object, the source and its ring, and the shared frame: at thousands of players, each is
   * a cache miss.
   */
  #source: TrackSource | null = null;
  #mode: PlayerMode;
  #silenceLeft = 0;
  /** Events were queued in the frame being taken (the playback was asked): flush them. */
  #eventful = false;
  // Timeline: packet deadlines are #baseMs + #elapsedUs / 1000, exact (integer µs, never accumulated floats).
  #baseMs = 0;
  #elapsedUs = 0;
  /** The next free frame slot: the deadline after the last frame delivered. */
  #nextSlot = Number.NEGATIVE_INFINITY;
  /** The last packet's duration, ms: the step of a stall rebase. */
  #lastDurMs = 20;
  #outIndex = 0;
  #outSilence = false;
  /** The track of the last packet delivered (trailing silence carries it too). */
  #outTrack: Track | null = null;
  /** The output given to `connect()`, or null. */
  #link: ConnectedOutput | null = null;
  /** The `frame` listeners as `rawListeners('frame')` gave them; null after any listener change. */
  #frameListeners: FrameListener[] | null = null;
  /** The one `frame` listener when there is exactly one (the usual case), else null. */
  #soleFrameListener: FrameListener | null = null;
  readonly #emitter: EventEmitter<PlayerEvents>;

  readonly #events: EventQueue;
  readonly #silenceFrames: number;
  #supply!: PacketSupply;
  /** The counters of frames sent to a connected output (see `Player.frameStats`). */
  readonly frameStats: PlayerFrameStats = { sent: 0, nulled: 0, deficit: 0 };
  #stream: PlayerStream | null = null;
  /** The stream has seen a track, so it ends when the player runs out of track. */
  #streamArmed = false;
  /** The player was destroyed: nothing more goes out. */
  #closed = false;

  constructor(options: DeliveryOptions) {
    this.#scheduler = options.scheduler;
    this.#clock = options.scheduler.clock;
    this.#mode = options.mode;
    this.#silenceFrames = options.silenceFrames;
    this.#events = options.events;
    this.#emitter = options.emitter;
  }

  /** Set once, by the playback that owns this delivery. */
  set supply(supply: PacketSupply) {
    this.#supply = supply;
  }

  /** Set by the playback's every transition: the source being played, or null. */
  set source(source: TrackSource | null) {
    this.#source = source;
  }

  /** A `frame` listener was added or removed: they are looked up again at the next frame. */
  framesChanged(): void {
    this.#frameListeners = null;
  }

  /** `'push'`, `'pull'` or `'stream'`. */
  get mode(): PlayerMode {
    return this.#mode;
  }

  /** The connected output, or null. */
  get output(): VoiceOutput | null {
    return this.#link?.output ?? null;
  }

  // ------------------------------------------------------------- transitions (from the playback)

  /** Status became playing: push mode arms the next deadline; stream mode feeds the stream. */
  start(): void {
    this.#silenceLeft = 0;
    if (this.#closed) return;
    if (this.#mode === 'push') {
      const now = this.#clock.now();
      // A timeline that is still ahead (a pause shorter than a frame) keeps its next slot; a new
      // one starts now, or a little later if this millisecond is crowded (see levelledStart).
      const at = this.#nextSlot >= now ? this.#nextSlot : this.#scheduler.levelledStart(now);
      this.#baseMs = at - this.#elapsedUs / 1000;
      this.deadline = at;
      this.#scheduler.schedule(this);
    } else if (this.#mode === 'stream') {
      this.feedStream();
    }
  }

  /** Delivery stopped after a packet went out (pause, stop, end, failure): the trailing silence. */
  trail(): void {
    if (this.#closed) return;
    this.#silenceLeft = this.#silenceFrames;
    if (this.#silenceLeft === 0) this.#link?.quiet();
    if (this.#mode === 'push') {
      if (this.#silenceLeft > 0) {
        if (this.heapIndex < 0) {
          this.deadline = Math.max(this.#clock.now(), this.#nextSlot);
          this.#scheduler.schedule(this);
        }
      } else {
        this.#scheduler.unschedule(this);
      }
    } else if (this.#mode === 'stream') {
      this.feedStream();
    }
  }

  /** Delivery stopped for another track (replace, seek) or ran dry: no deadline until it starts again. */
  halt(): void {
    this.#scheduler.unschedule(this);
  }

  /** The player has no track any more and none was playing: no deadline unless silence is going out. */
  settle(): void {
    if (this.#silenceLeft === 0) this.#scheduler.unschedule(this);
    if (this.#mode === 'stream') this.feedStream();
  }

  /** A new track is loaded: a stream that has one ends when the player runs out of track. */
  loaded(): void {
    if (this.#stream !== null) this.#streamArmed = true;
  }

  /** The player is destroyed: no more frames, and the stream ends. */
  close(): void {
    this.#closed = true;
    this.#source = null;
    this.#silenceLeft = 0;
    this.disconnect();
    this.#scheduler.unschedule(this);
    this.#stream?.finish();
    this.#stream = null;
  }

  // ------------------------------------------------------------------------------- push

  /**
   * Sends the frames to `output` as well as to the `frame` listeners (push mode). `target` is what
   * the player was given (the output, or the connection it wraps); `release` closes an output the
   * player made.
   */
  connect(output: VoiceOutput, target: object, realtime: boolean, release?: () => void): void {
    this.disconnect();
    const link: ConnectedOutput = new ConnectedOutput(output, {
      target,
      realtime,
      ...(release !== undefined && { release }),
      scheduler: this.#scheduler,
      stats: this.frameStats,
      onEnd: (event) => {
        this.#linkEnded(link, event);
        this.#events.flush();
      },
    });
    this.#link = link;
  }

  /** The output's state ended `link` (closed by then): the player is disconnected and says so. */
  #linkEnded(link: ConnectedOutput, event: VoiceCloseEvent): void {
    if (this.#link !== link) return;
    this.#link = null;
    this.#events.queue('voiceClose', event);
  }

  /** Stops sending to the connected output. */
  disconnect(): void {
    this.#link?.close();
    this.#link = null;
  }

  /** Playback resumed after `frames` slots with nothing to send: counted as nulled while connected. */
  noteNulled(frames: number): void {
    if (this.#link !== null) this.frameStats.nulled += frames;
  }

  /**
   * Push mode: the scheduler says this player's deadline has come. Written for 5000 players a
   * frame apart: each call finds this player cold in the CPU caches, so it reads few objects, and
   * the frame event is the shared {@link PUSH_FRAME}, which stays in the cache.
   */
  run(): void {
    const scheduler = this.#scheduler;
    const now = scheduler.tickTime;
    let deadline = this.deadline;
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
      this.#events.queue('stall', { lateMs: late, skippedFrames: skipped });
      this.#eventful = true;
      if (deadline > now) {
        this.deadline = deadline;
        scheduler.schedule(this);
        this.#eventful = false;
        this.#events.flush();
        return;
      }
    }
    let link = this.#link;
    let drop = false;
    if (link !== null && !link.ready) {
      const ended = link.endIfOver();
      if (ended !== null) {
        // The link is over (an output that does not report its changes): the frame plays on unconnected.
        this.#linkEnded(link, ended);
        this.#eventful = true;
        link = null;
      }
    }
    if (link !== null && !link.ready) {
      this.frameStats.deficit++;
      if (!link.realtime) {
        // Hold: this slot passes with nothing taken; the same packet is due at the next one.
        const step = this.#lastDurMs;
        this.#baseMs += step;
        this.#nextSlot = deadline + step;
        this.deadline = this.#nextSlot;
        scheduler.schedule(this);
        return;
      }
      drop = true; // realtime: the packet is taken (the track keeps its pace) and not sent
    }
    this.takeAt = deadline;
    const packet = this.#take(PUSH_PACKET);
    if (packet !== null) {
      // The take may have armed silence (track end); either way the next slot follows this packet.
      if (this.#mode === 'push' && (this.#silenceLeft > 0 || this.#source !== null)) {
        this.deadline = this.#nextSlot;
        scheduler.schedule(this);
      } else {
        scheduler.unschedule(this);
      }
    }
    if (this.#eventful) {
      this.#eventful = false;
      this.#events.flush();
    }
    if (packet === null) return;
    const frame = PUSH_FRAME;
    frame.packet = packet;
    frame.frameIndex = this.#outIndex;
    frame.silence = this.#outSilence;
    frame.deadline = deadline;
    frame.track = this.#outTrack;
    frame.sentAt = this.#clock.now();
    try {
      if (link !== null && !drop) link.prepare(frame, this.#outSilence && this.#silenceLeft === 0);
      let listeners = this.#frameListeners;
      if (listeners === null) {
        listeners = this.#emitter.rawListeners('frame') as FrameListener[];
        this.#frameListeners = listeners;
        this.#soleFrameListener = listeners.length === 1 ? listeners[0]! : null;
      }
      const sole = this.#soleFrameListener;
      if (sole !== null) {
        sole.call(this.#emitter, frame);
      } else {
        for (let k = 0; k < listeners.length; k++) listeners[k]!.call(this.#emitter, frame);
      }
    } finally {
      // The view dies now (not at the next frame), and nothing refers to this player's track.
      PUSH_PACKET.data = NO_BYTES;
      frame.track = null;
    }
  }

  // ------------------------------------------------------------------------- pull, stream

  /** Pull mode: the next packet at the clock's time, or null. */
  pull(): OpusPacket | null {
    this.takeAt = this.#clock.now();
    const packet = this.#take(null);
    this.#eventful = false;
    this.#events.flush();
    return packet;
  }

  /** Switches to stream mode and returns the stream (the open one, if any). */
  stream(options: PlayerStreamOptions): PlayerStream {
    const open = this.#stream;
    if (open !== null && !open.destroyed && !open.readableEnded) return open;
    this.#mode = 'stream';
    this.disconnect();
    this.#scheduler.unschedule(this);
    const stream = new PlayerStream(() => {
      this.feedStream();
      this.#eventful = false;
      this.#events.flush();
    }, options);
    stream.once('close', () => {
      if (this.#stream === stream) this.#stream = null;
    });
    this.#stream = stream;
    this.#streamArmed = this.#supply.active;
    return stream;
  }

  /** Stream mode: hands the stream packets while it wants them; ends it once the player has no track. */
  feedStream(): void {
    const stream = this.#stream;
    if (stream === null || this.#mode !== 'stream') return;
    while (stream.wanting) {
      this.takeAt = this.#clock.now();
      const packet = this.#take(null);
      if (packet === null) break;
      stream.pushPacket(packet);
    }
    if (this.#streamArmed && !this.#supply.active && this.#silenceLeft === 0) {
      stream.finish();
      this.#stream = null;
      this.#streamArmed = false;
    }
  }

  // ------------------------------------------------------------------------------ taking

  /**
   * The next packet at {@link takeAt} (the playing source's, else what the playback says follows,
   * else trailing silence), with the timeline moved past it.
   */
  #take(borrow: OpusPacket | null): OpusPacket | null {
    let source = this.#source;
    if (source !== null) {
      let packet = source.shift(borrow);
      if (packet === undefined) {
        this.#eventful = true;
        packet = this.#supply.ranOut(source, borrow) ?? undefined;
        source = this.#supply.taken!;
      }
      if (packet !== undefined) {
        if (!source.started || source.underrunAt !== null) {
          this.#eventful = true;
          this.#supply.note(source, packet);
        }
        source.lastTimestampMs = packet.timestampMs;
        const micros = source.lastMicros;
        this.#outIndex = source.nextFrameIndex - 1;
        this.#outSilence = false;
        this.#outTrack = source.track;
        this.#elapsedUs += micros;
        this.#nextSlot = this.#baseMs + this.#elapsedUs / 1000;
        this.#lastDurMs = micros / 1000;
        return packet;
      }
    }
    if (this.#silenceLeft > 0) {
      this.#silenceLeft--;
      this.#outIndex = -1;
      this.#outSilence = true;
      this.#nextSlot = this.takeAt + 20;
      return SILENCE_PACKET;
    }
    return null;
  }
}
