/**
 * Packets from an SSRC the voice gateway has not tied to a user yet. Discord announces a member's
 * SSRC with a Speaking op that can arrive after their first packets; those packets are kept
 * (still end-to-end encrypted: the DAVE decryptor needs the user) until the SSRC is announced, or
 * until they are older than a bound, and then placed on the timeline where they arrived.
 *
 * @module
 */

/** A packet kept until its SSRC is announced. */
export interface PendingPacket {
  readonly sequence: number;
  readonly timestamp: number;
  readonly payload: Uint8Array;
  readonly arrivedAt: number;
}

/** Packets kept for at most this many per SSRC (10 s of 20 ms packets): the oldest go first. */
const MAX_PER_SSRC = 500;
/** SSRCs kept at most (a flood of made-up SSRCs must not grow memory). */
const MAX_SSRCS = 64;

/** The packets of every SSRC not announced yet, bounded in count and (through {@link expire}) in age. */
export class PendingPackets {
  readonly #bySsrc = new Map<number, PendingPacket[]>();
  /** Packets given up on: never announced in time, or over the bounds. */
  dropped = 0;

  /** Packets kept, over every SSRC. */
  get size(): number {
    let n = 0;
    for (const list of this.#bySsrc.values()) n += list.length;
    return n;
  }

  add(ssrc: number, packet: PendingPacket): void {
    let list = this.#bySsrc.get(ssrc);
    if (list === undefined) {
      if (this.#bySsrc.size >= MAX_SSRCS) {
        this.dropped++;
        return;
      }
      this.#bySsrc.set(ssrc, (list = []));
    }
    if (list.length >= MAX_PER_SSRC) {
      list.shift();
      this.dropped++;
    }
    list.push(packet);
  }

  /** Removes and returns the packets kept for `ssrc`, in arrival order. */
  take(ssrc: number): PendingPacket[] {
    const list = this.#bySsrc.get(ssrc);
    if (list === undefined) return [];
    this.#bySsrc.delete(ssrc);
    return list;
  }

  /** The arrival time of the oldest packet kept, or undefined. */
  oldest(): number | undefined {
    let oldest: number | undefined;
    for (const list of this.#bySsrc.values()) {
      const first = list[0];
      if (first !== undefined && (oldest === undefined || first.arrivedAt < oldest)) oldest = first.arrivedAt;
    }
    return oldest;
  }

  /** Drops the packets that arrived before `before`. */
  expire(before: number): void {
    for (const [ssrc, list] of this.#bySsrc) {
      let n = 0;
      while (n < list.length && list[n]!.arrivedAt < before) n++;
      if (n === 0) continue;
      this.dropped += n;
      if (n === list.length) this.#bySsrc.delete(ssrc);
      else list.splice(0, n);
    }
  }

  /** Drops everything. */
  clear(): void {
    this.dropped += this.size;
    this.#bySsrc.clear();
  }
}
