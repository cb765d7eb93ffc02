/**
 * The pace of voice joins: at most a number of a worker's voice connections handshake at once
 * (the voice gateway's TLS WebSocket, Identify and Ready, the UDP IP discovery, Select Protocol,
 * up to the Session Description), the others waiting their turn in the order they asked. A bot whose
 * guilds all rejoin at once (a restart, a resumed shard) would otherwise open hundreds of
 * handshakes together: measured with the serve bench at 800 players, the voice server's loop was
 * held for seconds, its UDP socket dropped the datagrams that arrived meanwhile, and the IP
 * discoveries among them were never answered.
 *
 * @module
 */

/** A count of slots and the joins waiting for one. @internal */
export class JoinGate {
  readonly #limit: number;
  #active = 0;
  /** Waiting joins, in the order they asked (a Set keeps it, and drops a cancelled one at once). */
  readonly #waiting = new Set<() => void>();

  /** @param limit - joins at once: an integer >= 1 (the caller checks it). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Calls `start` with a slot: at once when one is free (and returns null), else when an earlier
   * join leaves its slot (and returns a function that gives up the wait). The join gives its slot
   * back with {@link leave}, once.
   */
  enter(start: () => void): (() => void) | null {
    if (this.#active < this.#limit) {
      this.#active++;
      start();
      return null;
    }
    // A join's own function object: two waits never share one.
    const waiter = (): void => start();
    this.#waiting.add(waiter);
    return () => void this.#waiting.delete(waiter);
  }

  /** Gives a slot back: the first waiting join takes it. */
  leave(): void {
    const next = this.#waiting.values().next();
    if (next.done === true) {
      this.#active--;
      return;
    }
    this.#waiting.delete(next.value);
    next.value();
  }
}
