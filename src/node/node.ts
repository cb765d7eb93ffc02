/**
 * The core node: routes inputs to the providers it is given, caches resolutions, owns the HTTP
 * agent and the one scheduler that paces every player. It imports no provider: `Node`
 * (src/node.ts) is this node with the built-in providers by default.
 *
 * @module
 */

import type { Dispatcher } from 'undici';
import type { Mirror } from '../resolve/mirror/mirror.js';
import type { SearchCandidateSourceOptions } from '../resolve/mirror/candidates.js';
import type { CandidateSource, MirrorMatch, MirrorOptions, MirrorTarget } from '../resolve/mirror/types.js';
import { ErrorCodes, SpenceError, throwIfAborted } from '../errors.js';
import { checkMediaAgentOptions, createMediaAgent } from '../http/agent.js';
import type { MediaAgentOptions } from '../http/agent.js';
import { httpSettings } from '../http/budgets.js';
import type { HttpBudgetOptions, HttpSettings } from '../http/budgets.js';
import { createUrlGuard } from '../http/url-guard.js';
import { redactText } from '../redact.js';
import type { HostLookup } from '../http/url-guard.js';
import { ResolutionCache } from '../resolve/cache.js';
import type { CacheOptions } from '../resolve/cache.js';
import type { CallOptions, LoadResult, Provider, ProviderContext, TrackMedia, UrlGuard } from '../resolve/provider.js';
import { ProviderRegistry } from '../resolve/registry.js';
import { Resolver } from '../resolve/resolver.js';
import type { Track } from '../resolve/track.js';
import { createTrack, decodeTrack } from '../resolve/track-codec.js';
import type { MediaTrack } from '../open/media-track.js';
import type * as MediaTrackModule from '../open/media-track.js';
import { RealClock } from '../player/clock.js';
import type { Clock } from '../player/clock.js';
import { Lifecycle } from '../lifecycle.js';
import { checkArray, checkBoolean, checkFunction, checkNumber, checkObject, checkString } from '../validate.js';
import { Player } from '../player/player.js';
import type { PlayerOptions } from '../player/player.js';
import { FrameScheduler } from '../player/scheduler.js';
import { TranscodePool } from '../transcode/pool/worker-pool.js';
import type { TranscodePoolOptions } from '../transcode/pool/worker-pool.js';
import type { FrameSchedulerOptions } from '../player/scheduler.js';
import type { LoadOptions, PlayerFrameStats, PlayerSnapshot, TrackOpenOptions } from '../player/types.js';
import { listen } from '../voice/receive/listen.js';
import type { ListenOptions, VoiceListener } from '../voice/receive/listener.js';
import type { DiscordJsReceivingConnection } from '../voice/receive/rtp-tap.js';
import type { VoiceReceiveSource } from '../voice/receive/source.js';

let opener: Promise<typeof MediaTrackModule> | null = null;

/**
 * The opener's module, loaded with the first track opened: a node that never plays does not
 * compile it, and importing spence stays cheap. The promise is kept: an `import()` per open, even
 * of a module loaded already, is a few promises and objects of the module loader's, and 5000
 * players opened at once kept theirs through their opens' I/O, into the old generation.
 */
function loadOpener(): Promise<typeof MediaTrackModule> {
  return (opener ??= import('../open/media-track.js'));
}

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
   * docs/http.md lists them all, with the retry policies of playback and resolve.
   */
  http?: MediaAgentOptions & HttpBudgetOptions & {
    /** Allow loopback and private addresses (a self-hosted media server, tests). Default false. */
    allowPrivateAddresses?: boolean;
    /** The resolver used to check hostnames; default the system's. */
    lookup?: HostLookup;
  };
  /**
   * How metadata-only tracks (Spotify, Apple Music, Deezer) are mirrored to recordings other
   * providers play: the store (default in-memory; back it with Redis or the like through
   * `MirrorStore`), TTLs, the matcher's threshold, and where candidates come from: a `source`, or
   * `search` prefixes this node's own providers answer (`Node`'s default: YouTube's, `ytmsearch:`
   * and `ytsearch:`; a {@link BaseNode} without either cannot mirror).
   */
  mirror?: Omit<MirrorOptions, 'source'> & { source?: CandidateSource; search?: Partial<SearchCandidateSourceOptions> };
  /** Resolution cache settings. */
  cache?: CacheOptions;
  /**
   * The search prefix plain text goes to. Default: `Node`'s is `'ytsearch'`; a {@link BaseNode}'s is
   * the first search prefix of its providers.
   */
  defaultSearchPrefix?: string;
  /**
   * The clock the node's scheduler runs on, its HTTP budgets, backoffs and `Retry-After` waits,
   * its resolve cache's TTLs, and its close timeout. Default: the real monotonic clock. Tests pass a `ManualClock` and
   * advance it by hand.
   */
  clock?: Clock;
  /**
   * How long `close()` lets running calls (resolves, opens, a player's load) finish before it
   * aborts them, in ms; also the bound on letting the HTTP agent's requests finish. Default 10 000.
   */
  closeTimeoutMs?: number;
  /** Scheduler settings (the stall policy's threshold, the pace of players' starts). */
  scheduler?: Omit<FrameSchedulerOptions, 'clock'>;
  /**
   * The transcoding worker pool (MP3 sources, volume and filters): worker count and per-tick budget.
   * Created on first use; Opus passthrough never starts it.
   */
  transcode?: TranscodePoolOptions;
}

/** Options for {@link Node.createPlayer}: the player's own, without the parts the node supplies. */
export type CreatePlayerOptions = Omit<PlayerOptions, 'scheduler' | 'openTrack' | 'clock'>;

/** Default of {@link NodeOptions.closeTimeoutMs}. */
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** A search prefix, as providers declare them (the registry's rule). */
const PREFIX = /^[a-z][a-z0-9]*$/i;
const PREFIX_WORDS = 'a search prefix (letters and digits, starting with a letter)';

/**
 * Checks options when they are given: a bad one is `INVALID_ARGUMENT` naming it and its bound, at
 * construction, not a `RangeError` from the first player or a value silently replaced.
 */
export function checkNodeOptions(options: NodeOptions | undefined): void {
  checkObject('Node options', options);
  if (options === undefined) return;
  checkArray('providers', options.providers);
  const { http, mirror, cache, scheduler, transcode } = options;
  checkObject('http', http);
  // The agent's numbers and the budgets are the HTTP layer's to check (httpSettings, in the constructor).
  checkBoolean('http.allowPrivateAddresses', http?.allowPrivateAddresses);
  checkFunction('http.lookup', http?.lookup);
  checkObject('mirror', mirror);
  if (mirror) {
    checkObject('mirror.source', mirror.source, ['searchSongs', 'searchVideos']);
    checkObject('mirror.store', mirror.store, ['get', 'set']);
    checkNumber('mirror.ttlMs', mirror.ttlMs, { min: 0 });
    checkNumber('mirror.noMatchTtlMs', mirror.noMatchTtlMs, { min: 0 });
    checkObject('mirror.match', mirror.match);
    checkNumber('mirror.match.minScore', mirror.match?.minScore, { min: 0, max: 1 });
    checkFunction('mirror.buildQuery', mirror.buildQuery);
    checkFunction('mirror.onStoreError', mirror.onStoreError);
    checkObject('mirror.search', mirror.search);
    checkString('mirror.search.songPrefix', mirror.search?.songPrefix, PREFIX, PREFIX_WORDS);
    checkString('mirror.search.videoPrefix', mirror.search?.videoPrefix, PREFIX, PREFIX_WORDS);
    if (mirror.search?.isrcPrefix !== null) checkString('mirror.search.isrcPrefix', mirror.search?.isrcPrefix, PREFIX, `${PREFIX_WORDS} or null`);
    checkNumber('mirror.search.limit', mirror.search?.limit, { min: 1, integer: true });
  }
  checkObject('cache', cache);
  checkNumber('cache.max', cache?.max, { min: 0, integer: true });
  checkNumber('cache.ttlMs', cache?.ttlMs, { min: 0 });
  checkString('defaultSearchPrefix', options.defaultSearchPrefix, PREFIX, PREFIX_WORDS);
  checkObject('clock', options.clock, ['now', 'setTimer']);
  checkNumber('closeTimeoutMs', options.closeTimeoutMs, { min: 0 });
  checkObject('scheduler', scheduler);
  checkNumber('scheduler.stallThresholdMs', scheduler?.stallThresholdMs, { min: 0 });
  checkNumber('scheduler.startStepsPerMs', scheduler?.startStepsPerMs, { min: 1, integer: true });
  checkObject('transcode', transcode);
  checkNumber('transcode.workers', transcode?.workers, { min: 1, integer: true });
  checkNumber('transcode.budget', transcode?.budget, { min: 0, max: 1, aboveMin: true });
}

/**
 * The node with exactly the providers it is given, none built in: what `Node` is made of. Use it
 * to run spence with your own providers only; bots usually want {@link Node}.
 *
 * Its lifecycle is undici's: {@link close} refuses new calls, lets running ones finish (bounded by
 * `closeTimeoutMs`), then releases the players, the transcoding pool, the providers (the local
 * read worker with the last node that used it) and the HTTP agent; {@link destroy} does it now,
 * aborting what runs.
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
  private readonly httpOptions: NonNullable<NodeOptions['http']>;
  /** The HTTP agent, made by the first call that needs it (undici loads then, not at import). */
  private dispatcher: Dispatcher | null = null;
  private readonly http: HttpSettings;
  private readonly clock: Clock;
  private readonly lifecycle: Lifecycle;
  private schedulerInstance: FrameScheduler | null = null;
  private readonly players = new Set<Player>();
  /** The frame counters of the players destroyed so far (the node's sums keep them). */
  private readonly retiredFrames: PlayerFrameStats = { sent: 0, nulled: 0, deficit: 0 };
  private readonly schedulerOptions: FrameSchedulerOptions;
  private readonly mirrorOptions: NonNullable<NodeOptions['mirror']>;
  /** The mirror, made on first use (the matcher loads then). */
  private mirrorer: Promise<Mirror> | null = null;
  private readonly transcodeOptions: TranscodePoolOptions;
  private pool: TranscodePool | null = null;
  /**
   * What every player of the node is given (its opener, its pool, what the node does when one is
   * destroyed): one function each for all of them, not one per player.
   */
  private readonly playerHooks = {
    openTrack: (track: Track, open: TrackOpenOptions): Promise<MediaTrack> => this.openTrack(track, open),
    // The pool starts only when a player first needs a transcoder (MP3, volume, filters).
    pool: (): TranscodePool => (this.pool ??= new TranscodePool(this.transcodeOptions)),
    // The node destroys its players on close(); a player destroyed earlier leaves the set at once.
    onDestroy: (destroyed: Player): void => {
      this.players.delete(destroyed);
      addFrames(this.retiredFrames, destroyed.frameStats);
    },
  };
  private readonly voiceListeners = new Set<VoiceListener>();

  /** @throws {SpenceError} `INVALID_ARGUMENT` naming the first option out of bounds. */
  constructor(options: NodeOptions = {}) {
    checkNodeOptions(options);
    this.clock = options.clock ?? new RealClock();
    const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.schedulerOptions = { ...options.scheduler, clock: this.clock };
    this.transcodeOptions = options.transcode ?? {};
    this.httpOptions = options.http ?? {};
    checkMediaAgentOptions(this.httpOptions);
    this.http = httpSettings(this.httpOptions, this.clock);
    this.urlGuard = createUrlGuard({
      allowPrivateAddresses: this.httpOptions.allowPrivateAddresses ?? false,
      ...(this.httpOptions.lookup ? { lookup: this.httpOptions.lookup } : {}),
    });
    this.cache = new ResolutionCache(options.cache, this.clock);
    const providers = options.providers ?? [];
    for (const provider of providers) this.registry.register(provider);
    this.mirrorOptions = options.mirror ?? {};
    this.resolver = new Resolver(this.registry, this.cache, (signal) => this.context(signal), {
      ...(options.defaultSearchPrefix !== undefined ? { defaultSearchPrefix: options.defaultSearchPrefix } : {}),
    });
    this.lifecycle = new Lifecycle({
      what: 'node',
      closeTimeoutMs,
      clock: this.clock,
      release: (graceful) => this.release(graceful, closeTimeoutMs),
      hurry: () => void this.dispatcher?.destroy().catch(() => {}),
    });
  }

  /**
   * Resolves a URL, a path, a prefixed search (`ytsearch:...`) or plain text (a search on the default
   * prefix) to a {@link LoadResult}. Results are cached; identical resolves in flight share one request.
   *
   * @throws {SpenceError} `UNSUPPORTED_INPUT`, `NOT_FOUND`, `UNAVAILABLE`, `FORBIDDEN_URL`, `ABORTED`,
   * `INVALID_STATE` once the node is closed, ...
   */
  resolve(input: string, options: CallOptions = {}): Promise<LoadResult> {
    return this.lifecycle.run(options.signal, (signal) => this.resolveWith(input, signal));
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
    this.lifecycle.assertOpen();
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
  openMedia(track: Track, options: CallOptions = {}): Promise<TrackMedia> {
    return this.lifecycle.run(options.signal, (signal) => this.openMediaWith(track, signal));
  }

  /**
   * Finds the recording that carries a metadata-only track (Spotify, Apple Music, Deezer) among
   * another provider's tracks (YouTube's, with `Node`'s defaults), from the mirror store or by
   * searching and scoring candidates; pinned matches win.
   *
   * @throws {SpenceError} `NO_MATCH` when no candidate carries the recording; `INVALID_STATE` when
   * this node has no mirror source (a {@link BaseNode} without `mirror.search` or `mirror.source`).
   */
  mirror(track: Track, options: CallOptions = {}): Promise<MirrorMatch> {
    return this.lifecycle.run(options.signal, async (signal) => (await this.getMirror()).mirror(track, { signal }));
  }

  /**
   * Pins the recording a metadata-only track plays through: a target (`{ source: 'youtube',
   * identifier: 'dQw4w9WgXcQ' }`), or a URL this node resolves to one track (any YouTube watch or
   * `youtu.be` URL with the default providers).
   *
   * @throws {SpenceError} `INVALID_ARGUMENT` when the URL does not resolve to one playable track, or
   * the target is not a `{ source, identifier }`.
   */
  pinMirror(track: Track, target: MirrorTarget | string, options: CallOptions = {}): Promise<MirrorMatch> {
    return this.lifecycle.run(options.signal, async (signal) => {
      const mirror = await this.getMirror();
      return mirror.pin(track, typeof target === 'string' ? await this.targetOf(target, signal) : target, { signal });
    });
  }

  /** Forgets what the mirror stored for a track (its automatic match, or its pin). */
  forgetMirror(track: Track): Promise<void> {
    return this.lifecycle.run(undefined, async () => (await this.getMirror()).forget(track));
  }

  /**
   * Opens a track as Opus packets, starting at or before `startMs` (on the WebM Cues index where
   * there is one). This is the opener the node's players use; call it directly to take packets
   * without a player.
   */
  openTrack(track: Track, options: TrackOpenOptions): Promise<MediaTrack> {
    return this.lifecycle.run(options.signal, async (signal) => {
      const { MediaTrack } = await loadOpener();
      return MediaTrack.open(await this.openMediaWith(track, signal), options);
    });
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
   * player.connect(connection); // a @discordjs/voice VoiceConnection (docs/voice.md)
   * await player.play(track);
   * ```
   */
  createPlayer(options: CreatePlayerOptions = {}): Player {
    this.lifecycle.assertOpen();
    const hooks = this.playerHooks;
    const own = options.onDestroy;
    const player = new Player({
      ...options,
      scheduler: this.scheduler,
      openTrack: hooks.openTrack,
      transcode: options.transcode === undefined ? { pool: hooks.pool } : { pool: hooks.pool, ...options.transcode },
      onDestroy:
        own === undefined
          ? hooks.onDestroy
          : (destroyed) => {
              hooks.onDestroy(destroyed);
              own(destroyed);
            },
    });
    this.players.add(player);
    return player;
  }

  /**
   * The frame counters of this node's players, summed and cumulative (players destroyed since
   * included): frames sent to connected outputs, frame slots nulled (nothing ready while playing)
   * and deficit (the output not ready); see {@link Player.frameStats}. For metrics (counters that
   * only grow); a new object at each read.
   */
  get frameStats(): PlayerFrameStats {
    const sums = { ...this.retiredFrames };
    for (const player of this.players) addFrames(sums, player.frameStats);
    return sums;
  }

  /**
   * Creates a player from a {@link Player.snapshot}, positioned so that its next packet is exactly the
   * one that would have followed when the snapshot was taken.
   *
   * @throws {SpenceError} `INVALID_TRACK` when the snapshot's track does not decode, `INVALID_ARGUMENT` for a bad snapshot.
   */
  async restorePlayer(snapshot: PlayerSnapshot, options: CreatePlayerOptions & LoadOptions = {}): Promise<Player> {
    this.lifecycle.assertOpen();
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

  /**
   * Listens to a @discordjs/voice `VoiceConnection` (or any {@link VoiceReceiveSource}): every
   * speaker on one timeline, on this node's clock, into the sinks in `options` (decoding, when a
   * sink wants PCM, on this node's worker pool). The node stops its listeners when it closes.
   *
   * @example
   * ```ts
   * const listener = node.listen(connection, { sinks: [oggFiles(dir), mixWav(`${dir}/mix.wav`)] });
   * // ...
   * await listener.stop();
   * ```
   */
  listen(connection: DiscordJsReceivingConnection | VoiceReceiveSource, options: ListenOptions = {}): VoiceListener {
    this.lifecycle.assertOpen();
    const listener = listen(connection, options, {
      clock: this.clock,
      pool: this.playerHooks.pool,
    });
    this.voiceListeners.add(listener);
    listener.once('end', () => this.voiceListeners.delete(listener));
    return listener;
  }

  /** Drops every cached resolution. */
  clearCache(): void {
    this.cache.clear();
  }

  /** True once {@link close} or {@link destroy} has been called: the node takes no new calls. */
  get closed(): boolean {
    return this.lifecycle.closed;
  }

  /** True once {@link destroy} has been called. */
  get destroyed(): boolean {
    return this.lifecycle.destroyed;
  }

  /**
   * Closes the node gracefully. New calls are refused at once (`INVALID_STATE`); running ones
   * (resolves, opens, players' loads) finish, or are aborted after `closeTimeoutMs`; then the
   * players are destroyed, the transcoding pool and the providers released, and the HTTP agent
   * closed (its requests given `closeTimeoutMs` to finish). Idempotent.
   */
  close(): Promise<void> {
    return this.lifecycle.close();
  }

  /** Destroys the node now: running calls reject with `ABORTED`, requests are cut, everything released. Idempotent. */
  destroy(): Promise<void> {
    return this.lifecycle.destroy();
  }

  // ---------------------------------------------------------------- inside a call

  private async resolveWith(input: string, signal: AbortSignal): Promise<LoadResult> {
    this.agent();
    return this.resolver.resolve(input, { signal });
  }

  private async openMediaWith(track: Track, signal: AbortSignal): Promise<TrackMedia> {
    throwIfAborted(signal, 'open');
    const provider = this.registry.get(track.source);
    if (!provider) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `No provider named "${track.source}" is registered to open this track`);
    }
    if (provider.metadataOnly) return this.openMirrored(track, signal);
    if (!provider.open) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Provider "${provider.name}" cannot open tracks`);
    }
    this.agent();
    return provider.open(track, this.context(signal));
  }

  /** The mirror, made on first use from `mirror.source`, or `mirror.search` over this node's own searches. */
  private getMirror(): Promise<Mirror> {
    this.mirrorer ??= (async () => {
      const { source, search, ...mirrorOptions } = this.mirrorOptions;
      const [{ Mirror }, { candidateSourceFromSearch }] = await Promise.all([
        import('../resolve/mirror/mirror.js'),
        import('../resolve/mirror/candidates.js'),
      ]);
      if (source) return new Mirror({ ...mirrorOptions, source });
      if (search?.songPrefix === undefined || search.videoPrefix === undefined) {
        throw new SpenceError(ErrorCodes.INVALID_STATE, 'This node cannot mirror metadata-only tracks: give it mirror.search (song and video search prefixes of its providers) or mirror.source');
      }
      const prefixes = { ...search, songPrefix: search.songPrefix, videoPrefix: search.videoPrefix };
      // The searches are part of the call that asked for the mirror: not refused while closing.
      return new Mirror({ ...mirrorOptions, source: candidateSourceFromSearch((input, o) => this.resolveWith(input, o.signal), prefixes) });
    })();
    return this.mirrorer;
  }

  /** The mirror target a URL names: the one playable track it resolves to. */
  private async targetOf(input: string, signal: AbortSignal): Promise<MirrorTarget> {
    const result = await this.resolveWith(input, signal);
    const provider = result.type === 'track' ? this.registry.get(result.track.source) : undefined;
    if (result.type !== 'track' || provider === undefined || provider.metadataOnly) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Cannot pin a mirror to ${JSON.stringify(redactText(input).slice(0, 80))}: it is not one playable track`);
    }
    return { source: result.track.source, identifier: result.track.identifier };
  }

  /**
   * Opens a metadata-only track through its mirror, trying the next candidates when one is
   * unplayable. A target is opened by its provider as that provider's track (its `source` and
   * `identifier`) described by the metadata-only track.
   */
  private async openMirrored(track: Track, signal: AbortSignal): Promise<TrackMedia> {
    const match = await (await this.getMirror()).mirror(track, { signal });
    let lastError: unknown;
    for (const target of [match.target, ...match.alternates.slice(0, 2)]) {
      try {
        if (this.registry.get(target.source)?.metadataOnly) {
          throw new SpenceError(ErrorCodes.NO_MATCH, `The mirror of "${track.title}" names a metadata-only track (${target.source}:${redactText(target.identifier)})`);
        }
        const { encoded: _encoded, ...info } = track;
        return await this.openMediaWith(createTrack({ ...info, source: target.source, identifier: target.identifier, isStream: false, isSeekable: true }), signal);
      } catch (error) {
        lastError = error;
        if (!(error instanceof SpenceError) || (error.code !== 'UNAVAILABLE' && error.code !== 'NOT_FOUND')) throw error;
      }
    }
    throw lastError;
  }

  /** Makes the HTTP agent if no call has yet (undici loads then): every path to {@link context} calls this first. */
  private agent(): void {
    this.dispatcher ??= createMediaAgent(this.httpOptions);
  }

  private context(signal: AbortSignal): ProviderContext {
    return { signal, urlGuard: this.urlGuard, dispatcher: this.dispatcher!, http: this.http, createTrack };
  }

  // ---------------------------------------------------------------- release

  /**
   * Releases what the node holds, once (the lifecycle calls it when running calls are done, or at
   * once on destroy): players, the scheduler's timer, voice listeners (stopped: their files
   * complete), the transcoding pool, the providers (each
   * `destroy()`d once), then the HTTP agent: closed (its requests get `closeTimeoutMs`) or destroyed.
   */
  private async release(graceful: boolean, closeTimeoutMs: number): Promise<void> {
    for (const player of [...this.players]) player.destroy();
    this.players.clear();
    this.schedulerInstance?.destroy();
    // Listeners finish their files (their decoding runs on the pool).
    await Promise.allSettled([...this.voiceListeners].map((listener) => listener.stop()));
    await this.pool?.close();
    await Promise.allSettled(this.registry.list().map(async (p) => p.destroy?.()));
    const dispatcher = this.dispatcher;
    if (dispatcher === null) return;
    if (!graceful || this.lifecycle.destroyed) {
      await dispatcher.destroy();
      return;
    }
    let timer: { cancel(): void } | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = this.clock.setTimer(this.clock.now() + closeTimeoutMs, () => resolve('late'));
    });
    const outcome = await Promise.race([dispatcher.close().then(() => 'closed' as const), late]);
    timer?.cancel();
    if (outcome === 'late') await dispatcher.destroy();
  }
}

/** Adds `from`'s frame counters to `into`'s. */
function addFrames(into: PlayerFrameStats, from: Readonly<PlayerFrameStats>): void {
  into.sent += from.sent;
  into.nulled += from.nulled;
  into.deficit += from.deficit;
}
