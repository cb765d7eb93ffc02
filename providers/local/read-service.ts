/**
 * Positional reads of local files, and, when they come by the hundreds a second, a read worker
 * that takes them with no system call on the loop per read.
 *
 * Why: a callback `fs.read` hands the read to an idle thread-pool thread, which must be woken (a
 * futex wake: on a virtual machine an inter-processor interrupt, paid by the loop's CPU). Measured
 * on a 2-vCPU VM at 5000 players (about 5000 reads a second): the `read` binding alone took ~16 µs
 * of the loop's time per read, a sixth of its busy time, and the machine's CPU pressure was 8 %.
 *
 * The worker: one thread for the process running `readSync`. A read is a few stores into shared
 * memory. While reads keep coming, the worker looks for new ones every millisecond on its own (the
 * loop never wakes it), and the loop looks for finished ones every millisecond while any are out,
 * on a timer that fires in the same wake-up as the players' own; the bytes are then copied out of
 * the shared slot (16 KiB: about a microsecond). Finished reads are handed over from `setImmediate`,
 * after that wake-up's timers, so the demuxing they lead to never runs in front of a frame due in
 * the same millisecond. A read takes one to two milliseconds longer, against seconds of read-ahead.
 *
 * Mode `'auto'` (the default) uses the worker only for paced reads (a player's refill, about once
 * a second, and a start's first reads; the caller says which reads are), and only while the process makes at least
 * {@link BUSY_READS} of them a second: below that `fs.read` costs little, answers sooner, and no
 * thread is started. A file read back to back (a track's start, a seek, a bulk copy) waits on each
 * read, so it keeps `fs.read`'s lower latency. The worker blocks (no timer, no CPU) after
 * {@link ACTIVE_MS} without reads; the first read after that wakes it, with one system call. A
 * read the worker cannot take (larger than a slot, or none free) goes through `fs.read`; if the
 * worker dies, its reads are made again through `fs.read` (positional reads: the same bytes).
 *
 * @module
 */

import { read as fsRead } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { Worker } from 'node:worker_threads';

/** How local reads are made; see the module's description. */
export type ReadWorkerMode = 'auto' | 'always' | 'never';

/** Reads out at once. At 5000 players about ten are. */
const SLOTS = 128;
/** The largest read the worker serves: a player's refill (its ring's read area) is at most 16 KiB. */
const SLOT_BYTES = 16 * 1024;
/** The worker polls this long after its last read before it blocks. */
const ACTIVE_MS = 200;
/** Reads per second (over the last whole second, or so far in this one) from which `'auto'` uses the worker. */
const BUSY_READS = 200;

/** `ctrl` indices. */
const TAIL = 0; // requests pushed: the loop writes it
const SLEEPING = 1; // 1 while the worker is blocked with no timeout: a new request must wake it
/** Slot states. */
const FREE = 0;
const REQUESTED = 1;
const DONE = 2;
/** Per slot in `meta`: descriptor, position, length, result (bytes read, or a negative errno). */
const META = 4;

/**
 * The worker, as a CommonJS script (`eval`): no file to locate under tsx, from dist/ or bundled.
 * Blocking is allowed there: a worker has no event loop work of its own.
 */
const WORKER_SOURCE = `
const { readSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { ctrl, ring, state, meta, data, slotBytes, activeMs } = workerData;
const MASK = ring.length - 1;
const views = [];
let head = 0;
let lastActive = 0;
for (;;) {
  const tail = Atomics.load(ctrl, ${TAIL});
  if (head !== tail) {
    do {
      const slot = ring[head & MASK];
      head = (head + 1) | 0;
      const m = slot * ${META};
      const view = (views[slot] ??= new Uint8Array(data.buffer, slot * slotBytes, slotBytes));
      let result;
      try {
        result = readSync(meta[m], view, 0, meta[m + 2], meta[m + 1]);
      } catch (error) {
        result = typeof error.errno === 'number' && error.errno < 0 ? error.errno : -5; // EIO
      }
      meta[m + 3] = result;
      Atomics.store(state, slot, ${DONE});
    } while (head !== tail);
    lastActive = performance.now();
    continue;
  }
  if (performance.now() - lastActive < activeMs) {
    // Woken by the timeout, not by the loop: new reads are picked up within a millisecond.
    Atomics.wait(ctrl, ${TAIL}, tail, 1);
    continue;
  }
  // Idle: block until woken. The flag is set before the last look at the tail, and the loop reads
  // it after storing the tail (both sequentially consistent), so a read is never left unseen.
  Atomics.store(ctrl, ${SLEEPING}, 1);
  if (Atomics.load(ctrl, ${TAIL}) === tail) Atomics.wait(ctrl, ${TAIL}, tail);
  Atomics.store(ctrl, ${SLEEPING}, 0);
}
`;

/** Called once, never synchronously: the error, or null and the count of bytes read (0 at the end). */
export type ReadCallback = (error: Error | null, bytesRead: number) => void;

interface Pending {
  fd: number;
  position: number;
  slot: number;
  target: Uint8Array;
  callback: ReadCallback;
}

/** The process's read worker and its shared memory. */
class ReadWorker {
  readonly #ctrl = new Int32Array(new SharedArrayBuffer(2 * 4));
  readonly #ring = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  readonly #state = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  readonly #meta = new Float64Array(new SharedArrayBuffer(SLOTS * META * 8));
  readonly #data = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES));
  readonly #free: number[] = [];
  /** Reads out, in request order; `#spare` is the array the next poll fills. */
  #pending: Pending[] = [];
  #spare: Pending[] = [];
  #done: Pending[] = [];
  #tail = 0;
  #timer: NodeJS.Timeout | null = null;
  #handing = false;
  readonly #thread: Worker;
  /** Set when the worker failed or exited: no more reads go to it. */
  dead = false;

  constructor() {
    for (let s = SLOTS - 1; s >= 0; s--) this.#free.push(s);
    const worker = (this.#thread = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ctrl: this.#ctrl, ring: this.#ring, state: this.#state, meta: this.#meta, data: this.#data,
        slotBytes: SLOT_BYTES, activeMs: ACTIVE_MS,
      },
      // It only calls readSync: a small heap of its own, and none of the process's flags
      // (--import loaders, --inspect, --cpu-prof) to start with.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1 },
      execArgv: [],
    }));
    // Never what keeps the process alive: the poll timer is, while reads are out.
    worker.unref();
    worker.once('error', () => this.#die());
    worker.once('exit', () => this.#die());
  }

  /** Queues the read; false when the worker cannot take it (too large, no slot free, dead). */
  read(fd: number, position: number, target: Uint8Array, callback: ReadCallback): boolean {
    if (this.dead || target.length > SLOT_BYTES) return false;
    const slot = this.#free.pop();
    if (slot === undefined) return false;
    const m = slot * META;
    const meta = this.#meta;
    meta[m] = fd;
    meta[m + 1] = position;
    meta[m + 2] = target.length;
    this.#state[slot] = REQUESTED;
    this.#ring[this.#tail & (SLOTS - 1)] = slot;
    this.#tail = (this.#tail + 1) | 0;
    Atomics.store(this.#ctrl, TAIL, this.#tail);
    if (Atomics.load(this.#ctrl, SLEEPING) === 1) Atomics.notify(this.#ctrl, TAIL);
    if (this.#pending.length === 0 && !this.#handing) this.#arm();
    this.#pending.push({ fd, position, slot, target, callback });
    return true;
  }

  #arm(): void {
    if (this.#timer === null) this.#timer = setTimeout(this.#poll, 1);
    else this.#timer.refresh();
  }

  /** On the timer: moves finished reads to `#done`, handed over after this wake-up's timers. */
  readonly #poll = (): void => {
    const pending = this.#pending;
    const still = this.#spare;
    const state = this.#state;
    for (let k = 0; k < pending.length; k++) {
      const p = pending[k]!;
      if (Atomics.load(state, p.slot) === DONE) this.#done.push(p);
      else still.push(p);
    }
    pending.length = 0;
    this.#spare = pending;
    this.#pending = still;
    if (this.#done.length > 0) {
      this.#handing = true;
      setImmediate(this.#handOver);
    } else if (still.length > 0) {
      this.#timer!.refresh();
    }
  };

  readonly #handOver = (): void => {
    this.#handing = false;
    const done = this.#done;
    this.#done = [];
    for (const p of done) this.#finish(p);
    if (this.#pending.length > 0) this.#arm();
  };

  #finish(p: Pending): void {
    const m = p.slot * META;
    const result = this.#meta[m + 3]!;
    if (result >= 0) p.target.set(this.#data.subarray(p.slot * SLOT_BYTES, p.slot * SLOT_BYTES + result));
    this.#state[p.slot] = FREE;
    this.#free.push(p.slot);
    if (result >= 0) p.callback(null, result);
    else p.callback(errnoError(result), 0);
  }

  /** Stops the thread (tests: what happens to reads out when it dies). */
  terminate(): Promise<void> {
    this.#die();
    return this.#thread.terminate().then(() => {});
  }

  /** The worker is gone: what it finished is handed over, the rest is read again through `fs.read`. */
  #die(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    const out = [...this.#done, ...this.#pending];
    this.#done = [];
    this.#pending = [];
    for (const p of out) {
      if (Atomics.load(this.#state, p.slot) === DONE) this.#finish(p);
      else viaThreadPool(p.fd, p.position, p.target, p.callback);
    }
  }
}

function errnoError(errno: number): Error {
  let code = 'EIO';
  try {
    code = getSystemErrorName(errno);
  } catch {
    // not a known errno: EIO
  }
  return Object.assign(new Error(`${code}: reading the file failed`), { errno, code, syscall: 'read' });
}

function viaThreadPool(fd: number, position: number, target: Uint8Array, callback: ReadCallback): void {
  fsRead(fd, target, 0, target.length, position, (error, bytesRead) => callback(error, bytesRead));
}

let worker: ReadWorker | null = null;
let workerFailed = false;
/** `'auto'`'s read rate: reads in the current second, and in the one before. */
let windowStart = 0;
let windowReads = 0;
let lastWindowReads = 0;

function busy(): boolean {
  const now = performance.now();
  if (now - windowStart >= 1000) {
    lastWindowReads = now - windowStart < 2000 ? windowReads : 0;
    windowStart = now;
    windowReads = 0;
  }
  windowReads++;
  return windowReads >= BUSY_READS || lastWindowReads >= BUSY_READS;
}

/** Users holding the read service (local providers: a node's each); the last to let go stops the worker. */
let holders = 0;

/**
 * Holds the read service for one user (the local provider of a node, from its first open): the
 * worker its reads may start is stopped when the last holder lets go, so a process whose nodes
 * are all closed keeps no thread. Returns the release (idempotent). A later read starts a new
 * worker if it needs one.
 */
export function holdReadService(): () => Promise<void> {
  holders++;
  let held = true;
  return async () => {
    if (!held) return;
    held = false;
    if (--holders > 0 || worker === null || worker.dead) return;
    const stopping = worker;
    worker = null;
    // Reads still out (none, once the node's players are gone) are made again through fs.read.
    await stopping.terminate();
  };
}

function theWorker(): ReadWorker | null {
  if (worker !== null && !worker.dead) return worker;
  if (workerFailed || worker !== null) return null; // it died once: the thread pool from now on
  try {
    worker = new ReadWorker();
  } catch {
    workerFailed = true;
  }
  return worker;
}

/**
 * Reads up to `target.length` bytes of `fd` at `position` into `target`, then calls `callback`.
 * The descriptor must stay open until then. `paced`: the read is a refill, not one of a burst
 * that waits on each read (`'auto'` sends only paced reads to the worker).
 */
export function readInto(fd: number, position: number, target: Uint8Array, callback: ReadCallback, mode: ReadWorkerMode = 'auto', paced = true): void {
  if (mode === 'always' || (mode === 'auto' && paced && busy())) {
    if (theWorker()?.read(fd, position, target, callback) === true) {
      readCounts.worker++;
      return;
    }
  }
  readCounts.threadPool++;
  viaThreadPool(fd, position, target, callback);
}

/** Reads made so far through each path (for tests and diagnostics). */
export const readCounts = { worker: 0, threadPool: 0 };

/** For tests: whether the read worker was started, and is alive. */
export function readWorkerStatus(): 'none' | 'running' | 'dead' {
  return worker === null ? 'none' : worker.dead ? 'dead' : 'running';
}

/** For tests: kills the read worker as if it had crashed (its reads out are made again through `fs.read`). */
export function killReadWorker(): Promise<void> {
  return worker?.terminate() ?? Promise.resolve();
}
