/**
 * The mirror: finds the recording of a metadata-only track (Spotify, Apple Music, Deezer) among
 * another provider's tracks (YouTube's, with `Node`'s defaults), through an injected
 * {@link CandidateSource} and the matcher, and remembers the answer, a {@link MirrorTarget}, in a
 * {@link MirrorStore}. Pure of any specific provider: the node supplies the searches.
 *
 * @module
 */

import { raceAbort } from '../../abort.js';
import { ErrorCodes, SpenceError, abortError, throwIfAborted, toSpenceError } from '../../errors.js';
import { redactText } from '../../redact.js';
import { pickMatch } from '../matcher/index.js';
import type { MatchQuery } from '../matcher/index.js';
import type { CallOptions } from '../provider.js';
import { trackToMatchQuery } from './candidates.js';
import { MemoryMirrorStore } from './memory-store.js';
import type { CandidateSource, MirrorCandidate, MirrorEntry, MirrorMatch, MirrorOptions, MirrorStore, MirrorTarget, MirrorableTrack } from './types.js';

/** Default life of an automatic match: a week. Uploads rarely vanish faster, and a re-search costs three requests. */
export const DEFAULT_MIRROR_TTL_MS = 7 * 24 * 3_600_000;
/** Default life of a remembered "no match": short, since a new upload can fix it. */
export const DEFAULT_NO_MATCH_TTL_MS = 10 * 60_000;

/** One search shared by every concurrent caller mirroring the same track. */
interface InFlight {
  promise: Promise<MirrorMatch>;
  controller: AbortController;
  waiters: number;
}

/** The store keys of a track: its own, and its ISRC's when it has one. */
export function mirrorKeys(track: MirrorableTrack): { track: string; isrc: string | null } {
  const isrc = track.isrc?.trim().toUpperCase();
  return { track: `track:${track.source}:${track.identifier}`, isrc: isrc ? `isrc:${isrc}` : null };
}

/**
 * Mirrors metadata-only tracks to recordings another provider can play.
 *
 * @example
 * ```ts
 * const search = { songPrefix: 'ytmsearch', videoPrefix: 'ytsearch' };
 * const mirror = new Mirror({ source: candidateSourceFromSearch((q, o) => node.resolve(q, o), search) });
 * const { target } = await mirror.mirror(spotifyTrack, { signal }); // { source: 'youtube', identifier: '...' }
 * ```
 */
export class Mirror {
  private readonly source: CandidateSource;
  private readonly store: MirrorStore;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly options: MirrorOptions) {
    this.source = options.source;
    this.store = options.store ?? new MemoryMirrorStore();
  }

  /**
   * The recording of `track`: a pin, else a cached match, else a search (three searches run
   * concurrently: songs, videos, the ISRC) judged by the matcher. Concurrent
   * calls for the same track share one search; it is aborted only when every caller has given up.
   *
   * @throws {SpenceError} `NO_MATCH` when no result carries the recording (remembered for
   * `noMatchTtlMs`), `ABORTED`, or the searches' own error when every search failed.
   */
  async mirror(track: MirrorableTrack, options: CallOptions = {}): Promise<MirrorMatch> {
    const { signal } = options;
    throwIfAborted(signal, 'mirror');
    const keys = mirrorKeys(track);
    const known = await this.lookupEntry(track);
    if (known !== undefined) {
      if (known.target === null) throw noMatch(track, 'remembered from an earlier search');
      return toMatch(known.target, known, true);
    }
    throwIfAborted(signal, 'mirror');
    let flight = this.inFlight.get(keys.track);
    if (flight === undefined) flight = this.start(track);
    flight.waiters++;
    try {
      return await raceAbort(flight.promise, signal, 'mirror');
    } finally {
      flight.waiters--;
      if (flight.waiters === 0 && signal?.aborted && this.inFlight.get(keys.track) === flight) {
        this.inFlight.delete(keys.track);
        flight.controller.abort(signal.reason);
      }
    }
  }

  /** The stored answer for `track` without searching: a match, or `null` when none is stored (or "no match" is). */
  async lookup(track: MirrorableTrack, options: CallOptions = {}): Promise<MirrorMatch | null> {
    throwIfAborted(options.signal, 'mirror lookup');
    const entry = await this.lookupEntry(track);
    return entry?.target ? toMatch(entry.target, entry, true) : null;
  }

  /**
   * Pins `track` to a target (`{ source: 'youtube', identifier: 'dQw4w9WgXcQ' }`), under the
   * track's key and its ISRC's: automatic matching never overwrites it, and it does not expire.
   * Store errors are thrown. (`node.pinMirror` also takes a URL, which it resolves to its target.)
   *
   * @throws {SpenceError} `INVALID_ARGUMENT` when `target` is not a `{ source, identifier }` of non-empty strings.
   */
  async pin(track: MirrorableTrack, target: MirrorTarget, options: CallOptions = {}): Promise<MirrorMatch> {
    throwIfAborted(options.signal, 'mirror pin');
    if (!isTarget(target)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Cannot pin "${track.title}": ${describe(target)} is not a { source, identifier } target`);
    }
    const entry: MirrorEntry = { target: { source: target.source, identifier: target.identifier }, pinned: true, at: Date.now() };
    const keys = mirrorKeys(track);
    await Promise.all([keys.track, keys.isrc].filter((k): k is string => k !== null).map((key) => this.store.set(key, entry)));
    return toMatch(entry.target!, entry, false);
  }

  /**
   * Forgets what is stored for `track` (pins included), under its key and its ISRC's.
   *
   * @throws {SpenceError} `INVALID_STATE` when the store has no `delete`.
   */
  async forget(track: MirrorableTrack): Promise<void> {
    const store = this.store;
    if (!store.delete) throw new SpenceError(ErrorCodes.INVALID_STATE, 'This mirror store cannot delete entries');
    const keys = mirrorKeys(track);
    await Promise.all([keys.track, keys.isrc].filter((k): k is string => k !== null).map((key) => store.delete!(key)));
  }

  /** Pinned under the track > pinned under the ISRC > the track's own entry > a match under the ISRC. */
  private async lookupEntry(track: MirrorableTrack): Promise<MirrorEntry | undefined> {
    const keys = mirrorKeys(track);
    const [own, byIsrc] = await Promise.all([this.safeGet(keys.track), keys.isrc ? this.safeGet(keys.isrc) : undefined]);
    if (own?.pinned) return own;
    if (byIsrc?.pinned) return byIsrc;
    if (own !== undefined) return own;
    return byIsrc?.target ? byIsrc : undefined;
  }

  private start(track: MirrorableTrack): InFlight {
    const key = mirrorKeys(track).track;
    const controller = new AbortController();
    const flight: InFlight = { controller, waiters: 0, promise: Promise.resolve(null as never) };
    flight.promise = (async () => {
      try {
        return await this.search(track, controller.signal);
      } finally {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      }
    })();
    // Callers that abort stop listening; keep a rejection nobody awaits from being "unhandled".
    flight.promise.catch(() => {});
    this.inFlight.set(key, flight);
    return flight;
  }

  private async search(track: MirrorableTrack, signal: AbortSignal): Promise<MirrorMatch> {
    const query = trackToMatchQuery(track);
    if (query.title.trim() === '') throw noMatch(track, 'it has no title to search for');
    const text = this.options.buildQuery?.(query) ?? defaultQuery(query);
    const searches: Promise<MirrorCandidate[]>[] = [
      this.source.searchSongs(text, { signal }),
      this.source.searchVideos(text, { signal }),
    ];
    if (query.isrc && this.source.searchIsrc) {
      searches.push(this.source.searchIsrc(query.isrc, { signal }).then((hits) => hits.map((c) => ({ ...c, isrcHit: true }))));
    }
    const settled = await Promise.allSettled(searches);
    if (signal.aborted) throw abortError(signal, 'mirror');
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length === settled.length) {
      // Keep the failure's code (NETWORK, RATE_LIMITED...) but say which track it was for.
      const reason: unknown = failures[0]!.reason;
      const first = toSpenceError(reason, ErrorCodes.UPSTREAM, redactText((reason as Error)?.message ?? String(reason)), signal);
      throw new SpenceError(first.code, `Every search for "${track.title}" failed: ${first.message}`, {
        cause: reason,
        source: 'mirror',
        ...(first.retryAfterMs !== undefined ? { retryAfterMs: first.retryAfterMs } : {}),
      });
    }
    const candidates = mergeCandidates(settled.map((s) => (s.status === 'fulfilled' ? s.value : [])));
    const pick = pickMatch(query, candidates, this.options.match);
    const keys = mirrorKeys(track);
    if (pick === null) {
      // A miss with a failed search may be the failure's doing: only a complete miss is remembered.
      const ttl = this.options.noMatchTtlMs ?? DEFAULT_NO_MATCH_TTL_MS;
      if (failures.length === 0 && ttl > 0) await this.storeAutomatic([keys.track], { target: null, at: Date.now() }, ttl);
      throw noMatch(track, `none of ${candidates.length} ${describeSources(candidates)}results carries the recording${failures.length > 0 ? ` (${failures.length} of ${settled.length} searches failed)` : ''}`);
    }
    const entry: MirrorEntry = {
      target: targetOf(pick.candidate),
      score: pick.score,
      alternates: pick.alternates.map((a) => targetOf(a.candidate)),
      at: Date.now(),
    };
    await this.storeAutomatic([keys.track, keys.isrc].filter((k): k is string => k !== null), entry, this.options.ttlMs ?? DEFAULT_MIRROR_TTL_MS);
    return toMatch(entry.target!, entry, false);
  }

  /** Writes an automatic answer, skipping keys a user pinned meanwhile (possibly from another process). */
  private async storeAutomatic(keys: string[], entry: MirrorEntry, ttlMs: number): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const existing = await this.safeGet(key);
        if (existing?.pinned) return;
        try {
          await this.store.set(key, entry, ttlMs);
        } catch (error) {
          this.options.onStoreError?.(error, key);
        }
      }),
    );
  }

  private async safeGet(key: string): Promise<MirrorEntry | undefined> {
    try {
      return readEntry(await this.store.get(key));
    } catch (error) {
      this.options.onStoreError?.(error, key);
      return undefined;
    }
  }
}

/** `"{main artist} - {title}"`: what people type, and what uploads are titled. */
function defaultQuery(query: MatchQuery): string {
  const artist = query.artists[0];
  return artist ? `${artist} - ${query.title}` : query.title;
}

/**
 * Songs first, then videos, then ISRC-only hits (search order is the matcher's tie-break). A track
 * found by several searches appears once, keeping the richest description and the ISRC mark.
 * Exported for tests.
 */
export function mergeCandidates(lists: MirrorCandidate[][]): MirrorCandidate[] {
  const byTarget = new Map<string, MirrorCandidate>();
  for (const list of lists) {
    for (const candidate of list) {
      const key = `${candidate.source}\u0000${candidate.identifier}`;
      const seen = byTarget.get(key);
      if (seen === undefined) byTarget.set(key, candidate);
      else if (candidate.isrcHit && !seen.isrcHit) byTarget.set(key, { ...seen, isrcHit: true });
    }
  }
  return [...byTarget.values()];
}

function targetOf(candidate: MirrorCandidate): MirrorTarget {
  return { source: candidate.source, identifier: candidate.identifier };
}

function isTarget(value: unknown): value is MirrorTarget {
  const target = value as MirrorTarget | null;
  return typeof target === 'object' && target !== null
    && typeof target.source === 'string' && target.source !== ''
    && typeof target.identifier === 'string' && target.identifier !== '';
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value);
}

/** The providers the candidates came from, for a message: `"youtube "`, or nothing when none. */
function describeSources(candidates: readonly MirrorCandidate[]): string {
  const sources = [...new Set(candidates.map((c) => c.source))];
  return sources.length > 0 ? `${sources.join('/')} ` : '';
}

/**
 * A stored entry, or `undefined` for anything else. Entries of spence 0.1, when the mirror only
 * searched YouTube, name a video (`youtubeId`, `alternates` as video identifiers): read as
 * YouTube targets, so a shared store keeps its matches and pins across the upgrade.
 */
function readEntry(stored: unknown): MirrorEntry | undefined {
  if (stored === null || typeof stored !== 'object') return undefined;
  const entry = stored as { target?: unknown; youtubeId?: unknown; alternates?: unknown; pinned?: unknown; score?: unknown; at?: unknown };
  let target: MirrorTarget | null;
  if ('target' in entry) {
    if (entry.target !== null && !isTarget(entry.target)) return undefined;
    target = entry.target;
  } else if ('youtubeId' in entry) {
    target = typeof entry.youtubeId === 'string' ? youtubeTarget(entry.youtubeId) : null;
  } else {
    return undefined;
  }
  const alternates = Array.isArray(entry.alternates)
    ? entry.alternates.map((item: unknown) => (typeof item === 'string' ? youtubeTarget(item) : item)).filter(isTarget)
    : undefined;
  return {
    target,
    at: typeof entry.at === 'number' ? entry.at : 0,
    ...(entry.pinned === true ? { pinned: true } : {}),
    ...(typeof entry.score === 'number' ? { score: entry.score } : {}),
    ...(alternates ? { alternates } : {}),
  };
}

/** A 0.1 entry's video identifier as a target (the only provider that mirror searched). */
function youtubeTarget(identifier: string): MirrorTarget {
  return { source: 'youtube', identifier };
}

function toMatch(target: MirrorTarget, entry: MirrorEntry, cached: boolean): MirrorMatch {
  return {
    target: { ...target },
    pinned: entry.pinned === true,
    cached,
    ...(entry.score !== undefined ? { score: entry.score } : {}),
    alternates: entry.alternates ? entry.alternates.map((a) => ({ ...a })) : [],
  };
}

function noMatch(track: MirrorableTrack, why: string): SpenceError {
  const by = track.artists && track.artists.length > 0 ? track.artists.join(', ') : track.author;
  return new SpenceError(ErrorCodes.NO_MATCH, `No recording found for "${track.title}"${by ? ` by ${by}` : ''} (${track.source}:${redactText(track.identifier)}): ${why}`, { source: 'mirror' });
}

