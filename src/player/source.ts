/**
 * One opened track inside a player: the opener's packet iterator, a read-ahead queue bounded by
 * duration, and the pump that pulls from the iterator only while the queue is below its bound.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError, toSpenceError } from '../errors.js';
import type { OpusPacket, OpusStreamInfo } from '../demux/types.js';
import type { Track } from '../resolve/track.js';
import type { OpenedTrack, TrackOpener } from './types.js';

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
  const d = packet.durationMs;
  return d > 0 && Number.isFinite(d) ? Math.round(d * 1000) : 20_000;
}

/** @internal */
export class TrackSource {
  readonly track: Track;
  readonly controller = new AbortController();
  info: OpusStreamInfo | null = null;
  /** The read-ahead bound in µs; the pump stops when the queue holds this much. */
  limitUs: number;
  /** Queue of packets; `#head` is the next one (compacted now and then). */
  readonly #queue: OpusPacket[] = [];
  #head = 0;
  /** Duration of the queued packets, µs. */
  bufferedUs = 0;
  /** The iterator said done. */
  done = false;
  /** The open or a read failed. */
  error: SpenceError | null = null;
  closed = false;
  /** The frame index the first kept packet will carry. */
  nextFrameIndex: number;
  #opened: OpenedTrack | null = null;
  #pumping = false;
  #rule: StartRule;
  #onChange: (source: TrackSource) => void;

  constructor(track: Track, rule: StartRule, firstFrameIndex: number, limitUs: number, onChange: (s: TrackSource) => void) {
    this.track = track;
    this.#rule = rule;
    this.nextFrameIndex = firstFrameIndex;
    this.limitUs = limitUs;
    this.#onChange = onChange;
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  peek(): OpusPacket | undefined {
    return this.#queue[this.#head];
  }

  /** The next packet, or undefined when none is buffered. Restarts the pump as room appears. */
  shift(): OpusPacket | undefined {
    const queue = this.#queue;
    const packet = queue[this.#head];
    if (packet === undefined) return undefined;
    queue[this.#head] = undefined as unknown as OpusPacket;
    this.#head++;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= queue.length) {
      queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.bufferedUs -= packetMicros(packet);
    this.nextFrameIndex++;
    // Refill with a little hysteresis (100 ms, or a third of a small bound): the pump restarts per
    // few packets rather than per packet, yet never in big bursts. Bursts of a second of audio
    // synchronise across players started together and stall the loop (measured: p99 35 ms at 2500).
    if (!this.#pumping && !this.done && this.error === null && this.#opened !== null && this.bufferedUs <= this.limitUs - Math.min(this.limitUs / 3, 100_000)) {
      void this.#pump();
    }
    return packet;
  }

  /** True when nothing more will come: done or failed, and the queue is empty. */
  get exhausted(): boolean {
    return this.length === 0 && (this.done || this.error !== null);
  }

  /** Opens the track through `opener`; rejects with a SpenceError. */
  async open(opener: TrackOpener, signal?: AbortSignal): Promise<void> {
    const ctl = this.controller;
    const onAbort = (): void => ctl.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (ctl.signal.aborted) throw abortError(ctl.signal, 'track open');
      const startMs = this.#rule.kind === 'start' ? undefined : this.#rule.ms;
      const opened = await opener(this.track, startMs === undefined ? { signal: ctl.signal } : { signal: ctl.signal, startMs });
      if (this.closed || ctl.signal.aborted) {
        safeClose(opened);
        throw abortError(ctl.signal, 'track open');
      }
      this.#opened = opened;
      this.info = opened.info;
    } catch (error) {
      throw toSpenceError(error, ErrorCodes.UPSTREAM, 'The track could not be opened', ctl.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Starts pulling packets (if not already), up to the bound. */
  pump(): void {
    if (!this.#pumping && !this.done && this.error === null && this.#opened !== null) void this.#pump();
  }

  async #pump(): Promise<void> {
    const opened = this.#opened;
    if (opened === null) return;
    this.#pumping = true;
    try {
      while (!this.closed && this.bufferedUs < this.limitUs) {
        const result = await opened.packets.next();
        if (this.closed) return;
        if (result.done === true) {
          this.done = true;
          break;
        }
        const packet = result.value;
        if (!this.#keep(packet)) continue;
        this.#queue.push(packet);
        this.bufferedUs += packetMicros(packet);
        this.#onChange(this);
      }
    } catch (error) {
      if (this.closed) return;
      this.error = toSpenceError(error, ErrorCodes.UPSTREAM, 'Reading the track failed', this.controller.signal);
    } finally {
      this.#pumping = false;
    }
    if (!this.closed && (this.done || this.error !== null)) {
      if (this.done || this.error !== null) this.#releaseSource();
      this.#onChange(this);
    }
  }

  #keep(packet: OpusPacket): boolean {
    const rule = this.#rule;
    let keep: boolean;
    switch (rule.kind) {
      case 'start':
        return true;
      case 'seek':
        keep = packet.timestampMs + packet.durationMs > rule.ms;
        break;
      case 'at':
        keep = packet.timestampMs >= rule.ms;
        break;
      case 'after':
        keep = packet.timestampMs > rule.ms;
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
    this.controller.abort(new SpenceError(ErrorCodes.ABORTED, 'The player released the track'));
    this.#releaseSource();
    this.#queue.length = 0;
    this.#head = 0;
    this.bufferedUs = 0;
  }
}

function safeClose(opened: OpenedTrack): void {
  try {
    opened.close();
  } catch {
    // A failing close must not break the player; the source is being dropped anyway.
  }
}
