/**
 * The `http` provider: a direct http(s) URL of a WebM, Ogg Opus or MP3 file.
 *
 * Other schemes are refused, and so are URLs whose host is, or resolves to, a loopback, private,
 * link-local or unique-local address, unless the node allows private addresses; every redirect
 * passes the same check. Resolve probes the file's first bytes (and an Ogg file's last) through the
 * media fetcher, so the probe resumes after drops and retries like playback does, within the node's
 * request budget; the first bytes are then kept briefly for the open that usually follows, so
 * playback does not download them again. Like every provider, it imports only the provider kit
 * (`spence/provider`).
 *
 * @module spence/providers/http
 */

import { LRUCache } from 'lru-cache';
import { ErrorCodes, RESOLVE_RETRY, SpenceError, createHttpMedia, probeMedia, readBytes, redact, withinBudget } from '../../src/provider-kit.js';
import type { HttpMedia, LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';

const HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;
/** Probes kept for the open that follows their resolve: at most this many (4 MiB)... */
const HEADS_KEPT = 16;
/** ...for at most this long. A track resolved and not played within it is read from the network. */
const HEAD_TTL_MS = 60_000;

/** Options for {@link httpProvider}. */
export interface HttpProviderOptions {
  /** Request headers sent with every request (a user agent, say). Never logged. */
  headers?: Record<string, string>;
}

/** A probe's bytes, kept for the open: the file's first bytes and its length. */
interface Head {
  bytes: Uint8Array;
  total: number | undefined;
}

/** Creates the `http` provider. */
export function httpProvider(options: HttpProviderOptions = {}): Provider {
  /** Probes by track URL, made on the first resolve: a provider that only opens stored tracks holds none. */
  let heads: LRUCache<string, Head> | null = null;

  function media(url: URL, context: ProviderContext, extra: { head?: Head; probe?: boolean } = {}): HttpMedia {
    return createHttpMedia(url.href, {
      dispatcher: context.dispatcher,
      http: context.http,
      ...(options.headers ? { headers: options.headers } : {}),
      // A plain URL: 403 and 410 are final answers, not expiries.
      statusPolicy: { signed: false },
      // Every hop passes the same address policy as the first URL.
      redirect: (target, { signal }) => context.urlGuard.check(target, { signal }),
      // The probe asks for exactly what it reads, nothing ahead; someone waits on it, so a host that
      // never answers fails fast (a resolve's retry policy), while one that drops is resumed.
      ...(extra.probe ? { chunkSize: HEAD_BYTES, prefetchAt: false as const, ...RESOLVE_RETRY } : {}),
      ...(extra.head ? { head: extra.head.bytes, ...(extra.head.total !== undefined ? { contentLength: extra.head.total } : {}) } : {}),
    });
  }

  return {
    name: 'http',
    fallback: true,

    canResolve(input: ResolveInput): boolean {
      // Every `scheme://` address nobody else claimed: http(s) is played, the rest refused with a clear reason.
      return input.url !== null && input.url.protocol !== 'file:' && /^[a-z][a-z0-9+.-]*:\/\//i.test(input.raw);
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const url = await context.urlGuard.check(input.raw, { signal: context.signal });
      const probing = media(url, context, { probe: true });
      let head: Uint8Array;
      let tail: Uint8Array | undefined;
      try {
        ({ head, tail } = await withinBudget(context, `Probing ${redact(url)}`, async (signal) => {
          const first = await readBytes(probing, 0, HEAD_BYTES, signal);
          if (probing.contentType && /^text\/html/i.test(probing.contentType)) {
            throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${redact(url)} is a web page, not a media file`, { source: 'http' });
          }
          const total = probing.contentLength;
          // Ogg states its length only in the last page's granule position (RFC 7845 §4).
          if (probing.ranged && total !== undefined && total > first.length && first[0] === 0x4f) {
            const start = Math.max(0, total - TAIL_BYTES);
            return { head: first, tail: await readBytes(probing, start, total - start, signal) };
          }
          return { head: first, tail: total !== undefined && total <= first.length ? first : undefined };
        }));
      } finally {
        probing.close();
      }
      const total = probing.contentLength;
      const probe = probeMedia(head, tail, total);
      const name = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? url.hostname);
      const isStream = total === undefined && probe.durationMs === null;
      const track: Track = context.createTrack({
        source: 'http',
        identifier: url.href,
        uri: url.href,
        title: name.replace(/\.(webm|mka|mkv|ogg|opus|oga|mp3)$/i, ''),
        author: url.hostname,
        durationMs: probe.durationMs === null ? null : Math.round(probe.durationMs),
        isStream,
        isSeekable: probing.ranged === true && !isStream,
      });
      (heads ??= new LRUCache<string, Head>({ max: HEADS_KEPT, ttl: HEAD_TTL_MS })).set(url.href, { bytes: head, total });
      return { type: 'track', track };
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // Checked again: an encoded track is user data and could name any URL.
      const url = await context.urlGuard.check(track.identifier, { signal: context.signal });
      const head = heads?.get(url.href);
      // One open takes the probe's bytes; the next plays from the network.
      if (head !== undefined) heads!.delete(url.href);
      return media(url, context, head !== undefined ? { head } : {});
    },
  };
}
