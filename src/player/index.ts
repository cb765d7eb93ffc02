/**
 * The clock, the frame scheduler and the player.
 *
 * @module
 */

export { RealClock, ManualClock } from './clock.js';
export type { Clock, ClockTimer, RealClockOptions } from './clock.js';
export { FrameScheduler } from './scheduler.js';
export type { FrameSchedulerOptions, FrameSchedulerStats, DeadlineTask, Dispatchable } from './scheduler.js';
export { Player } from './player.js';
export type { PlayerOptions, PlayerTranscodeOptions } from './player.js';
export { SHORT_TRACK_TOLERANCE_MS } from './types.js';
export { PlayerStream } from './player-stream.js';
export type { PlayerStreamOptions } from './player-stream.js';
export type {
  TrackOpener,
  TrackOpenOptions,
  FillTarget,
  FillTrack,
  PacketTrack,
  OpenedTrack,
  OpenedTrackInfo,
  PlayerStatus,
  PlayerState,
  IdleState,
  LoadingState,
  BufferingState,
  PlayingState,
  PausedState,
  EndedState,
  ErroredState,
  PlayerMode,
  VoiceCloseEvent,
  ConnectOptions,
  PlayerFrameStats,
  TrackEndReason,
  TrackEndDetails,
  TrackStuckEvent,
  TrackDamageEvent,
  FrameEvent,
  UnderrunEvent,
  StallEvent,
  PlayerEvents,
  PlayerSnapshot,
  SignalOptions,
  LoadOptions,
} from './types.js';
