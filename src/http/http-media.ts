/**
 * Media bytes over HTTP: Range requests in bounded chunks (`range-request.ts`) on a pooled agent,
 * the next chunk's request sent before the current one runs out, resumed from the exact byte after
 * a dropped, stalled or trickling connection (`io-wait.ts`), a fresh URL from the provider when the
 * current one has expired (`url-refresh.ts`), and bounded retries with backoff (`retry-policy.ts`)
 * that end in a `NETWORK` error saying what was tried.
 *
 * Memory is bounded by construction: the generator yields each network chunk as it arrives and
 * holds none; the body being read buffers at most `highWaterMark` bytes before undici stops
 * reading its socket (pulling is the backpressure); and at most one chunk is requested ahead, whose
 * body is bounded the same way. See {@link HttpMediaStats.maxBufferedBytes}.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import { sleep } from '../abort.js';
import { ErrorCodes, SpenceError, abortError } from '../errors.js';
import type { Clock } from '../player/clock.js';
import type { TrackMedia } from '../resolve/provider.js';
import { redact, redactText } from '../redact.js';
import { DEFAULT_HTTP_SETTINGS } from './budgets.js';
import type { HttpSettings } from './budgets.js';
import { FetchFailure, toFetchFailure } from './failure.js';
import type { FailureKind } from './failure.js';
import { IoWaitMeter } from './io-wait.js';
import { checkInteger, checkNumber } from './options.js';
import { discard, readAnswer, sendRange } from './range-request.js';
import type { Answer, Sent } from './range-request.js';
import { exhausted, retryDelay, retryPolicy } from './retry-policy.js';
import type { StatusPolicy } from './status.js';
import { MediaUrl } from './url-refresh.js';
import type { RefreshUrl } from './url-refresh.js';

/** Options for {@link createHttpMedia}. */
export interface HttpMediaOptions {
  /** The agent to send requests through (pooled keep-alive, guarded lookups): see `createMediaAgent`. */
  dispatcher: Dispatcher;
  /**
   * The node's budgets and clock (a provider passes `context.http`). The idle budget and the
   * trickle rate time the body; the clock runs every timer and backoff. Default: the default
   * budgets on the real clock.
   */
  http?: HttpSettings | undefined;
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
  /**
   * Failures to connect in a row (refused, unknown host, no route, connect timeout) before the
   * server has answered this media once, retried at most this many times; then `NETWORK`, saying
   * the host never answered. Default `maxRetries`: playback waits for a host as long as for any
   * failure. A resolve spreads `RESOLVE_RETRY` (1: one quick retry) into the options. Media given a
   * `head` counts as answered: those bytes came from the server.
   */
  maxConnectRetries?: number;
  /** First backoff delay in ms, doubled per further failure without progress (with ±25% jitter). Default 250. */
  backoffMs?: number;
  /** The longest backoff, in ms (also caps a server's `Retry-After`). Default 8 s. */
  maxBackoffMs?: number;
  /**
   * Time without body bytes, while a read is waiting for them, before the response counts as
   * stalled and is resumed from the exact byte, in ms; a response that delivers under
   * `http.minBytesPerSecond` over this much waiting is a trickle, and resumed the same way. A body
   * nobody is waiting on (the consumer is not pulling, or it is the prefetch) is never timed.
   * Default: the `http` settings' `idleTimeoutMs` (10 s). Timed here rather than by undici's
   * `bodyTimeout`, whose timers tick at about 0.5 s and which cannot tell a paused body from a
   * wanted one; the dispatcher's own timeouts stay as a backstop.
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
  refreshUrl?: RefreshUrl;
  /**
   * Checks a redirect's target before it is followed (the node's URL guard: `urlGuard.check`),
   * resolving with the URL to request or throwing to refuse it. Each request follows at most 5
   * redirects, and the media's URL stays the one given (a signed redirect is asked afresh each
   * time). Without it, a 3xx is `UPSTREAM`.
   */
  redirect?: (target: URL, options: { signal: AbortSignal }) => Promise<URL>;
  /**
   * The media's first bytes, already downloaded (by resolve's probe): the first read that starts
   * inside them is served from them, and goes on over the network after their end. Dropped once a
   * read has passed them.
   */
  head?: Uint8Array;
  /**
   * What a 403 or 410 means (see `status.ts`). Default `{ signed: true }`: media URLs are taken for
   * signed, expiring ones, so those statuses are an expiry (`refreshUrl`, else `NETWORK`). A plain
   * URL (the `http` provider's) passes `{ signed: false }`: they are final, by the one map.
   */
  statusPolicy?: StatusPolicy;
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
  /** Requests sent, prefetches and redirected ones included. */
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
  /** Redirects followed. */
  redirects: number;
  /** Bytes handed to readers (from `head` included). */
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
  /**
   * Since when (on the `http` settings' clock) a read has been waiting on the network without
   * getting bytes at a useful rate (`minBytesPerSecond`), through retries and backoffs; null while
   * no read is starved. A player uses it to tell a source that trickles from one that is stuck.
   */
  readonly waitingSince: number | null;
  /** The `Content-Type` of the first answer with a body; undefined before it. */
  readonly contentType: string | undefined;
  /** Whether the last answer honoured Range (a 206); undefined before the first. */
  readonly ranged: boolean | undefined;
}

const DEFAULT_CHUNK = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;
/** The slice the `head` bytes are handed out in: what one network read delivers at most. */
const HEAD_SLICE = 64 * 1024;

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

/** `promise`, or the error `onTimeout` makes after `ms` on `clock`. */
function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimer(clock.now() + ms, () => reject(onTimeout()));
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Checks the options; every bound named in the message. */
function checkOptions(options: HttpMediaOptions): void {
  const owner = 'createHttpMedia';
  checkInteger(owner, 'chunkSize', options.chunkSize, 1);
  checkInteger(owner, 'contentLength', options.contentLength, 0);
  checkNumber(owner, 'bodyTimeoutMs', options.bodyTimeoutMs, 1);
  checkNumber(owner, 'headersTimeoutMs', options.headersTimeoutMs, 1);
  checkInteger(owner, 'highWaterMark', options.highWaterMark, 1);
  if (options.prefetchAt !== false) checkNumber(owner, 'prefetchAt', options.prefetchAt, 0, 1);
}

/**
 * Opens `url` as {@link TrackMedia}. Nothing is requested until `read()` is iterated; each read asks
 * for bounded chunks and requests the next one when the current one is mostly read, never further
 * ahead: the consumer's pace is the backpressure.
 *
 * Faults are survived as follows. A drop, a stall or a trickle mid-body resumes from the exact
 * byte already delivered (at once when the connection had been delivering at a useful rate). A
 * 403/410 calls `refreshUrl` and continues at the same offset. A transient status (408, 429, 5xx),
 * a wrong `Content-Range`, a connect or headers timeout backs off and retries. `maxRetries`
 * failures in a row without progress end the read with `NETWORK`, whose message lists each
 * attempt; so do `maxConnectRetries` failures to connect to a server that has never answered. Aborting the read's signal, or `close()`, rejects the read with `ABORTED` and drops
 * every request in flight, the prefetch included.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` for an option out of its bounds (the message names it).
 */
export function createHttpMedia(url: string, options: HttpMediaOptions): HttpMedia {
  checkOptions(options);
  const settings = options.http ?? DEFAULT_HTTP_SETTINGS;
  const clock = settings.clock;
  const policy = retryPolicy(options, 'createHttpMedia');
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const prefetchAt = options.prefetchAt ?? 0.75;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? settings.idleTimeoutMs;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const sendOptions = { dispatcher: options.dispatcher, headers: options.headers, highWaterMark: options.highWaterMark };

  let total = options.contentLength;
  let head = options.head ?? null;
  /** Whether the server has answered this media once (headers of any status, or the probe's bytes). */
  let answered = head !== null;
  let contentType: string | undefined;
  let ranged: boolean | undefined;
  const statusPolicy = options.statusPolicy ?? { signed: true };
  const closer = new AbortController();
  /** The meters of the reads running now. */
  const meters = new Set<IoWaitMeter>();
  const stats: HttpMediaStats = {
    requests: 0,
    prefetches: 0,
    prefetchHits: 0,
    failures: { drop: 0, stall: 0, timeout: 0, connect: 0, expired: 0, status: 0, range: 0 },
    resumes: 0,
    refreshes: 0,
    redirects: 0,
    bytesDelivered: 0,
    bytesSkipped: 0,
    maxBufferedBytes: 0,
  };

  const mediaUrl = new MediaUrl(url, options.refreshUrl, () => stats.refreshes++);

  /** The last byte of the chunk that starts at `start`. */
  const chunkEndFor = (start: number) => (total === undefined ? start + chunkSize : Math.min(start + chunkSize, total)) - 1;

  function send(start: number, end: number, to = mediaUrl.current): Sent {
    stats.requests++;
    return sendRange(to, mediaUrl.current, start, end, sendOptions);
  }

  /** Records a total length learned from a response; a different one means a different file. */
  function learnTotal(length: number | undefined): void {
    if (length === undefined) return;
    if (total === undefined) total = length;
    else if (total !== length) {
      throw new SpenceError(
        ErrorCodes.UPSTREAM,
        `The media at ${redact(mediaUrl.current)} changed size from ${total} to ${length} bytes while being read`,
        { source: 'http' },
      );
    }
  }

  async function* read(start: number, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `read() needs a non-negative integer offset, got ${start}`);
    }
    const stopped = () =>
      signal.aborted ? abortError(signal, 'download') : new SpenceError(ErrorCodes.ABORTED, 'The media was closed', { cause: closer.signal.reason });
    if (signal.aborted || closer.signal.aborted) throw stopped();

    let offset = start;
    // The probe's bytes first: the network only from their end.
    if (head !== null && offset < head.length) {
      const bytes = head;
      head = null;
      while (offset < bytes.length) {
        const slice = bytes.subarray(offset, Math.min(bytes.length, offset + HEAD_SLICE));
        offset += slice.length;
        stats.bytesDelivered += slice.length;
        yield slice;
        if (signal.aborted || closer.signal.aborted) throw stopped();
      }
    }
    let chunkStart = offset;
    let chunkEnd = chunkEndFor(offset);
    /** The request being read. */
    let current: Sent | null = null;
    /** The next chunk's request, sent ahead. */
    let next: Sent | null = null;
    /** Failures since the last byte of progress: what the give-up message lists. */
    const attempts: string[] = [];
    let progressSinceFailure = false;
    let requestsThisRead = 0;
    let refreshesThisRead = 0;
    const meter = new IoWaitMeter(clock, bodyTimeoutMs, settings.minBytesPerSecond);
    meters.add(meter);

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
          let answer: Answer;
          for (let hops = 0; ; hops++) {
            const sent: Sent = current;
            meter.wait(null);
            const outcome = await withTimeout(sent.outcome, headersTimeoutMs, clock, () => {
              discard(sent);
              return new FetchFailure('timeout', `no response headers within ${headersTimeoutMs} ms`);
            });
            meter.pause();
            if ('error' in outcome) throw outcome.error;
            answered = true;
            answer = await readAnswer(outcome.response, sent, offset, total, statusPolicy);
            if (answer.kind !== 'redirect') break;
            if (options.redirect === undefined || hops >= MAX_REDIRECTS) {
              throw new SpenceError(ErrorCodes.UPSTREAM, `The media server redirected ${redact(sent.url)}${hops >= MAX_REDIRECTS ? ` more than ${MAX_REDIRECTS} times` : ', and this media follows no redirects'}`, { source: 'http' });
            }
            const target = URL.parse(answer.location, sent.url);
            if (target === null) throw new SpenceError(ErrorCodes.UPSTREAM, `The media server redirected ${redact(sent.url)} to an invalid URL`, { source: 'http' });
            const checked = await options.redirect(target, { signal: live });
            stats.redirects++;
            current = sendRange(checked.href, sent.base, sent.start, sent.end, sendOptions);
            stats.requests++;
            requestsThisRead++;
          }
          learnTotal(answer.total);
          if (answer.kind === 'end') return;
          ranged = answer.ranged;
          contentType ??= header(current.response!.headers['content-type']);
          let skip = answer.skip;
          let received = 0;
          const body = current.response!.body;
          const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
          // The meter times only the waits of this read: a consumer that is not pulling leaves the
          // body paused, which is backpressure, not a stall.
          const starved = (reason: string) => body.destroy(new FetchFailure('stall', reason));
          for (;;) {
            meter.wait(starved);
            const step = await iterator.next();
            if (step.done) {
              meter.pause();
              break;
            }
            let chunk: Uint8Array = step.value;
            const useful = meter.got(chunk.length);
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
            // Progress that resets the failure count is bytes at a useful rate: a trickle that
            // reconnects and trickles again is not progress.
            if (useful) progressSinceFailure = true;
            if (
              next === null &&
              answer.ranged &&
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
          if (answer.expected !== undefined && received < answer.expected) {
            // undici checks Content-Length itself; this catches a 206 whose Content-Range promised more.
            throw new FetchFailure('drop', `the body ended after ${received} of ${answer.expected} bytes`);
          }
          if (!answer.ranged) return; // a 200 carries everything to the end
          if (total === undefined && offset <= chunkEnd) return; // a short chunk of a length-less file is its last
        } catch (error) {
          const failed = current;
          if (current !== null) discard(current);
          current = null;
          meter.restart();
          if (live.aborted) throw stopped();
          const failure = toFetchFailure(error);
          stats.failures[failure.kind]++;
          if (progressed) stats.resumes++;
          // A 403 from a request sent before another read refreshed the URL: just use the fresh one.
          if (failure.kind === 'expired' && failed !== null && failed.base !== mediaUrl.current) continue;
          if (failure.kind === 'expired' && !mediaUrl.refreshable) {
            throw new SpenceError(ErrorCodes.NETWORK, `The media URL ${redact(mediaUrl.current)} has expired (${failure.message}) and this media cannot refresh it`, {
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
          if (exhausted(policy, attempts.length, failure.kind, answered)) {
            if (!answered && failure.kind === 'connect') {
              throw new SpenceError(
                ErrorCodes.NETWORK,
                `Could not connect to ${redact(mediaUrl.current)}, whose host has never answered, in ${attempts.length} attempts: ${attempts.join('; ')}`,
                { cause: error, source: 'http' },
              );
            }
            throw new SpenceError(
              ErrorCodes.NETWORK,
              `Gave up reading ${redact(mediaUrl.current)} at byte ${offset}${total === undefined ? '' : ` of ${total}`} after ` +
                `${attempts.length} attempts in a row without progress: ${attempts.join('; ')}. ` +
                `This read sent ${requestsThisRead} requests and got ${refreshesThisRead} fresh URLs, ` +
                `with backoff from ${policy.backoffMs} ms doubling up to ${policy.maxBackoffMs} ms.`,
              { cause: error, source: 'http' },
            );
          }
          // The first failure after progress (a drop, a stall, an expiry at a chunk boundary) retries at
          // once; each further one without progress waits twice as long as the last.
          const delayMs = retryDelay(policy, attempts.length - (free ? 2 : 1), failure.retryAfterMs);
          options.onRetry?.({ attempt: attempts.length, offset, reason: failure.message, kind: failure.kind, delayMs });
          try {
            if (delayMs > 0) await sleep(delayMs, live, 'download', clock);
            if (failure.kind === 'expired' && failed !== null && (await mediaUrl.refresh(failed.base, live))) refreshesThisRead++;
          } catch (refreshError) {
            if (live.aborted) throw stopped();
            // A provider's verdict (unavailable, not found...) ends the read; anything else (a network
            // error, a refresh shared with a read that was aborted) is one more attempt.
            if (refreshError instanceof SpenceError && VERDICTS.has(refreshError.code)) throw refreshError;
            attempts.push(`${attempts.length + 1}) refreshing the URL: ${redactText((refreshError as Error)?.message ?? String(refreshError))}`);
            if (attempts.length > policy.maxRetries) {
              throw new SpenceError(ErrorCodes.NETWORK, `Gave up reading ${redact(mediaUrl.current)} at byte ${offset}: ${attempts.join('; ')}`, {
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
      meter.end();
      meters.delete(meter);
    }
  }

  const media: HttpMedia = {
    read,
    close: () => closer.abort(),
    get contentLength() {
      return total;
    },
    get contentType() {
      return contentType;
    },
    get ranged() {
      return ranged;
    },
    get waitingSince() {
      let since: number | null = null;
      for (const meter of meters) {
        const s = meter.waitingSince;
        if (s !== null && (since === null || s < since)) since = s;
      }
      return since;
    },
    stats,
  };
  if (options.container !== undefined) media.container = options.container;
  return media;
}
