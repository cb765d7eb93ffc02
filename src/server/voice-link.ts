/**
 * The seam between a Lavalink player and Discord voice: what the server needs of a voice
 * connection for one guild. {@link DetachedVoiceLink} keeps the credentials and connects nothing
 * (players run on the node without a connection); `discordVoiceLinks()` joins a @discordjs/voice
 * connection and gives it to the player with `player.connect()`. Another transport plugs in
 * through {@link VoiceLinkFactory}: a link connects its player to an output of its own.
 *
 * @module
 */

import type { Player } from '../player/player.js';
import type { VoiceStateJson } from './protocol.js';

/** Discord closed the voice WebSocket (Lavalink's WebSocketClosedEvent). */
export interface VoiceClose {
  /** The close code (4006 session invalid, 4014 disconnected, 4015 voice server crashed, ...). */
  code: number;
  reason: string;
  /** True when Discord closed it. */
  byRemote: boolean;
}

/** One guild's voice connection as a Lavalink player uses it. */
export interface VoiceLink {
  /**
   * Applies the client's voice state. The first one connects; one whose `channelId`, `endpoint`,
   * `token` or `sessionId` differs reconnects, and the player keeps its place in the track.
   */
  update(state: VoiceStateJson): void;
  /** The voice state last applied, or null. */
  readonly state: VoiceStateJson | null;
  /** True while the voice connection is ready to send. */
  readonly connected: boolean;
  /** Round-trip time to the voice server in ms, or -1 when not connected. */
  readonly ping: number;
  /** Disconnects and releases the connection. */
  destroy(): void;
}

/** What a {@link VoiceLinkFactory} is given. */
export interface VoiceLinkContext {
  guildId: string;
  /** The bot's user id (the WebSocket's `User-Id`). */
  userId: string;
  /**
   * The player whose packets go to the connection: the link connects it (`player.connect()`) and
   * disconnects it. A connection that cannot send holds it in place (the track keeps its place,
   * nothing is lost or repeated), as a Lavalink node's player, whose frames are taken only while
   * connected; its frame counters (`player.frameStats`) are Lavalink's `frameStats`.
   */
  player: Player;
  /** Reports Discord closing the voice WebSocket. */
  onClose(close: VoiceClose): void;
}

/** Makes a guild's voice link. */
export type VoiceLinkFactory = (context: VoiceLinkContext) => VoiceLink;

/** A link that keeps the voice state and never connects. */
export class DetachedVoiceLink implements VoiceLink {
  state: VoiceStateJson | null = null;
  readonly connected = false;
  readonly ping = -1;

  update(state: VoiceStateJson): void {
    this.state = { ...state };
  }

  destroy(): void {}
}

/** The factory of {@link DetachedVoiceLink}s. */
export const detachedVoiceLinks: VoiceLinkFactory = () => new DetachedVoiceLink();
