/**
 * The pool of transcoding workers (worker_threads), sized to the cores: decoding, filtering and
 * encoding never run on the thread that keeps the players' deadlines. Each stream lives on one
 * worker (its codec state cannot move); a new stream goes to the least-loaded worker.
 *
 * The worker entry loads in both modes the library runs in: built (`dist/`, plain `.js`: the
 * compiled `worker.js` beside this file) and from TypeScript sources (tsx, vitest: `worker.ts`,
 * through tsx's ESM loader registered inside the worker, since Node 20 does not take `--import`
 * in a worker's execArgv).
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { moduleEntry, spawnModuleWorker } from '../../worker-threads.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** Options for {@link TranscodePool}. */
export interface TranscodePoolOptions {
  /** Worker threads; default: the available parallelism less one for the main thread (at least 1). */
  workers?: number;
  /**
   * The share of each 20 ms tick a worker may spend (0..1, default 0.8): a worker reporting more is
   * saturated and gets no new stream while another has room; when all are, {@link TranscodePool.saturated}.
   */
  budget?: number;
}

/**
 * Checks pool options when they are given (a node checks its `transcode` options at construction,
 * though the pool starts on first use): `workers` an integer >= 1, `budget` above 0 and at most 1.
 *
 * @throws SpenceError `INVALID_ARGUMENT` naming the option.
 */
export function validatePoolOptions(options: TranscodePoolOptions): TranscodePoolOptions {
  if (typeof options !== 'object' || options === null) throw invalid(`transcode options must be an object, not ${String(options)}`);
  const { workers, budget } = options;
  if (workers !== undefined && (!Number.isSafeInteger(workers) || workers < 1)) throw invalid(`transcode.workers must be an integer >= 1, not ${String(workers)}`);
  if (budget !== undefined && (typeof budget !== 'number' || !(budget > 0 && budget <= 1))) throw invalid(`transcode.budget must be above 0 and at most 1, not ${String(budget)}`);
  return options;
}

function invalid(message: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_ARGUMENT, message, { source: 'transcode' });
}

/** A worker's load, as it last reported it. */
export interface WorkerLoad {
  /** Busy fraction over its last report window (0..1). */
  busy: number;
  /** Streams open on it. */
  streams: number;
}

/** A channel's listener, whatever its stream's message types. */
type Listener = (message: unknown) => void;

/** What a channel's listener gets when its worker dies or the pool closes. */
export type PoolFailure = Extract<FromWorker, { t: 'error' }>;

/** How this module's worker entry is started: the built `.js`, or the `.ts` source through tsx. */
export function workerEntry(): { mode: 'built' | 'source'; url: URL } {
  return moduleEntry(new URL('.', import.meta.url), 'worker');
}

function spawn(): Worker {
  return spawnModuleWorker(workerEntry(), {}, { what: 'transcoding worker', source: 'transcode' });
}

class PoolWorker {
  readonly worker: Worker;
  load: WorkerLoad = { busy: 0, streams: 0 };
  readonly listeners = new Map<number, Listener>();

  constructor(onExit: (w: PoolWorker, error: unknown) => void) {
    this.worker = spawn();
    this.worker.unref();
    // The transcoder's messages, or another stream kind's (voice receive): all carry their stream's id but 'load'.
    this.worker.on('message', (msg: FromWorker | { t: string; id: number }) => {
      if (msg.t === 'load') {
        this.load = { busy: (msg as Extract<FromWorker, { t: 'load' }>).busy, streams: this.listeners.size };
        return;
      }
      this.listeners.get((msg as { id: number }).id)?.(msg);
    });
    this.worker.on('error', (error) => onExit(this, error));
    this.worker.on('exit', (code) => onExit(this, new Error(`transcoding worker exited with code ${code}`)));
  }
}

/**
 * A stream's handle on its worker. `In` is what the stream sends: the transcoder's messages by
 * default; other work the worker entry hosts (voice receive's decoding) has its own.
 */
export interface PoolChannel<In = ToWorker> {
  send(message: In, transfer?: ArrayBuffer[]): void;
  release(): void;
}

/** The transcoding worker pool. */
export class TranscodePool {
  /** Worker threads in this pool. */
  readonly size: number;
  private readonly budget: number;
  private readonly workers: (PoolWorker | null)[];
  private nextId = 1;
  private closed = false;

  /** @throws SpenceError `INVALID_ARGUMENT` for options it cannot use (see {@link validatePoolOptions}). */
  constructor(options: TranscodePoolOptions = {}) {
    validatePoolOptions(options);
    this.size = options.workers ?? Math.max(1, availableParallelism() - 1);
    this.budget = options.budget ?? 0.8;
    this.workers = new Array<PoolWorker | null>(this.size).fill(null);
  }

  /** The loads the workers last reported (a worker not started yet is idle). */
  loads(): WorkerLoad[] {
    return this.workers.map((w) => (w ? { busy: w.load.busy, streams: w.listeners.size } : { busy: 0, streams: 0 }));
  }

  /** True when every worker is over its budget. */
  get saturated(): boolean {
    return this.loads().every((l) => l.busy > this.budget);
  }

  /**
   * Opens a channel for one stream on the least-loaded worker (workers start lazily). `Out` is what
   * the worker answers it with (the transcoder's messages by default), or the pool's failure message (`{ t: 'error' }`: the worker died or refused the stream).
   */
  open<In = ToWorker, Out = FromWorker>(listener: (message: Out | PoolFailure) => void): PoolChannel<In> {
    if (this.closed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The transcoding pool is closed', { source: 'transcode' });
    let best = 0;
    let bestScore = Infinity;
    for (let i = 0; i < this.size; i++) {
      const w = this.workers[i];
      // Under budget beats over budget; then fewer streams, then less busy.
      const score = w ? (w.load.busy > this.budget ? 1e6 : 0) + w.listeners.size * 1000 + w.load.busy : -1;
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    }
    const worker = (this.workers[best] ??= new PoolWorker((dead, error) => this.onWorkerExit(dead, error)));
    const id = this.nextId++;
    worker.listeners.set(id, listener as Listener);
    if (worker.listeners.size === 1) worker.worker.ref();
    return {
      // The stream's id on its worker is the pool's, whatever the caller put in the message.
      send: (message, transfer) => worker.worker.postMessage({ ...(message as object), id }, transfer ?? []),
      release: () => {
        if (!worker.listeners.delete(id)) return;
        worker.worker.postMessage({ t: 'close', id } satisfies ToWorker);
        // An idle pool must not keep the process alive.
        if (worker.listeners.size === 0) worker.worker.unref();
      },
    };
  }

  private onWorkerExit(dead: PoolWorker, error: unknown): void {
    const index = this.workers.indexOf(dead);
    if (index < 0) return;
    this.workers[index] = null;
    const message = error instanceof Error ? error.message : String(error);
    for (const [id, listener] of dead.listeners) listener({ t: 'error', id, code: 'UPSTREAM', message });
    dead.listeners.clear();
  }

  /** Terminates the workers; open streams fail. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0).filter((w): w is PoolWorker => w !== null);
    for (const w of workers) {
      for (const [id, listener] of w.listeners) listener({ t: 'error', id, code: 'INVALID_STATE', message: 'The transcoding pool was closed' });
      w.listeners.clear();
      w.worker.removeAllListeners('exit');
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

let shared: TranscodePool | undefined;

/** The process-wide default pool (created on first use). */
export function defaultTranscodePool(): TranscodePool {
  shared ??= new TranscodePool();
  return shared;
}
