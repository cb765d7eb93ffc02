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
