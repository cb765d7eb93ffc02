/**
 * Media bytes over HTTP: Range requests in bounded chunks on a pooled agent, the next chunk's
 * request sent before the current one runs out, resumed from the exact byte after a dropped or
 * stalled connection, a fresh URL from the provider when the current one has expired (403/410),
 * and bounded retries with backoff that end in a `NETWORK` error saying what was tried.
 *
 * Memory is bounded by construction: the generator yields each network chunk as it arrives and
 * holds none; the body being read buffers at most `highWaterMark` bytes before undici stops
 * reading its socket (pulling is the backpressure); and at most one chunk is requested ahead, whose
 * body is bounded the same way. See {@link HttpMediaStats.maxBufferedBytes}.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { raceAbort, sleep } from '../abort.js';
import { ErrorCodes, SpenceError, abortError } from '../errors.js';
import type { TrackMedia } from '../resolve/provider.js';
import { redact } from '../redact.js';
import { parseContentLength, parseContentRange, parseRetryAfter } from './content-range.js';
import { FetchFailure, toFetchFailure } from './failure.js';
import type { FailureKind } from './failure.js';

/** Options for {@link createHttpMedia}. */
export interface HttpMediaOptions {
  /** The agent to send requests through (pooled keep-alive, guarded lookups): see `createMediaAgent`. */
  dispatcher: Dispatcher;
  /** Extra request headers (user agent, cookies...). Never logged. */
  headers?: Record<string, string>;
  /** Bytes per Range request. Default 10 MiB: large enough to amortise a request, small enough that throttled CDNs serve it at full speed. */
  chunkSize?: number;
  /**
   * Request the next chunk once this fraction of the current one has been read, so its headers (and
   * its first `highWaterMark` bytes) are there when the current one runs out. Only one chunk is ever
   * requested ahead. Default 0.75; `false` turns the prefetch off.
   */
  prefetchAt?: number | false;
  /** Consecutive failures without a byte of progress before giving up with `NETWORK`. Default 5. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled per further failure without progress (with ±25% jitter). Default 250. */
  backoffMs?: number;
  /** The longest backoff, in ms (also caps a server's `Retry-After`). Default 8 s. */
  maxBackoffMs?: number;
  /**
   * Time without body bytes, while a read is waiting for them, before the response counts as
   * stalled and is resumed from the exact byte, in ms. A body nobody is waiting on (the consumer is
   * not pulling, or it is the prefetch) never counts as stalled. Default 10 s. Timed here rather than
   * by undici's `bodyTimeout`, whose timers tick at about 0.5 s and which cannot tell a paused body
   * from a wanted one; the dispatcher's own timeouts stay as a backstop.
   */
  bodyTimeoutMs?: number;
  /** Time a read waits for a response's headers before retrying, in ms. Default 10 s. */
  headersTimeoutMs?: number;
  /** Bytes undici buffers per response body before it stops reading the socket. Default 64 KiB. */
  highWaterMark?: number;
  /**
   * Produces a fresh URL for the same media when the current one has expired (a 403 or 410): same
   * format, same bytes; reading continues at the same offset. Without it, an expired URL is a
   * `NETWORK` error.
   */
  refreshUrl?: (options: { signal: AbortSignal }) => Promise<string>;
  /** Known total length, to skip the probe for it. */
  contentLength?: number;
  /** Container hint. */
  container?: 'webm' | 'ogg';
  /** Called on every failure, for logs and tests: what failed, and where reading resumes. */
  onRetry?: (event: RetryEvent) => void;
}

/** What {@link HttpMediaOptions.onRetry} is told. */
export interface RetryEvent {
  /** Consecutive failures without progress, this one included (1 after a drop that followed progress). */
  attempt: number;
  /** The byte reading resumes from. */
  offset: number;
  /** What failed, for people. */
  reason: string;
  /** What failed, for code. */
  kind: FailureKind;
  /** The delay before the next attempt, in ms (0: at once). */
  delayMs: number;
}

/** Counters over the media's lifetime (all reads), for logs, tests and benchmarks. */
export interface HttpMediaStats {
  /** Requests sent, prefetches included. */
  requests: number;
  /** Requests sent ahead for the next chunk. */
  prefetches: number;
  /** Prefetched responses that were used (the rest were dropped by a seek, an end or a failure). */
  prefetchHits: number;
  /** Failures, by kind. */
  failures: Record<FailureKind, number>;
  /** Failures after which reading resumed past bytes already delivered (mid-body drops and stalls). */
  resumes: number;
  /** Fresh URLs obtained from `refreshUrl`. */
  refreshes: number;
  /** Bytes handed to readers. */
  bytesDelivered: number;
  /** Bytes received and thrown away: a server ignoring Range, or answering from an earlier byte. */
  bytesSkipped: number;
  /**
   * The most bytes held in undici's response bodies at once (the one being read plus the one
   * prefetched), sampled at each chunk handed out. The chunk handed out is not counted.
   */
  maxBufferedBytes: number;
}

/** The {@link TrackMedia} {@link createHttpMedia} returns, with its counters. */
export interface HttpMedia extends TrackMedia {
  /** Counters over all reads so far. */
  readonly stats: HttpMediaStats;
}

const DEFAULT_CHUNK = 10 * 1024 * 1024;

/** Errors from `refreshUrl` that are the provider's final word on the track, not worth retrying. */
const VERDICTS: ReadonlySet<string> = new Set([
  ErrorCodes.NOT_FOUND,
  ErrorCodes.UNAVAILABLE,
  ErrorCodes.FORBIDDEN_URL,
  ErrorCodes.UNSUPPORTED_INPUT,
  ErrorCodes.INVALID_TRACK,
  ErrorCodes.INVALID_ARGUMENT,
  ErrorCodes.INVALID_STATE,
]);

/** One Range request, sent and possibly answered. */
interface Sent {
  /** The first byte asked for. */
  readonly start: number;
  /** The last byte asked for (inclusive). */
  readonly end: number;
  /** The URL it went to (after refreshes, an older request may still be on an older URL). */
  readonly url: string;
  readonly controller: AbortController;
  /** The response once its headers are in. */
  response: Dispatcher.ResponseData | null;
  /** Settles with the response or the error: never rejects, so a prefetch nobody awaits cannot go unhandled. */
  readonly outcome: Promise<{ response: Dispatcher.ResponseData } | { error: unknown }>;
}

/** How to read an accepted response's body. */
interface BodyPlan {
  /** Bytes at the front of the body before the offset asked for, to throw away. */
  skip: number;
  /** Bytes the body should deliver after the skip; undefined when unknown. */
  expected: number | undefined;
  /** True for a 206: the server honours ranges, so chunking and prefetch apply. */
  ranged: boolean;
}

function noop(): void {}

function checkPositive(name: string, value: number | undefined, integer: boolean): void {
  if (value === undefined) return;
  if (!(value >= 0) || (integer && !Number.isSafeInteger(value))) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `createHttpMedia: ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}



/** `promise`, or the error `onTimeout` makes after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Drops a request: aborts it if in flight, frees its socket if answered. */
function discard(sent: Sent): void {
  sent.controller.abort();
  const body = sent.response?.body;
  if (body && !body.destroyed) body.on('error', noop).destroy();
}

/**
 * Opens `url` as {@link TrackMedia}. Nothing is requested until `read()` is iterated; each read asks
 * for bounded chunks and requests the next one when the current one is mostly read, never further
 * ahead: the consumer's pace is the backpressure.
 *
 * Faults are survived as follows. A drop or a stall mid-body resumes at once from the exact byte
 * already delivered. A 403/410 calls `refreshUrl` and continues at the same offset. A transient
 * status (408, 429, 5xx), a wrong `Content-Range`, a connect or headers timeout backs off and
 * retries. `maxRetries` failures in a row without a byte of progress end the read with `NETWORK`,
 * whose message lists each attempt. Aborting the read's signal, or `close()`, rejects the read with
 * `ABORTED` and drops every request in flight, the prefetch included.
 */
export function createHttpMedia(url: string, options: HttpMediaOptions): HttpMedia {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const maxRetries = options.maxRetries ?? 5;
  const backoffMs = options.backoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 8000;
  const prefetchAt = options.prefetchAt ?? 0.75;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  checkPositive('chunkSize', chunkSize, true);
  if (chunkSize < 1) checkPositive('chunkSize', -1, true);
  checkPositive('maxRetries', maxRetries, true);
  checkPositive('backoffMs', backoffMs, false);
  checkPositive('maxBackoffMs', maxBackoffMs, false);
  checkPositive('contentLength', options.contentLength, true);
  checkPositive('bodyTimeoutMs', bodyTimeoutMs, false);
  checkPositive('headersTimeoutMs', headersTimeoutMs, false);
  if (prefetchAt !== false) checkPositive('prefetchAt', prefetchAt, false);

  let currentUrl = url;
  let total = options.contentLength;
  /** A refresh in flight, shared by every read that hits the same expired URL. */
  let refreshing: { from: string; promise: Promise<string> } | null = null;
  const closer = new AbortController();
  const stats: HttpMediaStats = {
    requests: 0,
    prefetches: 0,
    prefetchHits: 0,
    failures: { drop: 0, stall: 0, timeout: 0, connect: 0, expired: 0, status: 0, range: 0 },
    resumes: 0,
    refreshes: 0,
    bytesDelivered: 0,
    bytesSkipped: 0,
    maxBufferedBytes: 0,
  };

  /** The last byte of the chunk that starts at `start`. */
  const chunkEndFor = (start: number) => (total === undefined ? start + chunkSize : Math.min(start + chunkSize, total)) - 1;

  function send(start: number, end: number): Sent {
    stats.requests++;
    const controller = new AbortController();
    const sent: Sent = {
      start,
      end,
      url: currentUrl,
      controller,
      response: null,
      outcome: request(currentUrl, {
        dispatcher: options.dispatcher,
        method: 'GET',
        headers: { ...options.headers, range: `bytes=${start}-${end}` },
        signal: controller.signal,
        ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
      }).then(
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

  /** Records a total length learned from a response; a different one means a different file. */
  function learnTotal(length: number | undefined): void {
    if (length === undefined) return;
    if (total === undefined) total = length;
    else if (total !== length) {
      throw new SpenceError(
        ErrorCodes.UPSTREAM,
        `The media at ${redact(currentUrl)} changed size from ${total} to ${length} bytes while being read`,
        { source: 'http' },
      );
    }
  }

  /**
   * Checks a response against the request: what to read from its body, `'end'` when it says the
   * media ended before `offset`; throws a {@link FetchFailure} to retry, or a final `SpenceError`.
   */
  async function accept(response: Dispatcher.ResponseData, sent: Sent, offset: number): Promise<BodyPlan | 'end'> {
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
      learnTotal(range.total);
      return { skip: offset - range.start, expected: range.end + 1 - offset, ranged: true };
    }
    if (status === 200) {
      // The server ignores Range and sends the whole file: read it through, skipping to the offset.
      const length = parseContentLength(headers['content-length']);
      learnTotal(length);
      if (length !== undefined && offset >= length) {
        await response.body.dump().catch(noop);
        return 'end';
      }
      return { skip: offset, expected: length === undefined ? undefined : length - offset, ranged: false };
    }
    await response.body.dump().catch(noop);
    if (status === 416) {
      // RFC 9110 §15.5.17: the range starts at or past the end; `bytes */length` gives the length.
      const range = parseContentRange(headers['content-range']);
      const length = range?.total ?? total;
      if (length === undefined || offset >= length) {
        learnTotal(range?.total);
        return 'end';
      }
      throw new FetchFailure('status', `HTTP 416 for bytes ${offset}- of a ${length}-byte file`);
    }
    if (status === 403 || status === 410) throw new FetchFailure('expired', `HTTP ${status}: the URL has expired`);
    if (status === 408 || status === 429 || status >= 500) {
      throw new FetchFailure('status', `HTTP ${status}`, parseRetryAfter(headers['retry-after']));
    }
    throw new SpenceError(
      status === 404 ? ErrorCodes.NOT_FOUND : ErrorCodes.UPSTREAM,
      `The media server answered HTTP ${status} for ${redact(sent.url)}`,
      { source: 'http' },
    );
  }

  /**
   * Gets a fresh URL after `expired` answered 403/410, unless another read already has; concurrent
   * reads hitting the same expiry share one call. True when this call produced the fresh URL.
   */
  async function refresh(refreshUrl: NonNullable<HttpMediaOptions['refreshUrl']>, expired: string, signal: AbortSignal): Promise<boolean> {
    if (currentUrl !== expired) return false;
    if (refreshing?.from !== expired) {
      const promise = refreshUrl({ signal });
      const entry = { from: expired, promise };
      refreshing = entry;
      promise.then(
        (fresh) => {
          if (currentUrl === expired) {
            currentUrl = fresh;
            stats.refreshes++;
          }
        },
        noop,
      ).finally(() => {
        if (refreshing === entry) refreshing = null;
      });
    }
    await raceAbort(refreshing.promise, signal, 'download');
    return true;
  }

  async function* read(start: number, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `read() needs a non-negative integer offset, got ${start}`);
    }
    const stopped = () =>
      signal.aborted ? abortError(signal, 'download') : new SpenceError(ErrorCodes.ABORTED, 'The media was closed', { cause: closer.signal.reason });
    if (signal.aborted || closer.signal.aborted) throw stopped();

    let offset = start;
    let chunkStart = start;
    let chunkEnd = chunkEndFor(start);
    /** The request being read. */
    let current: Sent | null = null;
    /** The next chunk's request, sent ahead. */
    let next: Sent | null = null;
    /** Failures since the last byte of progress: what the give-up message lists. */
    const attempts: string[] = [];
    let progressSinceFailure = false;
    let requestsThisRead = 0;
    let refreshesThisRead = 0;

    // The caller's signal and close() abort this read and its requests. Linked by hand rather than
    // with AbortSignal.any, which costs ~20 µs per call on Node 20 (once per request adds up on the
    // time to first packet).
    const reader = new AbortController();
    const live = reader.signal;
    const onAbort = () => {
      reader.abort(signal.aborted ? signal.reason : closer.signal.reason);
      if (current !== null) discard(current);
      if (next !== null) discard(next);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    closer.signal.addEventListener('abort', onAbort, { once: true });

    const buffered = () => (current?.response?.body.readableLength ?? 0) + (next?.response?.body.readableLength ?? 0);

    try {
      while (total === undefined || offset < total) {
        if (live.aborted) throw stopped();
        if (offset > chunkEnd) {
          chunkStart = offset;
          chunkEnd = chunkEndFor(offset);
        }
        // The prefetch is for the chunk after this one; keep it while this one is resumed, use it when
        // this one is done, drop it when it no longer lines up (the server answered a shorter range).
        if (next !== null && next.start !== offset && next.start !== chunkEnd + 1) {
          discard(next);
          next = null;
        }
        if (next !== null && next.start === offset) {
          current = next;
          next = null;
          stats.prefetchHits++;
        } else {
          current = send(offset, chunkEnd);
          requestsThisRead++;
        }
        let progressed = false;
        try {
          const sent = current;
          const outcome = await withTimeout(sent.outcome, headersTimeoutMs, () => {
            discard(sent);
            return new FetchFailure('timeout', `no response headers within ${headersTimeoutMs} ms`);
          });
          if ('error' in outcome) throw outcome.error;
          const response = outcome.response;
          const plan = await accept(response, sent, offset);
          if (plan === 'end') return;
          let skip = plan.skip;
          let received = 0;
          const body = response.body;
          const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
          const stalled = () => body.destroy(new FetchFailure('stall', `no body bytes for ${bodyTimeoutMs} ms`));
          for (;;) {
            // The stall clock runs only while this read waits for bytes: a consumer that is not
            // pulling leaves the body paused, which is backpressure, not a stall.
            const timer = setTimeout(stalled, bodyTimeoutMs);
            let step: IteratorResult<Buffer>;
            try {
              step = await iterator.next();
            } finally {
              clearTimeout(timer);
            }
            if (step.done) break;
            let chunk: Uint8Array = step.value;
            if (skip > 0) {
              const skipped = Math.min(skip, chunk.length);
              skip -= skipped;
              stats.bytesSkipped += skipped;
              if (skipped === chunk.length) continue;
              chunk = chunk.subarray(skipped);
            }
            received += chunk.length;
            offset += chunk.length;
            stats.bytesDelivered += chunk.length;
            progressed = true;
            progressSinceFailure = true;
            if (
              next === null &&
              plan.ranged &&
              prefetchAt !== false &&
              offset - chunkStart >= prefetchAt * (chunkEnd - chunkStart + 1) &&
              (total === undefined || chunkEnd + 1 < total)
            ) {
              next = send(chunkEnd + 1, chunkEndFor(chunkEnd + 1));
              stats.prefetches++;
              requestsThisRead++;
            }
            const held = buffered();
            if (held > stats.maxBufferedBytes) stats.maxBufferedBytes = held;
            yield chunk;
          }
          current = null;
          if (plan.expected !== undefined && received < plan.expected) {
            // undici checks Content-Length itself; this catches a 206 whose Content-Range promised more.
            throw new FetchFailure('drop', `the body ended after ${received} of ${plan.expected} bytes`);
          }
          if (!plan.ranged) return; // a 200 carries everything to the end
          if (total === undefined && offset <= chunkEnd) return; // a short chunk of a length-less file is its last
        } catch (error) {
          const failed = current;
          if (current !== null) discard(current);
          current = null;
          if (live.aborted) throw stopped();
          const failure = toFetchFailure(error);
          stats.failures[failure.kind]++;
          if (progressed) stats.resumes++;
          // A 403 from a request sent before another read refreshed the URL: just use the fresh one.
          if (failure.kind === 'expired' && failed !== null && failed.url !== currentUrl) continue;
          if (failure.kind === 'expired' && !options.refreshUrl) {
            throw new SpenceError(ErrorCodes.NETWORK, `The media URL ${redact(currentUrl)} has expired (${failure.message}) and this media cannot refresh it`, {
              cause: error,
              source: 'http',
            });
          }
          // Progress since the last failure starts a new streak: the connection was working. An expiry is
          // expected of tokenised URLs, so the first refresh does not wait either.
          if (progressSinceFailure) attempts.length = 0;
          const free = progressSinceFailure || (failure.kind === 'expired' && attempts.length === 0);
          progressSinceFailure = false;
          attempts.push(`${attempts.length + 1}) at byte ${offset}: ${failure.message}`);
          if (attempts.length > maxRetries) {
            throw new SpenceError(
              ErrorCodes.NETWORK,
              `Gave up reading ${redact(currentUrl)} at byte ${offset}${total === undefined ? '' : ` of ${total}`} after ` +
                `${attempts.length} attempts in a row without progress: ${attempts.join('; ')}. ` +
                `This read sent ${requestsThisRead} requests and got ${refreshesThisRead} fresh URLs, ` +
                `with backoff from ${backoffMs} ms doubling up to ${maxBackoffMs} ms.`,
              { cause: error, source: 'http' },
            );
          }
          // The first failure after progress (a drop, a stall, an expiry at a chunk boundary) retries at
          // once; each further one without progress waits twice as long as the last.
          const exponent = attempts.length - (free ? 2 : 1);
          let delayMs = exponent < 0 ? 0 : Math.min(maxBackoffMs, backoffMs * 2 ** exponent) * (0.75 + Math.random() * 0.5);
          if (failure.retryAfterMs !== undefined) delayMs = Math.max(delayMs, Math.min(failure.retryAfterMs, maxBackoffMs));
          options.onRetry?.({ attempt: attempts.length, offset, reason: failure.message, kind: failure.kind, delayMs });
          try {
            if (delayMs > 0) await sleep(delayMs, live, 'download');
            if (failure.kind === 'expired' && failed !== null && options.refreshUrl) {
              if (await refresh(options.refreshUrl, failed.url, live)) refreshesThisRead++;
            }
          } catch (refreshError) {
            if (live.aborted) throw stopped();
            // A provider's verdict (unavailable, not found...) ends the read; anything else (a network
            // error, a refresh shared with a read that was aborted) is one more attempt.
            if (refreshError instanceof SpenceError && VERDICTS.has(refreshError.code)) throw refreshError;
            attempts.push(`${attempts.length + 1}) refreshing the URL: ${(refreshError as Error)?.message ?? String(refreshError)}`);
            if (attempts.length > maxRetries) {
              throw new SpenceError(ErrorCodes.NETWORK, `Gave up reading ${redact(currentUrl)} at byte ${offset}: ${attempts.join('; ')}`, {
                cause: refreshError,
                source: 'http',
              });
            }
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      closer.signal.removeEventListener('abort', onAbort);
      if (current !== null) discard(current);
      if (next !== null) discard(next);
    }
  }

  const media: HttpMedia = {
    read,
    close: () => closer.abort(),
    get contentLength() {
      return total;
    },
    stats,
  };
  if (options.container !== undefined) media.container = options.container;
  return media;
}
