/**
 * The `soundcloud` provider: track and playlist pages (`soundcloud.com`, `m.soundcloud.com`),
 * `on.soundcloud.com` short links, `api.soundcloud.com` / `api-v2.soundcloud.com` URLs and
 * `scsearch:` searches, resolved through a small api-v2 client; tracks play from their Opus HLS
 * stream, whose segments concatenate to an Ogg Opus file the node demuxes without re-encoding.
 * Like every provider, it imports only the provider kit (`spence/provider`).
 *
 * @module spence/providers/soundcloud
 */

import { ErrorCodes, SpenceError, redact, redactText } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';
import type { ApiSettings } from './api.js';
import type { ScCollection, ScPlaylist, ScTrack } from './tracks.js';
import { describePage, parseSoundcloudUrl, parseTrackIdentifier } from './urls.js';
import type { SoundcloudTarget } from './urls.js';

export { FORMAT_ORDER, chooseTranscoding, formatKind, rankTranscodings } from './formats.js';
export type { Choice, FormatKind } from './formats.js';
export { parseSoundcloudUrl } from './urls.js';
export type { SoundcloudTarget } from './urls.js';
export type { ScTrack, ScTranscoding } from './tracks.js';

/** Options for {@link soundcloudProvider}. */
export interface SoundcloudProviderOptions {
  /**
   * The api-v2 `client_id`. Default `process.env.SOUNDCLOUD_CLIENT_ID`; without either, the one
   * soundcloud.com's web app uses is discovered from its page (and discovered again when the API
   * refuses it). Never logged.
   */
  clientId?: string;
  /** Results per `scsearch:` search. Default 20 (api-v2 answers at most 200). */
  searchLimit?: number;
  /** Upper bound on a playlist's tracks. Default 10 000. */
  maxPlaylistTracks?: number;
  /**
   * A `429` whose `Retry-After` is at most this long (ms) is waited out once and the request
   * retried; a longer one fails with `RATE_LIMITED` and `retryAfterMs`. Default 2 000; 0 never waits.
   */
  maxRetryWaitMs?: number;
  /** Resolution cache TTL for this provider, in ms. Default: the node's. */
  cacheTtlMs?: number;
  /** The api-v2 base URL. Default `https://api-v2.soundcloud.com`. */
  apiBase?: string;
  /** The page the client id is discovered from. Default `https://soundcloud.com/`. */
  pageUrl?: string;
  /** First backoff (ms) of the segment fetcher's retries. Default: `createHttpMedia`'s (250). */
  segmentBackoffMs?: number;
}

/** The api-v2 kinds of `/resolve` answers. */
type Resolved = (ScTrack & { kind: 'track' }) | (ScPlaylist & { kind: 'playlist' }) | { kind: string; id?: number };

/**
 * The modules behind requests (the api-v2 client, client id discovery, short links, playlists,
 * streams, track mapping), loaded together on the first resolve, search or open: a node that
 * never asks SoundCloud never compiles them, and importing spence stays cheap.
 */
async function loadRequestModules() {
  const [api, clientId, links, playlist, stream, tracks] = await Promise.all([
    import('./api.js'), import('./client-id.js'), import('./links.js'), import('./playlist.js'), import('./stream.js'), import('./tracks.js'),
  ]);
  return { ...api, ...clientId, ...links, ...playlist, ...stream, ...tracks };
}

type RequestModules = Awaited<ReturnType<typeof loadRequestModules>>;

/** Creates the `soundcloud` provider. No request is made until the first resolve, search or open. */
export function soundcloudProvider(options: SoundcloudProviderOptions = {}): Provider {
  const apiBase = (options.apiBase ?? 'https://api-v2.soundcloud.com').replace(/\/+$/, '');
  const clientId = options.clientId ?? process.env.SOUNDCLOUD_CLIENT_ID;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 2_000;
  const searchLimit = Math.min(200, Math.max(1, options.searchLimit ?? 20));
  const maxPlaylistTracks = options.maxPlaylistTracks ?? 10_000;
  // The request modules and this provider's api settings (its client ids), on first use.
  let loaded: Promise<{ parts: RequestModules; settings: ApiSettings }> | undefined;
  const loadParts = () => (loaded ??= loadRequestModules().then((parts) => ({
    parts,
    settings: { apiBase, clientIds: new parts.ClientIds(clientId, options.pageUrl ?? parts.SOUNDCLOUD_PAGE), maxRetryWaitMs },
  })));

  /** A single track: refused at once when it cannot play, as a player would fail on it anyway. */
  function single({ unplayableReason, toTrack }: RequestModules, item: ScTrack, context: ProviderContext): LoadResult {
    const reason = unplayableReason(item);
    if (reason !== null) throw new SpenceError(ErrorCodes.UNAVAILABLE, `SoundCloud track ${item.id} (${item.title ?? ''}) cannot be played: ${reason}`, { source: 'soundcloud' });
    return { type: 'track', track: toTrack(item, context) };
  }

  async function load(target: Exclude<SoundcloudTarget, { kind: 'short' }>, context: ProviderContext): Promise<LoadResult> {
    const { parts, settings } = await loadParts();
    const { fetchTrack, getJson, loadPlaylist, isFullTrack } = parts;
    if (target.kind === 'track') {
      return single(parts, await fetchTrack(settings, target, context), context);
    }
    if (target.kind === 'playlist') {
      const playlist = await getJson<ScPlaylist>(settings, `/playlists/${target.id}`, { secret_token: target.secretToken }, context, `playlist ${target.id}`);
      // A set with nothing playable left (geo-blocked, preview-only, gone) reaches the bot as `empty`: the node's rule.
      return { type: 'playlist', playlist: await loadPlaylist(settings, playlist, context, maxPlaylistTracks) };
    }
    const resolved = await getJson<Resolved>(settings, '/resolve', { url: target.url }, context, `the page ${describePage(target.url)}`);
    if (resolved.kind === 'track' && isFullTrack(resolved as ScTrack)) return single(parts, resolved as ScTrack, context);
    if (resolved.kind === 'playlist') return { type: 'playlist', playlist: await loadPlaylist(settings, resolved as ScPlaylist, context, maxPlaylistTracks) };
    throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${describePage(target.url)} is a SoundCloud ${resolved.kind}, not a track or playlist`, { source: 'soundcloud' });
  }

  return {
    name: 'soundcloud',
    searchPrefixes: ['scsearch'],
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),

    canResolve: (input: ResolveInput) => input.url !== null && parseSoundcloudUrl(input.url) !== null,

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const target = input.url ? parseSoundcloudUrl(input.url) : null;
      if (target === null) throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a SoundCloud track or playlist URL: ${redact(input.raw)}`, { source: 'soundcloud' });
      if (target.kind !== 'short') return load(target, context);
      const { parts: { followShortLink } } = await loadParts();
      return load(await followShortLink(target.url, context), context);
    },

    async search(query: string, context: ProviderContext & { prefix: string }): Promise<LoadResult> {
      if (query.trim() === '') return { type: 'empty' };
      const { parts: { getJson, isFullTrack, unplayableReason, toTrack }, settings } = await loadParts();
      const page = await getJson<ScCollection<ScTrack>>(settings, '/search/tracks', { q: query.trim(), limit: searchLimit, offset: 0 }, context, `a search for "${query.trim()}"`);
      // Geo-blocked and preview-only tracks are left out: a bot cannot play them.
      const tracks = (page.collection ?? [])
        .filter((t) => (t.kind === undefined || t.kind === 'track') && isFullTrack(t) && unplayableReason(t) === null)
        .map((t) => toTrack(t, context));
      return tracks.length === 0 ? { type: 'empty' } : { type: 'search', tracks };
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // An encoded track is user data: the identifier must still be a track ID.
      const ref = parseTrackIdentifier(track.identifier);
      if (ref === null) throw new SpenceError(ErrorCodes.INVALID_TRACK, `Not a SoundCloud track ID: ${redactText(track.identifier.slice(0, 40))}`, { source: 'soundcloud' });
      const { parts: { openSoundcloudMedia }, settings } = await loadParts();
      return openSoundcloudMedia(settings, ref, context, options.segmentBackoffMs !== undefined ? { backoffMs: options.segmentBackoffMs } : {});
    },
  };
}
