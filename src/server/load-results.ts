/**
 * spence's load results and errors in Lavalink's shapes: the five `loadType`s, and the Exception
 * object whose `severity` says whose fault it is (lavaplayer's `FriendlyException.Severity`:
 * `common` for expected causes such as an unavailable video, `suspicious` for outside services
 * answering unexpectedly, `fault` otherwise).
 *
 * @module
 */

import { isSpenceError } from '../errors.js';
import type { SpenceErrorCode } from '../errors.js';
import { redactText } from '../redact.js';
import type { LoadResult } from '../resolve/provider.js';
import type { ExceptionJson, LoadResultJson } from './protocol.js';
import { fromSpenceTrack, toTrackJson } from './tracks.js';

const SEVERITY: Partial<Record<SpenceErrorCode, ExceptionJson['severity']>> = {
  NOT_FOUND: 'common',
  UNAVAILABLE: 'common',
  NO_MATCH: 'common',
  FORBIDDEN_URL: 'common',
  UNSUPPORTED_INPUT: 'common',
  INVALID_TRACK: 'common',
  RATE_LIMITED: 'suspicious',
  UPSTREAM: 'suspicious',
  NETWORK: 'suspicious',
  DEMUX: 'suspicious',
};

/** The innermost cause, as Lavalink reports its root cause. */
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 16; depth++) {
    const next = current instanceof Error ? current.cause : undefined;
    if (next === undefined || next === null) return current;
    current = next;
  }
  return current;
}

function describe(error: unknown): string {
  if (isSpenceError(error)) return `SpenceError [${error.code}]: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Lavalink's Exception object for an error. The root cause is another library's error (undici's,
 * youtubei.js's), whose message and stack may name the URL it requested: every URL in what goes
 * to the client is redacted.
 */
export function exceptionJson(error: unknown): ExceptionJson {
  const root = rootCause(error);
  return {
    message: redactText(error instanceof Error ? error.message : String(error)),
    severity: (isSpenceError(error) && SEVERITY[error.code]) || 'fault',
    cause: redactText(describe(root)),
    causeStackTrace: redactText(root instanceof Error ? (root.stack ?? describe(root)) : describe(root)),
  };
}

/** A load result as `GET /v4/loadtracks` answers it. */
export function loadResultJson(result: LoadResult): LoadResultJson {
  switch (result.type) {
    case 'track':
      return { loadType: 'track', data: toTrackJson(fromSpenceTrack(result.track)) };
    case 'search':
      return { loadType: 'search', data: result.tracks.map((t) => toTrackJson(fromSpenceTrack(t))) };
    case 'playlist': {
      const { playlist } = result;
      const selected = playlist.selectedIndex;
      return {
        loadType: 'playlist',
        data: {
          info: { name: playlist.name, selectedTrack: selected !== undefined && selected >= 0 && selected < playlist.tracks.length ? selected : -1 },
          pluginInfo: {},
          tracks: playlist.tracks.map((t) => toTrackJson(fromSpenceTrack(t))),
        },
      };
    }
    case 'empty':
      return { loadType: 'empty', data: {} };
  }
}

/** A failed load as `GET /v4/loadtracks` answers it: `loadType: error` with the Exception. */
export function loadErrorJson(error: unknown): LoadResultJson {
  return { loadType: 'error', data: exceptionJson(error) };
}
