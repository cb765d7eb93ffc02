/**
 * One opened track inside a player: the opener's packets (by `nextBatch()` when it has it, one
 * promise per batch; else `packets.next()`), a read-ahead ring bounded by duration, and the pump
 * that pulls only while the ring is below its bound.
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

/**
 * Spreads refills: each source's refill hysteresis is 100 ms plus one of eight 50 ms steps, taken
 * in turn. Players started together at the same point of the same file would otherwise refill on
 * the same frame, every time, and the tick that carries them runs late. Deterministic (a counter,
 * not a random number): refill timing never changes which packet goes out when.
 */
let refillSpread = 0;

/** The ring of a closed source (never written: a closed source takes no packets). */
const EMPTY_RING: (OpusPacket | undefined)[] = [undefined];

/** @internal */
export class TrackSource {
  readonly track: Track;
  readonly controller = new AbortController();
  info: OpusStreamInfo | null = null;
  /** Ring buffer of queued packets: `#count` packets from `#head`; capacity a power of two. */
  #ring: (OpusPacket | undefined)[] = new Array<OpusPacket | undefined>(64).fill(undefined);
  #head = 0;
  #count = 0;
  /** Duration of the queued packets, µs. */
  bufferedUs = 0;
  /** The pacing duration (µs) of the packet the last {@link shift} returned. */
  lastMicros = 20_000;
  /** The iterator said done. */
  done = false;
  /** The open or a read failed. */
  error: SpenceError | null = null;
  closed = false;
  /** The frame index the first kept packet will carry. */
  nextFrameIndex: number;
  #opened: OpenedTrack | null = null;
  #pumping = false;
  #pumpQueued = false;
  #rule: StartRule;
  #onChange: (source: TrackSource) => void;
  #limitUs = 0;
  /** The pump restarts when the queue falls to this (the bound less a little hysteresis). */
  #refillAtUs = 0;
  readonly #spreadUs: number;

  constructor(track: Track, rule: StartRule, firstFrameIndex: number, limitUs: number, onChange: (s: TrackSource) => void) {
    this.track = track;
    this.#rule = rule;
    this.nextFrameIndex = firstFrameIndex;
    this.#spreadUs = 100_000 + (refillSpread++ & 7) * 50_000;
    this.limitUs = limitUs;
    this.#onChange = onChange;
  }

  /** The read-ahead bound in µs; the pump stops when the queue holds this much. */
  get limitUs(): number {
    return this.#limitUs;
  }

  set limitUs(us: number) {
    this.#limitUs = us;
    // Refill with hysteresis (100 to 450 ms, at most a third of a small bound): the pump restarts
    // per batch rather than per packet, yet never in big bursts, and not on the same frame for
    // every player (see refillSpread).
    this.#refillAtUs = us - Math.min(us / 3, this.#spreadUs);
  }

  get length(): number {
    return this.#count;
  }

  peek(): OpusPacket | undefined {
    return this.#count === 0 ? undefined : this.#ring[this.#head];
  }

  /** The next packet, or undefined when none is buffered. Restarts the pump as room appears. */
  shift(): OpusPacket | undefined {
    if (this.#count === 0) return undefined;
    const ring = this.#ring;
    const i = this.#head;
    const packet = ring[i] as OpusPacket;
    ring[i] = undefined; // let the packet go once delivered
    // Recomputed rather than kept beside the packet: one object fewer to touch per frame.
    const micros = packetMicros(packet);
    this.#head = (i + 1) & (ring.length - 1);
    this.#count--;
    this.bufferedUs -= micros;
    this.lastMicros = micros;
    this.nextFrameIndex++;
    if (this.bufferedUs <= this.#refillAtUs && !this.#pumping && !this.#pumpQueued && !this.done && this.error === null && this.#opened !== null) {
      // Not inside the caller (the scheduler's tick): the refill (a demuxer push, often without
      // I/O) runs right after it, so it delays no other player's frame in that tick.
      this.#pumpQueued = true;
      queueMicrotask(this.#deferredPump);
    }
    return packet;
  }

  readonly #deferredPump = (): void => {
    this.#pumpQueued = false;
    this.pump();
  };

  #push(packet: OpusPacket): void {
    let ring = this.#ring;
    if (this.#count === ring.length) this.#grow();
    ring = this.#ring;
    const micros = packetMicros(packet);
    const i = (this.#head + this.#count) & (ring.length - 1);
    ring[i] = packet;
    this.#count++;
    this.bufferedUs += micros;
  }

  #grow(): void {
    const old = this.#ring;
    const n = old.length;
    const ring = new Array<OpusPacket | undefined>(n * 2).fill(undefined);
    for (let k = 0; k < n; k++) ring[k] = old[(this.#head + k) & (n - 1)];
    this.#ring = ring;
    this.#head = 0;
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
      if (opened.nextBatch !== undefined) {
        while (!this.closed && this.bufferedUs < this.#limitUs) {
          const batch = await opened.nextBatch();
          if (this.closed) return;
          if (batch === null) {
            this.done = true;
            break;
          }
          if (this.#rule.kind === 'start') {
            for (let k = 0; k < batch.length; k++) this.#push(batch[k] as OpusPacket);
          } else {
            for (let k = 0; k < batch.length; k++) {
              const packet = batch[k] as OpusPacket;
              if (this.#keep(packet)) this.#push(packet);
            }
          }
          this.#onChange(this);
        }
      } else {
        while (!this.closed && this.bufferedUs < this.#limitUs) {
          const result = await opened.packets.next();
          if (this.closed) return;
          if (result.done === true) {
            this.done = true;
            break;
          }
          const packet = result.value;
          if (!this.#keep(packet)) continue;
          this.#push(packet);
          this.#onChange(this);
        }
      }
    } catch (error) {
      if (this.closed) return;
      this.error = toSpenceError(error, ErrorCodes.UPSTREAM, 'Reading the track failed', this.controller.signal);
    } finally {
      this.#pumping = false;
    }
    if (!this.closed && (this.done || this.error !== null)) {
      this.#releaseSource();
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
    this.#ring = EMPTY_RING;
    this.#head = 0;
    this.#count = 0;
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
