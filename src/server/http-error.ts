/**
 * REST errors, answered as Lavalink answers them (Spring Boot's error attributes): `timestamp`,
 * `status`, `error` (the status's reason phrase), `message`, `path`, and `trace` (the stack) when
 * the request asks `?trace=true`.
 *
 * @module
 */

import { STATUS_CODES } from 'node:http';

/** An error the REST layer answers with `status`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** Lavalink's error body. */
export interface ErrorBody {
  timestamp: number;
  status: number;
  error: string;
  trace?: string;
  message: string;
  path: string;
}

/** The full stack of `error` and its causes, for `?trace=true`. */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 16 && current !== undefined && current !== null; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\nCaused by: ');
}

/** The body of an error answer. */
export function errorBody(status: number, message: string, path: string, trace: boolean, error?: unknown): ErrorBody {
  return {
    timestamp: Date.now(),
    status,
    error: STATUS_CODES[status] ?? 'Error',
    ...(trace ? { trace: stackOf(error ?? new HttpError(status, message)) } : {}),
    message,
    path,
  };
}
