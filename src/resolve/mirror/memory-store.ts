/**
 * The default {@link MirrorStore}: an in-process LRU (lru-cache) with per-entry TTLs.
 *
 * @module
 */

import { LRUCache } from 'lru-cache';
import type { Clock } from '../../player/clock.js';
import { lruTiming } from '../lru-timing.js';
import type { MirrorEntry, MirrorStore } from './types.js';

/** Options for {@link MemoryMirrorStore}. */
export interface MemoryMirrorStoreOptions {
  /** Largest number of entries. Default 10,000. Pins count too, and are evicted last only by recency. */
  max?: number;
  /**
   * What TTLs are timed on: a clock's `now()` in ms (a node's clock, or a test's `ManualClock`).
   * Default: `performance.now()`.
   */
  clock?: Pick<Clock, 'now'>;
}

/** An in-memory {@link MirrorStore} on lru-cache. Entries set without a TTL never expire (but can be evicted by size). */
export class MemoryMirrorStore implements MirrorStore {
  private readonly lru: LRUCache<string, MirrorEntry>;

  constructor(options: MemoryMirrorStoreOptions = {}) {
    this.lru = new LRUCache<string, MirrorEntry>({ max: Math.max(1, options.max ?? 10_000), ...lruTiming(options.clock) });
  }

  async get(key: string): Promise<MirrorEntry | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, value: MirrorEntry, ttlMs?: number): Promise<void> {
    // lru-cache reads ttl 0 as "no expiry", which is what undefined means here.
    this.lru.set(key, value, ttlMs !== undefined && ttlMs > 0 ? { ttl: ttlMs } : {});
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  /** Number of entries. */
  get size(): number {
    return this.lru.size;
  }
}
