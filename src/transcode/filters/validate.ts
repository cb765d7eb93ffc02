/**
 * Validation of {@link FilterSettings} and volumes against Lavalink v4's documented ranges.
 * A bad value is an `INVALID_ARGUMENT` naming the field and the allowed range, never a silent clamp.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import type { FilterSettings } from './types.js';

/** The largest transcoder volume: Lavalink's player volume goes to 1000 %. */
export const MAX_VOLUME = 10;

type Range = { min?: number; max?: number; minExclusive?: boolean; text: string };

const RANGES: Record<string, Record<string, Range>> = {
  karaoke: {
    level: { min: 0, max: 1, text: '0 to 1' },
    monoLevel: { min: 0, max: 1, text: '0 to 1' },
    filterBand: { min: 0, max: 24_000, minExclusive: true, text: 'above 0 and at most 24000 Hz' },
    filterWidth: { min: 0, max: 24_000, minExclusive: true, text: 'above 0 and at most 24000 Hz' },
  },
  // Lavalink documents "≥ 0"; 0 would stop time (or pitch) altogether, so it is refused here,
  // and their products are bounded too (see TIMESCALE_BOUNDS).
  timescale: {
    speed: { min: 0, minExclusive: true, text: 'above 0' },
    pitch: { min: 0, minExclusive: true, text: 'above 0' },
    rate: { min: 0, minExclusive: true, text: 'above 0' },
  },
  tremolo: {
    frequency: { min: 0, minExclusive: true, text: 'above 0' },
    depth: { min: 0, max: 1, minExclusive: true, text: 'above 0 and at most 1' },
  },
  vibrato: {
    frequency: { min: 0, max: 14, minExclusive: true, text: 'above 0 and at most 14' },
    depth: { min: 0, max: 1, minExclusive: true, text: 'above 0 and at most 1' },
  },
  rotation: { rotationHz: { text: 'any finite number' } },
  distortion: Object.fromEntries(
    ['sinOffset', 'sinScale', 'cosOffset', 'cosScale', 'tanOffset', 'tanScale', 'offset', 'scale'].map((k) => [k, { text: 'any finite number' }]),
  ),
  channelMix: Object.fromEntries(
    ['leftToLeft', 'leftToRight', 'rightToLeft', 'rightToRight'].map((k) => [k, { min: 0, max: 1, text: '0 to 1' }]),
  ),
  lowPass: { smoothing: { text: 'any finite number (at most 1 disables the filter)' } },
};

/**
 * The timescale's bounds, on what its work depends on (`timescale.ts`): `speed · rate` is the track
 * time played per second of output (what must be read, decoded and held ahead: ten times real time
 * at 10), `pitch · rate` the resampling factor (the resampler's and the stretcher's work per output
 * sample grow with it: about 2× real time for one stream at 10 on a loaded 2-vCPU machine, not
 * enough at 20). Outside them a player could not keep up, or would allocate without bound (a
 * `rate` of 1e-9 asks for a billion output samples per input sample): refused, not stalled.
 */
export const TIMESCALE_BOUNDS = Object.freeze({ min: 0.05, max: 10 });

function checkTimescale(fields: Record<string, number>): void {
  const speed = fields.speed ?? 1;
  const pitch = fields.pitch ?? 1;
  const rate = fields.rate ?? 1;
  const { min, max } = TIMESCALE_BOUNDS;
  const played = speed * rate;
  if (!(played >= min && played <= max)) {
    throw invalid(`filters.timescale: speed × rate (the track time played per second) must be ${min} to ${max}, got ${played}`);
  }
  const resampling = pitch * rate;
  if (!(resampling >= min && resampling <= max)) {
    throw invalid(`filters.timescale: pitch × rate (the resampling factor) must be ${min} to ${max}, got ${resampling}`);
  }
}

function invalid(message: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_ARGUMENT, message, { source: 'transcode' });
}

function checkNumber(path: string, value: unknown, range: Range): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`filters.${path} must be a finite number (${range.text}), got ${String(value)}`);
  const low = range.min !== undefined && (range.minExclusive ? value <= range.min : value < range.min);
  const high = range.max !== undefined && value > range.max;
  if (low || high) throw invalid(`filters.${path} must be ${range.text}, got ${value}`);
  return value;
}

/** Validates a transcoder volume (0..10, 1 = unchanged; Lavalink's player volume / 100). */
export function validateVolume(volume: unknown): number {
  return checkNumber('volume', volume, { min: 0, max: MAX_VOLUME, text: `0 to ${MAX_VOLUME} (1 = unchanged)` });
}

/**
 * Checks `input` against Lavalink v4's filter names and ranges and returns a normalised copy
 * (`null` filters dropped). Unknown filter names and fields are refused: a typo should not be
 * silently ignored.
 *
 * @throws SpenceError `INVALID_ARGUMENT` naming the field and its allowed range.
 */
export function validateFilters(input: unknown): FilterSettings {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw invalid('filters must be an object');
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    if (name === 'volume') {
      out.volume = checkNumber('volume', value, { min: 0, max: 5, text: '0 to 5 (1 = unchanged)' });
    } else if (name === 'equalizer') {
      if (!Array.isArray(value)) throw invalid('filters.equalizer must be an array of { band, gain }');
      out.equalizer = value.map((entry: unknown, i) => {
        if (typeof entry !== 'object' || entry === null) throw invalid(`filters.equalizer[${i}] must be { band, gain }`);
        const { band, gain } = entry as Record<string, unknown>;
        if (typeof band !== 'number' || !Number.isInteger(band) || band < 0 || band > 14) {
          throw invalid(`filters.equalizer[${i}].band must be an integer 0 to 14, got ${String(band)}`);
        }
        return { band, gain: checkNumber(`equalizer[${i}].gain`, gain, { min: -0.25, max: 1, text: '-0.25 to 1' }) };
      });
    } else if (name === 'pluginFilters') {
      if (typeof value === 'object' && Object.keys(value).length === 0) continue;
      throw invalid('filters.pluginFilters is not supported (Lavalink plugins do not run in spence)');
    } else {
      const ranges = RANGES[name];
      if (!ranges) throw invalid(`unknown filter "${name}" (known: volume, equalizer, ${Object.keys(RANGES).join(', ')})`);
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`filters.${name} must be an object`);
      const fields: Record<string, number> = {};
      for (const [field, fieldValue] of Object.entries(value)) {
        if (fieldValue === undefined || fieldValue === null) continue;
        const range = ranges[field];
        if (!range) throw invalid(`unknown field filters.${name}.${field} (known: ${Object.keys(ranges).join(', ')})`);
        fields[field] = checkNumber(`${name}.${field}`, fieldValue, range);
      }
      if (name === 'timescale') checkTimescale(fields);
      out[name] = fields;
    }
  }
  return out as FilterSettings;
}
