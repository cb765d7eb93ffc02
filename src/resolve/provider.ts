/**
 * The provider contract: what every source of tracks implements, built-in or user-written.
 *
 * Resolving and opening are separate (as in songbird): `resolve` turns an input into plain
 * {@link Track} data that can be stored and played much later; `open` turns a track into its
 * audio bytes when it is about to play.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import type { HttpSettings } from '../http/budgets.js';
import type { Track, TrackInfo } from './track.js';

/**
 * What a resolve returns. Failures are thrown as `SpenceError`, never returned.
 *
 * Nothing to play is `empty`, for every provider: a playlist or album with no playable track (every
 * entry removed, region-locked, preview-only or members-only; an empty album) and a search with no
 * result. It is not an error: the input was understood and answered. A provider may return a
 * playlist or search with no track; the node turns it into `{ type: 'empty' }`, so a bot only ever
 * sees `playlist` and `search` with at least one track. What cannot be read at all (missing,
 * private, refused) is thrown: `NOT_FOUND`, `UNAVAILABLE`.
 */
export type LoadResult =
  | { type: 'track'; track: Track }
  | { type: 'playlist'; playlist: Playlist }
  | { type: 'search'; tracks: Track[] }
  | { type: 'empty' };

/** A playlist or album. */
export interface Playlist {
  /** The playlist's name. */
  name: string;
  /** A URI a person could open. */
  uri?: string;
  /** The tracks, in order. */
  tracks: Track[];
  /** For a `watch?v=...&list=...` style input: the index of the track the input pointed at. */
  selectedIndex?: number;
}

/** Options every async call takes. */
export interface CallOptions {
  /** Aborts the call; it then rejects with `SpenceError` code `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * A checker for outbound URLs, handed to providers so they honour the node's network policy
 * (no loopback, private, link-local or unique-local addresses unless allowed).
 */
export interface UrlGuard {
  /**
   * Resolves the URL's host and throws `FORBIDDEN_URL` when the scheme is not http(s) or any address it
   * resolves to is refused by policy. Returns the parsed URL.
   */
  check(url: string | URL, options?: CallOptions): Promise<URL>;
  /** True when private addresses are allowed (`http.allowPrivateAddresses`). */
  readonly allowPrivateAddresses: boolean;
}

/** What the node hands a provider on every call. */
export interface ProviderContext {
  /** The caller's abort signal; always present (a never-firing one when the caller gave none). */
  signal: AbortSignal;
  /** The node's outbound URL policy. */
  urlGuard: UrlGuard;
  /**
   * The node's pooled keep-alive HTTP agent (undici), which enforces the address policy again at
   * connect time. Use it for media bytes (see `createHttpMedia`) and API calls alike.
   */
  dispatcher: Dispatcher;
  /**
   * The node's HTTP budgets and the clock they run on (`http.requestTimeoutMs`, `idleTimeoutMs`,
   * `minBytesPerSecond`). Pass the context to `requestJson`, and `http` to `createHttpMedia`, and
   * both keep to them; absent, the defaults apply.
   */
  http?: HttpSettings;
  /**
   * Builds a {@link Track} from its fields (adds `encoded`). Providers must build tracks with it so
   * the track round-trips through `node.decodeTrack`.
   */
  createTrack(info: TrackInfo): Track;
}

/** The input as the resolver parsed it, handed to {@link Provider.canResolve} so recognition stays cheap. */
export interface ResolveInput {
  /** The input exactly as given, trimmed. */
  raw: string;
  /** The input parsed as a URL, when it is one (`http:`, `https:`, `file:`, custom schemes...). */
  url: URL | null;
}

/** Bytes of a track's audio, opened from an absolute byte offset. */
export interface TrackMedia {
  /**
   * The container, when the provider knows it; otherwise the opener sniffs it. `'webm'` and
   * `'ogg'` (Opus) play as they are; `'mp3'` (MPEG audio frames: a file, or HLS segments
   * concatenated) plays through the transcoding path; `'aac'` (ADTS) is refused as `UNAVAILABLE`
   * until that path takes it.
   */
  container?: 'webm' | 'ogg' | 'mp3' | 'aac';
  /** Total length in bytes, when known. */
  contentLength?: number;
  /**
   * Reads the media from byte `start` (0 for the beginning) to the end. Pulling is the backpressure:
   * nothing is fetched beyond what the consumer has room for. Abort with the signal, or stop iterating.
   */
  read(start: number, options: { signal: AbortSignal }): AsyncIterable<Uint8Array>;
  /**
   * Optional positional read into the caller's buffer: reads up to `target.length` bytes from byte
   * `position` into `target` and resolves with how many were read (0 at the end). When present,
   * the players read this way into a few buffers they reuse, instead of a new buffer per chunk
   * from {@link read}: with thousands of players that allocation is most of the garbage. The
   * built-in `local` provider has it; a fetched stream has no use for it. With
   * {@link contentLength}, the reads stop there (no read is made that could only return 0).
   */
  readAt?(position: number, target: Uint8Array, options: { signal: AbortSignal }): Promise<number>;
  /**
   * For media read over a network: since when (on the node's clock) a read has been waiting on
   * I/O without getting bytes at a useful rate, through retries; null while none is. A player
   * tells a source that trickles (this is old) from one that is stuck (this is null) by it.
   * `createHttpMedia` has it; absent means the media does not say.
   */
  readonly waitingSince?: number | null;
  /** Releases anything held (sockets, file handles). Idempotent. */
  close(): void;
}

/**
 * A source of tracks. Implement this to add a provider; the built-in ones use the same contract and
 * import only the provider kit (`spence/provider`).
 *
 * @example See `docs/providers.md`.
 */
export interface Provider {
  /** A unique, stable name; it becomes `track.source`. */
  readonly name: string;
  /**
   * Search prefixes this provider answers, without the colon (`['ytsearch']` makes
   * `ytsearch:never gonna` go to this provider's {@link Provider.search}).
   */
  readonly searchPrefixes?: readonly string[];
  /**
   * True when the provider only knows metadata (Spotify and the like): its tracks cannot be opened
   * directly and play through a mirror (a matching recording from another provider).
   */
  readonly metadataOnly?: boolean;
  /**
   * True for catch-all providers (the built-in `http` and `local`): they are asked only after every
   * other provider has declined, so a provider registered later still gets its URLs first.
   */
  readonly fallback?: boolean;
  /** How long results stay in the node's resolution cache, in ms. Default: the node's `cache.ttlMs`. 0 disables caching. */
  readonly cacheTtlMs?: number;
  /**
   * Cheap, synchronous recognition: true when this provider handles the input. No I/O here; it is
   * called for every resolve until one provider says yes.
   */
  canResolve(input: ResolveInput): boolean;
  /** Resolves a recognised input. */
  resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult>;
  /** Searches, for providers with {@link Provider.searchPrefixes}. */
  search?(query: string, context: ProviderContext & { prefix: string }): Promise<LoadResult>;
  /** Opens a track this provider resolved. Absent for metadata-only providers. */
  open?(track: Track, context: ProviderContext): Promise<TrackMedia>;
  /** Releases anything the provider holds (agents, clients). Called by `node.destroy()`. */
  destroy?(): void | Promise<void>;
}
