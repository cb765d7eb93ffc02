/**
 * The node's statistics in Lavalink's Stats shape. Memory is the process's (Node has no JVM
 * heap to report: `used` is what the JavaScript heaps and buffers hold, `allocated` the resident
 * set, `reservable` the memory the process may use), CPU the process's share of the machine since
 * the previous report, and `frameStats` Lavalink's per-player averages over the last minute.
 *
 * @module
 */

import { availableParallelism, cpus, totalmem } from 'node:os';
import type { HostStats } from './player-host.js';
import type { FrameStatsJson, StatsJson } from './protocol.js';

/** Frames a player sends in a minute: one per 20 ms (Lavalink's `EXPECTED_PACKET_COUNT_PER_MIN`). */
export const EXPECTED_FRAMES_PER_MINUTE = 3000;

function systemTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Lavalink's frame stats from the hosts' last minutes; null when no player counted. */
export function frameStats(hosts: readonly HostStats[]): FrameStatsJson | null {
  let players = 0;
  let sent = 0;
  let nulled = 0;
  for (const h of hosts) {
    players += h.frames.players;
    sent += h.frames.sent;
    nulled += h.frames.nulled;
  }
  if (players === 0) return null;
  const deficit = players * EXPECTED_FRAMES_PER_MINUTE - (sent + nulled);
  return { sent: Math.trunc(sent / players), nulled: Math.trunc(nulled / players), deficit: Math.trunc(deficit / players) };
}

/** Collects the Stats object. */
export class StatsCollector {
  readonly #startedAt = Date.now();
  #cpu = process.cpuUsage();
  #at = performance.now();
  #system = systemTimes();
  #systemLoad = 0;
  #processLoad = 0;

  /** The Stats object; `frameStats` only when `withFrames` (the WebSocket's `stats` op; REST omits it). */
  collect(hosts: readonly HostStats[], withFrames: boolean): StatsJson {
    this.#sampleCpu();
    const memory = process.memoryUsage();
    const used = memory.heapUsed + memory.external;
    const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
    let players = 0;
    let playing = 0;
    for (const h of hosts) {
      players += h.players;
      playing += h.playingPlayers;
    }
    return {
      players,
      playingPlayers: playing,
      uptime: Date.now() - this.#startedAt,
      memory: {
        free: Math.max(0, memory.rss - used),
        used,
        allocated: memory.rss,
        // A process without a cgroup limit reports 2^64 here, beyond a client's 64-bit integer.
        reservable: constrained > 0 && constrained < totalmem() ? constrained : totalmem(),
      },
      cpu: { cores: availableParallelism(), systemLoad: this.#systemLoad, lavalinkLoad: this.#processLoad },
      ...(withFrames ? { frameStats: frameStats(hosts) } : {}),
    };
  }

  /** Loads since the previous sample (at least a second apart; more often keeps the last figures). */
  #sampleCpu(): void {
    const now = performance.now();
    const wallMs = now - this.#at;
    if (wallMs < 1000) return;
    const cpu = process.cpuUsage();
    const usedMs = (cpu.user - this.#cpu.user + cpu.system - this.#cpu.system) / 1000;
    this.#processLoad = Math.min(1, Math.max(0, usedMs / (wallMs * availableParallelism())));
    const system = systemTimes();
    const total = system.total - this.#system.total;
    this.#systemLoad = total > 0 ? Math.min(1, Math.max(0, 1 - (system.idle - this.#system.idle) / total)) : 0;
    this.#cpu = cpu;
    this.#at = now;
    this.#system = system;
  }
}
