/**
 * The InnerTube `/player` call: a chain of clients tried in order, the WebM Opus format chosen
 * from what the first usable client returns, and playability statuses turned into typed errors.
 *
 * The player response is read as raw JSON (not through youtubei.js's parser): only a handful of
 * stable fields matter here, and reading them directly keeps format choice under our control.
 *
 * @module
 */

import { ErrorCodes, SpenceError, abortError } from '../../src/provider-kit.js';
import type { YoutubeClient } from './client.js';

/** An adaptive format as the `/player` response gives it (the fields spence reads). */
export interface YoutubeFormat {
  itag: number;
  mimeType?: string;
  /** A plain, directly usable media URL (VISIONOS, IOS, ANDROID_VR...). */
  url?: string;
  /** `s=...&sp=...&url=...`: a ciphered URL that needs the player JS (WEB-like clients). */
  signatureCipher?: string;
  cipher?: string;
  /** Total bytes, as a decimal string. */
  contentLength?: string;
  /** The byte range of the WebM Cues (YouTube places them before the first cluster). */
  indexRange?: { start: string; end: string };
  initRange?: { start: string; end: string };
  bitrate?: number;
  /** Present on live formats: segments of this many seconds, not one Range-readable file. */
  targetDurationSec?: number;
  isDrc?: boolean;
  audioTrack?: { id?: string; displayName?: string; audioIsDefault?: boolean };
}

/** What spence reads from a `/player` response. */
export interface PlayerResponse {
  playabilityStatus?: {
    status?: string;
    reason?: string;
    messages?: string[];
    errorScreen?: { playerErrorMessageRenderer?: { reason?: Text; subreason?: Text } };
  };
  videoDetails?: {
    videoId?: string;
    title?: string;
    lengthSeconds?: string;
    author?: string;
    isLive?: boolean;
    isLiveContent?: boolean;
    isUpcoming?: boolean;
    thumbnail?: { thumbnails?: Thumbnail[] };
  };
  streamingData?: {
    expiresInSeconds?: string;
    adaptiveFormats?: YoutubeFormat[];
    hlsManifestUrl?: string;
    dashManifestUrl?: string;
  };
}

interface Text {
  simpleText?: string;
  runs?: { text?: string }[];
}

/** A thumbnail entry. */
export interface Thumbnail {
  url: string;
  width?: number;
  height?: number;
}

/**
 * Turns a ciphered format into a URL (a user-supplied signature evaluator). Called only for
 * formats without a plain `url`; return the deciphered URL (with its `n` parameter transformed).
 */
export type Decipher = (format: YoutubeFormat, context: { videoId: string; client: string; signal: AbortSignal }) => string | Promise<string>;

/** Requests `/player` for `videoId` as `clientName` (a youtubei.js client name: `VISIONOS`, `IOS`...). */
export async function requestPlayer(client: YoutubeClient, clientName: string, videoId: string, signal: AbortSignal, signatureTimestamp?: number): Promise<PlayerResponse> {
  return client.run(signal, `the player request for ${videoId} (${clientName})`, async (innertube) => {
    const response = await innertube.actions.execute('/player', {
      videoId,
      client: clientName,
      racyCheckOk: true,
      contentCheckOk: true,
      // Ciphered URLs are valid only for the player version whose timestamp the request names.
      ...(signatureTimestamp !== undefined ? { playbackContext: { contentPlaybackContext: { signatureTimestamp } } } : {}),
    });
    const data = response.data as unknown;
    if (typeof data !== 'object' || data === null) {
      throw new SpenceError(ErrorCodes.UPSTREAM, `YouTube's player answer for ${videoId} (${clientName}) is not an object`, { source: 'youtube' });
    }
    return data as PlayerResponse;
  });
}

function text(value: Text | undefined): string {
  if (!value) return '';
  return value.simpleText ?? (value.runs ?? []).map((run) => run.text ?? '').join('');
}

/** YouTube's own explanation for a non-OK status: reason, then the error screen's subreason. */
export function playabilityReason(response: PlayerResponse): string {
  const status = response.playabilityStatus;
  const screen = status?.errorScreen?.playerErrorMessageRenderer;
  const reason = status?.reason || text(screen?.reason) || status?.messages?.[0] || '';
  const sub = text(screen?.subreason);
  return [reason, sub && sub !== reason ? sub : ''].filter(Boolean).join(' ').trim();
}

/**
 * The error for a response whose playability is not `OK`, or null when it is playable.
 * "Video unavailable" with status ERROR means the ID names nothing: `NOT_FOUND`. Every other
 * status (LOGIN_REQUIRED: private or age-gated; UNPLAYABLE: region- or embed-restricted;
 * LIVE_STREAM_OFFLINE; AGE_CHECK_REQUIRED...) is `UNAVAILABLE` with YouTube's reason.
 */
export function playabilityError(response: PlayerResponse, videoId: string): SpenceError | null {
  const status = response.playabilityStatus?.status ?? 'ERROR';
  if (status === 'OK') return null;
  const reason = playabilityReason(response) || status;
  const missing = status === 'ERROR' && /unavailable|does not exist|not exist|not available/i.test(reason) && !/country|region/i.test(reason);
  return new SpenceError(
    missing ? ErrorCodes.NOT_FOUND : ErrorCodes.UNAVAILABLE,
    `YouTube video ${videoId} is ${missing ? 'not found' : 'unavailable'} (${status}): ${reason}`,
    { source: 'youtube' },
  );
}

/**
 * The error for an answer this client cannot serve `videoId` from, or null when it can: one that
 * is not playable ({@link playabilityError}), or a playable one about another video (its
 * `videoDetails.videoId` is not the one asked for: its title and formats are that video's).
 * Either way the next client in the chain is asked.
 */
export function answerError(response: PlayerResponse, videoId: string): SpenceError | null {
  const refused = playabilityError(response, videoId);
  if (refused) return refused;
  const answered = response.videoDetails?.videoId;
  if (answered === videoId) return null;
  return new SpenceError(
    ErrorCodes.UPSTREAM,
    `YouTube answered the player request for ${videoId} ${answered === undefined ? 'without saying which video it describes' : `with another video's details (${String(answered).slice(0, 20)})`}`,
    { source: 'youtube' },
  );
}

/** True when the response describes a stream that is live now (its formats are segments, not a file). */
export function isLiveNow(response: PlayerResponse): boolean {
  const details = response.videoDetails;
  if (details?.isLive === true) return true;
  return (response.streamingData?.adaptiveFormats ?? []).some((format) => format.targetDurationSec !== undefined);
}

/**
 * The preferred format among `itags` (in that order) that has a usable URL: plain, or ciphered
 * when a `decipher` is available. Among equal itags, the default audio track without dynamic
 * range compression wins (multi-language videos list one 251 per dubbed track).
 */
export function chooseFormat(response: PlayerResponse, itags: readonly number[], canDecipher: boolean): YoutubeFormat | undefined {
  const formats = response.streamingData?.adaptiveFormats ?? [];
  const usable = (format: YoutubeFormat) => format.url !== undefined || (canDecipher && (format.signatureCipher ?? format.cipher) !== undefined);
  const rank = (format: YoutubeFormat) => (format.audioTrack && format.audioTrack.audioIsDefault === false ? 2 : 0) + (format.isDrc ? 1 : 0);
  for (const itag of itags) {
    const candidates = formats.filter((format) => format.itag === itag && usable(format)).sort((a, b) => rank(a) - rank(b));
    if (candidates[0]) return candidates[0];
  }
  return undefined;
}

/** A format chosen for playback, with the client that gave it. */
export interface ChosenFormat {
  client: string;
  itag: number;
  url: string;
  contentLength?: number;
  /** The Cues byte range, `[start, end]` inclusive. */
  indexRange?: [number, number];
}

/** Settings of the player chain. */
export interface PlayerChainOptions {
  clients: readonly string[];
  itags: readonly number[];
  decipher?: Decipher;
  /** Sent with every /player request, for `decipher`: the `signatureTimestamp` of its player JS. */
  signatureTimestamp?: number;
}

/**
 * Walks the client chain until one gives a usable WebM Opus format. `only`, for a URL refresh,
 * asks for the same itag (and the same byte length): another file would break the byte offsets.
 */
export async function findFormat(
  client: YoutubeClient,
  chain: PlayerChainOptions,
  videoId: string,
  signal: AbortSignal,
  only?: { client: string; itag: number; contentLength?: number },
  first?: { client: string; response: PlayerResponse },
): Promise<ChosenFormat> {
  // The client that gave the bytes (refresh) or a fresh answer (resolve) goes first; then the chain.
  const preferred = only?.client ?? first?.client;
  const clients = preferred !== undefined ? [preferred, ...chain.clients.filter((name) => name !== preferred)] : chain.clients;
  const itags = only ? [only.itag] : chain.itags;
  const tried: string[] = [];
  let firstError: SpenceError | undefined;
  for (const name of clients) {
    if (signal.aborted) throw abortError(signal, 'YouTube player request');
    const response = first && first.client === name ? first.response : await requestPlayer(client, name, videoId, signal, chain.signatureTimestamp);
    const error = answerError(response, videoId);
    if (error) {
      if (error.code === ErrorCodes.NOT_FOUND) throw error;
      firstError ??= error;
      tried.push(`${name}: ${error.code === ErrorCodes.UPSTREAM ? 'an answer about another video' : (response.playabilityStatus?.status ?? 'no status')}`);
      continue;
    }
    if (isLiveNow(response)) {
      throw new SpenceError(ErrorCodes.UNAVAILABLE, `YouTube video ${videoId} is a live stream; live streams are not supported yet`, { source: 'youtube' });
    }
    const format = chooseFormat(response, itags, chain.decipher !== undefined);
    const length = format?.contentLength !== undefined ? Number(format.contentLength) : undefined;
    if (!format || (only?.contentLength !== undefined && length !== undefined && length !== only.contentLength)) {
      tried.push(`${name}: no ${only ? `itag ${only.itag} of the same length` : 'WebM Opus format'} with a usable URL`);
      continue;
    }
    const url = format.url ?? (await chain.decipher!(format, { videoId, client: name, signal }));
    const chosen: ChosenFormat = { client: name, itag: format.itag, url };
    if (length !== undefined && Number.isFinite(length)) chosen.contentLength = length;
    if (format.indexRange) chosen.indexRange = [Number(format.indexRange.start), Number(format.indexRange.end)];
    return chosen;
  }
  if (firstError && tried.length === clients.length && tried.every((entry) => !entry.includes('usable URL'))) throw firstError;
  throw new SpenceError(
    ErrorCodes.UNAVAILABLE,
    `No playable WebM Opus format for YouTube video ${videoId} (${tried.join('; ')})${firstError ? `: ${firstError.message}` : ''}`,
    { source: 'youtube', ...(firstError ? { cause: firstError } : {}) },
  );
}
