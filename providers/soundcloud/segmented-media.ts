/**
 * An HLS track read as one byte stream: the segments' bytes, concatenated, from any byte offset.
 *
 * SoundCloud's Opus HLS segments are consecutive slices of one Ogg Opus file (the headers are in
 * the first segment only; the URLs even name the byte ranges, `/media/{from}/{to}/...`), so their
 * concatenation is that file, and the node's Ogg demuxer plays it without re-encoding.
 *
 * Each segment is read with `createHttpMedia` (Range requests, resume after a drop or stall,
 * backoff), whose `refreshUrl` fetches a fresh playlist when a segment URL has expired (403/410)
 * and continues with the same segment index, at the same byte. Segments are fetched one at a
 * time, when the consumer has read the previous one: pulling is the backpressure.
 *
 * @module
 */

import { ErrorCodes, SpenceError, createHttpMedia, raceAbort } from '../../src/provider-kit.js';
import type { HttpMedia, TrackMedia } from '../../src/provider-kit.js';
import type { Net } from './http.js';

/** Options for {@link createSegmentedMedia}. */
export interface SegmentedMediaOptions {
  /** The agent for the segment requests. */
  dispatcher: Net['dispatcher'];
  /** The node's budgets and clock, for each segment's fetcher. */
  http?: Net['http'];
  /** The segment URLs of the playlist, in order. */
  segments: readonly string[];
  /** A fresh playlist's segment URLs (new signatures), for when the current ones have expired. */
  reload: (options: { signal: AbortSignal }) => Promise<readonly string[]>;
  /** The container the concatenated bytes form. */
  container?: 'ogg' | 'webm' | 'mp3';
  /** Passed to each segment's `createHttpMedia` (tests lower the backoff). */
  backoffMs?: number;
  maxRetries?: number;
}

/** The {@link TrackMedia} of {@link createSegmentedMedia}, with counters for logs and tests. */
export interface SegmentedMedia extends TrackMedia {
  readonly stats: {
    /** Segment reads started (a segment resumed after a refresh counts once). */
    segmentsOpened: number;
    /** Fresh playlists fetched after an expiry. */
    reloads: number;
  };
}

/** Reads HLS segments as one stream; see the module comment. */
export function createSegmentedMedia(options: SegmentedMediaOptions): SegmentedMedia {
  let urls: readonly string[] = [...options.segments];
  /** Each segment's length, once it has been read to its end. */
  const lengths: (number | undefined)[] = Array.from({ length: urls.length }, () => undefined);
  /** A reload in flight, shared by every segment that hits the same expiry. */
  let reloading: { from: readonly string[]; promise: Promise<void> } | null = null;
  const open = new Set<HttpMedia>();
  let closed = false;
  const stats = { segmentsOpened: 0, reloads: 0 };

  /** Replaces the URLs with a fresh playlist's, unless another segment already has. */
  async function reload(expired: readonly string[], signal: AbortSignal): Promise<void> {
    if (urls !== expired) return;
    if (reloading?.from !== expired) {
      const promise = options.reload({ signal }).then((fresh) => {
        // A playlist of another shape is another rendition: splicing it would corrupt the stream.
        if (fresh.length !== expired.length) {
          throw new SpenceError(ErrorCodes.UPSTREAM, `The refreshed HLS playlist has ${fresh.length} segments where the first had ${expired.length}`, { source: 'soundcloud' });
        }
        if (urls === expired) {
          urls = [...fresh];
          stats.reloads++;
        }
      });
      const entry = { from: expired, promise };
      reloading = entry;
      promise.finally(() => {
        if (reloading === entry) reloading = null;
      }).catch(() => {});
    }
    await raceAbort(reloading.promise, signal, 'HLS playlist refresh');
  }

  function segmentMedia(index: number): HttpMedia {
    const media = createHttpMedia(urls[index]!, {
      dispatcher: options.dispatcher,
      http: options.http,
      // Segments are small (about 10 s): one request each, nothing prefetched within one.
      prefetchAt: false,
      ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(lengths[index] !== undefined ? { contentLength: lengths[index] } : {}),
      refreshUrl: async ({ signal }) => {
        await reload(urls, signal);
        return urls[index]!;
      },
    });
    open.add(media);
    return media;
  }

  async function* read(start: number, { signal }: { signal: AbortSignal }): AsyncGenerator<Uint8Array> {
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `read() needs a non-negative integer offset, got ${start}`);
    }
    if (closed) throw new SpenceError(ErrorCodes.ABORTED, 'The media was closed');
    // Skip the segments whose lengths are known and that end at or before `start`.
    let index = 0;
    let base = 0;
    while (index < urls.length && lengths[index] !== undefined && base + lengths[index]! <= start) {
      base += lengths[index]!;
      index++;
    }
    for (; index < urls.length; index++) {
      if (closed) throw new SpenceError(ErrorCodes.ABORTED, 'The media was closed');
      // Bytes of this segment before `start`: a Range request skips them (createHttpMedia drops them
      // itself when a server ignores Range); past its end, it simply ends and the next one follows.
      const within = Math.max(0, start - base);
      const media = segmentMedia(index);
      stats.segmentsOpened++;
      let received = 0;
      try {
        for await (const chunk of media.read(within, { signal })) {
          received += chunk.length;
          yield chunk;
        }
      } finally {
        media.close();
        open.delete(media);
      }
      const length = media.contentLength ?? within + received;
      lengths[index] = length;
      base += length;
    }
  }

  return {
    container: options.container ?? 'ogg',
    read,
    close() {
      closed = true;
      for (const media of open) media.close();
      open.clear();
    },
    get contentLength() {
      // Known once every segment has been read through.
      return lengths.every((length) => length !== undefined) ? lengths.reduce<number>((sum, length) => sum + length!, 0) : undefined;
    },
    stats,
  };
}
