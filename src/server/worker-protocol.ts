/**
 * Messages between the server's front (REST and WebSocket, main thread) and a player worker
 * (a node and its scheduler, with its share of the players).
 *
 * @module
 */

import type { ServerConfig } from './config.js';
import type { ResolvedPlayerUpdate } from './lavalink-player.js';
import type { HostMessage, PlayerKey } from './player-host.js';

/** What a player worker is started with (`workerData`). */
export interface PlayerWorkerData {
  config: ServerConfig;
  /**
   * A module (URL) whose `nodeOptions(config, data)` export gives node options laid over the
   * config's (custom providers, a mirror store): functions cannot cross threads, a module can.
   */
  setup?: { module: string; data?: unknown };
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
