/**
 * The clock, the frame scheduler and the player.
 *
 * @module
 */

export { RealClock, ManualClock } from './clock.js';
export type { Clock, ClockTimer, RealClockOptions } from './clock.js';
export { FrameScheduler } from './scheduler.js';
export type { FrameSchedulerOptions, FrameSchedulerStats, DeadlineTask } from './scheduler.js';
export { Player } from './player.js';
export type { PlayerOptions } from './player.js';
export { PlayerStream } from './player-stream.js';
export type { PlayerStreamOptions } from './player-stream.js';
export type {
  TrackOpener,
  TrackOpenOptions,
  FillTarget,
  OpenedTrack,
  PlayerStatus,
  PlayerState,
  PlayerMode,
  TrackEndReason,
  FrameEvent,
  UnderrunEvent,
  StallEvent,
  PlayerEvents,
  PlayerSnapshot,
  SignalOptions,
  LoadOptions,
} from './types.js';
