/**
 * The `http` provider: a direct http(s) URL of a WebM or Ogg Opus file.
 *
 * Other schemes are refused, and so are URLs whose host is, or resolves to, a loopback, private,
 * link-local or unique-local address, unless the node allows private addresses. Like every provider,
 * it imports only the provider kit (`spence/provider`).
 *
 * @module
 */

import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { ErrorCodes, SpenceError, createHttpMedia, parseContentLength, parseContentRange, probeMedia, redact, toSpenceError } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';

const HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

/** Options for {@link httpProvider}. */
export interface HttpProviderOptions {
  /** Request headers sent with every request (a user agent, say). Never logged. */
  headers?: Record<string, string>;
}

interface RangeAnswer {
  status: number;
  bytes: Uint8Array;
  total: number | undefined;
  contentType: string | undefined;
  location?: string;
}

/** Fetches a byte range, reading at most `limit` bytes of the body. */
async function fetchRange(url: URL, range: string, limit: number, dispatcher: Dispatcher, signal: AbortSignal, headers?: Record<string, string>): Promise<RangeAnswer> {
  const response = await request(url, { dispatcher, signal, headers: { ...headers, range } });
  const { statusCode: status } = response;
  const contentType = header(response.headers['content-type']);
  if (status !== 200 && status !== 206) {
    await response.body.dump();
    const location = header(response.headers.location);
    return { status, bytes: new Uint8Array(0), total: undefined, contentType, ...(location ? { location } : {}) };
  }
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    parts.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= limit) break; // a server that ignores Range: stop reading, drop the socket
  }
  if (length >= limit) response.body.destroy();
  const bytes = Buffer.concat(parts, Math.min(length, limit));
  const total = status === 206 ? parseContentRange(response.headers['content-range'])?.total : parseContentLength(response.headers['content-length']);
  return { status, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), total, contentType };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function statusError(status: number, url: URL): SpenceError {
  if (status === 404 || status === 410) return new SpenceError(ErrorCodes.NOT_FOUND, `Nothing at ${redact(url)} (HTTP ${status})`);
  if (status === 401 || status === 403) return new SpenceError(ErrorCodes.UNAVAILABLE, `${redact(url)} refused access (HTTP ${status})`);
  if (status === 429) return new SpenceError(ErrorCodes.RATE_LIMITED, `${redact(url)} is rate limiting requests (HTTP 429)`);
  if (status >= 300 && status < 400) return new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${redact(url)} redirected too often or without a Location (HTTP ${status})`);
  return new SpenceError(ErrorCodes.UPSTREAM, `${redact(url)} answered HTTP ${status}`);
}

/** Creates the `http` provider. */
export function httpProvider(options: HttpProviderOptions = {}): Provider {
  return {
    name: 'http',
    fallback: true,

    canResolve(input: ResolveInput): boolean {
      // Every `scheme://` address nobody else claimed: http(s) is played, the rest refused with a clear reason.
      return input.url !== null && input.url.protocol !== 'file:' && /^[a-z][a-z0-9+.-]*:\/\//i.test(input.raw);
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      let url = await context.urlGuard.check(input.raw, { signal: context.signal });
      let head: RangeAnswer;
      for (let hops = 0; ; hops++) {
        try {
          head = await fetchRange(url, `bytes=0-${HEAD_BYTES - 1}`, HEAD_BYTES, context.dispatcher, context.signal, options.headers);
        } catch (error) {
          throw toNetworkError(error, url, context.signal);
        }
        if (head.status < 300 || head.status >= 400 || head.location === undefined || hops >= MAX_REDIRECTS) break;
        // Every hop passes the same address policy as the first URL.
        url = await context.urlGuard.check(new URL(head.location, url), { signal: context.signal });
      }
      if (head.status !== 200 && head.status !== 206) throw statusError(head.status, url);
      if (head.contentType && /^text\/html/i.test(head.contentType)) {
        throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${redact(url)} is a web page, not a media file`);
      }
      let tail: Uint8Array | undefined;
      const seekable = head.status === 206;
      if (seekable && head.total !== undefined && head.total > head.bytes.length && head.bytes[0] === 0x4f) {
        // Ogg states its length only in the last page's granule position (RFC 7845 §4).
        const start = Math.max(0, head.total - TAIL_BYTES);
        try {
          const answer = await fetchRange(url, `bytes=${start}-`, TAIL_BYTES, context.dispatcher, context.signal, options.headers);
          if (answer.status === 206) tail = answer.bytes;
        } catch (error) {
          throw toNetworkError(error, url, context.signal);
        }
      } else if (head.total !== undefined && head.total <= head.bytes.length) {
        tail = head.bytes;
      }
      const probe = probeMedia(head.bytes, tail, head.total);
      const name = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? url.hostname);
      const isStream = head.total === undefined && probe.durationMs === null;
      const track: Track = context.createTrack({
        source: 'http',
        identifier: url.href,
        uri: url.href,
        title: name.replace(/\.(webm|mka|mkv|ogg|opus|oga|mp3)$/i, ''),
        author: url.hostname,
        durationMs: probe.durationMs === null ? null : Math.round(probe.durationMs),
        isStream,
        isSeekable: seekable && !isStream,
      });
      return { type: 'track', track };
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // Checked again: an encoded track is user data and could name any URL.
      const url = await context.urlGuard.check(track.identifier, { signal: context.signal });
      return createHttpMedia(url.href, {
        dispatcher: context.dispatcher,
        ...(options.headers ? { headers: options.headers } : {}),
      });
    },
  };
}

function toNetworkError(error: unknown, url: URL, signal: AbortSignal): SpenceError {
  const code = (error as { code?: string })?.code ?? (error as { cause?: { code?: string } })?.cause?.code;
  if (code === 'ERR_SPENCE_FORBIDDEN_ADDRESS') {
    return new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${redact(url)}: it resolves to a private or reserved address`, { cause: error });
  }
  return toSpenceError(error, ErrorCodes.NETWORK, `Could not reach ${redact(url)}: ${(error as Error)?.message ?? String(error)}`, signal);
}
