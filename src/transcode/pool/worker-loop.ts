/**
 * The work loop inside a pool worker: one {@link TranscodePipeline} per stream, frames produced
 * against credit the main thread grants (its read-ahead, a few frames), most-starved stream first,
 * in slices of at most {@link SLICE_MS} so control messages (filters, volume) are applied between
 * frames, not after a long batch.
 *
 * @module
 */

import type { MessagePort } from 'node:worker_threads';
import { isSpenceError } from '../../errors.js';
import { createDecoder } from '../decode/index.js';
import { createEncoder } from '../encode/backends.js';
import { TranscodePipeline, type TranscodedFrame } from '../pipeline.js';
import { pack, unpack, type FromWorker, type ToWorker } from './protocol.js';

/** Longest run of work between two looks at the message queue, ms. */
const SLICE_MS = 4;
/** How often the worker reports its load, ms. */
const LOAD_INTERVAL_MS = 500;

interface Stream {
  id: number;
  pipeline: TranscodePipeline | null;
  credit: number;
  consumedBefore: number;
  /** Messages that arrived while the decoder was still loading. */
  early: ToWorker[];
  closed: boolean;
}

/** Runs the worker loop on `port` (a worker's parentPort). */
export function runWorkerLoop(port: MessagePort): void {
  const streams = new Map<number, Stream>();
  let scheduled = false;
  let busyMs = 0;
  let windowStart = performance.now();

  const post = (message: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer ?? []);

  const fail = (stream: Stream, error: unknown): void => {
    const code = isSpenceError(error) ? error.code : 'UPSTREAM';
    const message = error instanceof Error ? error.message : String(error);
    post({ t: 'error', id: stream.id, code, message });
    stream.pipeline?.destroy();
    streams.delete(stream.id);
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };

  function apply(stream: Stream, msg: ToWorker): void {
    const p = stream.pipeline!;
    switch (msg.t) {
      case 'push':
        for (const chunk of unpack(msg.packed)) p.push(chunk);
        break;
      case 'end':
        p.end();
        break;
      case 'want':
        stream.credit += msg.frames;
        break;
      case 'filters':
        p.setFilters(msg.filters);
        break;
      case 'volume':
        p.setVolume(msg.volume, msg.rampMs);
        break;
      default:
        break;
    }
    schedule();
  }

  function pump(): void {
    scheduled = false;
    const started = performance.now();
    const out = new Map<Stream, TranscodedFrame[]>();
    const finished = new Set<Stream>();
    let progressed = true;
    while (progressed && performance.now() - started < SLICE_MS) {
      progressed = false;
      // Most credit first: the stream whose reader is closest to running dry.
      const ready = [...streams.values()].filter((s) => s.pipeline && s.credit > 0 && !s.closed).sort((a, b) => b.credit - a.credit);
      for (const s of ready) {
        let frame: TranscodedFrame | null;
        try {
          frame = s.pipeline!.readFrame();
        } catch (error) {
          fail(s, error);
          continue;
        }
        if (frame) {
          s.credit--;
          progressed = true;
          let list = out.get(s);
          if (!list) out.set(s, (list = []));
          list.push(frame);
        }
        if (s.pipeline!.done || (s.credit === 0 && s.pipeline!.settleDone())) finished.add(s);
      }
    }
    for (const s of new Set([...out.keys(), ...finished])) {
      const frames = out.get(s) ?? [];
      const p = s.pipeline!;
      const packed = pack(frames.map((f) => f.data));
      const consumed = s.consumedBefore - p.pendingInputBytes;
      s.consumedBefore = p.pendingInputBytes;
      post({
        t: 'frames', id: s.id, packed,
        timestamps: frames.map((f) => f.timestampMs),
        sourceTimestamps: frames.map((f) => f.sourceTimestampMs),
        consumed, done: p.done,
      }, [packed.buffer]);
      if (p.done) {
        p.destroy();
        streams.delete(s.id);
      }
    }
    const now = performance.now();
    busyMs += now - started;
    if (now - windowStart >= LOAD_INTERVAL_MS) {
      post({ t: 'load', busy: busyMs / (now - windowStart), streams: streams.size });
      busyMs = 0;
      windowStart = now;
    }
    if (progressed) schedule();
  }

  port.on('message', (msg: ToWorker) => {
    if (msg.t === 'open') {
      const stream: Stream = { id: msg.id, pipeline: null, credit: 0, consumedBefore: 0, early: [], closed: false };
      streams.set(msg.id, stream);
      Promise.resolve()
        .then(async () => {
          const decoder = await createDecoder(msg.input);
          try {
            return new TranscodePipeline(decoder, createEncoder(msg.encoder), msg.options);
          } catch (error) {
            decoder.free();
            throw error;
          }
        })
        .then(
          (pipeline) => {
            if (stream.closed) return pipeline.destroy();
            stream.pipeline = pipeline;
            post({ t: 'opened', id: msg.id, backend: pipeline.encoderBackend });
            for (const early of stream.early.splice(0)) {
              if (early.t === 'push') stream.consumedBefore += early.packed.sizes.reduce((a, b) => a + b, 0);
              apply(stream, early);
            }
          },
          (error: unknown) => fail(stream, error),
        );
      return;
    }
    const stream = streams.get(msg.id);
    if (!stream) return;
    if (msg.t === 'close') {
      stream.closed = true;
      stream.pipeline?.destroy();
      streams.delete(msg.id);
      return;
    }
    if (!stream.pipeline) {
      stream.early.push(msg);
      return;
    }
    if (msg.t === 'push') stream.consumedBefore += msg.packed.sizes.reduce((a, b) => a + b, 0);
    apply(stream, msg);
  });
}
