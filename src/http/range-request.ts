/**
 * One Range request of the media fetcher, and how its answer is read: which bytes of the body to
 * skip and expect, or that the media ended, or where it was redirected, or the failure it stands
 * for. A 206 is checked against what was asked (RFC 9110 §14.4); a 200 means the server ignores
 * Range; statuses go through the one map (`status.ts`), except those the fetcher survives: an
 * expired URL (403/410) and transient ones (408, 429, 5xx).
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { redact } from '../redact.js';
import { parseContentLength, parseContentRange } from './content-range.js';
import { FetchFailure } from './failure.js';
import { parseRetryAfter } from './retry-policy.js';
import { statusError } from './status.js';
import type { StatusPolicy } from './status.js';

/** One Range request, sent and possibly answered. */
export interface Sent {
  /** The first byte asked for. */
  readonly start: number;
  /** The last byte asked for (inclusive). */
  readonly end: number;
  /** The URL the request went to (a redirect's target, or {@link base}). */
  readonly url: string;
  /** The media's URL when it was sent: what an expiry refreshes (after refreshes, an older request may still be on an older one). */
  readonly base: string;
  readonly controller: AbortController;
  /** The response once its headers are in. */
  response: Dispatcher.ResponseData | null;
  /** Settles with the response or the error: never rejects, so a prefetch nobody awaits cannot go unhandled. */
  readonly outcome: Promise<{ response: Dispatcher.ResponseData } | { error: unknown }>;
}

/** How to send one. */
export interface SendOptions {
  dispatcher: Dispatcher;
  headers: Record<string, string> | undefined;
  highWaterMark: number | undefined;
}

function noop(): void {}

/** undici, loaded with the first request rather than at import: it is most of the package's import time. */
let undici: Promise<typeof Undici> | undefined;
const loadUndici = () => (undici ??= import('undici'));

/** Sends `bytes=start-end` to `url`. */
export function sendRange(url: string, base: string, start: number, end: number, options: SendOptions): Sent {
  const controller = new AbortController();
  const sent: Sent = {
    start,
    end,
    url,
    base,
    controller,
    response: null,
    outcome: loadUndici().then(({ request }) => request(url, {
      dispatcher: options.dispatcher,
      method: 'GET',
      headers: { ...options.headers, range: `bytes=${start}-${end}` },
      signal: controller.signal,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    })).then(
      (response) => {
        sent.response = response;
        // Dropped while the headers were on their way: free the socket now.
        if (controller.signal.aborted) discard(sent);
        return { response };
      },
      (error: unknown) => ({ error }),
    ),
  };
  return sent;
}

/** Drops a request: aborts it if in flight, frees its socket if answered. */
export function discard(sent: Sent): void {
  sent.controller.abort();
  const body = sent.response?.body;
  if (body && !body.destroyed) body.on('error', noop).destroy();
}

/** What an answer means for the read. */
export type Answer =
  /** Read the body: skip `skip` bytes, then expect `expected` (undefined: unknown). `ranged`: a 206, so chunking and prefetch apply. */
  | { kind: 'body'; skip: number; expected: number | undefined; ranged: boolean; total: number | undefined }
  /** The media ends before the offset asked for. */
  | { kind: 'end'; total: number | undefined }
  /** A 3xx: ask `location` instead. */
  | { kind: 'redirect'; location: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Reads an answer's status and headers against the request (the body is left to the caller unless
 * the answer has nothing to read). Throws a {@link FetchFailure} to retry, or the final `SpenceError`.
 *
 * @param offset - the byte the read needs next (the request may have started earlier).
 * @param known - the media's total length, when known: a 416 that contradicts it is not an end.
 * @param policy - what a 403/410 means: for a signed URL, an expiry to refresh.
 */
export async function readAnswer(response: Dispatcher.ResponseData, sent: Sent, offset: number, known: number | undefined, policy: StatusPolicy): Promise<Answer> {
  const status = response.statusCode;
  const headers = response.headers;
  if (status === 206) {
    const range = parseContentRange(headers['content-range']);
    if (range === null || !range.satisfied) throw new FetchFailure('range', `HTTP 206 without a valid Content-Range (${String(headers['content-range'])})`);
    // An answer from a later byte would leave a hole; one ending before the offset, nothing new.
    if (range.start > offset || range.end < offset) {
      throw new FetchFailure('range', `asked for bytes ${offset}-${sent.end}, the server answered bytes ${range.start}-${range.end}`);
    }
    const length = parseContentLength(headers['content-length']);
    if (length !== undefined && length !== range.end - range.start + 1) {
      throw new FetchFailure('range', `Content-Length ${length} disagrees with Content-Range bytes ${range.start}-${range.end}`);
    }
    return { kind: 'body', skip: offset - range.start, expected: range.end + 1 - offset, ranged: true, total: range.total };
  }
  if (status === 200) {
    // The server ignores Range and sends the whole file: read it through, skipping to the offset.
    const length = parseContentLength(headers['content-length']);
    if (length !== undefined && offset >= length) {
      await response.body.dump().catch(noop);
      return { kind: 'end', total: length };
    }
    return { kind: 'body', skip: offset, expected: length === undefined ? undefined : length - offset, ranged: false, total: length };
  }
  await response.body.dump().catch(noop);
  const location = headers.location;
  if (REDIRECTS.has(status) && typeof location === 'string' && location !== '') return { kind: 'redirect', location };
  if (status === 416) {
    // RFC 9110 §15.5.17: the range starts at or past the end; `bytes */length` gives the length.
    const range = parseContentRange(headers['content-range']);
    const length = range?.total ?? known;
    if (length === undefined || offset >= length) return { kind: 'end', total: range?.total };
    throw new FetchFailure('status', `HTTP 416 for bytes ${offset}- of a ${length}-byte file`);
  }
  if ((status === 403 || status === 410) && policy.signed) throw new FetchFailure('expired', `HTTP ${status}: the URL has expired`);
  if (status === 408 || status === 429 || status >= 500) {
    throw new FetchFailure('status', `HTTP ${status}`, parseRetryAfter(headers['retry-after']));
  }
  throw statusError(status, { ...policy, service: 'The media server', what: redact(sent.url), source: 'http' });
}
