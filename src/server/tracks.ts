/**
 * Tracks between spence and Lavalink's clients. A spence {@link Track} becomes a Lavalink Track
 * object whose `encoded` is lavaplayer's format (so clients that decode it themselves read it);
 * an `encoded` string from a client (made by this server, another spence, or a Lavalink node)
 * becomes the spence track that plays it. The server keeps the string it was given and sends it
 * back unchanged in every event, so clients that compare strings find theirs.
 *
 * Source names are the same on both sides (`youtube`, `soundcloud`, `http`, `local`, and
 * LavaSrc's `spotify`, `applemusic`, `deezer`). Identifiers differ for SoundCloud only: lavaplayer
 * stores a stream URL (`O:https://api-v2.soundcloud.com/media/soundcloud:tracks:123/...`), spence
 * the track ID (`123`, or `123/s-secret` for a private track, whose secret is in the page URI).
 *
 * @module
 */

import { createTrack } from '../resolve/track-codec.js';
import type { Track } from '../resolve/track.js';
import {
  UNKNOWN_LENGTH,
  decodeLavaplayerTrack,
  encodeLavaplayerTrack,
  readLavaSrcDetails,
  writeLavaSrcDetails,
  writeProbeInfo,
} from './lavaplayer-track.js';
import type { LavaSrcDetails, LavaplayerTrack } from './lavaplayer-track.js';
import type { TrackInfoJson, TrackJson } from './protocol.js';

/** A track as the server holds it: Lavalink's view and spence's. */
export interface ServerTrack {
  /** lavaplayer's encoded string, exactly as given or made. */
  readonly encoded: string;
  /** Lavalink's Track Info, without the position (which is the player's). */
  readonly info: Omit<TrackInfoJson, 'position'>;
  /** Lavalink's `pluginInfo` (LavaSrc's album and artist fields for metadata sources). */
  readonly pluginInfo: Record<string, unknown>;
  /**
   * The position the string holds, in ms: lavaplayer starts a decoded track there (0 for a
   * string spence made).
   */
  readonly position: number;
  /** What spence plays. A source no provider has fails when it is opened. */
  readonly track: Track;
}

/** Sources whose details are LavaSrc's (they are metadata-only in spence, mirrored to YouTube). */
const LAVASRC_SOURCES = new Set(['spotify', 'applemusic', 'deezer']);
/** Sources whose details are a container probe string. */
const PROBED_SOURCES = new Set(['http', 'local']);

/** lavaplayer probe names by file extension, for spence's http and local tracks (which do not keep their container). */
const PROBE_BY_EXTENSION: Record<string, string> = {
  webm: 'matroska/webm', mkv: 'matroska/webm', mka: 'matroska/webm',
  ogg: 'ogg', opus: 'ogg', oga: 'ogg',
  mp3: 'mp3', m4a: 'mp4', mp4: 'mp4', aac: 'adts', flac: 'flac', wav: 'wav',
};

const EMPTY_DETAILS: Uint8Array = new Uint8Array(0);

function guessProbe(uri: string): string {
  const extension = /\.([a-z0-9]{2,4})(?:[?#]|$)/i.exec(uri)?.[1]?.toLowerCase();
  return (extension && PROBE_BY_EXTENSION[extension]) ?? 'mp3';
}

function lavaSrcPluginInfo(details: LavaSrcDetails): Record<string, unknown> {
  return { ...details };
}

/** Makes the Lavalink view of a spence track (its lavaplayer string, version 3). */
export function fromSpenceTrack(track: Track): ServerTrack {
  let details = EMPTY_DETAILS;
  let pluginInfo: Record<string, unknown> = {};
  if (PROBED_SOURCES.has(track.source)) {
    details = writeProbeInfo({ probe: guessProbe(track.uri || track.identifier), parameters: null });
  } else if (LAVASRC_SOURCES.has(track.source)) {
    const lavaSrc: LavaSrcDetails = { albumName: track.album ?? null, albumUrl: null, artistUrl: null, artistArtworkUrl: null, previewUrl: null, isPreview: false };
    details = writeLavaSrcDetails(lavaSrc);
    pluginInfo = lavaSrcPluginInfo(lavaSrc);
  }
  const length = track.durationMs === null || track.isStream ? UNKNOWN_LENGTH : BigInt(Math.max(0, Math.round(track.durationMs)));
  const info = {
    identifier: track.identifier,
    isSeekable: track.isSeekable,
    author: track.author,
    length: Number(length),
    isStream: track.isStream,
    title: track.title,
    uri: track.uri || null,
    artworkUrl: track.artworkUrl ?? null,
    isrc: track.isrc ?? null,
    sourceName: track.source,
  };
  const encoded = encodeLavaplayerTrack({
    title: info.title,
    author: info.author,
    length,
    identifier: info.identifier,
    isStream: info.isStream,
    uri: info.uri,
    artworkUrl: info.artworkUrl,
    isrc: info.isrc,
    sourceName: info.sourceName,
    details,
    position: 0n,
  });
  return { encoded, info, pluginInfo, position: 0, track };
}

/**
 * Reads a client's `encoded` string into the track spence plays.
 *
 * @throws {SpenceError} `INVALID_TRACK` when the string is not a lavaplayer track.
 */
export function fromEncoded(encoded: string): ServerTrack {
  const t = decodeLavaplayerTrack(encoded);
  const lavaSrc = LAVASRC_SOURCES.has(t.sourceName) ? readLavaSrcDetails(t.details) : null;
  const unknownLength = t.length === UNKNOWN_LENGTH || t.length < 0n;
  const info = {
    identifier: t.identifier,
    // The binary format has no isSeekable: lavaplayer's tracks seek unless they are streams.
    isSeekable: !t.isStream,
    author: t.author,
    length: Number(t.length),
    isStream: t.isStream,
    title: t.title,
    uri: t.uri,
    artworkUrl: t.artworkUrl,
    isrc: t.isrc,
    sourceName: t.sourceName,
  };
  const track = createTrack({
    source: t.sourceName,
    identifier: spenceIdentifier(t),
    uri: t.uri ?? t.identifier,
    title: t.title,
    author: t.author,
    durationMs: t.isStream || unknownLength ? null : Number(t.length),
    isStream: t.isStream,
    isSeekable: !t.isStream,
    ...(lavaSrc?.albumName ? { album: lavaSrc.albumName } : {}),
    ...(t.isrc ? { isrc: t.isrc } : {}),
    ...(t.artworkUrl ? { artworkUrl: t.artworkUrl } : {}),
  });
  // As given, but a `+` that a query string turned into a space is a `+` again.
  const position = t.position > 0n && t.position <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t.position) : 0;
  return { encoded: encoded.trim().replace(/ /g, '+'), info, pluginInfo: lavaSrc ? lavaSrcPluginInfo(lavaSrc) : {}, position, track };
}

/** The identifier spence's provider of that source opens. */
function spenceIdentifier(t: LavaplayerTrack): string {
  if (t.sourceName !== 'soundcloud') return t.identifier;
  if (/^\d{1,20}(?:\/s-[A-Za-z0-9]{3,64})?$/.test(t.identifier)) return t.identifier;
  const id = /soundcloud:tracks:(\d{1,20})/.exec(t.identifier)?.[1] ?? /api\.soundcloud\.com\/tracks\/(\d{1,20})/.exec(t.identifier)?.[1];
  if (id === undefined) return t.identifier;
  const secret = /\/(s-[A-Za-z0-9]{3,64})\/?$/.exec(t.uri ?? '')?.[1];
  return secret ? `${id}/${secret}` : id;
}

/** Lavalink's Track object for a server track at `position`. */
export function toTrackJson(t: ServerTrack, position = 0, userData: Record<string, unknown> = {}): TrackJson {
  return { encoded: t.encoded, info: { ...t.info, position: Math.max(0, Math.floor(position)) }, pluginInfo: t.pluginInfo, userData };
}
