/**
 * The voice listener: every speaker of a voice connection on one timeline that starts when
 * listening starts, in 20 ms frames on the node's clock. Each speaker has a playout buffer
 * (playout.ts) that reorders, drops duplicates and decides each frame: packet, silence or lost.
 * Decisions go to the sinks in timeline order per speaker: Opus as sent, and (decoded on the
 * transcoding pool, only when asked for) PCM per speaker, the mix, and async iterables.
 *
 * The final playhead: every frame older than the playout depth is decided for every speaker
 * (a frame that arrived in order is decided at once; a gap waits up to the depth for a reordered
 * packet). Packets from an SSRC not announced yet hold the playhead back, for at most
 * `unknownSsrcMs`, so that their speaker's frames are on the timeline before the mix passes them.
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import { raceAbort } from '../../abort.js';
import { ErrorCodes, SpenceError, toSpenceError } from '../../errors.js';
import type { Clock, ClockTimer } from '../../player/clock.js';
import { FRAME_MS, FRAME_SAMPLES } from '../../transcode/pcm.js';
import type { TranscodePool } from '../../transcode/pool/worker-pool.js';
import { ReceiveDecoder, type DecodedOutput } from './decode/client.js';
import { PendingPackets } from './pending.js';
import { PlayoutBuffer, type PlayoutOutput, type PlayoutPacket } from './playout.js';
import type { RtcpPacket } from './rtp.js';
import { PcmQueue, type PcmStream, type PcmStreamOptions } from './sinks/pcm-stream.js';
import type { MixFrame, OpusFrame, PcmFrame, PcmKind, ReceiveSink, ReceiveSummary, SinkContext } from './sinks/sink.js';
import type { VoiceReceiveHandler, VoiceReceiveSource } from './source.js';


/** Options for `node.listen()`. */
export interface ListenOptions {
  /** Where the session goes: `oggFiles()`, `wavFiles()`, `mixWav()`, or your own {@link ReceiveSink}s. */
  sinks?: readonly ReceiveSink[];
  /**
   * How long a gap in a speaker's packets waits for a reordered packet before it is filled, ms
   * (default 100). Packets later than this are dropped as late.
   */
  depthMs?: number;
  /** What a pause leaves on the timeline: `'silence'` (default: the timeline keeps wall time) or `'cut'`. */
  pause?: 'silence' | 'cut';
  /** How long packets from an SSRC not announced yet are kept for it, ms (default 1000). */
  unknownSsrcMs?: number;
  /** Channels of decoded PCM, 1 (the two averaged) or 2 (default, as Discord sends). */
  channels?: 1 | 2;
}

/** What the listener is doing. */
export type VoiceListenerStatus = 'listening' | 'paused' | 'stopped';

/** Events of a {@link VoiceListener}. */
export interface VoiceListenerEvents {
  /** A speaker's first packet reached the timeline: their track begins (silent before this). */
  speaker: [userId: string];
  /** A speaker's audio starts, at `timeMs` on the session's timeline. */
  speakingStart: [userId: string, timeMs: number];
  /** A speaker's audio stops (silence, or Discord's silence frame), at `timeMs`. */
  speakingEnd: [userId: string, timeMs: number];
  /** A member joined the call (voice gateway op 11). */
  memberConnect: [userId: string];
  /** A member left the call (voice gateway op 13). Their track goes on, silent. */
  memberDisconnect: [userId: string];
  /** An RTCP packet (sender or receiver report) from `userId` (undefined: SSRC not announced). */
  rtcp: [packet: RtcpPacket, userId: string | undefined];
  /** A sink failed and was detached; the others go on. */
  sinkError: [error: SpenceError, sink: ReceiveSink];
  /** The session ended (`stop()`, or the connection was destroyed); every sink is closed. */
  end: [summary: ReceiveSummary];
}

/** A listener's counters. */
export interface VoiceListenerStats {
  /** RTP packets received (every one, before anything is dropped). */
  packets: number;
  /** Packets that did not transport-decrypt. */
  rejected: number;
  /** Packets that did not decrypt end to end (DAVE). */
  undecryptable: number;
  /** Packets from an SSRC never announced in time, dropped. */
  unattributed: number;
  /** Packets received while paused, dropped. */
  paused: number;
  /** Summed over the speakers: duplicates dropped, late packets dropped, sequence numbers lost. */
  duplicates: number;
  late: number;
  lost: number;
  /** Packets waiting in playout buffers and for their SSRC now. */
  waiting: number;
}

/** Options for {@link VoiceListener.stop}. */
export interface StopOptions {
  /** Stops waiting for the sinks to close (they still close). */
  signal?: AbortSignal;
}

/** @internal What the node gives a listener. */
export interface ListenerEnvironment {
  clock: Clock;
  /** The worker pool decoding runs on (started on first use). */
  pool: () => TranscodePool;
}

interface Speaker {
  readonly userId: string;
  readonly index: number;
  readonly buffer: PlayoutBuffer;
  readonly out: PlayoutOutput;
  readonly ssrcs: Set<number>;
  speaking: boolean;
}

interface SinkEntry {
  readonly sink: ReceiveSink;
  failed: boolean;
}

type QueuedEvent = { [K in keyof VoiceListenerEvents]: [K, VoiceListenerEvents[K]] }[keyof VoiceListenerEvents];

/** True for Discord's silence frame (F8 FF FE), which clients send after speech. */
function isSilenceFrame(packet: Uint8Array): boolean {
  return packet.length === 3 && packet[0] === 0xf8 && packet[1] === 0xff && packet[2] === 0xfe;
}

/**
 * A listening session over a voice connection. Create it with `node.listen(connection, options)`.
 *
 * @example
 * ```ts
 * const listener = node.listen(connection, { sinks: [oggFiles(dir), wavFiles(dir), mixWav(`${dir}/mix.wav`)] });
 * listener.on('speakingStart', (userId, ms) => console.log(userId, 'speaks at', ms));
 * for await (const frame of listener.audio(userId)) transcriber.write(frame.pcm);
 * const summary = await listener.stop();
 * ```
 */
export class VoiceListener extends EventEmitter<VoiceListenerEvents> {
  readonly #clock: Clock;
  readonly #source: VoiceReceiveSource;
  readonly #pool: () => TranscodePool;
  readonly #depthMs: number;
  readonly #depthFrames: number;
  readonly #pauseMode: 'silence' | 'cut';
  readonly #holdMs: number;
  readonly #channels: 1 | 2;
  readonly #zero: Int16Array;
  /** Clock time of frame 0. */
  readonly #t0: number;
  /** Time cut out of the timeline by pauses (`pause: 'cut'`). */
  #cut = 0;
  #status: VoiceListenerStatus = 'listening';
  /** Every speaker's frames before this one are decided. */
  #final = 0;
  #timer: ClockTimer | null = null;
  readonly #speakers = new Map<string, Speaker>();
  readonly #list: Speaker[] = [];
  readonly #pending = new PendingPackets();
  readonly #counters = { packets: 0, rejected: 0, undecryptable: 0, paused: 0 };
  readonly #sinks: SinkEntry[];
  readonly #opusSinks: SinkEntry[];
  readonly #pcmSinks: SinkEntry[];
  readonly #mixSinks: SinkEntry[];
  readonly #rtcpSinks: SinkEntry[];
  readonly #streams = new Map<string, Set<PcmQueue>>();
  #decoder: ReceiveDecoder | null = null;
  /** The decoder mixes (a mix sink asked for it at the start). */
  #mixing = false;
  #decodeFailed: SpenceError | null = null;
  #stopping: Promise<ReceiveSummary> | null = null;
  #events: QueuedEvent[] = [];
  #eventsQueued = false;
  /** Reused for every Opus sink call (documented as such). */
  readonly #opus: OpusFrame = { userId: '', index: 0, count: 0, kind: 'audio', packet: null };

  /** @internal use `node.listen()` */
  constructor(source: VoiceReceiveSource, options: ListenOptions, environment: ListenerEnvironment) {
    super();
    const depthMs = options.depthMs ?? 100;
    if (!(depthMs >= 0 && depthMs <= 10_000)) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `depthMs must be between 0 and 10000, got ${depthMs}`, { source: 'voice' });
    const channels = options.channels ?? 2;
    if (channels !== 1 && channels !== 2) throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `channels must be 1 or 2, got ${String(channels)}`, { source: 'voice' });
    const pause = options.pause ?? 'silence';
    if (pause !== 'silence' && pause !== 'cut') throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `pause must be 'silence' or 'cut', got ${String(pause)}`, { source: 'voice' });
    this.#clock = environment.clock;
    this.#pool = environment.pool;
    this.#source = source;
    this.#depthMs = depthMs;
    this.#depthFrames = Math.ceil(depthMs / FRAME_MS);
    this.#pauseMode = pause;
    this.#holdMs = Math.max(0, options.unknownSsrcMs ?? 1000);
    this.#channels = channels;
    this.#zero = new Int16Array(FRAME_SAMPLES * channels);
    this.#sinks = (options.sinks ?? []).map((sink) => ({ sink, failed: false }));
    this.#opusSinks = this.#sinks.filter((e) => typeof e.sink.opus === 'function');
    this.#pcmSinks = this.#sinks.filter((e) => typeof e.sink.pcm === 'function');
    this.#mixSinks = this.#sinks.filter((e) => typeof e.sink.mix === 'function');
    this.#rtcpSinks = this.#sinks.filter((e) => typeof e.sink.rtcp === 'function');
    this.#t0 = this.#clock.now();
    for (const entry of this.#sinks) {
      const context: SinkContext = { channels, fail: (error) => this.#fail(entry, error) };
      try {
        entry.sink.open?.(context);
      } catch (error) {
        this.#fail(entry, error);
      }
    }
    if (this.#mixSinks.length > 0) this.#startDecoder(true);
    source.open(this.#handler);
    this.#arm();
  }

  /** `listening`, `paused` or `stopped`. */
  get status(): VoiceListenerStatus {
    return this.#status;
  }

  /** Frames of the timeline decided for every speaker so far (its length, less the playout depth). */
  get frames(): number {
    return this.#final;
  }

  /** The user IDs of the speakers heard so far, in order of their first packet. */
  get speakers(): readonly string[] {
    return this.#list.map((s) => s.userId);
  }

  /** The listener's counters, now. */
  get stats(): VoiceListenerStats {
    let duplicates = 0;
    let late = 0;
    let lost = 0;
    let waiting = this.#pending.size;
    for (const speaker of this.#list) {
      duplicates += speaker.buffer.stats.duplicates;
      late += speaker.buffer.stats.late;
      lost += speaker.buffer.stats.lost;
      waiting += speaker.buffer.waiting;
    }
    return { ...this.#counters, unattributed: this.#pending.dropped, duplicates, late, lost, waiting };
  }

  /**
   * One speaker's decoded audio, frame by frame, from now on (see {@link PcmStream}); ends when
   * the listener stops. Starts decoding on the worker pool if nothing did yet.
   */
  audio(userId: string, options: PcmStreamOptions = {}): PcmStream {
    const queue = new PcmQueue(String(userId), options, (q) => this.#forget(q));
    if (this.#status === 'stopped') {
      queue.end();
      return queue;
    }
    if (this.#decodeFailed !== null) {
      queue.end(this.#decodeFailed);
      return queue;
    }
    let set = this.#streams.get(queue.userId);
    if (set === undefined) this.#streams.set(queue.userId, (set = new Set()));
    set.add(queue);
    if (this.#decoder === null) this.#startDecoder(false);
    return queue;
  }

  #forget(queue: PcmQueue): void {
    const set = this.#streams.get(queue.userId);
    if (set === undefined) return;
    set.delete(queue);
    // No reader left: the speaker's frames are no longer decoded for one.
    if (set.size === 0) this.#streams.delete(queue.userId);
  }

  /**
   * Pauses listening: what arrives until {@link resume} is dropped. With `pause: 'silence'` the
   * paused span becomes silence in every track; with `'cut'` it is left out of the timeline.
   */
  pause(): void {
    if (this.#status !== 'listening') return;
    this.#finalize(this.#endFrame(this.#clock.now()));
    this.#status = 'paused';
    this.#timer?.cancel();
    this.#timer = null;
    this.#flushEvents();
  }

  /** Resumes after {@link pause}. */
  resume(): void {
    if (this.#status !== 'paused') return;
    // Cut: the timeline resumes exactly where it paused.
    if (this.#pauseMode === 'cut') this.#cut = this.#clock.now() - this.#t0 - this.#final * FRAME_MS;
    this.#status = 'listening';
    this.#arm();
  }

  /**
   * Stops listening: decides every speaker's frames up to now (each track as long as the
   * session), waits for the decoded audio, closes every sink (their files complete), ends the
   * iterables, and resolves with the session's summary. Calling it again returns the same result.
   */
  stop(options: StopOptions = {}): Promise<ReceiveSummary> {
    this.#stopping ??= this.#stop();
    return raceAbort(this.#stopping, options.signal, 'stopping the listener');
  }

  async #stop(): Promise<ReceiveSummary> {
    const now = this.#clock.now();
    const end = this.#status === 'paused' ? (this.#pauseMode === 'cut' ? this.#final : this.#endFrame(now)) : this.#endFrame(now);
    this.#status = 'stopped';
    this.#timer?.cancel();
    this.#timer = null;
    this.#source.close();
    this.#finalize(end);
    this.#flushEvents();
    await this.#decoder?.end();
    this.#decoder = null;
    for (const set of this.#streams.values()) for (const queue of set) queue.end();
    this.#streams.clear();
    const summary: ReceiveSummary = {
      frames: end,
      durationMs: end * FRAME_MS,
      speakers: this.#list.map((s) => ({ userId: s.userId, ssrcs: [...s.ssrcs], ...s.buffer.stats })),
    };
    await Promise.all(
      this.#sinks.map(async (entry) => {
        if (entry.failed) return;
        try {
          await entry.sink.close(summary);
        } catch (error) {
          this.#fail(entry, error);
        }
      }),
    );
    this.#flushEvents();
    this.emit('end', summary);
    return summary;
  }

  // ---------------------------------------------------------------- timeline

  #frameAt(time: number): number {
    return Math.floor((time - this.#t0 - this.#cut) / FRAME_MS);
  }

  /** The frame a session ending at `now` ends before: whole frames, never before a decided one. */
  #endFrame(now: number): number {
    let end = Math.max(this.#final, Math.ceil((now - this.#t0 - this.#cut) / FRAME_MS));
    for (const speaker of this.#list) end = Math.max(end, speaker.buffer.decided);
    return end;
  }

  #arm(): void {
    if (this.#status !== 'listening') return;
    const next = this.#t0 + this.#cut + FRAME_MS * (this.#frameAt(this.#clock.now()) + 1);
    this.#timer = this.#clock.setTimer(next, this.#tick);
  }

  readonly #tick = (): void => {
    this.#timer = null;
    if (this.#status !== 'listening') return;
    const now = this.#clock.now();
    if (this.#pending.size > 0) this.#pending.expire(now - this.#holdMs);
    let target = Math.floor((now - this.#t0 - this.#cut - this.#depthMs) / FRAME_MS);
    const oldest = this.#pending.oldest();
    if (oldest !== undefined) target = Math.min(target, this.#frameAt(oldest));
    if (target > this.#final) {
      for (const speaker of this.#list) speaker.buffer.advance(target, speaker.out);
      this.#final = target;
    }
    // Packets whose time has come (a sender's clock ahead of ours) are decided too.
    const nowFrame = this.#frameAt(now);
    for (const speaker of this.#list) if (speaker.buffer.waiting > 0) speaker.buffer.release(nowFrame, speaker.out);
    this.#decoder?.mixUntil(this.#final);
    this.#flushEvents();
    this.#arm();
  };

  /** Decides every speaker's frames before `end` and forgets what waits (a pause, the end). */
  #finalize(end: number): void {
    for (const speaker of this.#list) {
      speaker.buffer.advance(end, speaker.out);
      speaker.buffer.restart(null);
    }
    this.#pending.clear();
    this.#final = Math.max(this.#final, end);
    this.#decoder?.mixUntil(this.#final);
  }

  #place(userId: string, ssrc: number, sequence: number, timestamp: number, payload: Uint8Array, arrivedAt: number): Speaker | null {
    const speaker = this.#speakers.get(userId) ?? this.#createSpeaker(userId);
    speaker.ssrcs.add(ssrc);
    if (!speaker.buffer.check(ssrc, sequence)) return speaker;
    const frame = this.#source.openFrame(payload, userId);
    if (frame === null) {
      this.#counters.undecryptable++;
      return speaker;
    }
    speaker.buffer.add(ssrc, sequence, timestamp, frame, arrivedAt, this.#frameAt(arrivedAt), speaker.out);
    return speaker;
  }

  #createSpeaker(userId: string): Speaker {
    const buffer = new PlayoutBuffer({ start: 0, depthFrames: this.#depthFrames });
    const speaker: Speaker = {
      userId,
      index: this.#list.length,
      buffer,
      ssrcs: new Set(),
      speaking: false,
      out: {
        packet: (index, packet) => this.#onPacket(speaker, index, packet),
        gap: (index, count, kind) => this.#onGap(speaker, index, count, kind),
      },
    };
    this.#list.push(speaker);
    this.#speakers.set(userId, speaker);
    this.#queueEvent(['speaker', [userId]]);
    // The track starts with the session: silent until now.
    if (this.#final > 0) buffer.advance(this.#final, speaker.out);
    return speaker;
  }

  // ---------------------------------------------------------------- dispatch

  #onPacket(speaker: Speaker, index: number, packet: PlayoutPacket): void {
    const silent = isSilenceFrame(packet.payload);
    if (silent === speaker.speaking) {
      speaker.speaking = !silent;
      this.#queueEvent([silent ? 'speakingEnd' : 'speakingStart', [speaker.userId, index * FRAME_MS]]);
    }
    this.#toOpusSinks(speaker.userId, index, packet.frames, 'audio', packet.payload);
    const decoder = this.#decoder;
    if (decoder === null) return;
    const wanted = this.#wantsPcm(speaker);
    if (wanted || this.#mixing) decoder.audio(speaker.index, index, packet.frames, packet.payload, packet.arrivedAt, wanted);
  }

  #onGap(speaker: Speaker, index: number, count: number, kind: 'silence' | 'lost'): void {
    if (kind === 'silence' && speaker.speaking) {
      speaker.speaking = false;
      this.#queueEvent(['speakingEnd', [speaker.userId, index * FRAME_MS]]);
    }
    this.#toOpusSinks(speaker.userId, index, count, kind, null);
    const decoder = this.#decoder;
    if (decoder === null) return;
    const wanted = this.#wantsPcm(speaker);
    if (wanted || this.#mixing) decoder.gap(speaker.index, index, count, kind, wanted);
  }

  #toOpusSinks(userId: string, index: number, count: number, kind: OpusFrame['kind'], packet: Uint8Array | null): void {
    const frame = this.#opus;
    for (const entry of this.#opusSinks) {
      if (entry.failed) continue;
      // Set for each sink: one may have changed the object it was given.
      frame.userId = userId;
      frame.index = index;
      frame.count = count;
      frame.kind = kind;
      frame.packet = packet;
      try {
        entry.sink.opus!(frame);
      } catch (error) {
        this.#fail(entry, error);
      }
    }
  }

  #wantsPcm(speaker: Speaker): boolean {
    return this.#pcmSinks.length > 0 || this.#streams.has(speaker.userId);
  }

  #startDecoder(mix: boolean): void {
    if (this.#decodeFailed !== null) return;
    try {
      this.#decoder = new ReceiveDecoder(this.#pool(), { channels: this.#channels, mix }, this.#decoded);
      this.#mixing = mix;
    } catch (error) {
      this.#decoded.failed(toSpenceError(error, ErrorCodes.UNAVAILABLE, 'The decoding worker could not start'));
    }
  }

  /** Reused for every PCM sink call. */
  readonly #pcm: PcmFrame = { userId: '', index: 0, count: 1, kind: 'audio', pcm: new Int16Array(0), arrivedAt: undefined };
  readonly #mix: MixFrame = { index: 0, count: 1, silent: false, pcm: new Int16Array(0) };

  readonly #decoded: DecodedOutput = {
    frame: (speakerIndex: number, index: number, count: number, kind: PcmKind, pcm: Int16Array | null, arrivedAt: number | undefined) => {
      const speaker = this.#list[speakerIndex];
      if (speaker === undefined) return;
      const frame = this.#pcm;
      frame.userId = speaker.userId;
      frame.index = index;
      frame.count = count;
      frame.kind = kind;
      frame.pcm = pcm ?? this.#zero;
      frame.arrivedAt = arrivedAt;
      for (const entry of this.#pcmSinks) {
        if (entry.failed) continue;
        try {
          entry.sink.pcm!(frame);
        } catch (error) {
          this.#fail(entry, error);
        }
      }
      const streams = this.#streams.get(speaker.userId);
      if (streams !== undefined) for (const queue of streams) queue.push(frame);
    },
    mix: (index: number, count: number, pcm: Int16Array | null) => {
      const frame = this.#mix;
      frame.index = index;
      frame.count = count;
      frame.silent = pcm === null;
      frame.pcm = pcm ?? this.#zero;
      for (const entry of this.#mixSinks) {
        if (entry.failed) continue;
        try {
          entry.sink.mix!(frame);
        } catch (error) {
          this.#fail(entry, error);
        }
      }
    },
    failed: (error: SpenceError) => {
      this.#decodeFailed = error;
      this.#decoder = null;
      for (const entry of [...this.#pcmSinks, ...this.#mixSinks]) this.#fail(entry, error);
      for (const set of this.#streams.values()) for (const queue of set) queue.end(error);
      this.#streams.clear();
    },
  };

  #fail(entry: SinkEntry, error: unknown): void {
    if (entry.failed) return;
    entry.failed = true;
    const wrapped = toSpenceError(error, ErrorCodes.UPSTREAM, `A voice receive sink failed: ${error instanceof Error ? error.message : String(error)}`);
    this.#queueEvent(['sinkError', [wrapped, entry.sink]]);
  }

  // ---------------------------------------------------------------- events

  /** Events are emitted after the work that caused them, so a listener's handler cannot break it. */
  #queueEvent(event: QueuedEvent): void {
    this.#events.push(event);
    if (this.#eventsQueued) return;
    this.#eventsQueued = true;
    queueMicrotask(() => this.#flushEvents());
  }

  #flushEvents(): void {
    this.#eventsQueued = false;
    const events = this.#events;
    if (events.length === 0) return;
    this.#events = [];
    for (const [name, args] of events) (this.emit as (name: string, ...args: unknown[]) => boolean)(name, ...args);
  }

  // ---------------------------------------------------------------- source

  readonly #handler: VoiceReceiveHandler = {
    rtp: (ssrc, sequence, timestamp, payload) => {
      this.#counters.packets++;
      if (this.#status !== 'listening') {
        this.#counters.paused++;
        return;
      }
      const now = this.#clock.now();
      const userId = this.#source.userOf(ssrc);
      if (userId === undefined) this.#pending.add(ssrc, { sequence, timestamp, payload, arrivedAt: now });
      else this.#place(userId, ssrc, sequence, timestamp, payload, now);
    },
    rtcp: (ssrc, packets) => {
      const userId = this.#source.userOf(ssrc);
      for (const packet of packets) {
        this.#queueEvent(['rtcp', [packet, userId]]);
        for (const entry of this.#rtcpSinks) {
          if (entry.failed) continue;
          try {
            entry.sink.rtcp!(packet, userId);
          } catch (error) {
            this.#fail(entry, error);
          }
        }
      }
    },
    rejected: () => {
      this.#counters.rejected++;
    },
    ssrc: (ssrc, userId) => {
      if (this.#status !== 'listening') return;
      const packets = this.#pending.take(ssrc);
      let speaker: Speaker | null = null;
      for (const p of packets) speaker = this.#place(userId, ssrc, p.sequence, p.timestamp, p.payload, p.arrivedAt);
      speaker?.buffer.release(this.#frameAt(this.#clock.now()), speaker.out);
    },
    connect: (userIds) => {
      for (const userId of userIds) this.#queueEvent(['memberConnect', [userId]]);
    },
    disconnect: (userId) => {
      this.#queueEvent(['memberDisconnect', [userId]]);
    },
    end: () => {
      void this.stop();
    },
  };
}
