// Playing a SoundCloud track end to end: api-v2 answers from nock, the Opus HLS playlist and its
// segments from a real loopback HTTP server. The segments are cut from an Ogg Opus fixture (headers
// in the first segment only, as SoundCloud cuts them), and the packets must equal the fixture's.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { SpenceError, createTrack } from '../../src/provider-kit.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Track, TrackMedia } from '../../src/provider-kit.js';
import { soundcloudProvider } from '../../providers/soundcloud/index.js';
import { ioTurns } from '../helpers/drive.js';
import type { ScTrack } from '../../providers/soundcloud/index.js';

const source = new Uint8Array(readFileSync(new URL('../../fixtures/soundcloud/hls-source.opus', import.meta.url)));
const expected: { md5: string }[] = JSON.parse(readFileSync(new URL('../../fixtures/soundcloud/hls-source.opus.packets.json', import.meta.url), 'utf8'));
const TRACK: ScTrack = JSON.parse(readFileSync(new URL('../../fixtures/soundcloud/track.json', import.meta.url), 'utf8'));
const API = 'https://api-v2.soundcloud.com';
const CLIENT_ID = 'TestClientId0123456789abcdefghij';
const OPUS_PATH = new URL(TRACK.media!.transcodings!.find((t) => t.preset === 'opus_0_0')!.url).pathname;

/** The Ogg page boundaries of `bytes` (RFC 3533 §6: 27-byte header, lacing table, body). */
function pageStarts(bytes: Uint8Array): number[] {
  const starts: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    starts.push(pos);
    const count = bytes[pos + 26]!;
    let body = 0;
    for (let i = 0; i < count; i++) body += bytes[pos + 27 + i]!;
    pos += 27 + count + body;
  }
  return starts;
}

/** Cuts `bytes` at the given offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(0, -1).map((from, i) => bytes.subarray(from, bounds[i + 1]));
}

/** Page-aligned segments, `pagesPer` Ogg pages each: the headers land in the first one only. */
const pages = pageStarts(source);
const pageAligned = cut(source, pages.filter((_, i) => i > 0 && i % 4 === 0));

/**
 * A CDN stand-in: `/playlist.m3u8?gen=G` lists `/media/{i}.opus?gen=G`; a generation in `expired`
 * answers 403, as a signed URL past its time does. Segments support Range.
 */
interface FakeCdn {
  base: string;
  segments: Uint8Array[];
  requests: string[];
  expired: Set<string>;
  /** Called when a segment's body has been sent in full. */
  onServed: ((index: number, gen: string) => void) | undefined;
  close(): Promise<void>;
}

async function startCdn(): Promise<FakeCdn> {
  const cdn: FakeCdn = { base: '', segments: pageAligned, requests: [], expired: new Set(), onServed: undefined, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const gen = url.searchParams.get('gen') ?? '';
    cdn.requests.push(`${url.pathname} ${gen} ${req.headers.range ?? ''}`.trim());
    if (cdn.expired.has(gen)) return void res.writeHead(403, { 'content-type': 'text/xml' }).end('<Error><Code>AccessDenied</Code></Error>');
    if (url.pathname === '/playlist.m3u8') {
      const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-TARGETDURATION:3', '#EXT-X-MEDIA-SEQUENCE:0'];
      cdn.segments.forEach((_, i) => lines.push('#EXTINF:2.0,', `${cdn.base}/media/${i}.opus?gen=${gen}`));
      lines.push('#EXT-X-ENDLIST', '');
      return void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(lines.join('\n'));
    }
    const match = /^\/media\/(\d+)\.opus$/.exec(url.pathname);
    const index = match ? Number(match[1]) : -1;
    const segment = cdn.segments[index];
    if (!segment) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), segment.length - 1) : segment.length - 1;
    if (start >= segment.length) return void res.writeHead(416, { 'content-range': `bytes */${segment.length}` }).end();
    const slice = segment.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      'content-type': 'audio/ogg',
      'content-length': slice.length,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${segment.length}` } : {}),
    });
    res.end(slice, () => cdn.onServed?.(index, gen));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cdn.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cdn.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return cdn;
}

const TRACK_ID = '2167944333';
const stored: Track = createTrack({ source: 'soundcloud', identifier: TRACK_ID, uri: TRACK.permalink_url!, title: TRACK.title!, author: 'Blake Whiten', durationMs: 10_000, isStream: false, isSeekable: true });

async function collect(media: TrackMedia, start = 0): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of media.read(start, { signal: AbortSignal.timeout(20_000) })) parts.push(chunk);
  return new Uint8Array(Buffer.concat(parts));
}

async function playAll(node: Node, track: Track): Promise<OpusPacket[]> {
  const opened = await node.openTrack(track, { signal: AbortSignal.timeout(20_000) });
  const packets: OpusPacket[] = [];
  try {
    for (;;) {
      const next = await opened.packets.next();
      if (next.done) break;
      packets.push(next.value);
    }
  } finally {
    opened.close();
  }
  return packets;
}

function expectSourcePackets(packets: OpusPacket[]): void {
  expect(packets.length).toBe(expected.length);
  packets.forEach((packet, i) => {
    const md5 = createHash('md5').update(packet.data).digest('hex');
    if (md5 !== expected[i]!.md5) expect.fail(`packet ${i}: md5 ${md5}, expected ${expected[i]!.md5}`);
  });
}

/** The SpenceError `promise` rejects with; fails the test when it resolves or throws anything else. */
async function errorOf(promise: Promise<unknown>): Promise<SpenceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SpenceError);
    return error as SpenceError;
  }
  throw new Error('expected a rejection');
}

describe('soundcloud Opus HLS through the node', () => {
  let cdn: FakeCdn;
  let node: Node;
  /** Transcoding requests seen: each hands out the next playlist generation. */
  let transcodingCalls: string[];

  beforeAll(async () => {
    cdn = await startCdn();
  });
  afterAll(async () => cdn.close());
  afterEach(async () => {
    nock.cleanAll();
    await node?.close();
    cdn.requests.length = 0;
    cdn.expired.clear();
    cdn.onServed = undefined;
    cdn.segments = pageAligned;
  });

  function mockApi(): void {
    transcodingCalls = [];
    let gen = 0;
    nock(API).persist().get(`/tracks/${TRACK_ID}`).query({ client_id: CLIENT_ID }).reply(200, TRACK);
    nock(API)
      .persist()
      .get(OPUS_PATH)
      .query({ client_id: CLIENT_ID, track_authorization: TRACK.track_authorization! })
      .reply(() => {
        transcodingCalls.push(String(gen + 1));
        return [200, { url: `${cdn.base}/playlist.m3u8?gen=${++gen}` }];
      });
    node = new Node({ providers: [soundcloudProvider({ clientId: CLIENT_ID, segmentBackoffMs: 1 })], http: { allowPrivateAddresses: true } });
  }

  it('the segments (headers in the first only) concatenate to the Ogg file; its packets play unchanged', async () => {
    mockApi();
    expect(pageAligned.length).toBeGreaterThanOrEqual(5);
    expectSourcePackets(await playAll(node, stored));
    expect(cdn.requests.filter((r) => r.startsWith('/media/')).map((r) => r.split(' ')[0])).toEqual(pageAligned.map((_, i) => `/media/${i}.opus`));
    expect(transcodingCalls).toEqual(['1']);
  });

  it('read(start) gives the bytes from that offset, across segment boundaries', async () => {
    mockApi();
    const media = await node.openMedia(stored, { signal: AbortSignal.timeout(5000) });
    expect(Buffer.from(await collect(media)).equals(Buffer.from(source))).toBe(true);
    expect(media.contentLength).toBe(source.length);
    // Once lengths are known, a read from the middle of segment 2 starts there with a Range request.
    const offset = pageAligned[0]!.length + pageAligned[1]!.length + 100;
    cdn.requests.length = 0;
    expect(Buffer.from(await collect(media, offset)).equals(Buffer.from(source.subarray(offset)))).toBe(true);
    expect(cdn.requests[0]).toMatch(/^\/media\/2\.opus 1 bytes=100-/);
    media.close();
    // A fresh media (lengths unknown) skips whole segments by reading them first.
    const fresh = await node.openMedia(stored, { signal: AbortSignal.timeout(5000) });
    expect(Buffer.from(await collect(fresh, offset)).equals(Buffer.from(source.subarray(offset)))).toBe(true);
    fresh.close();
  });

  it('a segment URL that expires mid-track (403): a fresh playlist, and reading goes on at the same segment', async () => {
    mockApi();
    // Generation 1 expires once segment 1 has been served: segment 2 of generation 1 answers 403.
    cdn.onServed = (index, gen) => {
      if (index === 1 && gen === '1') cdn.expired.add('1');
    };
    expectSourcePackets(await playAll(node, stored));
    expect(transcodingCalls).toEqual(['1', '2']);
    const media = cdn.requests.filter((r) => r.startsWith('/media/')).map((r) => r.split(' ').slice(0, 2).join(' '));
    expect(media.slice(0, 4)).toEqual(['/media/0.opus 1', '/media/1.opus 1', '/media/2.opus 1', '/media/2.opus 2']);
    expect(media.slice(4)).toEqual(pageAligned.slice(3).map((_, i) => `/media/${i + 3}.opus 2`));
  });

  it('segments cut mid-page still play: the bytes are one stream', async () => {
    mockApi();
    cdn.segments = cut(source, [50, 3001, 3002, 40_000, 77_777, 110_000]);
    expectSourcePackets(await playAll(node, stored));
  });

  it('pulling is the backpressure: the next segment is fetched only once the previous one has been read', async () => {
    mockApi();
    const media = await node.openMedia(stored, { signal: AbortSignal.timeout(5000) });
    const iterator = media.read(0, { signal: AbortSignal.timeout(5000) })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // The event loop gets turns (no time) in which a segment fetched ahead would be asked for.
    await ioTurns(200);
    expect(cdn.requests.filter((r) => r.startsWith('/media/')).map((r) => r.split(' ')[0])).toEqual(['/media/0.opus']);
    await iterator.return?.();
    media.close();
  });

  it('a playlist that no longer answers after an expiry ends the read with an error, not a hang', async () => {
    mockApi();
    cdn.onServed = (index) => {
      // Every generation, present and future, is refused from now on.
      if (index === 0) for (let gen = 1; gen <= 100; gen++) cdn.expired.add(String(gen));
    };
    const media = await node.openMedia(stored, { signal: AbortSignal.timeout(10_000) });
    const error = await errorOf(collect(media));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toMatch(/media\/1\.opus.*refreshing the URL/);
    media.close();
  });
});
