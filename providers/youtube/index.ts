/**
 * The `youtube` provider: YouTube and YouTube Music URLs, `ytsearch:` and `ytmsearch:` searches,
 * playlists of any length, and WebM Opus audio through a chain of InnerTube clients that need no
 * signature evaluator. Like every provider, it imports only the provider kit (`spence/provider`).
 *
 * @module spence/providers/youtube
 */

import { createRequire } from 'node:module';
import type * as YoutubeiJs from 'youtubei.js';
import { ErrorCodes, SpenceError, createHttpMedia, isSpenceError, redact, redactText } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';
import type { YoutubeClient, YoutubeClientOptions } from './client.js';
import type { Decipher, PlayerChainOptions, PlayerResponse } from './player.js';
import { isUnloadableList, isVideoId, parseYoutubeUrl, playlistUrl } from './urls.js';

export type { Decipher, YoutubeFormat } from './player.js';
export { parseYoutubeUrl } from './urls.js';
export type { YoutubeTarget } from './urls.js';

/** Options for {@link youtubeProvider}. */
export interface YoutubeProviderOptions extends YoutubeClientOptions {
  /**
   * InnerTube clients asked for formats, in order (youtubei.js names: `VISIONOS`, `ANDROID_VR`,
   * `IOS`, `ANDROID`, `TV`, `WEB`...). A client is skipped when it refuses the video or gives no
   * usable WebM Opus format. Default {@link DEFAULT_CLIENTS}: clients whose URLs are plain.
   */
  clients?: readonly string[];
  /** Format itags in order of preference. Default `[251, 250, 249]` (WebM Opus, best first). */
  itags?: readonly number[];
  /**
   * A signature evaluator for ciphered formats (clients like `WEB`). Off by default: the default
   * clients give plain URLs. Without it, ciphered formats are skipped.
   */
  decipher?: Decipher;
  /** The `signatureTimestamp` of the player JS your `decipher` uses, sent with `/player` requests. */
  signatureTimestamp?: number;
  /** Results per search. Default 20. */
  searchLimit?: number;
  /** Upper bound on a playlist's tracks (pages of 100 are loaded up to it). Default 10 000. */
  maxPlaylistTracks?: number;
  /** Resolution cache TTL for this provider, in ms. Default: the node's. */
  cacheTtlMs?: number;
}

/** The default client chain: clients whose formats carry plain URLs, so no signature evaluator is needed. */
export const DEFAULT_CLIENTS: readonly string[] = ['VISIONOS', 'ANDROID_VR', 'IOS'];

/** WebM Opus, best first: 251 (~160 kb/s), 250 (~70 kb/s), 249 (~50 kb/s). */
export const DEFAULT_ITAGS: readonly number[] = [251, 250, 249];

/**
 * The modules behind requests (the InnerTube client, the player chain, playlists, search, track
 * mapping), loaded together on the first resolve, search or open: a node that never asks YouTube
 * never compiles them, and importing spence stays cheap.
 */
async function loadRequestModules() {
  const [client, player, playlist, search, tracks] = await Promise.all([
    import('./client.js'), import('./player.js'), import('./playlist.js'), import('./search.js'), import('./tracks.js'),
  ]);
  return { ...client, ...player, ...playlist, ...search, ...tracks };
}

/** How long a `/player` answer fetched at resolve time may serve the open that follows. */
const PLAYER_REUSE_MS = 5 * 60_000;
const PLAYER_REUSE_MAX = 64;

/** Failures that say nothing about the playlist itself: no fallback to the single video. */
const TRANSIENT = new Set<string>([ErrorCodes.ABORTED, ErrorCodes.NETWORK, ErrorCodes.RATE_LIMITED]);

/** youtubei.js reports a missing or private playlist as an error carrying YouTube's alert text. */
function playlistError(listId: string, error: unknown): SpenceError {
  const message = redactText(error instanceof Error ? error.message : String(error));
  if (/does not exist|doesn't exist|private|unavailable|not found|unviewable/i.test(message)) {
    return new SpenceError(ErrorCodes.NOT_FOUND, `YouTube playlist ${listId} could not be loaded: ${message}`, { cause: error, source: 'youtube' });
  }
  return isSpenceError(error) ? error : new SpenceError(ErrorCodes.UPSTREAM, `YouTube playlist ${listId} could not be loaded: ${message}`, { cause: error, source: 'youtube' });
}

/**
 * Refuses client names youtubei.js does not know, when the options name clients. youtubei.js costs
 * a few hundred ms to load, so it is loaded here (synchronously: options are checked when given)
 * only then; the default chain is spence's own and needs no check, and the library then loads
 * with the first request.
 */
function checkClients(clients: readonly string[] | undefined): void {
  if (clients === undefined || clients.length === 0) return;
  const { Constants } = createRequire(import.meta.url)('youtubei.js') as typeof YoutubeiJs;
  const unknown = clients.filter((name) => !(Constants.SUPPORTED_CLIENTS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Unknown YouTube client ${unknown.join(', ')}; known: ${Constants.SUPPORTED_CLIENTS.join(', ')}`, { source: 'youtube' });
  }
}

/**
 * Creates the `youtube` provider. No request is made, and youtubei.js is not loaded (unless
 * `clients` names some, to check them), until the first resolve, search or open.
 */
export function youtubeProvider(options: YoutubeProviderOptions = {}): Provider {
  checkClients(options.clients);
  // The request modules and this provider's InnerTube client, on first use.
  let loaded: Promise<{ parts: Awaited<ReturnType<typeof loadRequestModules>>; client: YoutubeClient }> | undefined;
  const load = () => (loaded ??= loadRequestModules().then((parts) => ({ parts, client: parts.createYoutubeClient(options) })));
  const chain: PlayerChainOptions = {
    clients: options.clients && options.clients.length > 0 ? options.clients : DEFAULT_CLIENTS,
    itags: options.itags && options.itags.length > 0 ? options.itags : DEFAULT_ITAGS,
    ...(options.decipher ? { decipher: options.decipher } : {}),
    ...(options.signatureTimestamp !== undefined ? { signatureTimestamp: options.signatureTimestamp } : {}),
  };
  const searchLimit = options.searchLimit ?? 20;
  const maxPlaylistTracks = options.maxPlaylistTracks ?? 10_000;
  // A bot usually plays what it just resolved: the resolve's player answer saves the open a request.
  const recent = new Map<string, { client: string; response: PlayerResponse; until: number }>();

  const remember = (videoId: string, clientName: string, response: PlayerResponse) => {
    recent.delete(videoId);
    if (recent.size >= PLAYER_REUSE_MAX) recent.delete(recent.keys().next().value!);
    recent.set(videoId, { client: clientName, response, until: Date.now() + PLAYER_REUSE_MS });
  };
  const takeRecent = (videoId: string) => {
    const entry = recent.get(videoId);
    recent.delete(videoId);
    return entry && entry.until > Date.now() ? { client: entry.client, response: entry.response } : undefined;
  };

  async function resolveVideo(videoId: string, context: ProviderContext): Promise<Track> {
    const { parts: { requestPlayer, answerError, isLiveNow, videoTrack }, client } = await load();
    let firstError: SpenceError | undefined;
    for (const clientName of chain.clients) {
      const response = await requestPlayer(client, clientName, videoId, context.signal, chain.signatureTimestamp);
      const error = answerError(response, videoId);
      if (error) {
        if (error.code === ErrorCodes.NOT_FOUND) throw error;
        firstError ??= error; // another client may be allowed to play it
        continue;
      }
      const details = response.videoDetails ?? {};
      remember(videoId, clientName, response);
      return videoTrack(context, {
        videoId,
        title: details.title ?? '',
        author: details.author ?? '',
        durationSeconds: details.lengthSeconds !== undefined ? Number(details.lengthSeconds) : null,
        isLive: isLiveNow(response),
        thumbnails: details.thumbnail?.thumbnails,
      });
    }
    throw firstError ?? new SpenceError(ErrorCodes.UNAVAILABLE, `YouTube video ${videoId} is unavailable`, { source: 'youtube' });
  }

  return {
    name: 'youtube',
    searchPrefixes: ['ytsearch', 'ytmsearch'],
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),

    canResolve: (input: ResolveInput) => input.url !== null && parseYoutubeUrl(input.url) !== null,

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const target = input.url ? parseYoutubeUrl(input.url) : null;
      if (!target) throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a YouTube video or playlist URL: ${redact(input.raw)}`, { source: 'youtube' });
      const { videoId, listId } = target;
      if (listId !== undefined && !(videoId !== undefined && isUnloadableList(listId))) {
        const { parts: { loadPlaylist }, client } = await load();
        try {
          const playlist = await loadPlaylist(client, listId, context, maxPlaylistTracks);
          // A list with nothing playable reaches the bot as `empty` (the node's rule), unless the
          // URL also names a video: that one plays instead.
          if (playlist.tracks.length > 0 || videoId === undefined) {
            const index = videoId === undefined ? -1 : playlist.tracks.findIndex((track) => track.identifier === videoId);
            return {
              type: 'playlist',
              playlist: { name: playlist.name, uri: playlistUrl(listId), tracks: playlist.tracks, ...(index >= 0 ? { selectedIndex: index } : {}) },
            };
          }
        } catch (error) {
          if (isSpenceError(error) && TRANSIENT.has(error.code)) throw error;
          if (videoId === undefined) throw playlistError(listId, error);
          // The list cannot be loaded (private, deleted): the video the URL also names still plays.
        }
      }
      return { type: 'track', track: await resolveVideo(videoId!, context) };
    },

    async search(query: string, context: ProviderContext & { prefix: string }): Promise<LoadResult> {
      if (query.trim() === '') return { type: 'empty' };
      const { parts: { searchSongs, searchVideos }, client } = await load();
      return context.prefix === 'ytmsearch'
        ? searchSongs(client, query, context, searchLimit)
        : searchVideos(client, query, context, searchLimit);
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // An encoded track is user data: the identifier must still be a video ID.
      if (!isVideoId(track.identifier)) {
        throw new SpenceError(ErrorCodes.INVALID_TRACK, `Not a YouTube video ID: ${redactText(track.identifier.slice(0, 40))}`, { source: 'youtube' });
      }
      if (track.isStream) {
        throw new SpenceError(ErrorCodes.UNAVAILABLE, `YouTube video ${track.identifier} is a live stream; live streams are not supported yet`, { source: 'youtube' });
      }
      const videoId = track.identifier;
      const { parts: { findFormat }, client } = await load();
      const chosen = await findFormat(client, chain, videoId, context.signal, undefined, takeRecent(videoId));
      await context.urlGuard.check(chosen.url, { signal: context.signal });
      return createHttpMedia(chosen.url, {
        dispatcher: context.dispatcher,
        http: context.http,
        container: 'webm',
        ...(chosen.contentLength !== undefined ? { contentLength: chosen.contentLength } : {}),
        // An expired URL (403/410): the same client and itag again, for the same bytes at the same offsets.
        refreshUrl: async ({ signal }) => {
          const fresh = await findFormat(client, chain, videoId, signal, {
            client: chosen.client,
            itag: chosen.itag,
            ...(chosen.contentLength !== undefined ? { contentLength: chosen.contentLength } : {}),
          });
          await context.urlGuard.check(fresh.url, { signal });
          return fresh.url;
        },
      });
    },

    destroy() {
      recent.clear();
    },
  };
}
