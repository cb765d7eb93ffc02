/**
 * Media bytes over HTTP: Range requests in bounded chunks on a pooled agent, resumed from the exact
 * byte after a dropped connection, with bounded retries and backoff, and a fresh URL from the
 * provider when the current one has expired (403/410).
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { ErrorCodes, SpenceError, abortError } from '../errors.js';
import type { TrackMedia } from '../resolve/provider.js';
import { redact } from '../redact.js';

/** Options for {@link createHttpMedia}. */
export interface HttpMediaOptions {
  /** The agent to send requests through (pooled keep-alive, guarded lookups): see `createMediaAgent`. */
  dispatcher: Dispatcher;
  /** Extra request headers (user agent, cookies...). Never logged. */
  headers?: Record<string, string>;
  /** Bytes per Range request. Default 10 MiB: large enough to amortise a request, small enough that throttled CDNs serve it at full speed. */
  chunkSize?: number;
  /** Attempts per chunk after a failure before giving up with `NETWORK`. Default 5. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled per attempt (with jitter). Default 250. */
  backoffMs?: number;
  /**
   * Produces a fresh URL for the same media when the current one has expired (a 403 or 410). Without it,
   * an expired URL is a `NETWORK` error.
   */
  refreshUrl?: (options: { signal: AbortSignal }) => Promise<string>;
  /** Known total length, to skip the probe for it. */
  contentLength?: number;
  /** Container hint. */
  container?: 'webm' | 'ogg';
  /** Called on every retry, for logs and tests: what failed, and where reading resumes. */
  onRetry?: (event: { attempt: number; offset: number; reason: string }) => void;
}

const DEFAULT_CHUNK = 10 * 1024 * 1024;

class ExpiredUrlError extends Error {}
class RetryableError extends Error {}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal, 'download'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal, 'download'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Parses `Content-Range: bytes a-b/total`; returns the total, or undefined when `*` or absent. */
function totalFromContentRange(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /\/(\d+)\s*$/.exec(value) : null;
  return match ? Number(match[1]) : undefined;
}

/**
 * Opens `url` as {@link TrackMedia}. Nothing is requested until `read()` is iterated, and each chunk
 * is requested only when the consumer pulls past the previous one: the consumer's pace is the
 * backpressure.
 */
export function createHttpMedia(url: string, options: HttpMediaOptions): TrackMedia {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const maxRetries = options.maxRetries ?? 5;
  const backoffMs = options.backoffMs ?? 250;
  let currentUrl = url;
  let total = options.contentLength;
  const closer = new AbortController();

  async function* read(start: number, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    const combined = AbortSignal.any([signal, closer.signal]);
    let offset = start;
    let attempt = 0;
    const failures: string[] = [];
    while (total === undefined || offset < total) {
      if (combined.aborted) throw abortError(combined, 'download');
      const end = offset + chunkSize - 1;
      let progressed = false;
      try {
        const response = await request(currentUrl, {
          dispatcher: options.dispatcher,
          method: 'GET',
          headers: { ...options.headers, range: `bytes=${offset}-${total === undefined ? end : Math.min(end, total - 1)}` },
          signal: combined,
        });
        const status = response.statusCode;
        if (status === 403 || status === 410) {
          await response.body.dump();
          throw new ExpiredUrlError(`HTTP ${status}`);
        }
        if (status === 416 && total === undefined) {
          // Requested past the end: the previous chunk was the last one.
          await response.body.dump();
          return;
        }
        if (status >= 500 || status === 429 || status === 408) {
          await response.body.dump();
          throw new RetryableError(`HTTP ${status}`);
        }
        if (status !== 206 && status !== 200) {
          await response.body.dump();
          throw new SpenceError(status === 404 ? ErrorCodes.NOT_FOUND : ErrorCodes.UPSTREAM, `The media server answered HTTP ${status} for ${redact(currentUrl)}`);
        }
        let skip = 0;
        let expected: number;
        if (status === 200) {
          // The server ignored the Range header and sends the whole file: skip to our offset.
          const length = Number(response.headers['content-length']);
          if (Number.isFinite(length)) total = length;
          skip = offset;
          expected = Infinity;
        } else {
          total = totalFromContentRange(response.headers['content-range']) ?? total;
          expected = Number(response.headers['content-length']);
          if (!Number.isFinite(expected)) expected = Infinity;
        }
        let received = 0;
        for await (const raw of response.body) {
          let chunk: Uint8Array = raw as Buffer;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          received += chunk.length;
          offset += chunk.length;
          progressed = true;
          attempt = 0;
          yield chunk;
        }
        if (expected !== Infinity && received < expected) throw new RetryableError('the body ended early');
        if (status === 200) return; // the whole file has been read
        if (total === undefined && received < chunkSize) return; // a short chunk was the last one
      } catch (error) {
        if (error instanceof SpenceError) throw error;
        if (combined.aborted) throw abortError(combined, 'download');
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(`at byte ${offset}: ${reason}`);
        if (!progressed) attempt++;
        if (attempt > maxRetries) {
          throw new SpenceError(
            ErrorCodes.NETWORK,
            `Gave up downloading ${redact(currentUrl)} after ${failures.length} failures (${failures.slice(-3).join('; ')})`,
            { cause: error },
          );
        }
        options.onRetry?.({ attempt, offset, reason });
        if (error instanceof ExpiredUrlError) {
          if (!options.refreshUrl) {
            throw new SpenceError(ErrorCodes.NETWORK, `The media URL for ${redact(currentUrl)} has expired (${reason}) and cannot be refreshed`, { cause: error });
          }
          currentUrl = await options.refreshUrl({ signal: combined });
        } else if (!progressed) {
          await sleep(backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5), combined);
        }
      }
    }
  }

  const media: TrackMedia = {
    read,
    close: () => closer.abort(),
  };
  if (options.container !== undefined) media.container = options.container;
  if (options.contentLength !== undefined) media.contentLength = options.contentLength;
  return media;
}
