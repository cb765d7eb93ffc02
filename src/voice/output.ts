/**
 * spence's voice output: the small interface a player sends its packets through, so any transport
 * can be plugged in (a @discordjs/voice `VoiceConnection` through {@link createDiscordJsOutput},
 * or your own). Modelled on @discordjs/voice's own audio cycle: at each tick, every due player's
 * packet is *prepared* (RTP header, transport encryption, DAVE) and then all are *dispatched*
 * (sent), so the time encryption takes does not become jitter between players.
 *
 * @module
 */

/**
 * An output's status:
 * - `connecting`: not able to send yet, or for a while (signalling, the voice handshake, a
 *   resume after close code 4015, a reconnect after 4006, a move to another voice server, the
 *   DAVE group being set up). A player holds its position (or drops frames, with `realtime`).
 * - `ready`: packets can be prepared and dispatched.
 * - `disconnected`: the link ended and will not come back by itself (close code 4014: kicked or
 *   the channel deleted; the adapter gone). `closeCode` says why when the gateway closed it.
 * - `destroyed`: the connection was destroyed.
 */
export type VoiceOutputStatus = 'connecting' | 'ready' | 'disconnected' | 'destroyed';

/** An output's state (a new object on every change). */
export interface VoiceOutputState {
  readonly status: VoiceOutputStatus;
  /** For `disconnected`: the voice gateway close code, when a close caused it (4014: kicked). */
  readonly closeCode?: number;
}

/**
 * Where a player sends its packets. Implement it to plug in another transport; spence calls it
 * from its frame scheduler only, one packet at a time per output:
 *
 * 1. `prepare(packet, durationMs)` for each due player (only while `state.status` is `ready`),
 * 2. then `dispatch()` for each output prepared in that tick, in the same order.
 *
 * `setSpeaking(true)` comes before the first packet of a run of audio, `setSpeaking(false)` after
 * its trailing silence. None of these may throw for a transient failure: report it through the
 * state instead.
 */
export interface VoiceOutput {
  /** The current state. */
  readonly state: VoiceOutputState;
  /**
   * Prepares `packet` (an Opus packet of `durationMs` ms) for the next {@link dispatch}: builds and
   * encrypts what will be sent. `packet` is valid only during the call (copy what you keep).
   * Returns false when nothing could be prepared (the output is not ready).
   */
  prepare(packet: Uint8Array, durationMs: number): boolean;
  /** Sends the prepared packet. Returns true when a packet was sent. */
  dispatch(): boolean;
  /** Tells the voice server whether this output is speaking (Discord's Speaking op). */
  setSpeaking(speaking: boolean): void;
  /**
   * Calls `listener` on every state change, with the old and new state; returns a function that
   * removes it.
   */
  subscribe(listener: (oldState: VoiceOutputState, newState: VoiceOutputState) => void): () => void;
  /** Releases what the output holds (its listeners on the transport); it sends nothing after. Optional. */
  close?(): void;
}

/** Counters of an output's frames, cumulative (the node sums them; Lavalink's `frameStats` come from them). */
export interface VoiceFrameStats {
  /** Packets dispatched to the transport. */
  sent: number;
  /** Frame slots with nothing ready to send while connected and playing (underruns). */
  nulled: number;
  /** Frame slots that were due but not sent because the output was not ready (held or dropped). */
  deficit: number;
}

/** A fresh, zeroed {@link VoiceFrameStats}. */
export function emptyFrameStats(): VoiceFrameStats {
  return { sent: 0, nulled: 0, deficit: 0 };
}
