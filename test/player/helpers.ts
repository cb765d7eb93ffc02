import type { OpusPacket, OpusStreamInfo } from '../../src/demux/types.js';
import type { Track } from '../../src/resolve/track.js';
import { ManualClock } from '../../src/player/clock.js';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { Player, type PlayerOptions } from '../../src/player/player.js';
import type { FillTarget, FrameEvent, OpenedTrack, TrackOpener } from '../../src/player/types.js';

/** TOC bytes (RFC 6716 §3.1, code 0 = one frame) for each test duration. */
const TOC: Record<number, number> = {
  2.5: 16 << 3, // CELT NB 2.5 ms
  5: 17 << 3,
  10: 30 << 3, // CELT FB 10 ms
  20: 31 << 3, // CELT FB 20 ms
  40: 2 << 3, // SILK NB 40 ms
  60: 3 << 3, // SILK NB 60 ms
};

/** Synthetic packets with the given durations; each packet's bytes carry its index (unique). */
export function makePackets(durations: readonly number[], options: { roundTimestamps?: boolean } = {}): OpusPacket[] {
  let us = 0;
  return durations.map((durationMs, i) => {
    const toc = TOC[durationMs];
    if (toc === undefined) throw new Error(`no TOC for ${durationMs} ms`);
    const data = Uint8Array.of(toc, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff);
    const exact = us / 1000;
    us += Math.round(durationMs * 1000);
    return { data, timestampMs: options.roundTimestamps === true ? Math.round(exact) : exact, durationMs };
  });
}

/** `n` packets of 20 ms. */
export function packets20(n: number): OpusPacket[] {
  return makePackets(Array.from({ length: n }, () => 20));
}

let trackSeq = 0;
/** A minimal Track. */
export function makeTrack(name = `t${++trackSeq}`, overrides: Partial<Track> = {}): Track {
  return {
    encoded: `enc:${name}`,
    source: 'test',
    identifier: name,
    uri: `test:${name}`,
    title: name,
    author: 'tester',
    durationMs: null,
    isStream: false,
    isSeekable: true,
    ...overrides,
  };
}

export const INFO: OpusStreamInfo = { container: 'ogg', channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0, channelMappingFamily: 0 };

let batchSize = 0;
/**
 * Makes every {@link FakeOpener} created afterwards a `fill()` opener giving up to `n` packets per
 * call (0: a packet iterator, one `next()` per packet, the default). `batch.test.ts` reruns the
 * player tests so.
 */
export function useBatches(n: number): void {
  batchSize = n;
}
/** The batch size fake openers use (0: none). */
export function batchMode(): number {
  return batchSize;
}

/** Controls for one fake track. */
export interface FakeTrackSpec {
  packets: OpusPacket[];
  /** Clock ms the open takes (manual clock). */
  openDelayMs?: number;
  /** Reject the open with this. */
  openError?: Error;
  /** Reject `next()` at this packet index with `readError`. */
  failAt?: number;
  readError?: Error;
  /** Packets from this index on wait for `gate.release()`. */
  gateAt?: number;
  /** Seek granularity: opening at startMs begins at the last multiple of this at or before it (a cluster). */
  clusterMs?: number;
}

/** One opening, as recorded by the fake opener. */
export interface OpenRecord {
  track: Track;
  startMs: number | undefined;
  signal: AbortSignal;
  /** Packets handed out (pulled) by this opening. */
  pulled: number;
  closed: boolean;
}

/** A fake opener over in-memory packets, with delays, failures and gates. */
export class FakeOpener {
  readonly opens: OpenRecord[] = [];
  readonly specs = new Map<string, FakeTrackSpec>();
  #gate: { promise: Promise<void>; release: () => void };

  constructor(readonly clock: ManualClock) {
    this.#gate = this.#newGate();
  }

  #newGate(): { promise: Promise<void>; release: () => void } {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    return { promise, release };
  }

  add(track: Track, spec: FakeTrackSpec): Track {
    this.specs.set(track.encoded, spec);
    return track;
  }

  /** Opens the gate (packets at and after `gateAt` flow again). */
  release(): void {
    this.#gate.release();
  }

  get totalPulled(): number {
    return this.opens.reduce((n, o) => n + o.pulled, 0);
  }

  readonly open: TrackOpener = async (track, { signal, startMs }) => {
    const spec = this.specs.get(track.encoded);
    if (spec === undefined) throw new Error(`unknown track ${track.encoded}`);
    if (spec.openDelayMs !== undefined) await this.clock.sleep(spec.openDelayMs);
    if (signal.aborted) throw signal.reason;
    if (spec.openError !== undefined) throw spec.openError;
    const record: OpenRecord = { track, startMs, signal, pulled: 0, closed: false };
    this.opens.push(record);
    let i = 0;
    if (startMs !== undefined) {
      const cluster = spec.clusterMs ?? 1000;
      const from = Math.floor(startMs / cluster) * cluster;
      while (i < spec.packets.length && (spec.packets[i] as OpusPacket).timestampMs < from) i++;
    }
    const gate = this.#gate;
    const packets: AsyncIterator<OpusPacket> = {
      next: async () => {
        if (spec.gateAt !== undefined && i >= spec.gateAt) await gate.promise;
        if (signal.aborted) throw signal.reason;
        if (spec.failAt !== undefined && i >= spec.failAt) throw spec.readError ?? new Error('read failed');
        const packet = spec.packets[i];
        if (packet === undefined) return { done: true, value: undefined };
        i++;
        record.pulled++;
        return { done: false, value: packet };
      },
    };
    const close = (): void => {
      record.closed = true;
    };
    const size = batchSize;
    if (size === 0) return { info: INFO, packets, close };
    // Up to `size` packets per fill, stopping short of the gate and of the failure, like the pulls above.
    const fill = async (sink: FillTarget): Promise<boolean> => {
      if (spec.gateAt !== undefined && i >= spec.gateAt) await gate.promise;
      if (signal.aborted) throw signal.reason;
      if (spec.failAt !== undefined && i >= spec.failAt) throw spec.readError ?? new Error('read failed');
      if (i >= spec.packets.length) return false;
      let end = Math.min(spec.packets.length, i + size);
      if (spec.gateAt !== undefined && i < spec.gateAt) end = Math.min(end, spec.gateAt);
      if (spec.failAt !== undefined) end = Math.min(end, spec.failAt);
      for (; i < end; i++) {
        const p = spec.packets[i]!;
        sink.packet(p.data, 0, p.data.length, p.timestampMs, p.durationMs);
        record.pulled++;
      }
      return true;
    };
    const opened: OpenedTrack = { info: INFO, fill, close };
    return opened;
  };
}

/** A frame as recorded (copied out of the reused event object). */
export interface SentFrame {
  bytes: string;
  frameIndex: number;
  silence: boolean;
  deadline: number;
  sentAt: number;
  timestampMs: number;
  durationMs: number;
  track: string | undefined;
}

export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/** Records every frame a player emits. */
export function recordFrames(player: Player): SentFrame[] {
  const frames: SentFrame[] = [];
  player.on('frame', (e: FrameEvent) => {
    frames.push({
      bytes: hex(e.packet.data),
      frameIndex: e.frameIndex,
      silence: e.silence,
      deadline: e.deadline,
      sentAt: e.sentAt,
      timestampMs: e.packet.timestampMs,
      durationMs: e.packet.durationMs,
      track: e.track?.encoded,
    });
  });
  return frames;
}

/** A manual clock, a scheduler on it, a fake opener and a player factory. */
export function setup(options: Partial<Omit<PlayerOptions, 'scheduler' | 'openTrack'>> & { stallThresholdMs?: number; startStepsPerMs?: number } = {}) {
  const clock = new ManualClock();
  const { stallThresholdMs, startStepsPerMs, ...playerOptions } = options;
  const scheduler = new FrameScheduler({
    clock,
    ...(stallThresholdMs !== undefined && { stallThresholdMs }),
    ...(startStepsPerMs !== undefined && { startStepsPerMs }),
  });
  const opener = new FakeOpener(clock);
  const createPlayer = (more: Partial<Omit<PlayerOptions, 'scheduler' | 'openTrack'>> = {}): Player =>
    new Player({ scheduler, openTrack: opener.open, ...playerOptions, ...more });
  return { clock, scheduler, opener, createPlayer };
}
