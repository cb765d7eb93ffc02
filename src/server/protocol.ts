/**
 * The JSON of Lavalink's v4 protocol, as documented in lavalink-devs/Lavalink `docs/api/`
 * (rest.md, websocket.md) for version 4.2: what this server sends and what it accepts.
 *
 * @module
 */

import type { FilterSettings } from '../transcode/filters/types.js';

/** Lavalink's Track Info. */
export interface TrackInfoJson {
  identifier: string;
  isSeekable: boolean;
  author: string;
  /** Length in ms; lavaplayer's Long.MAX_VALUE (9223372036854775807) for streams (see json.ts). */
  length: number;
  isStream: boolean;
  /** Position in ms. */
  position: number;
  title: string;
  uri: string | null;
  artworkUrl: string | null;
  isrc: string | null;
  sourceName: string;
}

/** Lavalink's Track object. */
export interface TrackJson {
  /** lavaplayer's encoded track (base64). */
  encoded: string;
  info: TrackInfoJson;
  pluginInfo: Record<string, unknown>;
  userData: Record<string, unknown>;
}

/** Lavalink's Exception object (load results and TrackExceptionEvent). */
export interface ExceptionJson {
  message: string | null;
  severity: 'common' | 'suspicious' | 'fault';
  cause: string;
  causeStackTrace: string;
}

/** `GET /v4/loadtracks`. */
export type LoadResultJson =
  | { loadType: 'track'; data: TrackJson }
  | { loadType: 'playlist'; data: { info: { name: string; selectedTrack: number }; pluginInfo: Record<string, unknown>; tracks: TrackJson[] } }
  | { loadType: 'search'; data: TrackJson[] }
  | { loadType: 'empty'; data: Record<string, never> }
  | { loadType: 'error'; data: ExceptionJson };

/** Lavalink's Voice State. `channelId` is required in requests since 4.2. */
export interface VoiceStateJson {
  token: string;
  endpoint: string;
  sessionId: string;
  channelId: string;
}

/** Lavalink's Player State (in playerUpdate and the Player object). */
export interface PlayerStateJson {
  /** Unix time in ms. */
  time: number;
  position: number;
  connected: boolean;
  /** ms to the voice server; -1 when not connected. */
  ping: number;
}

/** Lavalink's Player object. */
export interface PlayerJson {
  guildId: string;
  track: TrackJson | null;
  volume: number;
  paused: boolean;
  state: PlayerStateJson;
  voice: VoiceStateJson;
  filters: FilterSettings;
}

/** The reasons a track ends, as Lavalink names them. */
export type TrackEndReasonJson = 'finished' | 'loadFailed' | 'stopped' | 'replaced' | 'cleanup';

/** An `event` op. */
export type EventJson =
  | { op: 'event'; type: 'TrackStartEvent'; guildId: string; track: TrackJson }
  | { op: 'event'; type: 'TrackEndEvent'; guildId: string; track: TrackJson; reason: TrackEndReasonJson }
  | { op: 'event'; type: 'TrackExceptionEvent'; guildId: string; track: TrackJson; exception: ExceptionJson }
  | { op: 'event'; type: 'TrackStuckEvent'; guildId: string; track: TrackJson; thresholdMs: number }
  | { op: 'event'; type: 'WebSocketClosedEvent'; guildId: string; code: number; reason: string; byRemote: boolean };

/** A `playerUpdate` op. */
export interface PlayerUpdateJson {
  op: 'playerUpdate';
  guildId: string;
  state: PlayerStateJson;
}

/** Lavalink's Frame Stats: per-player averages over the last minute. */
export interface FrameStatsJson {
  sent: number;
  nulled: number;
  deficit: number;
}

/** Lavalink's Stats object (`GET /v4/stats`, and the `stats` op with `frameStats`). */
export interface StatsJson {
  players: number;
  playingPlayers: number;
  uptime: number;
  memory: { free: number; used: number; allocated: number; reservable: number };
  cpu: { cores: number; systemLoad: number; lavalinkLoad: number };
  frameStats?: FrameStatsJson | null;
}

/** Any message the WebSocket sends. */
export type ServerMessage =
  | { op: 'ready'; resumed: boolean; sessionId: string }
  | PlayerUpdateJson
  | ({ op: 'stats' } & StatsJson)
  | EventJson;

/** The body of `PATCH /v4/sessions/{id}/players/{guildId}`, validated (see validate.ts). */
export interface PlayerUpdate {
  /** Present when the request names a track (`track.encoded`/`track.identifier`, or the deprecated top-level fields). */
  track?: { encoded: string | null } | { identifier: string };
  /** `track.userData`, when given. */
  userData?: Record<string, unknown>;
  position?: number;
  /** `null` clears the end time. */
  endTime?: number | null;
  volume?: number;
  paused?: boolean;
  filters?: Record<string, unknown>;
  voice?: VoiceStateJson;
}

/** The body of `PATCH /v4/sessions/{id}`, validated. */
export interface SessionUpdate {
  resuming?: boolean;
  /** Seconds. */
  timeout?: number;
}
