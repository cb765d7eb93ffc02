/**
 * lavaplayer's encoded track: the `encoded` string of Lavalink's Track object, which clients
 * store, send back and sometimes decode themselves. Base64 (standard alphabet, padded) of one
 * lavaplayer message (`MessageOutput`):
 *
 * ```
 * i32   header: message size in the low 30 bits, flags in the top 2 (1 = TRACK_INFO_VERSIONED)
 * u8    version, when versioned (1 otherwise); this module writes 3 and reads 1 to 3
 * UTF   title, author            (DataOutput.writeUTF: modified UTF-8, see java-data.ts)
 * i64   length in ms             (Long.MAX_VALUE: unknown, a stream)
 * UTF   identifier
 * bool  isStream
 * ?UTF  uri                      version >= 2 (a boolean, then the string when true)
 * ?UTF  artworkUrl, isrc         version >= 3
 * UTF   source name              ("youtube", "soundcloud", "http", ...)
 * ...   source-specific details  (http/local: the container probe, "mp3" or "matroska/webm|...";
 *                                 LavaSrc's spotify/applemusic/deezer: album and artist fields)
 * i64   position in ms
 * ```
 *
 * lavaplayer writes the position right after the source's details and the message size bounds
 * them, so the details are the bytes between the source name and the last 8 of the message:
 * that reads every source's layout, including sources spence does not know. Reference:
 * lavaplayer's `DefaultAudioPlayerManager.encodeTrack`/`decodeTrack`, `MessageOutput`,
 * `DataFormatTools.writeNullableText`, `ProbingAudioSourceManager.encodeTrackFactory`, and
 * LavaSrc's `ExtendedAudioSourceManager.encodeTrack`.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { DataReader, DataWriter } from './java-data.js';

/** The track-info version this module writes. */
export const LAVAPLAYER_TRACK_VERSION = 3;
/** lavaplayer's `Units.DURATION_MS_UNKNOWN`: the length of a stream or of an unknown length. */
export const UNKNOWN_LENGTH = 0x7fff_ffff_ffff_ffffn;

/** `MessageOutput` flag: the message starts with a version byte. */
const TRACK_INFO_VERSIONED = 1;
/** The message size lives in the header's low 30 bits (`MessageInput.nextMessage`). */
const SIZE_MASK = 0x3fff_ffff;

/** A decoded lavaplayer track message. */
export interface LavaplayerTrack {
  /** The track-info version read (1, 2 or 3); the encoder always writes 3. */
  version: number;
  title: string;
  author: string;
  /** Length in ms; {@link UNKNOWN_LENGTH} for streams and unknown lengths. */
  length: bigint;
  identifier: string;
  isStream: boolean;
  /** Version 2 and later; `null` before. */
  uri: string | null;
  /** Version 3; `null` before. */
  artworkUrl: string | null;
  /** Version 3; `null` before. */
  isrc: string | null;
  /** The lavaplayer source manager's name. */
  sourceName: string;
  /** The source manager's own bytes, between the source name and the position (often none). */
  details: Uint8Array;
  /** Position in ms. */
  position: bigint;
}

function corrupt(why: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_TRACK, `The encoded track is corrupt: ${why}`, { source: 'lavalink' });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 to bytes, refusing anything that is not base64 (Buffer.from alone skips bad characters). */
function fromBase64(encoded: string): Uint8Array {
  // URL-safe characters are mapped back; a space is a `+` that a query string turned into one.
  const text = encoded.trim().replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/');
  if (text.length === 0 || !BASE64.test(text) || text.length % 4 === 1) throw corrupt('it is not base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Decodes Lavalink's `encoded` string (lavaplayer's track message, versions 1 to 3).
 *
 * @throws {SpenceError} `INVALID_TRACK` when it is not base64, is truncated, holds a string that
 * is not modified UTF-8 (4-byte UTF-8 among them, as Java refuses it), or is from a newer version.
 */
export function decodeLavaplayerTrack(encoded: string): LavaplayerTrack {
  if (typeof encoded !== 'string') throw corrupt('it is not a string');
  const bytes = fromBase64(encoded);
  if (bytes.length < 4) throw corrupt('it is too short for a message header');
  const header = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  const flags = header >>> 30;
  const size = header & SIZE_MASK;
  if (size === 0) throw corrupt('its message is empty');
  if (bytes.length - 4 < size) throw corrupt(`its header announces ${size} bytes but ${bytes.length - 4} follow`);
  // MessageInput reads exactly `size` bytes; anything after is another message, not this track's.
  const r = new DataReader(bytes.subarray(4, 4 + size));
  const version = flags & TRACK_INFO_VERSIONED ? r.u8('the version') : 1;
  if (version > LAVAPLAYER_TRACK_VERSION) {
    throw new SpenceError(ErrorCodes.INVALID_TRACK, `The encoded track is lavaplayer track-info version ${version}; this server reads versions 1 to ${LAVAPLAYER_TRACK_VERSION}`, { source: 'lavalink' });
  }
  const title = r.utf('the title');
  const author = r.utf('the author');
  const length = r.i64('the length');
  const identifier = r.utf('the identifier');
  const isStream = r.bool('isStream');
  const uri = version >= 2 ? r.nullableUtf('the uri') : null;
  const artworkUrl = version >= 3 ? r.nullableUtf('the artwork URL') : null;
  const isrc = version >= 3 ? r.nullableUtf('the ISRC') : null;
  const sourceName = r.utf('the source name');
  if (r.remaining < 8) throw corrupt('it ends before the position');
  const details = r.bytes(r.remaining - 8).slice();
  const position = r.i64('the position');
  return { version, title, author, length, identifier, isStream, uri, artworkUrl, isrc, sourceName, details, position };
}

/**
 * Encodes a track as lavaplayer does (track-info version 3), to the string Lavalink sends as
 * `encoded`. `version` is ignored: this always writes 3.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` when a string needs more than 65535 bytes.
 */
export function encodeLavaplayerTrack(track: Omit<LavaplayerTrack, 'version'> & { version?: number }): string {
  const w = new DataWriter();
  w.i32(0); // the header, filled in below
  w.u8(LAVAPLAYER_TRACK_VERSION);
  w.utf(track.title, 'the title');
  w.utf(track.author, 'the author');
  w.i64(track.length);
  w.utf(track.identifier, 'the identifier');
  w.bool(track.isStream);
  w.nullableUtf(track.uri, 'the uri');
  w.nullableUtf(track.artworkUrl, 'the artwork URL');
  w.nullableUtf(track.isrc, 'the ISRC');
  w.utf(track.sourceName, 'the source name');
  w.bytes(track.details);
  w.i64(track.position);
  const bytes = w.finish();
  new DataView(bytes.buffer, bytes.byteOffset, 4).setUint32(0, ((TRACK_INFO_VERSIONED << 30) | (bytes.length - 4)) >>> 0);
  return Buffer.from(bytes).toString('base64');
}

// ------------------------------------------------------------------------- source-specific details

/** The container probe of an `http` or `local` track (`ProbingAudioSourceManager`). */
export interface ProbeInfo {
  /** The probe's name: `mp3`, `ogg`, `matroska/webm`, `mp4`, `flac`, `wav`, `adts`, ... */
  probe: string;
  /** What follows a `|` in the probe string, or null. */
  parameters: string | null;
}

/** Reads an http/local track's probe string (`encodeTrackFactory`); null when the details hold none. */
export function readProbeInfo(details: Uint8Array): ProbeInfo | null {
  if (details.length < 2) return null;
  try {
    const text = new DataReader(details).utf('the probe');
    const bar = text.indexOf('|');
    return bar < 0 ? { probe: text, parameters: null } : { probe: text.slice(0, bar), parameters: text.slice(bar + 1) };
  } catch {
    return null;
  }
}

/** Writes an http/local track's probe string. */
export function writeProbeInfo(info: ProbeInfo): Uint8Array {
  const w = new DataWriter();
  w.utf(info.parameters === null ? info.probe : `${info.probe}|${info.parameters}`, 'the probe');
  return w.finish().slice();
}

/**
 * The fields LavaSrc (Spotify, Apple Music, Deezer and others) writes after the source name,
 * which it also sends as the track's `pluginInfo`.
 */
export interface LavaSrcDetails {
  albumName: string | null;
  albumUrl: string | null;
  artistUrl: string | null;
  artistArtworkUrl: string | null;
  previewUrl: string | null;
  isPreview: boolean;
}

/** Reads LavaSrc's details; null when the bytes are not that layout (older LavaSrc versions wrote others). */
export function readLavaSrcDetails(details: Uint8Array): LavaSrcDetails | null {
  try {
    const r = new DataReader(details);
    const out: LavaSrcDetails = {
      albumName: r.nullableUtf(),
      albumUrl: r.nullableUtf(),
      artistUrl: r.nullableUtf(),
      artistArtworkUrl: r.nullableUtf(),
      previewUrl: r.nullableUtf(),
      isPreview: r.bool(),
    };
    return r.remaining === 0 ? out : null;
  } catch {
    return null;
  }
}

/** Writes LavaSrc's details. */
export function writeLavaSrcDetails(details: LavaSrcDetails): Uint8Array {
  const w = new DataWriter();
  w.nullableUtf(details.albumName, 'the album name');
  w.nullableUtf(details.albumUrl, 'the album URL');
  w.nullableUtf(details.artistUrl, 'the artist URL');
  w.nullableUtf(details.artistArtworkUrl, 'the artist artwork URL');
  w.nullableUtf(details.previewUrl, 'the preview URL');
  w.bool(details.isPreview);
  return w.finish().slice();
}
