import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { SpenceError } from '../../src/errors.js';
import { createTrack, decodeTrack } from '../../src/resolve/track-codec.js';
import type { TrackInfo } from '../../src/resolve/track.js';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const trackInfo: fc.Arbitrary<TrackInfo> = fc.record(
  {
    source: fc.constantFrom('youtube', 'soundcloud', 'http', 'local', 'spotify', 'my-provider'),
    identifier: text,
    uri: text,
    title: text,
    author: text,
    artists: fc.array(text, { maxLength: 5 }),
    album: text,
    durationMs: fc.oneof(fc.constant(null), fc.nat({ max: 2 ** 40 }), fc.double({ min: 0, max: 1e9, noNaN: true })),
    isStream: fc.boolean(),
    isSeekable: fc.boolean(),
    isrc: fc.stringMatching(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/),
    artworkUrl: fc.webUrl(),
  },
  { requiredKeys: ['source', 'identifier', 'uri', 'title', 'author', 'durationMs', 'isStream', 'isSeekable'] },
);

describe('Track.encoded', () => {
  const node = new Node();

  it('round-trips any track, unicode and missing optional fields included', () => {
    fc.assert(
      fc.property(trackInfo, (info) => {
        const track = createTrack(info);
        const decoded = node.decodeTrack(track.encoded);
        expect(decoded).toStrictEqual(track);
        expect(Object.keys(decoded)).toEqual(Object.keys(track));
      }),
      { numRuns: 2000 },
    );
  });

  it('is compact and URL-safe', () => {
    const track = createTrack({ source: 'youtube', identifier: 'dQw4w9WgXcQ', uri: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', title: 'Never Gonna Give You Up', author: 'Rick Astley', durationMs: 213_000, isStream: false, isSeekable: true });
    expect(track.encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(track.encoded.length).toBeLessThan(160);
  });

  it('refuses a corrupted string with INVALID_TRACK', () => {
    const track = createTrack({ source: 'http', identifier: 'x', uri: 'https://example.com/a.webm', title: 'Ä title ✓', author: '作者', durationMs: 1234, isStream: false, isSeekable: true });
    fc.assert(
      fc.property(fc.nat({ max: track.encoded.length - 1 }), fc.constantFrom(...'ABCxyz019-_'), (index, char) => {
        const mangled = track.encoded.slice(0, index) + char + track.encoded.slice(index + 1);
        if (mangled === track.encoded) return;
        expect(() => decodeTrack(mangled)).toThrowError(expect.objectContaining({ code: 'INVALID_TRACK' }));
      }),
      { numRuns: 500 },
    );
    for (const bad of ['', 'not base64!', 'AQ', track.encoded.slice(0, -3), `${track.encoded}AAAA`]) {
      const error = (() => { try { decodeTrack(bad); } catch (e) { return e; } })();
      expect(error).toBeInstanceOf(SpenceError);
      expect((error as SpenceError).code).toBe('INVALID_TRACK');
    }
  });

  it('says clearly when a string comes from a newer version', () => {
    const track = createTrack({ source: 'http', identifier: 'x', uri: 'u', title: 't', author: 'a', durationMs: null, isStream: true, isSeekable: false });
    const bytes = Buffer.from(track.encoded, 'base64url');
    bytes[0] = 7;
    expect(() => decodeTrack(bytes.toString('base64url'))).toThrowError(/version 7, newer than this spence understands/);
  });
});

describe('tracks are checked when made and when decoded (issue 15 item 15)', () => {
  const good: TrackInfo = { source: 'http', identifier: 'x', uri: 'u', title: 't', author: 'a', durationMs: 1000, isStream: false, isSeekable: true };

  it('createTrack refuses what is not a TrackInfo with INVALID_ARGUMENT naming the field', () => {
    const cases: [unknown, string][] = [
      [null, 'createTrack(info) must be a TrackInfo object, got null'],
      [undefined, 'createTrack(info) must be a TrackInfo object, got undefined'],
      ['youtube', 'createTrack(info) must be a TrackInfo object, got "youtube"'],
      [{ ...good, source: undefined }, 'track.source must be a string, got undefined'],
      [{ ...good, title: 42 }, 'track.title must be a string, got 42'],
      [{ ...good, durationMs: Number.NaN }, 'track.durationMs must be null or a number >= 0, got NaN'],
      [{ ...good, durationMs: -1 }, 'track.durationMs must be null or a number >= 0, got -1'],
      [{ ...good, durationMs: Infinity }, 'track.durationMs must be null or a number >= 0, got Infinity'],
      [{ ...good, durationMs: undefined }, 'track.durationMs must be null or a number >= 0, got undefined'],
      [{ ...good, isStream: 'no' }, 'track.isStream must be a boolean, got "no"'],
      [{ ...good, artists: 'A, B' }, 'track.artists must be an array, got "A, B"'],
      [{ ...good, artists: ['A', 7] }, 'track.artists[] must be a string, got 7'],
    ];
    for (const [info, message] of cases) {
      const error = (() => { try { createTrack(info as TrackInfo); } catch (e) { return e; } })();
      expect(error).toBeInstanceOf(SpenceError);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message });
    }
  });

  it('a forged string (a good checksum over a NaN, infinite or negative duration) is INVALID_TRACK', () => {
    // Encode a float duration, then overwrite the f64 and fix the checksum, as a forger would.
    const track = createTrack({ ...good, durationMs: 1.5 });
    const bytes = Buffer.from(track.encoded, 'base64url');
    const body = bytes.subarray(0, bytes.length - 4);
    const at = body.length - 8; // the f64 is the last field here
    expect(new DataView(body.buffer, body.byteOffset).getFloat64(at)).toBe(1.5);
    for (const forged of [Number.NaN, Infinity, -Infinity, -20]) {
      new DataView(body.buffer, body.byteOffset).setFloat64(at, forged);
      let hash = 0x811c9dc5;
      for (const byte of body) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, hash);
      const error = (() => { try { decodeTrack(bytes.toString('base64url')); } catch (e) { return e; } })();
      expect(error).toBeInstanceOf(SpenceError);
      expect(error).toMatchObject({ code: 'INVALID_TRACK', message: expect.stringContaining('duration') });
    }
  });
});
