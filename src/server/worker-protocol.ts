/**
 * Messages between the server's front (REST and WebSocket, main thread) and a player worker
 * (a node and its scheduler, with its share of the players).
 *
 * @module
 */

import type { NodeOptions } from '../node/node.js';
import type { ServerConfig } from './config.js';
import type { ResolvedPlayerUpdate } from './lavalink-player.js';
import type { HostMessage, PlayerKey } from './player-host.js';
import type { VoiceLinkFactory } from './voice-link.js';

/** What a player worker is started with (`workerData`). */
export interface PlayerWorkerData {
  config: ServerConfig;
  /** A {@link WorkerSetupModule} (its URL) and the data passed to it: functions cannot cross threads, a module can. */
  setup?: { module: string; data?: unknown };
}

/** What a worker setup module may export (both optional). */
export interface WorkerSetupModule {
  /** Node options laid over the config's (custom providers, a mirror store). */
  nodeOptions?(config: ServerConfig, data: unknown): NodeOptions | Promise<NodeOptions>;
  /** The voice links of the worker's players (another transport). */
  voiceLinks?(config: ServerConfig, data: unknown): VoiceLinkFactory | Promise<VoiceLinkFactory>;
}

/** A call from the front. */
export type ToPlayerWorker =
  | { id: number; call: 'update'; key: PlayerKey; update: ResolvedPlayerUpdate; noReplace: boolean }
  | { id: number; call: 'get'; key: PlayerKey }
  | { id: number; call: 'destroy'; key: PlayerKey }
  | { id: number; call: 'stats' }
  | { id: number; call: 'close' };

/** An answer to a call, or a message for a session. */
export type FromPlayerWorker =
  | { id: number; ok: unknown }
  | { id: number; error: { message: string; code?: string } }
  | { sessionId: string; message: HostMessage };
