/**
 * Request bodies, checked before anything acts on them: a request is applied whole or refused
 * with a 400 that says which field is wrong, never half-applied and never a crash.
 *
 * @module
 */

import { isSpenceError } from '../errors.js';
import { validateFilters } from '../transcode/filters/validate.js';
import type { FilterName } from './config.js';
import { HttpError } from './http-error.js';
import type { PlayerUpdate, SessionUpdate, VoiceStateJson } from './protocol.js';

const bad = (message: string): HttpError => new HttpError(400, message);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function optionalNumber(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${key} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw bad(`${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function voiceState(value: unknown): VoiceStateJson {
  if (!isObject(value)) throw bad('voice must be an object with token, endpoint, sessionId and channelId');
  const out: Partial<VoiceStateJson> = {};
  for (const key of ['token', 'endpoint', 'sessionId', 'channelId'] as const) {
    const field = value[key];
    if (field === undefined || field === null) {
      throw bad(key === 'channelId'
        ? 'voice.channelId is required (since Lavalink 4.2): the voice channel id from Discord\'s VOICE_STATE_UPDATE'
        : `voice.${key} is required`);
    }
    if (typeof field !== 'string' || field === '') throw bad(`Partial voice state update: voice.${key} must be a non-empty string`);
    out[key] = field;
  }
  return out as VoiceStateJson;
}

/**
 * Checks `PATCH /v4/sessions/{sessionId}/players/{guildId}`'s body (Lavalink's Update Player):
 * `track` (`encoded`, `identifier`, `userData`) or the deprecated `encodedTrack`/`identifier`,
 * `position`, `endTime`, `volume`, `paused`, `filters` (Lavalink's filter JSON, refused when the
 * config turns a filter off), `voice` (with `channelId`). Unknown fields are ignored, as Lavalink
 * ignores them.
 *
 * @throws {HttpError} 400 naming the field.
 */
export function validatePlayerUpdate(body: unknown, disabledFilters: ReadonlySet<FilterName> = new Set()): PlayerUpdate {
  if (!isObject(body)) throw bad('The request body must be a JSON object (Lavalink\'s Update Player)');
  const update: PlayerUpdate = {};

  const hasLegacy = body.encodedTrack !== undefined || body.identifier !== undefined;
  if (body.track !== undefined) {
    if (hasLegacy) throw bad('Cannot specify both track and encodedTrack/identifier');
    if (!isObject(body.track)) throw bad('track must be an object with encoded or identifier, and userData');
    const { encoded, identifier, userData } = body.track;
    if (encoded !== undefined && identifier !== undefined) throw bad('Cannot specify both track.encoded and track.identifier');
    if (encoded !== undefined) {
      if (encoded !== null && typeof encoded !== 'string') throw bad('track.encoded must be a string or null');
      update.track = { encoded };
    } else if (identifier !== undefined) {
      if (typeof identifier !== 'string' || identifier.trim() === '') throw bad('track.identifier must be a non-empty string');
      update.track = { identifier };
    }
    if (userData !== undefined) {
      if (!isObject(userData)) throw bad('track.userData must be a JSON object');
      update.userData = userData;
    }
  } else if (hasLegacy) {
    if (body.encodedTrack !== undefined && body.identifier !== undefined) throw bad('Cannot specify both encodedTrack and identifier');
    if (body.encodedTrack !== undefined) {
      if (body.encodedTrack !== null && typeof body.encodedTrack !== 'string') throw bad('encodedTrack must be a string or null');
      update.track = { encoded: body.encodedTrack };
    } else {
      if (typeof body.identifier !== 'string' || body.identifier.trim() === '') throw bad('identifier must be a non-empty string');
      update.track = { identifier: body.identifier };
    }
  }

  const position = optionalNumber(body, 'position');
  if (position !== undefined) update.position = Math.max(0, Math.floor(position));
  if (body.endTime !== undefined) {
    if (body.endTime === null) update.endTime = null;
    else {
      const endTime = optionalNumber(body, 'endTime')!;
      if (endTime <= 0) throw bad(`endTime must be greater than 0 (or null to clear it), got ${endTime}`);
      update.endTime = Math.floor(endTime);
    }
  }
  const volume = optionalNumber(body, 'volume');
  // lavaplayer clamps the volume to 0..1000.
  if (volume !== undefined) update.volume = Math.min(1000, Math.max(0, Math.round(volume)));
  const paused = optionalBoolean(body, 'paused');
  if (paused !== undefined) update.paused = paused;

  if (body.filters !== undefined) {
    const filters = body.filters;
    if (!isObject(filters)) throw bad('filters must be an object (Lavalink\'s filters)');
    const disabled = Object.entries(filters)
      .filter(([name, value]) => value !== null && disabledFilters.has(name as FilterName))
      .map(([name]) => name);
    if (disabled.length > 0) throw bad(`Following filters are disabled in the config: ${disabled.join(', ')}`);
    try {
      validateFilters(filters);
    } catch (error) {
      if (isSpenceError(error)) throw new HttpError(400, error.message, { cause: error });
      throw error;
    }
    update.filters = filters;
  }
  if (body.voice !== undefined) update.voice = voiceState(body.voice);
  return update;
}

/**
 * Checks `PATCH /v4/sessions/{sessionId}`'s body: `resuming` (boolean), `timeout` (seconds).
 *
 * @throws {HttpError} 400 naming the field.
 */
export function validateSessionUpdate(body: unknown): SessionUpdate {
  if (!isObject(body)) throw bad('The request body must be a JSON object (Lavalink\'s Update Session)');
  const update: SessionUpdate = {};
  const resuming = optionalBoolean(body, 'resuming');
  if (resuming !== undefined) update.resuming = resuming;
  const timeout = optionalNumber(body, 'timeout');
  if (timeout !== undefined) {
    if (timeout < 0 || !Number.isInteger(timeout)) throw bad(`timeout must be a whole number of seconds >= 0, got ${timeout}`);
    update.timeout = timeout;
  }
  return update;
}

/**
 * Checks `POST /v4/decodetracks`'s body: an array of encoded strings.
 *
 * @throws {HttpError} 400.
 */
export function validateEncodedList(body: unknown): string[] {
  if (!Array.isArray(body) || !body.every((item) => typeof item === 'string')) {
    throw bad('The request body must be a JSON array of encoded track strings');
  }
  return body;
}
