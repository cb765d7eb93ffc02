/**
 * Tracks between spence and Lavalink's clients: spence's tracks encode to lavaplayer strings a
 * client decoder reads (the source's own details: the http probe, LavaSrc's album fields), streams
 * carry Long.MAX_VALUE written exactly in JSON, and strings from a Lavalink node decode to the
 * spence track that plays them (SoundCloud's stream URLs to track ids, LavaSrc's album).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTrack } from '../../src/resolve/track-codec.js';
import { stringify } from '../../src/server/json.js';
import {
  UNKNOWN_LENGTH,
  decodeLavaplayerTrack,
  fromEncoded,
  fromSpenceTrack,
  readLavaSrcDetails,
  readProbeInfo,
  toTrackJson,
} from '../../src/server/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = (
  JSON.parse(readFileSync(path.resolve(here, '../../../shared/lavalink/encoded-tracks.json'), 'utf8')) as {
    vectors: { id: string; encoded: string; stated?: Record<string, unknown>; statedNotEncoded?: Record<string, string> }[];
  }
).vectors;
const vector = (id: string): string => vectors.find((v) => v.id === id)!.encoded;

const youtube = createTrack({
  source: 'youtube',
  identifier: 'dQw4w9WgXcQ',
  uri: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  title: 'Never Gonna Give You Up \u{1F3B5}',
  author: 'Rick Astley',
  artists: ['Rick Astley'],
  album: 'Whenever You Need Somebody',
  durationMs: 213_000,
  isStream: false,
  isSeekable: true,
  artworkUrl: 'https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg',
});

describe('spence tracks to Lavalink', () => {
  it('encodes a YouTube track as lavaplayer does: version 3, no details, position 0', () => {
    const st = fromSpenceTrack(youtube);
    const decoded = decodeLavaplayerTrack(st.encoded);
    expect(decoded).toEqual({
      version: 3,
      title: youtube.title,
      author: 'Rick Astley',
      length: 213_000n,
      identifier: 'dQw4w9WgXcQ',
      isStream: false,
      uri: youtube.uri,
      artworkUrl: youtube.artworkUrl,
      isrc: null,
      sourceName: 'youtube',
      details: new Uint8Array(0),
      position: 0n,
    });
    expect(toTrackJson(st, 1234, { a: 1 })).toEqual({
      encoded: st.encoded,
      info: { identifier: 'dQw4w9WgXcQ', isSeekable: true, author: 'Rick Astley', length: 213_000, isStream: false, position: 1234, title: youtube.title, uri: youtube.uri, artworkUrl: youtube.artworkUrl, isrc: null, sourceName: 'youtube' },
      pluginInfo: {},
      userData: { a: 1 },
    });
  });

  it('gives http tracks the probe lavaplayer would (from the extension) and metadata sources LavaSrc\'s details', () => {
    const http = createTrack({ source: 'http', identifier: 'https://cdn.example/a/song.ogg?sig=1', uri: 'https://cdn.example/a/song.ogg?sig=1', title: 'song', author: 'cdn.example', durationMs: 5000, isStream: false, isSeekable: true });
    expect(readProbeInfo(decodeLavaplayerTrack(fromSpenceTrack(http).encoded).details)).toEqual({ probe: 'ogg', parameters: null });
    const spotify = createTrack({ source: 'spotify', identifier: '4uLU6hMCjMI75M1A2tKUQC', uri: 'https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC', title: 'Never Gonna Give You Up', author: 'Rick Astley', album: 'Whenever You Need Somebody', durationMs: 213_573, isStream: false, isSeekable: true, isrc: 'GBARL9300135' });
    const st = fromSpenceTrack(spotify);
    const details = readLavaSrcDetails(decodeLavaplayerTrack(st.encoded).details);
    expect(details).toEqual({ albumName: 'Whenever You Need Somebody', albumUrl: null, artistUrl: null, artistArtworkUrl: null, previewUrl: null, isPreview: false });
    expect(st.pluginInfo).toEqual(details);
    expect(st.info.isrc).toBe('GBARL9300135');
  });

  it('writes a stream\'s unknown length as Long.MAX_VALUE, exactly, in JSON', () => {
    const live = createTrack({ source: 'http', identifier: 'https://radio.example/live', uri: 'https://radio.example/live', title: 'live', author: 'radio', durationMs: null, isStream: true, isSeekable: false });
    const st = fromSpenceTrack(live);
    expect(decodeLavaplayerTrack(st.encoded).length).toBe(UNKNOWN_LENGTH);
    const json = stringify(toTrackJson(st));
    expect(json).toContain('"length":9223372036854775807');
    expect(json).not.toContain('9223372036854776000');
    // A title with those digits is left alone.
    expect(stringify({ title: '"length":9223372036854776000' })).toBe(JSON.stringify({ title: '"length":9223372036854776000' }));
  });
});

describe('Lavalink strings to spence', () => {
  for (const v of vectors.filter((x) => x.stated !== undefined && Object.keys(x.stated).length > 0)) {
    it(`gives the Track Info its source states: ${v.id}`, () => {
      const st = fromEncoded(v.encoded);
      const info = toTrackJson(st, st.position).info as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(v.stated!)) {
        // `version` is the string's, not a Track Info field; some sources pair a string with info it does not hold.
        if (key === 'version' || v.statedNotEncoded?.[key] !== undefined) continue;
        expect(info[key], key).toEqual(value);
      }
    });
  }


  it('keeps the position a string holds: decodetrack answers it, a player starts there', () => {
    const st = fromEncoded(vector('disgolink-architects-animals-position-v2'));
    expect(st.position).toBe(244_260);
    expect(toTrackJson(st, st.position).info.position).toBe(244_260);
  });

  it('plays a Lavalink YouTube string as the YouTube video', () => {
    const st = fromEncoded(vector('lavalink-docs-rickroll-v2'));
    expect(st.track).toMatchObject({ source: 'youtube', identifier: 'dQw4w9WgXcQ', durationMs: 212_000, isStream: false, isSeekable: true, title: 'Rick Astley - Never Gonna Give You Up' });
    expect(st.encoded).toBe(vector('lavalink-docs-rickroll-v2'));
  });

  it('plays a Lavalink SoundCloud string as the SoundCloud track id', () => {
    expect(fromEncoded(vector('lavalink-client-node-soundcloud-talkalot-v3')).track).toMatchObject({ source: 'soundcloud', identifier: '851421076', isrc: 'QZHNA1985784', durationMs: 125_910 });
    expect(fromEncoded(vector('lavaplayer-fork-soundcloud-slimshady-v2')).track.identifier).toBe('256256887');
  });

  it('plays a Lavalink HTTP string from its URL', () => {
    expect(fromEncoded(vector('disgolink-http-mp3-v2')).track).toMatchObject({ source: 'http', identifier: expect.stringMatching(/^https:\/\/p\.scdn\.co\/mp3-preview\//), durationMs: 29_988 });
  });

  it('keeps LavaSrc\'s album and pluginInfo for metadata sources (mirrored when played)', () => {
    const st = fromEncoded(vector('lavalink-client-node-deezer-nodiggity-v3'));
    expect(st.track).toMatchObject({ source: 'deezer', identifier: '916496', album: 'No Diggity: The Very Best Of Blackstreet', isrc: 'USIR19600978' });
    expect(st.pluginInfo).toMatchObject({ albumName: 'No Diggity: The Very Best Of Blackstreet', isPreview: false });
  });

  it('round-trips its own tracks: encoded, decoded, the same fields', () => {
    const st = fromEncoded(fromSpenceTrack(youtube).encoded);
    expect(st.track).toMatchObject({ source: 'youtube', identifier: youtube.identifier, uri: youtube.uri, title: youtube.title, author: youtube.author, durationMs: youtube.durationMs, artworkUrl: youtube.artworkUrl });
  });

  it('takes back a string whose + a query string made a space', () => {
    const encoded = vector('lavalink-docs-rickroll-v2');
    expect(fromEncoded(encoded.replace(/\+/g, ' ')).encoded).toBe(encoded);
  });
});
