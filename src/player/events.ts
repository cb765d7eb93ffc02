/**
 * A player's events, queued while its state changes and emitted once the state they describe is
 * consistent: a listener that calls back into the player (a `trackEnd` listener that loads the
 * next track) always finds it between transitions, never in the middle of one.
 *
 * @module
 */

import type { EventEmitter } from 'node:events';
import type { PlayerEvents } from './types.js';

type QueuedEvent = { [K in keyof PlayerEvents]: [K, PlayerEvents[K]] }[keyof PlayerEvents];

/** @internal */
export class EventQueue {
  readonly #emitter: EventEmitter<PlayerEvents>;
  readonly #events: QueuedEvent[] = [];
  #flushing = false;
  /** Events are waiting for {@link flush}. */
  pending = false;

  constructor(emitter: EventEmitter<PlayerEvents>) {
    this.#emitter = emitter;
  }

  /** Queues an event. */
  queue<K extends keyof PlayerEvents>(name: K, ...args: PlayerEvents[K]): void {
    this.#events.push([name, args] as QueuedEvent);
    this.pending = true;
  }

  /** True when `name` has a listener (an `error` event is emitted only then). */
  listened(name: keyof PlayerEvents): boolean {
    return this.#emitter.listenerCount(name) > 0;
  }

  /** Emits the queued events in order. Re-entrant safe: a listener's own events join the loop. */
  flush(): void {
    if (this.#flushing || !this.pending) return;
    this.#flushing = true;
    try {
      let event: QueuedEvent | undefined;
      while ((event = this.#events.shift()) !== undefined) {
        (this.#emitter.emit as (name: string, ...args: unknown[]) => boolean)(event[0], ...event[1]);
      }
    } finally {
      this.pending = this.#events.length > 0;
      this.#flushing = false;
    }
  }
}
