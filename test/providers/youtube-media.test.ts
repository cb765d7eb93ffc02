// Playing a YouTube track end to end: InnerTube answers from nock, media bytes from a real loopback
// HTTP server that the format URL points at; the packets must equal the fixture's packet list.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Track } from '../../src/provider-kit.js';
import { youtubeProvider } from '../../providers/youtube/index.js';
import type { YoutubeFormat } from '../../providers/youtube/index.js';

const webm = new Uint8Array(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url)));
const expected: { size: number; md5: string }[] = JSON.parse(readFileSync(new URL('../../fixtures/media/sample.webm.packets.json', import.meta.url), 'utf8'));
const playerOk = JSON.parse(readFileSync(new URL('../../fixtures/youtube/player-ok.json', import.meta.url), 'utf8'));
const VIDEO = 'K4DyBUG242c';

/**
 * A googlevideo stand-in: serves the file at `/videoplayback?token=N` with Range support. A token in
 * `expired` answers 403; `dropAfter` cuts the first response after that many body bytes and expires
 * its token, as a URL that expires mid-download does.
 */
interface FakeGooglevideo {
  base: string;
  requests: string[];
  expired: Set<string>;
  dropAfter: number | undefined;
  close(): Promise<void>;
}

async function startGooglevideo(): Promise<FakeGooglevideo> {
  const state: FakeGooglevideo = { base: '', requests: [], expired: new Set(), dropAfter: undefined, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const token = url.searchParams.get('token') ?? '';
    state.requests.push(`${token} ${req.headers.range ?? ''}`);
    if (url.pathname !== '/videoplayback') return void res.writeHead(404).end();
    if (state.expired.has(token)) return void res.writeHead(403).end('expired');
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] ? Math.min(Number(match[2]), webm.length - 1) : webm.length - 1;
    if (start >= webm.length) return void res.writeHead(416, { 'content-range': `bytes */${webm.length}` }).end();
    const slice = webm.subarray(start, end + 1);
    res.writeHead(match ? 206 : 200, {
      'content-type': 'audio/webm',
      'content-length': slice.length,
      ...(match ? { 'content-range': `bytes ${start}-${end}/${webm.length}` } : {}),
    });
    const drop = state.dropAfter;
    if (drop !== undefined && slice.length > drop) {
      state.dropAfter = undefined;
      state.expired.add(token);
      res.write(slice.subarray(0, drop), () => res.socket?.destroy());
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return state;
}

/** The player fixture with every WebM Opus format pointing at the fake server with `token`. */
function playerFor(base: string, token: number): unknown {
  const formats = (playerOk.streamingData.adaptiveFormats as YoutubeFormat[]).map((format) => ({
    ...format,
    url: `${base}/videoplayback?itag=${format.itag}&token=${token}`,
    contentLength: String(webm.length),
  }));
  return { ...playerOk, streamingData: { ...playerOk.streamingData, adaptiveFormats: formats } };
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

function expectPacketList(packets: OpusPacket[]): void {
  expect(packets.length).toBe(expected.length);
  packets.forEach((packet, i) => {
    const md5 = createHash('md5').update(packet.data).digest('hex');
    if (md5 !== expected[i]!.md5) expect.fail(`packet ${i}: md5 ${md5}, expected ${expected[i]!.md5}`);
  });
  for (let i = 1; i < packets.length; i++) expect(packets[i]!.timestampMs).toBeGreaterThan(packets[i - 1]!.timestampMs);
}

describe('youtube media through the node', () => {
  let googlevideo: FakeGooglevideo;
  let node: Node;
  beforeAll(async () => {
    googlevideo = await startGooglevideo();
  });
  afterEach(async () => {
    nock.cleanAll();
    await node?.close();
    googlevideo.requests.length = 0;
    googlevideo.expired.clear();
    googlevideo.dropAfter = undefined;
  });
  afterAll(async () => googlevideo.close());

  /** Each /player answer hands out the next token, as YouTube signs a new URL per request. */
  function mockPlayer(): string[] {
    const clients: string[] = [];
    let token = 0;
    nock('https://www.youtube.com')
      .persist()
      .post('/youtubei/v1/player')
      .query(true)
      .reply((_uri, body) => {
        clients.push((typeof body === 'string' ? JSON.parse(body) : body).context.client.clientName);
        return [200, playerFor(googlevideo.base, ++token), { 'content-type': 'application/json' }];
      });
    return clients;
  }

  it('plays the format URL\'s bytes: the packets equal the file\'s packet list', async () => {
    mockPlayer();
    node = new Node({ providers: [youtubeProvider()], http: { allowPrivateAddresses: true } });
    const result = await node.resolve(`https://www.youtube.com/watch?v=${VIDEO}`);
    if (result.type !== 'track') throw new Error(result.type);
    expectPacketList(await playAll(node, result.track));
    expect(googlevideo.requests[0]).toBe('1 bytes=0-124347');
  });

  it('an URL that expires mid-download is refreshed through /player and reading resumes at the exact byte', async () => {
    const clients = mockPlayer();
    node = new Node({ providers: [youtubeProvider()], http: { allowPrivateAddresses: true } });
    const result = await node.resolve(`https://youtu.be/${VIDEO}`);
    if (result.type !== 'track') throw new Error(result.type);
    googlevideo.dropAfter = 50_000;
    const packets = await playAll(node, result.track);
    expectPacketList(packets);
    // Token 1 served 50 000 bytes and expired; its retry got 403; token 2 (a fresh /player) resumed at 50 000.
    expect(googlevideo.requests).toEqual(['1 bytes=0-124347', '1 bytes=50000-124347', '2 bytes=50000-124347']);
    expect(clients).toEqual(['VISIONOS', 'VISIONOS']); // resolve, then refresh with the same client
  });

  it('a refresh that finds the itag with another length is refused rather than splicing two files', async () => {
    let calls = 0;
    nock('https://www.youtube.com').persist().post('/youtubei/v1/player').query(true).reply(() => {
      calls++;
      const answer = playerFor(googlevideo.base, calls) as any;
      if (calls > 1) for (const format of answer.streamingData.adaptiveFormats) format.contentLength = '999';
      return [200, answer, { 'content-type': 'application/json' }];
    });
    node = new Node({ providers: [youtubeProvider()], http: { allowPrivateAddresses: true } });
    const result = await node.resolve(`https://youtu.be/${VIDEO}`);
    if (result.type !== 'track') throw new Error(result.type);
    googlevideo.dropAfter = 50_000;
    const error = await playAll(node, result.track).catch((e) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(String(error.message)).toMatch(/itag 251 of the same length/);
  });

  it('format URLs on private addresses are refused unless the node allows them', async () => {
    mockPlayer();
    node = new Node({ providers: [youtubeProvider()] });
    const result = await node.resolve(`https://youtu.be/${VIDEO}`);
    if (result.type !== 'track') throw new Error(result.type);
    await expect(node.openMedia(result.track)).rejects.toMatchObject({ code: 'FORBIDDEN_URL' });
    expect(googlevideo.requests).toEqual([]);
  });
});
