/**
 * Prepare-then-dispatch across players, as @discordjs/voice's own audio cycle does: during one
 * tick of the frame scheduler every due player's packet is *prepared* (encrypted) on its output,
 * and the outputs are *dispatched* (sent) together once the tick's tasks have all run, so the
 * time spent encrypting one player's packet does not delay the next player's send.
 *
 * The end of the tick is found without a hook in the scheduler: a tick is one timer callback, so
 * a microtask queued by the first prepare runs right after the callback's last task. One
 * microtask per tick, one array reused: nothing is allocated per packet.
 *
 * @module
 */

import { emptyFrameStats, type VoiceFrameStats, type VoiceOutput } from './output.js';

/** A player's link to its output: the output, its counters, and whether it waits in a batch. */
export class OutputLink {
  /** Counters of this link's frames. */
  readonly stats: VoiceFrameStats = emptyFrameStats();
  /** A prepared packet waits for the batch's dispatch. @internal */
  queued = false;
  constructor(readonly output: VoiceOutput) {}
}

/** One batch per scheduler (a node shares one across its players). */
export class DispatchBatch {
  readonly #links: OutputLink[] = [];
  #microtask = false;

  /**
   * Prepares `packet` on the link's output and queues the output for dispatch at the end of the
   * tick. Counts the frame as `deficit` when the output cannot take it (not ready). A link whose
   * previous packet still waits (a player catching up runs twice in one tick) has that one sent
   * first: an output holds one prepared packet.
   */
  send(link: OutputLink, packet: Uint8Array, durationMs: number): boolean {
    // Already in this tick's list (it keeps its place there).
    const listed = link.queued;
    if (listed) dispatch(link);
    if (!link.output.prepare(packet, durationMs)) {
      link.stats.deficit++;
      return false;
    }
    link.queued = true;
    if (!listed) this.#links.push(link);
    if (!this.#microtask) {
      this.#microtask = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  /** Dispatches every queued output now (also what the end-of-tick microtask does). */
  flush(): void {
    this.#flush();
  }

  readonly #flush = (): void => {
    this.#microtask = false;
    const links = this.#links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      if (link.queued) dispatch(link);
    }
    links.length = 0;
  };
}

function dispatch(link: OutputLink): void {
  link.queued = false;
  let sent = false;
  try {
    sent = link.output.dispatch();
  } catch (error) {
    // One output's failure must not keep the others' packets back: report it as uncaught.
    queueMicrotask(() => {
      throw error;
    });
  }
  if (sent) link.stats.sent++;
  else link.stats.deficit++;
}
