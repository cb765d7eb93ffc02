/**
 * The `encoded` form of a {@link Track}: compact, versioned, URL-safe, checksummed.
 *
 * Layout (version 1), base64url without padding:
 * ```
 * u8      version (1)
 * u8      flags: bit0 isStream, bit1 isSeekable, bit2 artists, bit3 album, bit4 durationMs,
 *                bit5 isrc, bit6 artworkUrl, bit7 durationMs is not a whole number (then f64)
 * str     source, identifier, uri, title, author          (varint byte length + UTF-8)
 * [varint count, str...]   artists     when bit2
 * [str]                    album       when bit3
 * [varint | f64]           durationMs  when bit4
 * [str]                    isrc        when bit5
 * [str]                    artworkUrl  when bit6
 * u32     FNV-1a of everything before it, so a corrupted string is refused, not misread
 * ```
 * A decoder refuses versions it does not know with a clear `INVALID_TRACK` error, so a track encoded
 * by a newer spence is never half-read by an older one.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import { checkArray, checkString, refuse } from '../validate.js';
import type { Track, TrackInfo } from './track.js';

/** The version this build writes; it reads this one only. */
export const TRACK_ENCODING_VERSION = 1;

const FLAG_STREAM = 1;
const FLAG_SEEKABLE = 2;
const FLAG_ARTISTS = 4;
const FLAG_ALBUM = 8;
const FLAG_DURATION = 16;
const FLAG_ISRC = 32;
const FLAG_ARTWORK = 64;
const FLAG_DURATION_FLOAT = 128;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

class ByteWriter {
  private buffer = new Uint8Array(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  /** Unsigned LEB128, for values up to 2^53 (no 32-bit arithmetic). */
  varint(value: number): void {
    while (value >= 0x80) {
      this.u8((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.u8(value);
  }

  f64(value: number): void {
    this.ensure(8);
    new DataView(this.buffer.buffer).setFloat64(this.length, value);
    this.length += 8;
  }

  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  str(value: string): void {
    const bytes = utf8Encoder.encode(value);
    this.varint(bytes.length);
    this.bytes(bytes);
  }

  u32(value: number): void {
    this.ensure(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value);
    this.length += 4;
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

class ByteReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw corrupt('it ends too early');
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 0x80;
    }
    throw corrupt('a length is too long');
  }

  f64(): number {
    this.need(8);
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset).getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  str(): string {
    const length = this.varint();
    this.need(length);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return utf8Decoder.decode(slice);
    } catch (cause) {
      throw corrupt('a string is not valid UTF-8', cause);
    }
  }
}

function corrupt(why: string, cause?: unknown): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_TRACK, `The encoded track is corrupt: ${why}`, { cause });
}

/** FNV-1a, 32 bits: enough to tell a mangled string from a real one. */
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i]!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Encodes a track's fields into the `encoded` string. */
export function encodeTrackInfo(info: TrackInfo): string {
  const w = new ByteWriter();
  const duration = info.durationMs;
  const durationIsVarint = duration !== null && Number.isSafeInteger(duration) && duration >= 0;
  let flags = 0;
  if (info.isStream) flags |= FLAG_STREAM;
  if (info.isSeekable) flags |= FLAG_SEEKABLE;
  if (info.artists !== undefined) flags |= FLAG_ARTISTS;
  if (info.album !== undefined) flags |= FLAG_ALBUM;
  if (duration !== null) flags |= FLAG_DURATION | (durationIsVarint ? 0 : FLAG_DURATION_FLOAT);
  if (info.isrc !== undefined) flags |= FLAG_ISRC;
  if (info.artworkUrl !== undefined) flags |= FLAG_ARTWORK;
  w.u8(TRACK_ENCODING_VERSION);
  w.u8(flags);
  w.str(info.source);
  w.str(info.identifier);
  w.str(info.uri);
  w.str(info.title);
  w.str(info.author);
  if (info.artists !== undefined) {
    w.varint(info.artists.length);
    for (const artist of info.artists) w.str(artist);
  }
  if (info.album !== undefined) w.str(info.album);
  if (duration !== null) {
    if (durationIsVarint) w.varint(duration);
    else w.f64(duration);
  }
  if (info.isrc !== undefined) w.str(info.isrc);
  if (info.artworkUrl !== undefined) w.str(info.artworkUrl);
  w.u32(fnv1a(w.finish()));
  return Buffer.from(w.finish()).toString('base64url');
}

/** The fields in one canonical key order, with `undefined` optionals omitted. */
function canonical(info: TrackInfo): TrackInfo {
  const clean: { -readonly [K in keyof TrackInfo]: TrackInfo[K] } = {
    source: info.source,
    identifier: info.identifier,
    uri: info.uri,
    title: info.title,
    author: info.author,
    durationMs: info.durationMs,
    isStream: info.isStream,
    isSeekable: info.isSeekable,
  };
  if (info.artists !== undefined) clean.artists = [...info.artists];
  if (info.album !== undefined) clean.album = info.album;
  if (info.isrc !== undefined) clean.isrc = info.isrc;
  if (info.artworkUrl !== undefined) clean.artworkUrl = info.artworkUrl;
  return clean;
}

/** Refuses what is not a {@link TrackInfo}: a track is user data once encoded, so it is checked when made. */
function checkTrackInfo(info: TrackInfo): void {
  if (typeof info !== 'object' || info === null) refuse('createTrack(info)', 'a TrackInfo object', info);
  for (const name of ['source', 'identifier', 'uri', 'title', 'author'] as const) {
    if (typeof info[name] !== 'string') refuse(`track.${name}`, 'a string', info[name]);
  }
  const duration = info.durationMs;
  if (duration !== null && !(typeof duration === 'number' && Number.isFinite(duration) && duration >= 0)) {
    refuse('track.durationMs', 'null or a number >= 0', duration);
  }
  if (typeof info.isStream !== 'boolean') refuse('track.isStream', 'a boolean', info.isStream);
  if (typeof info.isSeekable !== 'boolean') refuse('track.isSeekable', 'a boolean', info.isSeekable);
  checkArray('track.artists', info.artists);
  for (const artist of info.artists ?? []) checkString('track.artists[]', artist);
  checkString('track.album', info.album);
  checkString('track.isrc', info.isrc);
  checkString('track.artworkUrl', info.artworkUrl);
}

/**
 * Builds a {@link Track} from its fields, adding `encoded`. Optional fields left `undefined` are omitted.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` naming the first field that is missing or of the wrong
 * kind (`durationMs` must be `null` or a finite number >= 0).
 */
export function createTrack(info: TrackInfo): Track {
  checkTrackInfo(info);
  const clean = canonical(info);
  return { encoded: encodeTrackInfo(clean), ...clean };
}

/**
 * Decodes an `encoded` string back into a {@link Track} equal to the one that produced it.
 *
 * @throws {SpenceError} `INVALID_TRACK` when the string is corrupt, truncated, or from a newer version.
 */
export function decodeTrack(encoded: string): Track {
  if (typeof encoded !== 'string' || encoded.length === 0 || !/^[A-Za-z0-9_-]+$/.test(encoded)) {
    throw corrupt('it is not a base64url string');
  }
  const bytes = new Uint8Array(Buffer.from(encoded, 'base64url'));
  if (bytes.length < 6) throw corrupt('it is too short');
  const version = bytes[0]!;
  if (version !== TRACK_ENCODING_VERSION) {
    throw new SpenceError(
      ErrorCodes.INVALID_TRACK,
      version > TRACK_ENCODING_VERSION
        ? `The encoded track is version ${version}, newer than this spence understands (version ${TRACK_ENCODING_VERSION}); upgrade spence to decode it`
        : `The encoded track has unknown version ${version}`,
    );
  }
  const body = bytes.subarray(0, bytes.length - 4);
  const checksum = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 4);
  if (fnv1a(body) !== checksum) throw corrupt('its checksum does not match');

  const r = new ByteReader(body);
  r.u8();
  const flags = r.u8();
  const info: { -readonly [K in keyof TrackInfo]: TrackInfo[K] } = {
    source: r.str(),
    identifier: r.str(),
    uri: r.str(),
    title: r.str(),
    author: r.str(),
    durationMs: null,
    isStream: (flags & FLAG_STREAM) !== 0,
    isSeekable: (flags & FLAG_SEEKABLE) !== 0,
  };
  if (flags & FLAG_ARTISTS) {
    const count = r.varint();
    if (count > body.length) throw corrupt('the artist count is impossible');
    const artists: string[] = [];
    for (let i = 0; i < count; i++) artists.push(r.str());
    info.artists = artists;
  }
  if (flags & FLAG_ALBUM) info.album = r.str();
  if (flags & FLAG_DURATION) {
    const duration = flags & FLAG_DURATION_FLOAT ? r.f64() : r.varint();
    // A string with a good checksum can still be forged: NaN, Infinity or a negative length is not one.
    if (!(Number.isFinite(duration) && duration >= 0)) throw corrupt(`its duration (${duration}) is not a length in ms`);
    info.durationMs = duration;
  }
  if (flags & FLAG_ISRC) info.isrc = r.str();
  if (flags & FLAG_ARTWORK) info.artworkUrl = r.str();
  if (r.offset !== body.length) throw corrupt('it has trailing bytes');
  return { encoded, ...canonical(info) };
}
