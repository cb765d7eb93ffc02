/**
 * The core node: routes inputs to the providers it is given, caches resolutions, owns the HTTP
 * agent and the one scheduler that paces every player. It imports no provider: `Node`
 * (src/node.ts) is this node with the built-in providers by default.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import { Mirror, candidateSourceFromSearch } from '../resolve/mirror/index.js';
import type { CandidateSource, MirrorMatch, MirrorOptions, SearchCandidateSourceOptions } from '../resolve/mirror/index.js';
import { ErrorCodes, SpenceError, throwIfAborted } from '../errors.js';
import { createMediaAgent } from '../http/agent.js';
import type { MediaAgentOptions } from '../http/agent.js';
import { httpSettings } from '../http/budgets.js';
import type { HttpBudgetOptions, HttpSettings } from '../http/budgets.js';
import { createUrlGuard } from '../http/url-guard.js';
import type { HostLookup } from '../http/url-guard.js';
import { ResolutionCache } from '../resolve/cache.js';
import type { CacheOptions } from '../resolve/cache.js';
import type { CallOptions, LoadResult, Provider, ProviderContext, TrackMedia, UrlGuard } from '../resolve/provider.js';
import { ProviderRegistry } from '../resolve/registry.js';
import { Resolver } from '../resolve/resolver.js';
import type { Track } from '../resolve/track.js';
import { createTrack, decodeTrack } from '../resolve/track-codec.js';
import { MediaTrack } from '../open/media-track.js';
import type { Clock } from '../player/clock.js';
import { Player } from '../player/player.js';
import type { PlayerOptions } from '../player/player.js';
import { FrameScheduler } from '../player/scheduler.js';
import { TranscodePool } from '../transcode/pool/worker-pool.js';
import type { TranscodePoolOptions } from '../transcode/pool/worker-pool.js';
import type { FrameSchedulerOptions } from '../player/scheduler.js';
import type { LoadOptions, PlayerSnapshot, TrackOpenOptions } from '../player/types.js';

/** Options for `new Node(options)` (and {@link BaseNode}). Every field is optional. */
export interface NodeOptions {
  /**
   * The providers to use, in routing order. `Node` uses `defaultProviders()` when this is absent
   * (pass `defaultProviders({...})` to configure the built-ins, or your own list to replace them);
   * a {@link BaseNode} has only these. Add more later with {@link BaseNode.registerProvider}.
   */
  providers?: readonly Provider[];
  /**
   * Outbound HTTP policy and tuning: the agent's, and the budgets every request keeps to
   * (`requestTimeoutMs`: a request read at once, 30 s; `idleTimeoutMs` and `minBytesPerSecond`:
   * how long a read may wait without bytes at a useful rate, 10 s and 1024). Checked when given.
   */
  http?: MediaAgentOptions & HttpBudgetOptions & {
    /** Allow loopback and private addresses (a self-hosted media server, tests). Default false. */
    allowPrivateAddresses?: boolean;
    /** The resolver used to check hostnames; default the system's. */
    lookup?: HostLookup;
  };
  /**
   * How metadata-only tracks (Spotify, Apple Music, Deezer) are mirrored to YouTube recordings:
   * the store (default in-memory; back it with Redis or the like through `MirrorStore`), TTLs,
   * the matcher's threshold, and where candidates come from (default: this node's `ytmsearch:`
   * and `ytsearch:`).
   */
  mirror?: Omit<MirrorOptions, 'source'> & { source?: CandidateSource; search?: SearchCandidateSourceOptions };
  /** Resolution cache settings. */
  cache?: CacheOptions;
  /**
   * The search prefix plain text goes to. Default: `Node`'s is `'ytsearch'`; a {@link BaseNode}'s is
   * the first search prefix of its providers.
   */
  defaultSearchPrefix?: string;
  /**
   * The clock the node's scheduler runs on, and its HTTP budgets, backoffs and `Retry-After`
   * waits. Default: the real monotonic clock. Tests pass a `ManualClock` and advance it by hand.
   */
  clock?: Clock;
  /** Scheduler settings (the stall policy's threshold). */
  scheduler?: Omit<FrameSchedulerOptions, 'clock'>;
  /**
   * The transcoding worker pool (MP3 sources, volume and filters): worker count and per-tick budget.
   * Created on first use; Opus passthrough never starts it.
   */
  transcode?: TranscodePoolOptions;
}

/** Options for {@link Node.createPlayer}: the player's own, without the parts the node supplies. */
export type CreatePlayerOptions = Omit<PlayerOptions, 'scheduler' | 'openTrack' | 'clock'>;

/** A never-firing signal for callers that pass none, so providers can always rely on one. */
const NEVER = new AbortController().signal;

/**
 * The node with exactly the providers it is given, none built in: what `Node` is made of. Use it
 * to run spence with your own providers only; bots usually want {@link Node}.
 *
 * @example
 * ```ts
 * const node = new BaseNode({ providers: [catalogProvider(entries)] });
 * const result = await node.resolve('catalog://a1');
 * ```
 */
export class BaseNode {
  private readonly registry = new ProviderRegistry();
  private readonly cache: ResolutionCache;
  private readonly resolver: Resolver;
  private readonly urlGuard: UrlGuard;
  private readonly dispatcher: Dispatcher;
  private readonly http: HttpSettings;
  private destroyed = false;
  private schedulerInstance: FrameScheduler | null = null;
  private readonly players = new Set<Player>();
  private readonly schedulerOptions: FrameSchedulerOptions;
  private readonly mirrorer: Mirror;
  private readonly transcodeOptions: TranscodePoolOptions;
  private pool: TranscodePool | null = null;

  constructor(options: NodeOptions = {}) {
    this.schedulerOptions = { ...options.scheduler, ...(options.clock ? { clock: options.clock } : {}) };
    this.transcodeOptions = options.transcode ?? {};
    const http = options.http ?? {};
    this.http = httpSettings(http, options.clock);
    this.urlGuard = createUrlGuard({
      allowPrivateAddresses: http.allowPrivateAddresses ?? false,
      ...(http.lookup ? { lookup: http.lookup } : {}),
    });
    this.dispatcher = createMediaAgent(http);
    this.cache = new ResolutionCache(options.cache);
    const providers = options.providers ?? [];
    for (const provider of providers) this.registry.register(provider);
    const { source, search, ...mirrorOptions } = options.mirror ?? {};
    this.mirrorer = new Mirror({
      ...mirrorOptions,
      source: source ?? candidateSourceFromSearch((input, o) => this.resolve(input, o), search),
    });
    this.resolver = new Resolver(this.registry, this.cache, (signal) => this.context(signal), {
      ...(options.defaultSearchPrefix !== undefined ? { defaultSearchPrefix: options.defaultSearchPrefix } : {}),
    });
  }

  /**
   * Resolves a URL, a path, a prefixed search (`ytsearch:...`) or plain text (a search on the default
   * prefix) to a {@link LoadResult}. Results are cached; identical resolves in flight share one request.
   *
   * @throws {SpenceError} `UNSUPPORTED_INPUT`, `NOT_FOUND`, `UNAVAILABLE`, `FORBIDDEN_URL`, `ABORTED`, ...
   */
  async resolve(input: string, options: CallOptions = {}): Promise<LoadResult> {
    this.assertAlive();
    return this.resolver.resolve(input, options);
  }

  /**
   * Decodes a track's `encoded` string.
   *
   * @throws {SpenceError} `INVALID_TRACK` when the string is corrupt or from a newer version.
   */
  decodeTrack(encoded: string): Track {
    return decodeTrack(encoded);
  }

  /** Adds a provider after the existing ones (before the catch-all `http` and `local`), or replaces one with the same name. */
  registerProvider(provider: Provider): this {
    this.assertAlive();
    this.registry.register(provider);
    return this;
  }

  /** The registered providers, in routing order. */
  get providers(): readonly Provider[] {
    return this.registry.list();
  }

  /**
   * Opens a track's audio bytes through the provider that resolved it.
   *
   * @throws {SpenceError} `UNSUPPORTED_INPUT` when no registered provider has the track's source,
   * `NO_MATCH` for a metadata-only track that has no mirror.
   */
  async openMedia(track: Track, options: CallOptions = {}): Promise<TrackMedia> {
    this.assertAlive();
    throwIfAborted(options.signal, 'open');
    const provider = this.registry.get(track.source);
    if (!provider) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `No provider named "${track.source}" is registered to open this track`);
    }
    if (provider.metadataOnly) return this.openMirrored(track, options);
    if (!provider.open) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Provider "${provider.name}" cannot open tracks`);
    }
    return provider.open(track, this.context(options.signal ?? NEVER));
  }

  /**
   * Finds the YouTube recording that carries a metadata-only track (Spotify, Apple Music, Deezer),
   * from the mirror store or by searching and scoring candidates; pinned matches win.
   *
   * @throws {SpenceError} `NO_MATCH` when no candidate carries the recording.
   */
  async mirror(track: Track, options: CallOptions = {}): Promise<MirrorMatch> {
    this.assertAlive();
    return this.mirrorer.mirror(track, options);
  }

  /** Pins the YouTube recording (an ID or a watch URL) a metadata-only track plays through. */
  async pinMirror(track: Track, youtubeId: string, options: CallOptions = {}): Promise<MirrorMatch> {
    this.assertAlive();
    return this.mirrorer.pin(track, youtubeId, options);
  }

  /** Forgets what the mirror stored for a track (its automatic match, or its pin). */
  async forgetMirror(track: Track): Promise<void> {
    this.assertAlive();
    await this.mirrorer.forget(track);
  }

  /** Opens a metadata-only track through its mirror, trying the next candidates when one is unplayable. */
  private async openMirrored(track: Track, options: CallOptions): Promise<TrackMedia> {
    const match = await this.mirrorer.mirror(track, options);
    const ids = [match.youtubeId, ...match.alternates.slice(0, 2)];
    let lastError: unknown;
    for (const id of ids) {
      try {
        const result = await this.resolve(`https://www.youtube.com/watch?v=${id}`, options);
        if (result.type !== 'track') throw new SpenceError(ErrorCodes.NO_MATCH, `The mirror of "${track.title}" did not resolve to a track`);
        return await this.openMedia(result.track, options);
      } catch (error) {
        lastError = error;
        if (!(error instanceof SpenceError) || (error.code !== 'UNAVAILABLE' && error.code !== 'NOT_FOUND')) throw error;
      }
    }
    throw lastError;
  }

  /**
   * Opens a track as Opus packets, starting at or before `startMs` (on the WebM Cues index where
   * there is one). This is the opener the node's players use; call it directly to take packets
   * without a player.
   */
  async openTrack(track: Track, options: TrackOpenOptions): Promise<MediaTrack> {
    const media = await this.openMedia(track, { signal: options.signal });
    return MediaTrack.open(media, options);
  }

  /**
   * The scheduler that paces every player of this node from one timer. Created on first use: a
   * node that never plays has no timer.
   */
  get scheduler(): FrameScheduler {
    this.schedulerInstance ??= new FrameScheduler(this.schedulerOptions);
    return this.schedulerInstance;
  }

  /**
   * Creates a player driven by this node's scheduler.
   *
   * @example
   * ```ts
   * const player = node.createPlayer();
   * player.on('frame', ({ packet }) => voice.sendOpus(packet.data));
   * await player.play(track);
   * ```
   */
  createPlayer(options: CreatePlayerOptions = {}): Player {
    this.assertAlive();
    const player = new Player({
      ...options,
      scheduler: this.scheduler,
      openTrack: (track, open) => this.openTrack(track, open),
      // The pool starts only when a player first needs a transcoder (MP3, volume, filters).
      transcode: { pool: () => (this.pool ??= new TranscodePool(this.transcodeOptions)), ...options.transcode },
      // The node destroys its players on close(); a player destroyed earlier leaves the set at once.
      onDestroy: (destroyed) => {
        this.players.delete(destroyed);
        options.onDestroy?.(destroyed);
      },
    });
    this.players.add(player);
    return player;
  }

  /**
   * Creates a player from a {@link Player.snapshot}, positioned so that its next packet is exactly the
   * one that would have followed when the snapshot was taken.
   *
   * @throws {SpenceError} `INVALID_TRACK` when the snapshot's track does not decode, `INVALID_ARGUMENT` for a bad snapshot.
   */
  async restorePlayer(snapshot: PlayerSnapshot, options: CreatePlayerOptions & LoadOptions = {}): Promise<Player> {
    this.assertAlive();
    if (snapshot === null || typeof snapshot !== 'object' || typeof snapshot.track !== 'string') {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'Not a player snapshot');
    }
    const track = decodeTrack(snapshot.track);
    const { signal, startMs: _ignored, paused, ...playerOptions } = options;
    const player = this.createPlayer(playerOptions);
    try {
      await player.restore(track, snapshot, { ...(signal ? { signal } : {}), ...(paused !== undefined ? { paused } : {}) });
    } catch (error) {
      player.destroy();
      throw error;
    }
    return player;
  }

  /** Drops every cached resolution. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Closes the node gracefully: lets in-flight media requests finish, then releases sockets and providers. */
  async close(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.releasePlayers();
    await this.pool?.close();
    await Promise.allSettled(this.registry.list().map((p) => p.destroy?.()));
    await this.dispatcher.close();
  }

  /** Destroys the node at once: aborts in-flight media requests and releases everything. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.releasePlayers();
    await this.pool?.close();
    await Promise.allSettled(this.registry.list().map((p) => p.destroy?.()));
    await this.dispatcher.destroy();
  }

  private releasePlayers(): void {
    for (const player of this.players) player.destroy();
    this.players.clear();
    this.schedulerInstance?.destroy();
  }

  private context(signal: AbortSignal): ProviderContext {
    return { signal, urlGuard: this.urlGuard, dispatcher: this.dispatcher, http: this.http, createTrack };
  }

  private assertAlive(): void {
    if (this.destroyed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'This node has been closed');
  }
}
