/**
 * spence's voice output: the small interface a player sends its packets through
 * (`player.connect(output)`), so that any transport can be plugged in without touching the
 * player. A @discordjs/voice `VoiceConnection` is given to `player.connect()` as it is (the
 * player wraps it with {@link createDiscordJsOutput}); another transport implements this.
 *
 * Modelled on @discordjs/voice's own audio cycle: at each tick of the node's frame scheduler,
 * every due player *prepares* its packet on its output (RTP header, transport encryption, DAVE),
 * and then the outputs prepared in that tick are *dispatched* (sent), in the same order, so the
 * time one output spends encrypting does not become another's lateness.
 *
 * @module
 */

import type { FrameEvent } from '../player/types.js';

/**
 * An output's status:
 * - `connecting`: it cannot send now, but may again (signalling, the voice handshake, a resume
 *   after close code 4015, a new session after 4006, a move to another voice server, the DAVE
 *   group being set up). A connected player holds its position meanwhile (or drops the frames
 *   that fall due, with `realtime`).
 * - `ready`: packets can be prepared and dispatched.
 * - `disconnected`: the link ended and will not come back by itself (close code 4014: kicked,
 *   or the channel deleted; the bot's gateway gone). `closeCode` says why when the voice server
 *   closed it.
 * - `destroyed`: the transport was destroyed.
 *
 * The last two end a player's link: the player disconnects and emits `voiceClose`.
 */
export type VoiceOutputStatus = 'connecting' | 'ready' | 'disconnected' | 'destroyed';

/** An output's state (a new object on every change). */
export interface VoiceOutputState {
  readonly status: VoiceOutputStatus;
  /** For `disconnected`: the voice gateway close code, when a close caused it (4014: kicked). */
  readonly closeCode?: number;
}

/**
 * Where a connected player sends its frames. spence calls it from its frame scheduler only, at
 * most one prepared frame per output at a time:
 *
 * 1. `prepare(frame)` at the frame's deadline, for each due player whose output is `ready`;
 * 2. then `dispatch()` for each output prepared in that tick, in the same order. (A player that
 *    catches up after a late tick may be due twice in one tick: its first frame is dispatched
 *    before its second is prepared.)
 *
 * `setSpeaking(true)` comes right before the first audio frame of a run is prepared,
 * `setSpeaking(false)` once the run's last frame (its trailing silence) has been dispatched, and
 * when the player disconnects. None of these may throw for a transient failure: report it through
 * {@link state}.
 *
 * @example
 * ```ts
 * const output: VoiceOutput = {
 *   prepare: ({ packet }) => (pending = seal(packet.data, packet.durationMs)),
 *   dispatch: () => socket.send(pending),
 * };
 * player.connect(output);
 * ```
 */
export interface VoiceOutput {
  /**
   * Optional: the output's state, read at every frame slot (absent: always ready). While it is not
   * `ready`, a connected player holds its position: it takes no packet, its timeline moves on by
   * the slot (counted as `deficit`), and it resumes with the exact next packet once the output is
   * ready again: nothing lost, nothing repeated. `disconnected` and `destroyed` end the link.
   */
  readonly state?: VoiceOutputState;
  /**
   * Builds what will be sent for `frame` at the next {@link dispatch} (`frame.packet` is an Opus
   * packet of `frame.packet.durationMs`; for trailing silence, F8 FF FE). **The frame and its
   * bytes are valid inside the call only**: copy what you keep.
   */
  prepare(frame: FrameEvent): void;
  /** Sends what {@link prepare} built. */
  dispatch(): void;
  /** Optional: Discord's Speaking state (see the interface's description for when it is called). */
  setSpeaking?(speaking: boolean): void;
  /**
   * Optional: calls `listener` on every change of {@link state}, with the old and the new state,
   * and returns a function that removes it. Without it a player notices a state only at its next
   * frame slot (and an ended link only while it plays).
   */
  subscribe?(listener: (oldState: VoiceOutputState, newState: VoiceOutputState) => void): () => void;
}

/** True for the statuses that end a player's link. */
export function isTerminal(state: VoiceOutputState): boolean {
  return state.status === 'disconnected' || state.status === 'destroyed';
}
