/**
 * A {@link PlayerHost} on a worker thread: the calls go to the worker as messages, the answers
 * and the players' messages come back. Each worker has its own node and scheduler, so a server
 * with `spence.workers: N` paces its players on N cores while the main thread serves REST and
 * the WebSocket.
 *
 * @module
 */

import type { Worker } from 'node:worker_threads';
import { ErrorCodes, SpenceError } from '../errors.js';
import type { SpenceErrorCode } from '../errors.js';
import { moduleEntry, spawnModuleWorker } from '../worker-threads.js';
import type { ResolvedPlayerUpdate } from './lavalink-player.js';
import type { HostMessage, HostStats, PlayerHost, PlayerKey } from './player-host.js';
import type { PlayerJson } from './protocol.js';
import type { FromPlayerWorker, PlayerWorkerData, ToPlayerWorker } from './worker-protocol.js';

/** Options for {@link WorkerPlayerHost}. */
export interface WorkerPlayerHostOptions {
  /** The worker's configuration and setup module. */
  data: PlayerWorkerData;
  /** Receives what each player sends to its session. */
  onMessage(sessionId: string, message: HostMessage): void;
  /** Reports a worker that died (its players are gone; a new worker takes new ones). */
  log?(line: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Call = ToPlayerWorker extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

const keyOf = (key: PlayerKey): string => `${key.sessionId}\u0000${key.guildId}`;

/** Players on a worker thread. */
export class WorkerPlayerHost implements PlayerHost {
  readonly #options: WorkerPlayerHostOptions;
  readonly #pending = new Map<number, Pending>();
  /** The players on the current worker, as the front knows them. */
  readonly #keys = new Set<string>();
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPlayerHostOptions) {
    this.#options = options;
  }

  /** Starts the worker now rather than on the first call (a node takes a while to load). */
  start(): Promise<void> {
    return this.#start();
  }

  /** Players on this host. */
  get size(): number {
    return this.#keys.size;
  }

  async update(key: PlayerKey, update: ResolvedPlayerUpdate, noReplace: boolean): Promise<PlayerJson> {
    const player = (await this.#call({ call: 'update', key, update, noReplace })) as PlayerJson;
    this.#keys.add(keyOf(key));
    return player;
  }

  async get(key: PlayerKey): Promise<PlayerJson | null> {
    if (!this.#keys.has(keyOf(key))) return null;
    return (await this.#call({ call: 'get', key })) as PlayerJson | null;
  }

  async destroy(key: PlayerKey): Promise<boolean> {
    if (!this.#keys.delete(keyOf(key))) return false;
    return (await this.#call({ call: 'destroy', key })) as boolean;
  }

  async stats(): Promise<HostStats> {
    if (this.#worker === null) return { players: 0, playingPlayers: 0, frames: { players: 0, sent: 0, nulled: 0 } };
    return (await this.#call({ call: 'stats' })) as HostStats;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const worker = this.#worker;
    if (worker !== null) await this.#call({ call: 'close' }).catch(() => {});
    this.#closed = true;
    this.#keys.clear();
    await worker?.terminate();
  }

  #start(): Promise<void> {
    if (this.#ready !== null) return this.#ready;
    const worker = spawnModuleWorker(moduleEntry(new URL('.', import.meta.url), 'player-worker'), { workerData: this.#options.data }, { what: 'player worker', source: 'server' });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#pending.set(0, { resolve: () => resolve(), reject });
    });
    worker.on('message', (msg: FromPlayerWorker) => {
      if ('sessionId' in msg) {
        this.#options.onMessage(msg.sessionId, msg.message);
        return;
      }
      const pending = this.#pending.get(msg.id);
      if (pending === undefined) return;
      this.#pending.delete(msg.id);
      if ('error' in msg) pending.reject(new SpenceError((msg.error.code as SpenceErrorCode | undefined) ?? ErrorCodes.UPSTREAM, msg.error.message, { source: 'server' }));
      else pending.resolve(msg.ok);
    });
    const died = (error: unknown): void => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#ready = null;
      this.#keys.clear();
      const failure = new SpenceError(ErrorCodes.UPSTREAM, `A player worker stopped: ${error instanceof Error ? error.message : String(error)}`, { cause: error, source: 'server' });
      for (const pending of this.#pending.values()) pending.reject(failure);
      this.#pending.clear();
      if (!this.#closed) this.#options.log?.(`${failure.message}; its players are gone, new ones go to a new worker`);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    return this.#ready;
  }

  async #call(call: Call): Promise<unknown> {
    if (this.#closed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The player host is closed', { source: 'server' });
    await this.#start();
    const worker = this.#worker!;
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...call, id } as ToPlayerWorker);
    });
  }
}
