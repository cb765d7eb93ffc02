/**
 * The InnerTube client: one youtubei.js session per provider, created on first use (never at
 * start-up), that sends its requests through a late-bound `fetch` so tests can intercept them.
 *
 * youtubei.js takes no `AbortSignal`, so the caller's signal reaches `fetch` through an
 * `AsyncLocalStorage` scope opened around every call ({@link YoutubeClient.run}).
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Innertube } from 'youtubei.js';
import { ErrorCodes, SpenceError, abortError, isSpenceError, parseRetryAfter, redactText } from '../../src/provider-kit.js';

/** Options of the InnerTube session. */
export interface YoutubeClientOptions {
  /** Interface language (`hl`). Default `en`. */
  lang?: string;
  /** Country (`gl`), which decides region restrictions. Default `US`. */
  location?: string;
  /** Time allowed for one InnerTube request, in ms. Default 10 000: a resolve fails fast offline. */
  requestTimeoutMs?: number;
  /** YouTube cookies for a signed-in session (age-restricted videos). Never logged. */
  cookie?: string;
}

interface Scope {
  signal: AbortSignal;
  /** Sees the raw JSON of every successful answer in the scope, before youtubei.js parses it. */
  onAnswer?: ((body: unknown) => void) | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The session and the scoped runner every InnerTube call goes through. */
export interface YoutubeClient {
  /** The session, created on first call. */
  innertube(): Promise<Innertube>;
  /**
   * Runs `fn` with `signal` bound to every request it makes; errors become `SpenceError`s
   * (`what` names the operation in messages). `onAnswer` sees the raw JSON of each successful
   * answer, for the fields youtubei.js's parser drops (a playlist entry's badges).
   */
  run<T>(signal: AbortSignal, what: string, fn: (innertube: Innertube) => Promise<T>, onAnswer?: (body: unknown) => void): Promise<T>;
}

/** Creates the client. Nothing is requested until the first {@link YoutubeClient.run}. */
export function createYoutubeClient(options: YoutubeClientOptions = {}): YoutubeClient {
  const scopes = new AsyncLocalStorage<Scope>();
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  let session: Promise<Innertube> | undefined;

  // Evaluated at request time, so a test's nock (which patches globalThis.fetch) sees every request.
  const lateBoundFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const scope = scopes.getStore();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signals = [timeout];
    if (scope) signals.push(scope.signal);
    if (init?.signal) signals.push(init.signal);
    const signal = AbortSignal.any(signals);
    const host = hostOf(input);
    let response: Response;
    try {
      response = await globalThis.fetch(input, { ...init, signal });
    } catch (error) {
      if (scope?.signal.aborted) throw abortError(scope.signal, 'YouTube request');
      if (timeout.aborted) {
        throw new SpenceError(ErrorCodes.NETWORK, `YouTube (${host}) did not answer within ${timeoutMs} ms`, { cause: error, source: 'youtube' });
      }
      throw new SpenceError(ErrorCodes.NETWORK, `Could not reach YouTube (${host}): ${describeNetworkError(error)}`, { cause: error, source: 'youtube' });
    }
    if (response.status === 429) {
      // The kit's one reading of Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      await response.body?.cancel();
      throw new SpenceError(ErrorCodes.RATE_LIMITED, `YouTube is rate limiting requests (HTTP 429 from ${host})`, {
        source: 'youtube',
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (scope?.onAnswer && response.ok) return tapJson(response, scope.onAnswer);
    return response;
  };

  const innertube = (): Promise<Innertube> => {
    // Everything that would cost a request at creation is off: the session data is generated
    // locally, and the player JS (only needed to decipher signatures) is never fetched.
    // youtubei.js is loaded here, on the first request: importing it costs a few hundred ms.
    session ??= import('youtubei.js').then(({ Innertube }) => Innertube.create({
      fetch: lateBoundFetch as typeof fetch,
      generate_session_locally: true,
      retrieve_player: false,
      retrieve_innertube_config: false,
      enable_session_cache: false,
      lang: options.lang ?? 'en',
      location: options.location ?? 'US',
      ...(options.cookie !== undefined ? { cookie: options.cookie } : {}),
    })).catch((error: unknown) => {
      session = undefined; // a failed creation is retried on the next call
      throw error;
    });
    return session;
  };

  return {
    innertube,
    async run<T>(signal: AbortSignal, what: string, fn: (innertube: Innertube) => Promise<T>, onAnswer?: (body: unknown) => void): Promise<T> {
      if (signal.aborted) throw abortError(signal, what);
      try {
        return await scopes.run({ signal, onAnswer }, async () => fn(await innertube()));
      } catch (error) {
        if (isSpenceError(error)) throw error;
        if (signal.aborted) throw abortError(signal, what);
        // youtubei.js names the URL it requested ("Request to https://... failed"): redacted.
        const message = redactText(error instanceof Error ? error.message : String(error));
        throw new SpenceError(ErrorCodes.UPSTREAM, `YouTube answered unexpectedly to ${what}: ${message}`, { cause: error, source: 'youtube' });
      }
    },
  };
}

/** Shows a JSON answer's body to `see`, and hands youtubei.js the same bytes. */
async function tapJson(response: Response, see: (body: unknown) => void): Promise<Response> {
  const text = await response.text();
  const copy = new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return copy; // not JSON: youtubei.js reports it as it would have
  }
  see(body);
  return copy;
}

function hostOf(input: RequestInfo | URL): string {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host;
  } catch {
    return 'unknown host';
  }
}

/** `fetch failed` says nothing; the cause's code (ECONNREFUSED, ENOTFOUND...) says what happened. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  // A transport's words (nock's, a proxy's) may name the URL requested.
  const message = redactText(cause?.message ?? (error instanceof Error ? error.message : String(error)));
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the name did not resolve (${code}); is the network up?`;
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}
