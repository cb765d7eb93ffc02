// MP3 SoundCloud tracks (progressive and HLS) through the transcoding path: api-v2 from nock, the
// MP3 file and its HLS segments (cut from fixtures/media/tone-44k.mp3, each segment opening with
// an ID3 timestamp tag as HLS packed audio does) from a real loopback server, played by a pull
// player to the end. With ffmpeg, the output is decoded and compared with the source's level.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import { createTrack } from '../../src/provider-kit.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Track } from '../../src/provider-kit.js';
import { soundcloudProvider } from '../../providers/soundcloud/index.js';
import type { ScTrack } from '../../providers/soundcloud/index.js';
import { db, rms } from '../transcode/signal.js';
import { ffmpegDecode, hasFfmpeg } from '../transcode/reference.js';

const MP3_PATH = new URL('../../fixtures/media/tone-44k.mp3', import.meta.url).pathname;
const mp3 = new Uint8Array(readFileSync(MP3_PATH));
const TRACK: ScTrack = JSON.parse(readFileSync(new URL('../../fixtures/soundcloud/track-mp3-only.json', import.meta.url), 'utf8'));
const API = 'https://api-v2.soundcloud.com';
const CLIENT_ID = 'TestClientId0123456789abcdefghij';
const TRACK_ID = String(TRACK.id);
const transcoding = (protocol: string) => TRACK.media!.transcodings!.find((t) => t.format?.mime_type === 'audio/mpeg' && t.format.protocol === protocol)!;

/** An ID3v2.4 tag with an empty PRIV frame, as HLS packed-audio segments start (RFC 8216 §3.4). */
function id3Tag(): Uint8Array {
  const owner = Buffer.from('com.apple.streaming.transportStreamTimestamp\0');
  const body = Buffer.concat([owner, Buffer.alloc(8)]);
  const frame = Buffer.concat([Buffer.from('PRIV'), Buffer.from([0, 0, 0, body.length]), Buffer.from([0, 0]), body]);
  return Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, 0, 0, 0, frame.length]), frame]);
}

/** The MP3 cut into about 1 s segments (at arbitrary bytes: the segments are one stream), each behind an ID3 tag. */
const segments: Uint8Array[] = [];
for (let at = 0, i = 0; at < mp3.length; at += 16_000, i++) segments.push(Buffer.concat([id3Tag(), mp3.subarray(at, at + 16_000)]));

interface Cdn {
  base: string;
  requests: string[];
  /** Generations whose URLs answer 403 (expired signatures). */
  expired: Set<string>;
  close(): Promise<void>;
}

async function startCdn(): Promise<Cdn> {
  const cdn: Cdn = { base: '', requests: [], expired: new Set(), close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const gen = url.searchParams.get('gen') ?? '';
    cdn.requests.push(`${url.pathname} ${gen}`);
    if (cdn.expired.has(gen)) return void res.writeHead(403).end();
    if (url.pathname === '/playlist.m3u8') {
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
      segments.forEach((_, i) => lines.push('#EXTINF:1.0,', `${cdn.base}/media/${i}.mp3?gen=${gen}`));
      lines.push('#EXT-X-ENDLIST', '');
      return void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(lines.join('\n'));
    }
    const match = /^\/media\/(\d+)\.mp3$/.exec(url.pathname);
    const body = url.pathname === '/file.mp3' ? mp3 : match ? segments[Number(match[1])] : undefined;
    if (!body) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    const slice = body.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      'content-type': 'audio/mpeg',
      'content-length': slice.length,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cdn.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cdn.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return cdn;
}

const stored: Track = createTrack({ source: 'soundcloud', identifier: TRACK_ID, uri: TRACK.permalink_url!, title: 'old upload', author: 'Blake Whiten', durationMs: 3000, isStream: false, isSeekable: true });

async function playToEnd(node: Node): Promise<OpusPacket[]> {
  const player = node.createPlayer({ mode: 'pull', silenceFrames: 0 });
  await player.load(stored, { signal: AbortSignal.timeout(20_000) });
  expect(player.transcoding).toBe(true);
  const packets: OpusPacket[] = [];
  const deadline = Date.now() + 20_000;
  while (player.status !== 'ended' && player.status !== 'errored' && Date.now() < deadline) {
    const packet = player.readFrame();
    if (packet === null) await new Promise((r) => setTimeout(r, 1));
    else packets.push(packet);
  }
  expect(player.state.error).toBeUndefined();
  expect(player.status).toBe('ended');
  player.destroy();
  return packets;
}

/** 3 s of 20 ms packets on a contiguous timeline; with ffmpeg, the source's level (volume 1) within 1 dB. */
function expectTone(packets: OpusPacket[], label: string): void {
  expect(packets.length).toBe(150);
  packets.forEach((p, i) => expect(p.timestampMs).toBeCloseTo(i * 20, 6));
  if (!hasFfmpeg) return;
  const writer = new OggOpusWriter({ channels: 2, preSkip: 0 }, { serial: 3 });
  const ogg = Buffer.concat([...writer.headers(), ...packets.flatMap((p) => writer.write(p.data)), ...writer.end()]);
  const out = ffmpegDecode(ogg);
  const ref = ffmpegDecode(MP3_PATH);
  const to = Math.min(out.left.length, ref.left.length) - 4800;
  const left = db(rms(out.left, 4800, to), rms(ref.left, 4800, to));
  const right = db(rms(out.right, 4800, to), rms(ref.right, 4800, to));
  console.log(`${label}: ${packets.length} packets, ${(out.left.length / 48).toFixed(1)} ms decoded, left ${left.toFixed(2)} dB, right ${right.toFixed(2)} dB against the source`);
  expect(Math.abs(out.left.length / 48 - 3000)).toBeLessThan(30);
  expect(Math.abs(left)).toBeLessThan(1);
  expect(Math.abs(right)).toBeLessThan(1);
}

describe('soundcloud MP3 through the transcoding path', () => {
  let cdn: Cdn;
  let node: Node | undefined;
  let streamCalls: number;

  beforeAll(async () => {
    cdn = await startCdn();
  });
  afterAll(async () => cdn.close());
  afterEach(async () => {
    nock.cleanAll();
    await node?.close();
    node = undefined;
    cdn.requests.length = 0;
    cdn.expired.clear();
  });

  /** api-v2: the track (with only the given MP3 transcodings) and each transcoding's stream URL. */
  function mockApi(protocols: string[], urlFor: (protocol: string, gen: number) => string): Node {
    streamCalls = 0;
    const track = { ...TRACK, media: { transcodings: TRACK.media!.transcodings!.filter((t) => t.format?.mime_type !== 'audio/mpeg' || protocols.includes(t.format.protocol!)) } };
    nock(API).persist().get(`/tracks/${TRACK_ID}`).query({ client_id: CLIENT_ID }).reply(200, track);
    for (const protocol of protocols) {
      nock(API).persist().get(new URL(transcoding(protocol).url).pathname)
        .query({ client_id: CLIENT_ID, track_authorization: TRACK.track_authorization! })
        .reply(() => [200, { url: urlFor(protocol, ++streamCalls) }]);
    }
    node = new Node({ providers: [soundcloudProvider({ clientId: CLIENT_ID, segmentBackoffMs: 1 })], http: { allowPrivateAddresses: true } });
    return node;
  }

  it('MP3 progressive: the file plays to the end as Opus, at the source level', async () => {
    const n = mockApi(['progressive'], (_, gen) => `${cdn.base}/file.mp3?gen=${gen}`);
    expectTone(await playToEnd(n), 'SoundCloud MP3 progressive');
    expect(cdn.requests.every((r) => r.startsWith('/file.mp3'))).toBe(true);
  });

  it('MP3 progressive whose URL has expired (403): a fresh one from the transcoding, and it plays', async () => {
    const n = mockApi(['progressive'], (_, gen) => `${cdn.base}/file.mp3?gen=${gen}`);
    cdn.expired.add('1');
    expectTone(await playToEnd(n), 'SoundCloud MP3 progressive after an expiry');
    expect(streamCalls).toBeGreaterThanOrEqual(2);
  });

  it('MP3 HLS (segments behind ID3 tags, cut mid-frame): plays to the end, at the source level', async () => {
    const n = mockApi(['hls'], (_, gen) => `${cdn.base}/playlist.m3u8?gen=${gen}`);
    expectTone(await playToEnd(n), 'SoundCloud MP3 HLS');
    expect(cdn.requests.filter((r) => r.startsWith('/media/')).length).toBe(segments.length);
  });
});
