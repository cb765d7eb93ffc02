/**
 * Opening a SoundCloud track: fetch it (for a fresh `track_authorization` and the current
 * transcodings), refuse what cannot play (geo-blocked, preview-only, encrypted only), choose a
 * transcoding, ask its api-v2 URL for the stream, and read the Opus HLS playlist's segments as one
 * Ogg stream.
 *
 * @module
 */

import { ErrorCodes, SpenceError, createHttpMedia, isSpenceError, redact } from '../../src/provider-kit.js';
import type { ProviderContext, TrackMedia, UrlGuard } from '../../src/provider-kit.js';
import { getJson } from './api.js';
import type { ApiSettings } from './api.js';
import { PLAYABLE_KINDS, chooseTranscoding, isEncrypted } from './formats.js';
import type { Choice } from './formats.js';
import { loadMediaPlaylist } from './hls.js';
import type { Net } from './http.js';
import { createSegmentedMedia } from './segmented-media.js';
import type { ScTrack, ScTranscoding } from './tracks.js';
import { unplayableReason } from './tracks.js';
import type { TrackRef } from './urls.js';

/** Options the provider passes down to the media it opens. */
export interface MediaSettings {
  /** Passed to each segment's fetcher. */
  backoffMs?: number;
  maxRetries?: number;
}

/** `/tracks/{id}`, with the secret token of a private track. */
export function fetchTrack(settings: ApiSettings, ref: TrackRef, net: Net): Promise<ScTrack> {
  return getJson<ScTrack>(settings, `/tracks/${ref.id}`, { secret_token: ref.secretToken }, net, `track ${ref.id}`);
}

/** The transcoding to play, or the `UNAVAILABLE` error saying why there is none. */
export function playableChoice(track: ScTrack): Choice {
  const reason = unplayableReason(track);
  if (reason !== null) throw new SpenceError(ErrorCodes.UNAVAILABLE, `SoundCloud track ${track.id} cannot be played: ${reason}`, { source: 'soundcloud' });
  const transcodings = track.media?.transcodings ?? [];
  const choice = chooseTranscoding(transcodings);
  if (choice === null) {
    const why = transcodings.length === 0
      ? 'SoundCloud lists no stream for it'
      : transcodings.every(isEncrypted) ? 'SoundCloud serves it only encrypted (DRM)' : 'none of its streams is in a format spence knows';
    throw new SpenceError(ErrorCodes.UNAVAILABLE, `SoundCloud track ${track.id} cannot be played: ${why}`, { source: 'soundcloud' });
  }
  if (!PLAYABLE_KINDS.has(choice.kind)) {
    throw new SpenceError(
      ErrorCodes.UNAVAILABLE,
      `SoundCloud track ${track.id} cannot be played yet: this track is only available as AAC (${choice.kind}); AAC is not wired into the transcoding path`,
      { source: 'soundcloud' },
    );
  }
  return choice;
}

/** Asks a transcoding's api-v2 URL for its stream: `{ "url": <playlist or file URL> }`. */
export async function streamUrl(settings: ApiSettings, transcoding: ScTranscoding, authorization: string | undefined, net: Net): Promise<string> {
  // The client id goes with this request: only to the API's own host.
  const api = new URL(settings.apiBase);
  if (!URL.canParse(transcoding.url) || new URL(transcoding.url).origin !== api.origin) {
    throw new SpenceError(ErrorCodes.UPSTREAM, `A SoundCloud transcoding URL is not on ${api.host}: ${redact(transcoding.url)}`, { source: 'soundcloud' });
  }
  let answer: { url?: unknown };
  try {
    answer = await getJson<{ url?: unknown }>(settings, transcoding.url, { track_authorization: authorization }, net, 'the stream of a track');
  } catch (error) {
    // A transcoding that exists but is refused: the region lock shows up here as 403 or 404.
    if (isSpenceError(error, 'NOT_FOUND') || isSpenceError(error, 'UNAVAILABLE')) {
      throw new SpenceError(ErrorCodes.UNAVAILABLE, `SoundCloud refused the stream: geo-blocked, private or removed (${error.message})`, { source: 'soundcloud', cause: error });
    }
    throw error;
  }
  if (typeof answer.url !== 'string' || !URL.canParse(answer.url)) {
    throw new SpenceError(ErrorCodes.UPSTREAM, 'SoundCloud answered a stream request without a URL', { source: 'soundcloud' });
  }
  return answer.url;
}

/** Checks every host among `urls` once against the node's address policy. */
async function checkHosts(urls: readonly string[], guard: UrlGuard, signal: AbortSignal): Promise<void> {
  const seen = new Set<string>();
  for (const url of urls) {
    const origin = new URL(url).origin;
    if (seen.has(origin)) continue;
    seen.add(origin);
    await guard.check(url, { signal });
  }
}

/** The segment URLs of a choice's playlist, every host checked. */
async function segmentsOf(settings: ApiSettings, choice: Choice, authorization: string | undefined, context: ProviderContext, net: Net): Promise<string[]> {
  const playlistUrl = await streamUrl(settings, choice.transcoding, authorization, net);
  await context.urlGuard.check(playlistUrl, { signal: net.signal });
  const segments = await loadMediaPlaylist(playlistUrl, net);
  await checkHosts(segments, context.urlGuard, net.signal);
  return segments;
}

/**
 * Opens a track's audio: Ogg Opus bytes (Opus HLS), or MP3 bytes (an MP3 file, or MP3 HLS
 * segments concatenated) that the player transcodes.
 */
export async function openSoundcloudMedia(settings: ApiSettings, ref: TrackRef, context: ProviderContext, media: MediaSettings = {}): Promise<TrackMedia> {
  const track = await fetchTrack(settings, ref, context);
  const choice = playableChoice(track);
  let authorization = track.track_authorization;
  if (choice.kind === 'mp3-progressive') {
    const fileUrl = await streamUrl(settings, choice.transcoding, authorization, context);
    await context.urlGuard.check(fileUrl, { signal: context.signal });
    const file = createHttpMedia(fileUrl, {
      dispatcher: context.dispatcher,
      http: context.http,
      // An expired file URL (403/410): the transcoding again, for a fresh one; reading resumes at the same byte.
      refreshUrl: async ({ signal }) => {
        const fresh = await streamUrl(settings, choice.transcoding, authorization, { dispatcher: context.dispatcher, http: context.http, signal });
        await context.urlGuard.check(fresh, { signal });
        return fresh;
      },
      ...(media.backoffMs !== undefined ? { backoffMs: media.backoffMs } : {}),
      ...(media.maxRetries !== undefined ? { maxRetries: media.maxRetries } : {}),
    });
    file.container = 'mp3';
    return file;
  }
  const segments = await segmentsOf(settings, choice, authorization, context, context);

  /**
   * Segment URLs expired mid-track: the same transcoding again for a fresh playlist; when the
   * authorization has expired too, the track again for a fresh one (and the same transcoding).
   */
  const reload = async ({ signal }: { signal: AbortSignal }): Promise<readonly string[]> => {
    const net: Net = { dispatcher: context.dispatcher, http: context.http, signal };
    try {
      return await segmentsOf(settings, choice, authorization, context, net);
    } catch (error) {
      if (signal.aborted || isSpenceError(error, 'RATE_LIMITED') || isSpenceError(error, 'NETWORK')) throw error;
    }
    const fresh = await fetchTrack(settings, ref, net);
    const again = playableChoice(fresh);
    const same = fresh.media?.transcodings?.find((t) => t.url === choice.transcoding.url) ?? (again.kind === choice.kind ? again.transcoding : undefined);
    if (same === undefined) throw new SpenceError(ErrorCodes.UPSTREAM, `SoundCloud track ${ref.id} no longer offers the ${choice.kind} stream being played`, { source: 'soundcloud' });
    authorization = fresh.track_authorization;
    return segmentsOf(settings, { kind: choice.kind, transcoding: same }, authorization, context, net);
  };

  const hls = createSegmentedMedia({
    dispatcher: context.dispatcher,
    http: context.http,
    segments,
    reload,
    // MP3 HLS segments are consecutive slices of one MPEG audio stream (each may open with an ID3
    // timestamp tag, which the framer skips), as Opus HLS segments are of one Ogg stream.
    container: choice.kind === 'mp3-hls' ? 'mp3' : 'ogg',
    ...(media.backoffMs !== undefined ? { backoffMs: media.backoffMs } : {}),
    ...(media.maxRetries !== undefined ? { maxRetries: media.maxRetries } : {}),
  });
  return hls;
}
