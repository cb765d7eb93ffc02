/**
 * One request read at once (an API call, a web page, a playlist file, a redirect hop), through
 * `fetch` on the node's agent, within the node's budgets: the whole exchange within
 * `requestTimeoutMs`, and no wait for headers or body bytes longer than the idle budget allows.
 *
 * `globalThis.fetch` is looked up at call time, so an interceptor (nock in the tests, a user's
 * instrumentation) sees every request. Media bytes, read as the player pulls them, take the
 * fetcher's way instead (`http-media.ts`): undici's `request`, whose body streams are cheaper.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import { ErrorCodes, SpenceError, abortError } from '../errors.js';
import { redact } from '../redact.js';
import { DEFAULT_HTTP_SETTINGS } from './budgets.js';
import type { HttpSettings } from './budgets.js';
import { Deadline } from './deadline.js';
import { codeOf } from './failure.js';
import { IoWaitMeter } from './io-wait.js';

/** What a request needs from its caller's context (a `ProviderContext` has all of it). */
export interface HttpContext {
  /** Aborts the request: it then rejects with `ABORTED`. */
  signal: AbortSignal;
  /** The node's pooled, policy-checked agent. */
  dispatcher: Dispatcher;
  /** The node's budgets and clock; default `DEFAULT_HTTP_SETTINGS`. */
  http?: HttpSettings | undefined;
}

/** Options for {@link request}. */
export interface RequestOptions {
  /** Who is asked, for messages: `'Spotify'`, `'SoundCloud'`. */
  service: string;
  /** What is asked for, for messages: `'track 123'`. Never holds a secret. */
  what: string;
  /** The `SpenceError.source` of the errors. */
  source?: string;
  /** Default `'GET'`. */
  method?: 'GET' | 'HEAD';
  /** Request headers. Never logged or put in a message. */
  headers?: Record<string, string>;
  /** `'manual'` returns a 3xx as it is, for the caller to check each hop (see `follow-links.ts`). Default `'follow'`. */
  redirect?: 'follow' | 'manual';
  /** `false` drops the body unread (a redirect hop). Default true. */
  readBody?: boolean;
  /** The most body bytes read; a longer answer is `UPSTREAM`. Default 8 MiB. */
  maxBytes?: number;
}

/** A response read whole. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The body as text; `''` when it was not read. */
  text: string;
}

/** The most text read from one answer by default: bounds memory on a hostile server. */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * `url` parsed. A malformed one (a provider's base URL option mistyped) is refused before any
 * request, named redacted and without the parser's error as cause: that error holds it whole.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT`.
 */
export function requestUrl(url: URL | string, options: Pick<RequestOptions, 'service' | 'what' | 'source'>): URL {
  if (url instanceof URL) return url;
  const parsed = URL.parse(url);
  if (parsed !== null) return parsed;
  throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `The URL for ${options.service} (${options.what}) is not valid: ${redact(url)}`, options.source !== undefined ? { source: options.source } : {});
}

/**
 * Sends a request and reads its answer whole. Any status is returned (mapping it is the caller's,
 * through `statusError` or `requestJson`).
 *
 * @throws {SpenceError} `ABORTED` when the context's signal fires; `NETWORK` when the connection
 * fails or a budget runs out (the message says which); `UPSTREAM` for a body over `maxBytes`;
 * `INVALID_ARGUMENT` for a malformed URL.
 */
export async function request(input: URL | string, context: HttpContext, options: RequestOptions): Promise<HttpAnswer> {
  const url = requestUrl(input, options);
  const settings = context.http ?? DEFAULT_HTTP_SETTINGS;
  const deadline = new Deadline(context.signal, settings.requestTimeoutMs, settings.clock);
  const meter = new IoWaitMeter(settings.clock, settings.idleTimeoutMs, settings.minBytesPerSecond);
  let starved: string | null = null;
  const onStarved = (reason: string) => {
    starved = reason;
    deadline.cut();
  };
  try {
    meter.wait(onStarved);
    const response = await globalThis.fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      redirect: options.redirect ?? 'follow',
      signal: deadline.signal,
      dispatcher: context.dispatcher,
    } as RequestInit);
    meter.pause();
    if (options.readBody === false) {
      await response.body?.cancel().catch(() => {});
      return { status: response.status, headers: response.headers, text: '' };
    }
    const text = await readText(response, meter, onStarved, options);
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (error instanceof SpenceError) throw error;
    const meta = { cause: error, ...(options.source !== undefined ? { source: options.source } : {}) };
    if (context.signal.aborted) throw abortError(context.signal, 'request');
    if (deadline.expired) {
      throw new SpenceError(ErrorCodes.NETWORK, `${options.service} did not answer ${options.what} within ${settings.requestTimeoutMs} ms (${redact(url)})`, meta);
    }
    if (starved !== null) throw new SpenceError(ErrorCodes.NETWORK, `${options.service} stalled answering ${options.what}: ${starved} (${redact(url)})`, meta);
    const code = codeOf(error);
    throw new SpenceError(ErrorCodes.NETWORK, `Could not reach ${options.service} for ${options.what} (${redact(url)})${code ? `: ${code}` : ''}`, meta);
  } finally {
    meter.end();
    deadline.dispose();
  }
}

/** Reads a body as text, at most `maxBytes`, timing each wait for bytes. */
async function readText(response: Response, meter: IoWaitMeter, onStarved: (reason: string) => void, options: RequestOptions): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  const tooLarge = () => new SpenceError(ErrorCodes.UPSTREAM, `${options.service} answered ${options.what} with more than ${maxBytes} bytes`, options.source !== undefined ? { source: options.source } : {});
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let length = 0;
  for (;;) {
    meter.wait(onStarved);
    const { done, value } = await reader.read();
    if (done) break;
    meter.got(value.length);
    length += value.length;
    if (length > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
