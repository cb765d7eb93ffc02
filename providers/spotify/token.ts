/**
 * The app's access token (client credentials grant, through spotify-web-api-node): fetched on
 * first use, refreshed a minute before it expires, one request shared by every concurrent caller.
 * The client secret never appears in a message, a log or an error's `cause`.
 *
 * @module
 */

import type SpotifyWebApi from 'spotify-web-api-node';
import { ErrorCodes, SpenceError, parseRetryAfter, raceAbort } from '../../src/provider-kit.js';

/** Refresh this long before expiry, so a request never leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 60_000;
/** The grant cannot be aborted (superagent underneath); stop waiting for it after this long. */
const GRANT_TIMEOUT_MS = 15_000;

interface Token {
  value: string;
  expiresAt: number;
}

/** Supplies access tokens for the Web API. */
export class SpotifyTokens {
  private token: Token | null = null;
  private pending: Promise<Token> | null = null;
  private api: SpotifyWebApi | null = null;

  constructor(
    private readonly clientId: string | undefined,
    private readonly clientSecret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid token, fetched or refreshed when needed. */
  async get(signal: AbortSignal): Promise<string> {
    if (this.token && this.token.expiresAt - REFRESH_MARGIN_MS > this.now()) return this.token.value;
    this.pending ??= this.grant().finally(() => {
      this.pending = null;
    });
    const token = await raceAbort(this.pending, signal, 'Spotify token request');
    return token.value;
  }

  /** Drops `value` after the API refused it (revoked early), so the next call fetches a new one. */
  invalidate(value: string): void {
    if (this.token?.value === value) this.token = null;
  }

  private async grant(): Promise<Token> {
    const { clientId, clientSecret } = this;
    if (!clientId || !clientSecret) {
      throw new SpenceError(
        ErrorCodes.INVALID_STATE,
        'Spotify needs app credentials: pass spotify: { clientId, clientSecret } or set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET',
        { source: 'spotify' },
      );
    }
    // spotify-web-api-node (and superagent under it) loads on the first grant, not at import.
    const api = (this.api ??= new (await import('spotify-web-api-node')).default({ clientId, clientSecret }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SpenceError(ErrorCodes.NETWORK, 'Spotify\'s token endpoint did not answer in time', { source: 'spotify' })), GRANT_TIMEOUT_MS);
      timer.unref();
    });
    try {
      const started = this.now();
      const response = await Promise.race([api.clientCredentialsGrant(), timeout]);
      const { access_token: value, expires_in: expiresIn } = response.body;
      if (typeof value !== 'string' || value === '') throw new SpenceError(ErrorCodes.UPSTREAM, 'Spotify\'s token endpoint answered without a token', { source: 'spotify' });
      this.token = { value, expiresAt: started + (Number(expiresIn) || 3600) * 1000 };
      return this.token;
    } catch (error) {
      throw grantError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A clean error for a failed grant. The library's errors are not passed on as `cause`: a
 * superagent error can hold the request, whose Authorization header encodes the secret.
 */
function grantError(error: unknown): SpenceError {
  if (error instanceof SpenceError) return error;
  const e = error as { statusCode?: number; headers?: Record<string, string>; body?: { error?: unknown; error_description?: unknown } } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    return new SpenceError(ErrorCodes.NETWORK, `Could not reach Spotify's token endpoint${code ? ` (${code})` : ''}`, { source: 'spotify' });
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(e?.headers?.['retry-after']);
    return new SpenceError(ErrorCodes.RATE_LIMITED, 'Spotify is rate limiting token requests', { source: 'spotify', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  const reason = [e?.body?.error, e?.body?.error_description].filter((x) => typeof x === 'string').join(': ');
  if (status === 400 || status === 401) {
    return new SpenceError(ErrorCodes.UPSTREAM, `Spotify refused the app's client credentials (HTTP ${status}${reason ? `: ${reason}` : ''}); check the client id and secret`, { source: 'spotify' });
  }
  return new SpenceError(ErrorCodes.UPSTREAM, `Spotify's token endpoint answered HTTP ${status}${reason ? ` (${reason})` : ''}`, { source: 'spotify' });
}

