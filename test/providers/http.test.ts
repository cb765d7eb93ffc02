import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import type { SpenceError } from '../../src/provider-kit.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { MediaServer } from '../helpers/media-server.js';

const webm = new Uint8Array(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url)));
const ogg = new Uint8Array(readFileSync(new URL('../../fixtures/media/opusenc-stereo.opus', import.meta.url)));

describe('the http provider against a loopback server', () => {
  let server: MediaServer;
  let node: Node;
  beforeAll(async () => {
    server = await startMediaServer({
      '/music/My%20Song.webm': { body: webm, type: 'audio/webm' },
      '/song.opus': { body: ogg, type: 'audio/ogg' },
      '/page.html': { body: new TextEncoder().encode('<html></html>'), type: 'text/html' },
      '/text.bin': { body: new TextEncoder().encode('hello world, not media at all'), type: 'application/octet-stream' },
    });
    node = new Node({ http: { allowPrivateAddresses: true } });
  });
  afterAll(async () => {
    await node.close();
    await server.close();
  });

  it('is refused without allowPrivateAddresses', async () => {
    const strict = new Node();
    await expect(strict.resolve(server.url('/song.opus'))).rejects.toMatchObject({ code: 'FORBIDDEN_URL' });
    await strict.close();
  });

  it('resolves a WebM URL with title and duration from the first bytes', async () => {
    const result = await node.resolve(server.url('/music/My%20Song.webm'));
    if (result.type !== 'track') throw new Error('expected a track');
    expect(result.track).toMatchObject({ source: 'http', title: 'My Song', author: '127.0.0.1', isStream: false, isSeekable: true });
    expect(result.track.durationMs).toBeGreaterThan(9000);
    expect(server.requests.some((r) => r.includes('bytes=0-'))).toBe(true);
  });

  it('resolves an Ogg URL, reading the duration from the last page', async () => {
    const result = await node.resolve(server.url('/song.opus'));
    if (result.type !== 'track') throw new Error('expected a track');
    expect(result.track.durationMs).toBeGreaterThan(1000);
  });

  it('opens the track and reads every byte', async () => {
    const result = await node.resolve(server.url('/song.opus'));
    if (result.type !== 'track') throw new Error('expected a track');
    const media = await node.openMedia(result.track);
    const parts: Uint8Array[] = [];
    for await (const chunk of media.read(0, { signal: new AbortController().signal })) parts.push(chunk);
    media.close();
    expect(Buffer.concat(parts).equals(Buffer.from(ogg))).toBe(true);
  });

  it('gives typed errors for missing files, web pages and non-media', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: SpenceError) => e.code);
    expect(await code(node.resolve(server.url('/missing.webm')))).toBe('NOT_FOUND');
    expect(await code(node.resolve(server.url('/page.html')))).toBe('UNSUPPORTED_INPUT');
    expect(await code(node.resolve(server.url('/text.bin')))).toBe('UNSUPPORTED_INPUT');
  });

  it('a CDN that drops every response after 40 KB: the probe resumes, and playback reuses its bytes (issue 15 item 9)', async () => {
    server.faults = { dropEveryBytes: 40 * 1024 };
    try {
      node.clearCache();
      const result = await node.resolve(server.url('/music/My%20Song.webm'));
      if (result.type !== 'track') throw new Error('expected a track');
      expect(result.track.durationMs).toBeGreaterThan(9000);
      expect(server.injected.drop).toBeGreaterThan(0);
      const before = server.requests.length;
      const media = await node.openMedia(result.track);
      const parts: Uint8Array[] = [];
      for await (const chunk of media.read(0, { signal: new AbortController().signal })) parts.push(chunk);
      media.close();
      expect(Buffer.concat(parts).equals(Buffer.from(webm))).toBe(true);
      // The whole file came with the probe: playback asked the server for nothing.
      expect(server.requests.slice(before)).toEqual([]);
    } finally {
      server.faults = {};
    }
  });

  it('follows redirects through the URL guard; 403 is UNAVAILABLE and 410 NOT_FOUND (a plain URL does not expire)', async () => {
    server.faults = { redirects: { '/old.opus': '/song.opus' } };
    try {
      const result = await node.resolve(server.url('/old.opus'));
      expect(result.type === 'track' && result.track.durationMs).toBeGreaterThan(1000);
      const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: SpenceError) => e.code);
      server.faults = { plan: () => ({ kind: 'status', status: 403 }) };
      expect(await code(node.resolve(server.url('/song.opus?forbidden')))).toBe('UNAVAILABLE');
      server.faults = { plan: () => ({ kind: 'status', status: 410 }) };
      expect(await code(node.resolve(server.url('/song.opus?gone')))).toBe('NOT_FOUND');
    } finally {
      server.faults = {};
    }
  });
});

