/**
 * One guild's player with Lavalink's semantics, over a spence {@link Player}: the fields of
 * `PATCH /players/{guildId}` applied in Lavalink's order (voice, pause, user data, volume, seek,
 * end time, filters, then a new track unless `noReplace` finds one playing), the Player object,
 * and the events and `playerUpdate`s a client expects.
 *
 * @module
 */

import type { Clock, ClockTimer } from '../player/clock.js';
import type { Player } from '../player/player.js';
import type { PlayerFrameStats, TrackEndReason, TrackStuckEvent } from '../player/types.js';
import type { Track } from '../resolve/track.js';
import type { SpenceError } from '../errors.js';
import type { FilterSettings } from '../transcode/filters/types.js';
import { exceptionJson } from './load-results.js';
import type { EventJson, PlayerJson, PlayerStateJson, PlayerUpdate, PlayerUpdateJson, TrackJson, VoiceStateJson } from './protocol.js';
import { toTrackJson } from './tracks.js';
import type { ServerTrack } from './tracks.js';
import type { VoiceLink, VoiceLinkFactory } from './voice-link.js';

/** A validated PATCH body whose track, when it names one, is already decoded or resolved. */
export interface ResolvedPlayerUpdate extends Omit<PlayerUpdate, 'track'> {
  /** The new track, or `null` to stop; absent when the request named none. */
  track?: ServerTrack | null;
}

/** Options for {@link LavalinkPlayer}. */
export interface LavalinkPlayerOptions {
  guildId: string;
  /** The bot's user id (the session's `User-Id`). */
  userId: string;
  /** The spence player (from `node.createPlayer()`); this object owns it from now on. */
  player: Player;
  /** Makes the guild's voice link. */
  voiceLinks: VoiceLinkFactory;
  /** Sends an event or a player update to the session. */
  send(message: EventJson | PlayerUpdateJson): void;
  /** The clock the player update and end-time timers run on (the node's). */
  clock: Clock;
  /** Unix time in ms, for the Player State's `time`. */
  now(): number;
  /** `playerUpdate` period while a track is loaded, in ms (Lavalink's `playerUpdateInterval` × 1000). */
  updateIntervalMs: number;
}

/** A track loaded on the player, with what the client attached to it. */
interface Entry {
  readonly st: ServerTrack;
  userData: Record<string, unknown>;
  /** The end time in ms, or null. */
  endTime: number | null;
  /** The end time was reached: the stop it caused ends the track as `finished`, as Lavalink's end marker does. */
  endHit: boolean;
  /**
   * The track got stuck (TrackStuckEvent sent). Lavalink keeps a stuck track as its player's
   * track until the client acts: its TrackEndEvent then says what the client did (`replaced`,
   * `stopped`, `cleanup`), and a client that skips on TrackStuckEvent (as lavalink-client does)
   * does not skip twice. The spence player has ended it (`loadFailed`) meanwhile.
   */
  stuck: boolean;
}

/** A guild's Lavalink player. */
export class LavalinkPlayer {
  readonly guildId: string;
  readonly #player: Player;
  readonly #voice: VoiceLink;
  readonly #options: LavalinkPlayerOptions;
  /** The entry of each spence track object this player loaded (a fresh object per load). */
  readonly #entries = new WeakMap<Track, Entry>();
  #current: Entry | null = null;
  #volume = 100;
  #paused = false;
  #filters: FilterSettings = {};
  #updateTimer: ClockTimer | null = null;
  #endTimer: ClockTimer | null = null;
  #destroyed = false;

  constructor(options: LavalinkPlayerOptions) {
    this.guildId = options.guildId;
    this.#options = options;
    this.#player = options.player;
    this.#voice = options.voiceLinks({
      guildId: options.guildId,
      userId: options.userId,
      player: options.player,
      onClose: (close) => options.send({ op: 'event', type: 'WebSocketClosedEvent', guildId: this.guildId, ...close }),
    });
    const player = this.#player;
    player.on('trackStart', (track) => this.#onStart(track));
    player.on('trackEnd', (track, reason) => this.#onEnd(track, reason));
    player.on('trackStuck', (track, event) => this.#onStuck(track, event));
    player.on('error', (error) => this.#onError(error));
  }

  /** True when a track is loaded and not paused (Lavalink's `isPlaying`, counted in `playingPlayers`). */
  get playing(): boolean {
    return this.#current !== null && !this.#paused;
  }

  /** True while the voice link is connected. */
  get connected(): boolean {
    return this.#voice.connected;
  }

  /** The player's frame counters (live): sent, nulled, deficit. */
  frames(): Readonly<PlayerFrameStats> {
    return this.#player.frameStats;
  }

  /** Applies a PATCH, in Lavalink's order; returns the Player object after it. */
  update(update: ResolvedPlayerUpdate, noReplace: boolean): PlayerJson {
    const newTrack = update.track !== undefined;
    if (update.voice !== undefined) this.#voice.update(update.voice);
    if (!newTrack) {
      if (update.paused !== undefined) this.#setPaused(update.paused);
      if (update.userData !== undefined && this.#current !== null) this.#current.userData = update.userData;
    }
    if (update.volume !== undefined) {
      this.#volume = update.volume;
      this.#player.setVolume(update.volume / 100);
    }
    if (!newTrack && update.position !== undefined && this.#current !== null && this.#current.st.info.isSeekable) {
      // As Lavalink 3 did, the client hears the new position as soon as the seek lands.
      this.#player.seek(update.position).then(() => {
        this.#armEnd();
        if (!this.#destroyed && this.#current !== null) this.#options.send({ op: 'playerUpdate', guildId: this.guildId, state: this.#state() });
      }, () => {});
    }
    if (!newTrack && update.endTime !== undefined && this.#current !== null) {
      this.#current.endTime = update.endTime;
      this.#armEnd();
    }
    if (update.filters !== undefined) {
      this.#player.setFilters(update.filters as FilterSettings);
      this.#filters = this.#player.filters;
    }
    if (newTrack) {
      if (noReplace && this.#current !== null) return this.toJson();
      this.#paused = update.paused ?? false;
      if (update.track === null) this.#stop();
      else this.#play(update.track!, update);
    }
    return this.toJson();
  }

  /** Lavalink's Player object. */
  toJson(): PlayerJson {
    const cur = this.#current;
    return {
      guildId: this.guildId,
      track: cur === null ? null : this.#trackJson(cur, this.#player.position),
      volume: this.#volume,
      paused: this.#paused,
      state: this.#state(),
      voice: this.#voiceJson(),
      filters: this.#filters,
    };
  }

  /** Stops, disconnects and releases everything; the track ends with `cleanup`. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#endStuck('cleanup');
    this.#player.destroy();
    this.#stopUpdates();
    this.#cancelEnd();
    this.#voice.destroy();
  }

  // ------------------------------------------------------------------------------------ commands

  #play(st: ServerTrack, update: ResolvedPlayerUpdate): void {
    this.#endStuck('replaced');
    // A fresh object per load: the player's events name the object they are about.
    const track: Track = { ...st.track };
    const entry: Entry = { st, userData: update.userData ?? {}, endTime: update.endTime ?? null, endHit: false, stuck: false };
    this.#entries.set(track, entry);
    this.#current = entry;
    this.#cancelEnd();
    // The request's position, else the one the string holds (lavaplayer starts a decoded track there).
    const from = update.position ?? st.position;
    const startMs = from > 0 && st.info.isSeekable ? from : undefined;
    // Failures reach the client as TrackExceptionEvent and TrackEndEvent (loadFailed), from the player's events.
    // The previous track ends (replaced) inside load(), while the new entry is already current.
    this.#player.load(track, { paused: this.#paused, ...(startMs !== undefined ? { startMs } : {}) }).catch(() => {});
  }

  #stop(): void {
    this.#endStuck('stopped');
    this.#cancelEnd();
    this.#player.stop();
    this.#current = null;
  }

  #setPaused(paused: boolean): void {
    this.#paused = paused;
    if (paused) this.#player.pause();
    else this.#player.resume();
  }

  // -------------------------------------------------------------------------------------- events

  #onStart(track: Track): void {
    const entry = this.#entries.get(track);
    if (entry === undefined) return;
    this.#options.send({ op: 'event', type: 'TrackStartEvent', guildId: this.guildId, track: this.#trackJson(entry, 0) });
    // Each track's updates start with it, as Lavalink schedules them on the track's start.
    this.#stopUpdates();
    this.#startUpdates();
    this.#armEnd();
  }

  #onEnd(track: Track, reason: TrackEndReason): void {
    const entry = this.#entries.get(track);
    if (entry === undefined) return;
    // Lavalink's stuck track stays until the client acts (see `Entry.stuck`).
    if (entry.stuck && this.#current === entry) {
      this.#cancelEnd();
      return;
    }
    this.#entries.delete(track);
    if (this.#current === entry) {
      this.#current = null;
      this.#cancelEnd();
    }
    if (this.#current === null) this.#stopUpdates();
    const lavalinkReason = entry.endHit && reason === 'stopped' ? 'finished' : reason;
    this.#options.send({ op: 'event', type: 'TrackEndEvent', guildId: this.guildId, track: this.#trackJson(entry, 0), reason: lavalinkReason });
  }

  /** Lavalink's TrackStuckEvent, then a player update, as Lavalink sends them. */
  #onStuck(track: Track, event: TrackStuckEvent): void {
    const entry = this.#entries.get(track);
    if (entry === undefined || this.#current !== entry) return;
    entry.stuck = true;
    this.#options.send({ op: 'event', type: 'TrackStuckEvent', guildId: this.guildId, track: this.#trackJson(entry, 0), thresholdMs: event.thresholdMs });
    this.#options.send({ op: 'playerUpdate', guildId: this.guildId, state: this.#state() });
  }

  /** The client acted on a stuck track: it ends now, with what the client did. */
  #endStuck(reason: 'replaced' | 'stopped' | 'cleanup'): void {
    const entry = this.#current;
    if (entry === null || !entry.stuck) return;
    this.#current = null;
    this.#stopUpdates();
    this.#options.send({ op: 'event', type: 'TrackEndEvent', guildId: this.guildId, track: this.#trackJson(entry, 0), reason });
  }

  #onError(error: SpenceError): void {
    const entry = this.#current;
    if (entry === null) return;
    this.#options.send({ op: 'event', type: 'TrackExceptionEvent', guildId: this.guildId, track: this.#trackJson(entry, 0), exception: exceptionJson(error) });
  }

  // ------------------------------------------------------------------------------------- timers

  #startUpdates(): void {
    if (this.#updateTimer !== null) return;
    const { clock, updateIntervalMs } = this.#options;
    const tick = (): void => {
      if (this.#destroyed) return;
      this.#updateTimer = clock.setTimer(clock.now() + updateIntervalMs, tick);
      this.#options.send({ op: 'playerUpdate', guildId: this.guildId, state: this.#state() });
    };
    tick();
  }

  #stopUpdates(): void {
    this.#updateTimer?.cancel();
    this.#updateTimer = null;
  }

  /**
   * Arms the end-time check for when the position should reach it; the check re-arms itself
   * while it has not (a pause, a seek back, a timescale), so no per-frame work is needed.
   */
  #armEnd(): void {
    this.#cancelEnd();
    const entry = this.#current;
    if (entry === null || entry.endTime === null || this.#destroyed) return;
    const endTime = entry.endTime;
    const remaining = endTime - this.#player.position;
    if (remaining <= 0 && this.#player.status === 'playing') {
      entry.endHit = true;
      this.#stop();
      return;
    }
    const { clock } = this.#options;
    this.#endTimer = clock.setTimer(clock.now() + Math.max(20, remaining), () => {
      this.#endTimer = null;
      this.#armEnd();
    });
  }

  #cancelEnd(): void {
    this.#endTimer?.cancel();
    this.#endTimer = null;
  }

  // -------------------------------------------------------------------------------------- json

  #trackJson(entry: Entry, position: number): TrackJson {
    return toTrackJson(entry.st, position, entry.userData);
  }

  #state(): PlayerStateJson {
    const voice = this.#voice;
    return {
      time: this.#options.now(),
      position: this.#current === null ? 0 : Math.max(0, Math.round(this.#player.position)),
      connected: voice.connected,
      ping: voice.connected ? voice.ping : -1,
    };
  }

  #voiceJson(): VoiceStateJson {
    return this.#voice.state ?? { token: '', endpoint: '', sessionId: '', channelId: '' };
  }
}
