/**
 * Where Lavalink players live. The REST and WebSocket front talks to players through a
 * {@link PlayerHost}: {@link LocalPlayerHost} keeps them on this thread's node (single-thread
 * mode, and inside each worker), a worker host forwards the same calls to a worker thread. Every
 * call is asynchronous in both cases, so the front has one code path.
 *
 * @module
 */

import type { BaseNode, CreatePlayerOptions } from '../node/node.js';
import type { Clock, ClockTimer } from '../player/clock.js';
import { LavalinkPlayer } from './lavalink-player.js';
import type { ResolvedPlayerUpdate } from './lavalink-player.js';
import type { EventJson, PlayerJson, PlayerUpdateJson } from './protocol.js';
import type { VoiceLinkFactory } from './voice-link.js';

/** Which player: a session's guild, and the bot the session belongs to. */
export interface PlayerKey {
  sessionId: string;
  guildId: string;
  /** The session's `User-Id`. */
  userId: string;
}

/** Frames of the players that were playing through a connected voice link for the whole last minute. */
export interface MinuteFrames {
  /** Players counted. */
  players: number;
  /** Frames they sent in the minute. */
  sent: number;
  /** Frame slots they had nothing for. */
  nulled: number;
}

/** A host's counts for `stats`. */
export interface HostStats {
  players: number;
  playingPlayers: number;
  frames: MinuteFrames;
}

/** What the front needs of a place players live. */
export interface PlayerHost {
  /** Players on this host (the front sends a new player to the host with fewest). */
  readonly size: number;
  /** Applies an update, creating the player when it does not exist; resolves with the Player object. */
  update(key: PlayerKey, update: ResolvedPlayerUpdate, noReplace: boolean): Promise<PlayerJson>;
  /** The Player object, or null when there is no such player. */
  get(key: PlayerKey): Promise<PlayerJson | null>;
  /** Destroys the player; false when there was none. */
  destroy(key: PlayerKey): Promise<boolean>;
  /** Counts for `stats`. */
  stats(): Promise<HostStats>;
  /** Destroys every player and releases the host. */
  close(): Promise<void>;
}

/** A message a host's player sends to its session. */
export type HostMessage = EventJson | PlayerUpdateJson;

/** Options for {@link LocalPlayerHost}. */
export interface LocalPlayerHostOptions {
  /** The node whose scheduler paces the players. */
  node: BaseNode;
  /** Makes each guild's voice link. */
  voiceLinks: VoiceLinkFactory;
  /** `playerUpdate` period, in ms. */
  updateIntervalMs: number;
  /** Unix time in ms (the Player State's `time`). Default `Date.now`. */
  now?: () => number;
  /** Options of every player created (read-ahead, transcoding). */
  playerOptions?: CreatePlayerOptions;
  /** Receives what each player sends to its session. */
  onMessage(sessionId: string, message: HostMessage): void;
}

/** One minute, over which frame counts are averaged (Lavalink's `AudioLossCounter`). */
const MINUTE_MS = 60_000;

const keyOf = (key: PlayerKey): string => `${key.sessionId}\u0000${key.guildId}`;

interface Hosted {
  player: LavalinkPlayer;
  /** Counts at the last sample, when it was playing through a connected link then. */
  sample: { sent: number; nulled: number } | null;
}

/** Players on this thread's node. */
export class LocalPlayerHost implements PlayerHost {
  readonly #options: LocalPlayerHostOptions;
  readonly #players = new Map<string, Hosted>();
  readonly #clock: Clock;
  #minute: MinuteFrames = { players: 0, sent: 0, nulled: 0 };
  #sampler: ClockTimer | null = null;
  #closed = false;

  constructor(options: LocalPlayerHostOptions) {
    this.#options = options;
    this.#clock = options.node.scheduler.clock;
  }

  get size(): number {
    return this.#players.size;
  }

  async update(key: PlayerKey, update: ResolvedPlayerUpdate, noReplace: boolean): Promise<PlayerJson> {
    return this.#obtain(key).player.update(update, noReplace);
  }

  async get(key: PlayerKey): Promise<PlayerJson | null> {
    return this.#players.get(keyOf(key))?.player.toJson() ?? null;
  }

  async destroy(key: PlayerKey): Promise<boolean> {
    const hosted = this.#players.get(keyOf(key));
    if (hosted === undefined) return false;
    this.#players.delete(keyOf(key));
    hosted.player.destroy();
    if (this.#players.size === 0) this.#stopSampler();
    return true;
  }

  async stats(): Promise<HostStats> {
    let playing = 0;
    for (const { player } of this.#players.values()) if (player.playing) playing++;
    return { players: this.#players.size, playingPlayers: playing, frames: { ...this.#minute } };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const { player } of this.#players.values()) player.destroy();
    this.#players.clear();
    this.#stopSampler();
  }

  #obtain(key: PlayerKey): Hosted {
    const id = keyOf(key);
    let hosted = this.#players.get(id);
    if (hosted === undefined) {
      const { node, voiceLinks, updateIntervalMs, onMessage } = this.#options;
      const player = new LavalinkPlayer({
        guildId: key.guildId,
        userId: key.userId,
        player: node.createPlayer(this.#options.playerOptions),
        voiceLinks,
        send: (message) => onMessage(key.sessionId, message),
        clock: this.#clock,
        now: this.#options.now ?? Date.now,
        updateIntervalMs,
      });
      hosted = { player, sample: null };
      this.#players.set(id, hosted);
      this.#startSampler();
    }
    return hosted;
  }

  #startSampler(): void {
    if (this.#sampler !== null || this.#closed) return;
    const tick = (): void => {
      this.#sampler = this.#clock.setTimer(this.#clock.now() + MINUTE_MS, tick);
      this.#sample();
    };
    this.#sampler = this.#clock.setTimer(this.#clock.now() + MINUTE_MS, tick);
  }

  #stopSampler(): void {
    this.#sampler?.cancel();
    this.#sampler = null;
  }

  /**
   * Lavalink's frame stats count a player only when its numbers mean something: here, when it
   * was playing through a connected voice link at both ends of the minute.
   */
  #sample(): void {
    const minute: MinuteFrames = { players: 0, sent: 0, nulled: 0 };
    for (const hosted of this.#players.values()) {
      const live = hosted.player.playing && hosted.player.connected;
      const frames = live ? hosted.player.frames() : null;
      // A copy: the player's counters are live.
      const now = frames === null ? null : { sent: frames.sent, nulled: frames.nulled };
      if (now !== null && hosted.sample !== null) {
        minute.players++;
        minute.sent += now.sent - hosted.sample.sent;
        minute.nulled += now.nulled - hosted.sample.nulled;
      }
      hosted.sample = now;
    }
    this.#minute = minute;
  }
}
