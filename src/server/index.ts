/**
 * `spence serve` from code: a Lavalink v4 node (REST API and WebSocket, lavaplayer's encoded
 * tracks) over a spence node, so bots keep their Lavalink client library.
 *
 * @example
 * ```ts
 * import { LavalinkServer, loadServerConfig } from 'spence/server';
 * const server = new LavalinkServer({ config: await loadServerConfig('application.yml') });
 * await server.listen();
 * ```
 *
 * @packageDocumentation
 */

export { LavalinkServer, LAVALINK_PROTOCOL_VERSION } from './server.js';
export type { LavalinkServerOptions } from './server.js';
export type { InfoJson } from './rest.js';
export { defaultServerConfig, environmentName, loadServerConfig, resolveServerConfig, FILTER_NAMES, SOURCE_NAMES } from './config.js';
export type { FilterName, ServerConfig, SourceName } from './config.js';
export {
  decodeLavaplayerTrack,
  encodeLavaplayerTrack,
  readLavaSrcDetails,
  readProbeInfo,
  writeLavaSrcDetails,
  writeProbeInfo,
  LAVAPLAYER_TRACK_VERSION,
  UNKNOWN_LENGTH,
} from './lavaplayer-track.js';
export type { LavaSrcDetails, LavaplayerTrack, ProbeInfo } from './lavaplayer-track.js';
export { fromEncoded, fromSpenceTrack, toTrackJson } from './tracks.js';
export type { ServerTrack } from './tracks.js';
export { DetachedVoiceLink, detachedVoiceLinks } from './voice-link.js';
export { discordVoiceLinks } from './discord-voice-link.js';
export type { DiscordVoiceLinksOptions } from './discord-voice-link.js';
export type { VoiceClose, VoiceLink, VoiceLinkContext, VoiceLinkFactory } from './voice-link.js';
export type { LoadCache } from './track-loader.js';
export type { WorkerSetupModule } from './worker-protocol.js';
export { RedisStores } from './redis-store.js';
export type { RedisStoresOptions } from './redis-store.js';
export type {
  EventJson,
  ExceptionJson,
  FrameStatsJson,
  LoadResultJson,
  PlayerJson,
  PlayerStateJson,
  PlayerUpdate,
  PlayerUpdateJson,
  ServerMessage,
  SessionUpdate,
  StatsJson,
  TrackEndReasonJson,
  TrackInfoJson,
  TrackJson,
  VoiceStateJson,
} from './protocol.js';
