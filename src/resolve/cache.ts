/**
 * The resolution cache: bounded in entries, with a TTL per provider. lru-cache does the work; this
 * wrapper only fixes the key and value types and the defaults.
 *
 * @module
 */

import { LRUCache } from 'lru-cache';
import type { Clock } from '../player/clock.js';
import { lruTiming } from './lru-timing.js';
import type { LoadResult } from './provider.js';

/** Cache settings for `new Node({ cache })`. */
export interface CacheOptions {
  /** Largest number of cached results. Default 1000. 0 turns the cache off. */
  max?: number;
  /** How long a result is kept, in ms, for providers that do not set their own `cacheTtlMs`. Default 10 minutes. */
  ttlMs?: number;
}

/** Default TTL: 10 minutes, shorter than the life of most signed media URLs and playlists. */
export const DEFAULT_CACHE_TTL_MS = 10 * 60_000;
/** Default size bound. */
export const DEFAULT_CACHE_MAX = 1000;

/** A bounded, TTL'd store of load results keyed by normalised input. */
export class ResolutionCache {
  private readonly lru: LRUCache<string, LoadResult> | null;
  /** The TTL used when a provider does not set one. */
  readonly defaultTtlMs: number;

  /**
   * `clock` times the TTLs (the node's: a test's ManualClock expires entries as it moves); without
   * one, lru-cache's own `performance.now()`.
   */
  constructor(options: CacheOptions = {}, clock?: Clock) {
    const max = options.max ?? DEFAULT_CACHE_MAX;
    this.defaultTtlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    // No cost for a feature not in use: with max 0 there is no LRU at all.
    this.lru = max > 0 ? new LRUCache<string, LoadResult>({ max, ttlAutopurge: false, ...lruTiming(clock) }) : null;
  }

  get(key: string): LoadResult | undefined {
    return this.lru?.get(key);
  }

  set(key: string, value: LoadResult, ttlMs: number): void {
    if (this.lru === null || ttlMs <= 0) return;
    this.lru.set(key, value, { ttl: ttlMs });
  }

  /** Number of live entries. */
  get size(): number {
    return this.lru?.size ?? 0;
  }

  clear(): void {
    this.lru?.clear();
  }
}
