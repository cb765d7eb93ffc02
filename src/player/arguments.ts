/**
 * The checks on what a player is given: options, tracks, positions, signals, snapshots. Each
 * refuses with `INVALID_ARGUMENT` naming what was wrong, when it is given, so that nothing reaches
 * the player (or a user) as a raw `TypeError` later.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import type { Track } from '../resolve/track.js';
import type { PlayerSnapshot, PlayerStatus } from './types.js';

/** The largest position a snapshot may carry: 2^32 ms (about 50 days), longer than any track. */
export const MAX_POSITION_MS = 2 ** 32;

/** A snapshot's position may pass the track's known duration by this much (metadata rounds it). */
const DURATION_SLACK_MS = 1000;

const STATUSES: readonly PlayerStatus[] = ['idle', 'loading', 'buffering', 'playing', 'paused', 'ended', 'errored'];

function invalid(message: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_ARGUMENT, message, { source: 'player' });
}

/** `value` as a finite number of ms >= 0 (a seek target, a start position). */
export function checkMs(value: unknown, name = 'A position'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${name} must be a finite number of ms >= 0, not ${String(value)}`);
  }
  return value;
}

/** A finite number > 0. */
export function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) throw invalid(`${name} must be a finite number > 0, not ${String(value)}`);
  return value;
}

/** A finite number >= 0. */
export function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) throw invalid(`${name} must be a finite number >= 0, not ${String(value)}`);
  return value;
}

/** An options argument: absent, or an object. */
export function checkOptions<T extends object>(options: T | undefined, what: string): T | Record<string, never> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalid(`${what} options must be an object, not ${String(options)}`);
  return options;
}

/** An optional `signal`: absent, or an `AbortSignal`. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw invalid(`signal must be an AbortSignal, not ${typeof signal === 'object' ? 'this object' : String(signal)}`);
  return signal;
}

/** An optional boolean option. */
export function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalid(`${name} must be true or false, not ${String(value)}`);
}

/** A `Track` (as a provider or `node.decodeTrack()` gives it). */
export function checkTrack(track: unknown): Track {
  if (typeof track !== 'object' || track === null || typeof (track as Track).encoded !== 'string') {
    throw invalid(`Not a track: ${track === null ? 'null' : typeof track} (a Track from node.resolve() or node.decodeTrack())`);
  }
  return track as Track;
}

/** A timestamp a snapshot carries: a finite number within ±{@link MAX_POSITION_MS}. */
function checkTimestamp(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_POSITION_MS) {
    throw invalid(`snapshot.${name} must be a finite number of ms, not ${String(value)}`);
  }
  return value;
}

/**
 * A snapshot of `track` (see `Player.snapshot()`): version 1, of this track, with a frame index
 * and positions that the player could have been at (finite, and not past the track's known end).
 */
export function checkSnapshot(snapshot: unknown, track: Track): PlayerSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null || (snapshot as PlayerSnapshot).version !== 1) {
    throw invalid('Unsupported player snapshot');
  }
  const snap = snapshot as PlayerSnapshot;
  if (snap.track !== track.encoded) throw invalid('The snapshot is of another track');
  if (!Number.isSafeInteger(snap.frameIndex) || snap.frameIndex < 0) throw invalid(`snapshot.frameIndex must be an integer >= 0, not ${String(snap.frameIndex)}`);
  if (!STATUSES.includes(snap.status)) throw invalid(`snapshot.status must be a player status, not ${String(snap.status)}`);
  const end = track.durationMs !== null && track.durationMs > 0 && !track.isStream ? track.durationMs + DURATION_SLACK_MS : MAX_POSITION_MS;
  const positions: [number, string][] = [[checkMs(snap.positionMs, 'snapshot.positionMs'), 'positionMs']];
  if (snap.nextTimestampMs !== undefined) positions.push([checkTimestamp(snap.nextTimestampMs, 'nextTimestampMs'), 'nextTimestampMs']);
  if (snap.lastTimestampMs !== undefined) positions.push([checkTimestamp(snap.lastTimestampMs, 'lastTimestampMs'), 'lastTimestampMs']);
  for (const [ms, name] of positions) {
    if (ms > end) throw invalid(`snapshot.${name} is ${ms} ms, past the track's end (${end === MAX_POSITION_MS ? 'the largest position' : `${track.durationMs} ms`})`);
  }
  return snap;
}
