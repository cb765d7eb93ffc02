/**
 * Routes an input to a provider, caches results, and shares identical resolves in flight.
 *
 * Routing, in order:
 * 1. `prefix:query` where a provider declares `prefix` (`ytsearch:`, `scsearch:`...) goes to its `search`.
 * 2. Otherwise the first provider whose `canResolve` says yes.
 * 3. Otherwise, input that is not a URL is a search on the default search prefix.
 * 4. Otherwise `UNSUPPORTED_INPUT`.
 *
 * Whatever the provider, nothing to play is `empty`: a playlist or a search without a track is
 * turned into `{ type: 'empty' }` here, so a bot has one case for it.
 *
 * @module
 */

import { raceAbort } from '../abort.js';
import { ErrorCodes, SpenceError, throwIfAborted, toSpenceError } from '../errors.js';
import { hasAuthorityScheme, invalidUrlReason } from '../http/url-syntax.js';
import { redact, redactText } from '../redact.js';
import type { ResolutionCache } from './cache.js';
import type { CallOptions, LoadResult, Provider, ProviderContext, ResolveInput } from './provider.js';
import type { ProviderRegistry } from './registry.js';

/** A planned call: which provider, how, and under which cache key. */
interface Route {
  provider: Provider;
  key: string;
  run(context: ProviderContext): Promise<LoadResult>;
}

/** One upstream resolve shared by every identical caller. */
interface InFlight {
  promise: Promise<LoadResult>;
  controller: AbortController;
  waiters: number;
}

/** Options for {@link Resolver}. */
export interface ResolverOptions {
  /** Search prefix used for plain-text input. Default: the first search prefix of the registered providers. */
  defaultSearchPrefix?: string;
}

/** Schemes that are addresses of something, never plain-text searches. */
const ADDRESS_SCHEMES = new Set(['http:', 'https:', 'file:']);

/**
 * Parses the raw input into a {@link ResolveInput}. Input that starts with `scheme://` (or `http:`,
 * `https:`) is an address, never a search: when it is not a valid URL the parse fails, saying why.
 *
 * @throws {SpenceError} `UNSUPPORTED_INPUT` for a malformed address (a space in it, an unclosed IPv6
 * bracket, a port out of range...), the URL in the message redacted.
 */
export function parseInput(raw: string): ResolveInput {
  const trimmed = raw.trim();
  if (hasAuthorityScheme(trimmed) || /^https?:/i.test(trimmed)) {
    // The WHATWG parser would quietly percent-encode a space in the path; a URL with one was not
    // copied whole, so it is refused like any other malformed address.
    const url = /\s/.test(trimmed) ? null : URL.parse(trimmed);
    if (url === null) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a valid URL: ${redact(trimmed)}: ${invalidUrlReason(trimmed)}`);
    }
    return { raw: trimmed, url };
  }
  const url = /^[a-z][a-z0-9+.-]*:\S/i.test(trimmed) && !/\s/.test(trimmed) ? URL.parse(trimmed) : null;
  return { raw: trimmed, url };
}

export class Resolver {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly cache: ResolutionCache,
    private readonly makeContext: (signal: AbortSignal) => ProviderContext,
    private readonly options: ResolverOptions,
  ) {}

  /** Resolves `raw` to a {@link LoadResult}. */
  async resolve(raw: string, options: CallOptions = {}): Promise<LoadResult> {
    const { signal } = options;
    throwIfAborted(signal, 'resolve');
    if (typeof raw !== 'string' || raw.trim() === '') {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, 'Nothing to resolve: the input is empty');
    }
    const route = this.route(parseInput(raw));
    const cached = this.cache.get(route.key);
    if (cached !== undefined) return copyResult(cached);

    let flight = this.inFlight.get(route.key);
    if (flight === undefined) flight = this.start(route);
    flight.waiters++;
    try {
      return copyResult(await raceAbort(flight.promise, signal, 'resolve'));
    } finally {
      flight.waiters--;
      // When every caller has given up, stop the upstream work too.
      if (flight.waiters === 0 && signal?.aborted && this.inFlight.get(route.key) === flight) {
        this.inFlight.delete(route.key);
        flight.controller.abort(signal.reason);
      }
    }
  }

  private start(route: Route): InFlight {
    const controller = new AbortController();
    const ttl = route.provider.cacheTtlMs ?? this.cache.defaultTtlMs;
    const flight: InFlight = { controller, waiters: 0, promise: Promise.resolve({ type: 'empty' }) };
    flight.promise = (async () => {
      try {
        const answer = await route.run(this.makeContext(controller.signal));
        validateResult(answer, route.provider);
        const result: LoadResult = nothingToPlay(answer) ? { type: 'empty' } : answer;
        if (!controller.signal.aborted) this.cache.set(route.key, result, ttl);
        return result;
      } catch (error) {
        throw toSpenceError(error, ErrorCodes.UPSTREAM, `Provider ${route.provider.name} failed: ${redactText(String((error as Error)?.message ?? error))}`, controller.signal);
      } finally {
        if (this.inFlight.get(route.key) === flight) this.inFlight.delete(route.key);
      }
    })();
    // Callers that abort stop listening; keep a rejection nobody awaits any more from being "unhandled".
    flight.promise.catch(() => {});
    this.inFlight.set(route.key, flight);
    return flight;
  }

  private route(input: ResolveInput): Route {
    const prefixed = /^([a-z][a-z0-9]*):(.*)$/is.exec(input.raw);
    if (prefixed) {
      const provider = this.registry.forPrefix(prefixed[1]!);
      if (provider) return this.searchRoute(provider, prefixed[1]!.toLowerCase(), prefixed[2]!.trim());
    }
    const provider = this.registry.forInput(input);
    if (provider) {
      return {
        provider,
        key: `${provider.name}\u0000${input.raw}`,
        run: (context) => provider.resolve(input, context),
      };
    }
    // An address (`scheme://...`, `file:`) nobody claims is an error, not a search for the URL's text.
    if (input.url !== null && (ADDRESS_SCHEMES.has(input.url.protocol) || hasAuthorityScheme(input.raw))) {
      throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `No provider handles ${redact(input.url)}`);
    }
    const prefix = this.options.defaultSearchPrefix ?? this.registry.firstSearchPrefix();
    const search = prefix === undefined ? undefined : this.registry.forPrefix(prefix);
    if (!search) {
      throw new SpenceError(
        ErrorCodes.UNSUPPORTED_INPUT,
        `No provider recognises "${truncate(redactText(input.raw))}", and there is no search provider for plain text (${prefix === undefined ? 'no provider searches' : `default prefix "${prefix}:"`})`,
      );
    }
    return this.searchRoute(search, prefix!.toLowerCase(), input.raw);
  }

  private searchRoute(provider: Provider, prefix: string, query: string): Route {
    if (query === '') throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `The ${prefix}: search is empty`);
    return {
      provider,
      key: `${prefix}:\u0000${query}`,
      run: (context) => provider.search!(query, { ...context, prefix }),
    };
  }
}


/** Shallow copies of the arrays, so a caller that shuffles its result does not reorder the cache. */
function copyResult(result: LoadResult): LoadResult {
  switch (result.type) {
    case 'search':
      return { type: 'search', tracks: [...result.tracks] };
    case 'playlist':
      return { type: 'playlist', playlist: { ...result.playlist, tracks: [...result.playlist.tracks] } };
    default:
      return result;
  }
}

/** A playlist or search with no track: the `LoadResult` rule makes it `empty`. */
function nothingToPlay(result: LoadResult): boolean {
  return (result.type === 'playlist' && result.playlist.tracks.length === 0) || (result.type === 'search' && result.tracks.length === 0);
}

function validateResult(result: LoadResult, provider: Provider): void {
  const ok =
    result !== null &&
    typeof result === 'object' &&
    (result.type === 'empty' ||
      (result.type === 'track' && typeof result.track?.encoded === 'string') ||
      (result.type === 'search' && Array.isArray(result.tracks)) ||
      (result.type === 'playlist' && Array.isArray(result.playlist?.tracks)));
  if (!ok) {
    throw new SpenceError(ErrorCodes.UPSTREAM, `Provider ${provider.name} returned an invalid LoadResult`);
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
