/**
 * lavaplayer's track message: every published vector in ../shared/lavalink/encoded-tracks.json
 * decodes to the fields its source states (versions 2 and 3, YouTube, SoundCloud, HTTP, LavaSrc
 * sources, supplementary characters written as surrogate pairs), version-3 strings re-encode
 * byte for byte, the negatives are refused, and any track encodes and decodes back (a property
 * test over arbitrary UTF-16 strings, NUL and lone surrogates included).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LAVAPLAYER_TRACK_VERSION,
  UNKNOWN_LENGTH,
  decodeLavaplayerTrack,
  encodeLavaplayerTrack,
  readLavaSrcDetails,
  readProbeInfo,
  writeLavaSrcDetails,
  writeProbeInfo,
} from '../../src/server/lavaplayer-track.js';
import type { LavaplayerTrack } from '../../src/server/lavaplayer-track.js';
import { DataReader, DataWriter } from '../../src/server/java-data.js';
import { SpenceError } from '../../src/errors.js';

interface Vector {
  id: string;
  encoded: string;
  decoded: {
    version: number;
    title: string;
    author: string;
    length: string;
    identifier: string;
    isStream: boolean;
    uri: string | null;
    artworkUrl: string | null;
    isrc: string | null;
    sourceName: string;
    position: string;
    extraHex: string;
    extraFields?: Record<string, unknown>;
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(here, '../../../shared/lavalink/encoded-tracks.json');
const data = JSON.parse(readFileSync(file, 'utf8')) as { vectors: Vector[]; negatives: { id: string; encoded: string }[] };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function expectSpenceError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SpenceError);
    expect((error as SpenceError).code).toBe(code);
    return;
  }
  expect.fail(`expected a SpenceError ${code}`);
}

describe('lavaplayer track: published vectors', () => {
  it('has vectors of both versions and of every source kind', () => {
    expect(data.vectors.length).toBeGreaterThanOrEqual(20);
    const versions = new Set(data.vectors.map((v) => v.decoded.version));
    expect([...versions].sort()).toEqual([2, 3]);
    const sources = new Set(data.vectors.map((v) => v.decoded.sourceName));
    for (const s of ['youtube', 'soundcloud', 'http', 'spotify', 'deezer']) expect(sources.has(s), s).toBe(true);
  });

  for (const v of data.vectors) {
    it(`decodes ${v.id}`, () => {
      const t = decodeLavaplayerTrack(v.encoded);
      const d = v.decoded;
      expect({
        version: t.version,
        title: t.title,
        author: t.author,
        length: t.length.toString(),
        identifier: t.identifier,
        isStream: t.isStream,
        uri: t.uri,
        artworkUrl: t.artworkUrl,
        isrc: t.isrc,
        sourceName: t.sourceName,
        position: t.position.toString(),
        extraHex: hex(t.details),
      }).toEqual({
        version: d.version,
        title: d.title,
        author: d.author,
        length: d.length,
        identifier: d.identifier,
        isStream: d.isStream,
        uri: d.uri,
        artworkUrl: d.artworkUrl,
        isrc: d.isrc,
        sourceName: d.sourceName,
        position: d.position,
        extraHex: d.extraHex,
      });
      if (d.extraFields && 'probe' in d.extraFields) {
        expect(readProbeInfo(t.details)).toEqual({ probe: d.extraFields.probe, parameters: d.extraFields.parameters });
      }
      if (d.extraFields && 'albumName' in d.extraFields) {
        expect(readLavaSrcDetails(t.details)).toEqual(d.extraFields);
      }
    });

    it(`re-encodes ${v.id} as version 3 to the same fields${v.decoded.version === 3 ? ', byte for byte' : ''}`, () => {
      const t = decodeLavaplayerTrack(v.encoded);
      const again = encodeLavaplayerTrack(t);
      if (t.version === 3) expect(again).toBe(v.encoded);
      expect(decodeLavaplayerTrack(again)).toEqual({ ...t, version: 3 });
    });
  }

  for (const n of data.negatives) {
    it(`refuses ${n.id}`, () => {
      expectSpenceError(() => decodeLavaplayerTrack(n.encoded), 'INVALID_TRACK');
    });
  }
});

describe('lavaplayer track: format', () => {
  const base: LavaplayerTrack = {
    version: 3,
    title: 'A',
    author: 'B',
    length: 1000n,
    identifier: 'id',
    isStream: false,
    uri: null,
    artworkUrl: null,
    isrc: null,
    sourceName: 'youtube',
    details: new Uint8Array(0),
    position: 0n,
  };

  it('writes the header (versioned flag, size in the low 30 bits) and version 3', () => {
    const bytes = Buffer.from(encodeLavaplayerTrack(base), 'base64');
    const header = bytes.readUInt32BE(0);
    expect(header >>> 30).toBe(1);
    expect(header & 0x3fffffff).toBe(bytes.length - 4);
    expect(bytes[4]).toBe(LAVAPLAYER_TRACK_VERSION);
  });

  it('reads an unversioned (version 1) message: no uri, artwork or ISRC', () => {
    const w = new DataWriter();
    w.i32(0);
    w.utf('Title');
    w.utf('Author');
    w.i64(5000n);
    w.utf('abc');
    w.bool(false);
    w.utf('http');
    w.utf('mp3');
    w.i64(1234n);
    const bytes = w.finish();
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length - 4);
    const t = decodeLavaplayerTrack(Buffer.from(bytes).toString('base64'));
    expect(t).toMatchObject({ version: 1, title: 'Title', author: 'Author', length: 5000n, uri: null, artworkUrl: null, isrc: null, sourceName: 'http', position: 1234n });
    expect(readProbeInfo(t.details)).toEqual({ probe: 'mp3', parameters: null });
  });

  it('keeps the unknown length exact', () => {
    const t = decodeLavaplayerTrack(encodeLavaplayerTrack({ ...base, length: UNKNOWN_LENGTH, isStream: true }));
    expect(t.length).toBe(9223372036854775807n);
  });

  it('writes NUL as C0 80 and a supplementary character as two 3-byte surrogates', () => {
    const w = new DataWriter();
    w.utf('a\u0000\u{1F33F}');
    expect(hex(w.finish())).toBe('0009' + '61' + 'c080' + 'eda0bc' + 'edbcbf');
  });

  it('reads what DataInputStream.readUTF reads: a raw zero byte, overlong forms', () => {
    expect(new DataReader(Uint8Array.from([0, 3, 0x00, 0xc0, 0x80])).utf()).toBe('\u0000\u0000');
  });

  it.each([
    ['4-byte UTF-8', [0, 4, 0xf0, 0x9f, 0x8c, 0xbf]],
    ['a continuation byte first', [0, 1, 0x80]],
    ['a bad continuation', [0, 2, 0xc3, 0x41]],
    ['a character cut by the end', [0, 2, 0xe2, 0x82]],
    ['a length past the end', [0, 9, 0x41]],
  ])('refuses %s in a string', (_what, bytes) => {
    expectSpenceError(() => new DataReader(Uint8Array.from(bytes)).utf(), 'INVALID_TRACK');
  });

  it.each([
    ['not base64', 'not base64!'],
    ['empty', ''],
    ['a header only', 'QAAAAA=='],
    ['a header announcing more than follows', Buffer.from([0x40, 0, 0, 50, 3, 0]).toString('base64')],
    ['a newer version', Buffer.from([0x40, 0, 0, 2, 4, 0]).toString('base64')],
  ])('refuses %s', (_what, encoded) => {
    expectSpenceError(() => decodeLavaplayerTrack(encoded), 'INVALID_TRACK');
  });

  it('refuses a string that does not fit writeUTF', () => {
    expectSpenceError(() => encodeLavaplayerTrack({ ...base, title: 'x'.repeat(70_000) }), 'INVALID_ARGUMENT');
  });

  it('accepts the URL-safe alphabet, missing padding, and a + that a query string made a space', () => {
    const encoded = data.vectors[0]!.encoded;
    const t = decodeLavaplayerTrack(encoded);
    expect(decodeLavaplayerTrack(encoded.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))).toEqual(t);
    expect(decodeLavaplayerTrack(encoded.replace(/\+/g, ' '))).toEqual(t);
  });

  it('round-trips the probe and LavaSrc details', () => {
    expect(readProbeInfo(writeProbeInfo({ probe: 'matroska/webm', parameters: 'x' }))).toEqual({ probe: 'matroska/webm', parameters: 'x' });
    const lavasrc = { albumName: 'Album', albumUrl: null, artistUrl: 'https://a', artistArtworkUrl: null, previewUrl: null, isPreview: true };
    expect(readLavaSrcDetails(writeLavaSrcDetails(lavasrc))).toEqual(lavasrc);
    expect(readLavaSrcDetails(Uint8Array.from([1]))).toBeNull();
  });

  it('round-trips any track (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    const nullable = fc.option(text, { nil: null });
    const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(
        fc.record({
          title: text,
          author: text,
          length: long,
          identifier: text,
          isStream: fc.boolean(),
          uri: nullable,
          artworkUrl: nullable,
          isrc: nullable,
          sourceName: text,
          details: fc.uint8Array({ maxLength: 64 }),
          position: long,
        }),
        (track) => {
          expect(decodeLavaplayerTrack(encodeLavaplayerTrack(track))).toEqual({ ...track, version: 3 });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips strings with lone surrogates and NUL exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }), (units) => {
        const s = String.fromCharCode(...units);
        const w = new DataWriter();
        w.utf(s);
        expect(new DataReader(w.finish()).utf()).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});
