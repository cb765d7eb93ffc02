// Issue 15 item 11, every provider: an input URL's query string (where signatures and tokens live)
// never appears in an error message, nor in any cause's, whichever way the resolve fails; and text
// from other libraries that names a URL is redacted the same way (`redactText`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BaseNode } from '../../src/node/node.js';
import type { NodeOptions } from '../../src/node/node.js';
import { SpenceError } from '../../src/errors.js';
import { redactText } from '../../src/redact.js';
import { parseInput } from '../../src/resolve/resolver.js';
import type { Provider, ProviderContext } from '../../src/resolve/provider.js';
import { createTrack } from '../../src/resolve/track-codec.js';
import { exceptionJson } from '../../src/server/load-results.js';
import { appleMusicProvider } from '../../providers/applemusic/index.js';
import { deezerProvider } from '../../providers/deezer/index.js';
import { httpProvider } from '../../providers/http/index.js';
import { localProvider } from '../../providers/local/index.js';
import { soundcloudProvider } from '../../providers/soundcloud/index.js';
import { spotifyProvider } from '../../providers/spotify/index.js';
import { youtubeProvider } from '../../providers/youtube/index.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { MediaServer } from '../helpers/media-server.js';

const QUERY = 'token=SECRET&signature=SIG';

/** The messages of `error` and of every cause under it. */
function messages(error: unknown): string[] {
  const out: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 16; depth++) {
    out.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

/** The SpenceError `promise` rejects with, checked to name neither secret anywhere in its chain. */
async function redactedFailure(promise: Promise<unknown>): Promise<SpenceError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(SpenceError);
  for (const message of messages(error)) {
    expect(message).not.toContain('SECRET');
    expect(message).not.toContain('SIG');
  }
  return error as SpenceError;
}

const nodes: BaseNode[] = [];
function node(provider: Provider, http: NodeOptions['http'] = { lookup: async () => [{ address: '93.184.215.14', family: 4 }] }): BaseNode {
  const n = new BaseNode({ providers: [provider], http });
  nodes.push(n);
  return n;
}

/** The context of a provider called directly, for the branches a node never routes to it. */
function bareContext(): ProviderContext {
  return {
    signal: new AbortController().signal,
    urlGuard: { check: async (url) => new URL(url), allowPrivateAddresses: false },
    dispatcher: undefined as never,
    createTrack,
  };
}

afterEach(async () => {
  nock.cleanAll();
  for (const n of nodes.splice(0)) await n.close();
});

describe('redactText', () => {
  it('redacts every URL in free text, and a query string a malformed URL leaves behind', () => {
    expect(redactText(`Request to https://www.youtube.com/youtubei/v1/browse?${QUERY} failed with status code 500`)).toBe(
      'Request to https://www.youtube.com/youtubei/v1/browse failed with status code 500',
    );
    expect(redactText(`Failed to parse URL from http://exa mple.com/a.webm?${QUERY}`)).toBe('Failed to parse URL from http://exa/ mple.com/a.webm');
    expect(redactText(`(http://user:pw@[::1]:8080/a?${QUERY}), then https://b.example/c#frag`)).toBe('(http://[::1]:8080/a), then https://b.example/c');
    expect(redactText('ytsearch:never gonna give you up')).toBe('ytsearch:never gonna give you up');
  });
});

describe('an input URL carrying a token and a signature never appears in an error (issue 15 item 11)', () => {
  it('youtube: a URL it was handed but does not take, and a playlist YouTube fails to answer', async () => {
    const direct = await redactedFailure(youtubeProvider().resolve(parseInput(`https://example.com/a.webm?${QUERY}`), bareContext()));
    expect(direct).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    expect(direct.message).toContain('https://example.com/a.webm');

    nock('https://www.youtube.com').persist().post(/^\/youtubei\/v1\//).query(true).reply(500, { error: 'boom' });
    const list = await redactedFailure(node(youtubeProvider()).resolve(`https://www.youtube.com/playlist?list=PLfixture0123456789abcdefghijklmnop&${QUERY}`));
    // youtubei.js names the URL it requested; its query string is left out too.
    expect(list.message).not.toContain('?');
  });

  it('soundcloud: a URL it does not take, a page the API does not know (a private one, its secret hidden too), a page of another kind', async () => {
    const direct = await redactedFailure(soundcloudProvider({ clientId: 'id' }).resolve(parseInput(`https://example.com/a.webm?${QUERY}`), bareContext()));
    expect(direct).toMatchObject({ code: 'UNSUPPORTED_INPUT' });

    const api = nock('https://api-v2.soundcloud.com').get('/resolve').query(true);
    api.reply(404, {});
    const missing = await redactedFailure(node(soundcloudProvider({ clientId: 'id' })).resolve(`https://soundcloud.com/someone/a-track/s-PrivSECRET1?${QUERY}`));
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(missing.message).toContain('https://soundcloud.com/someone/a-track/s-...');

    nock('https://api-v2.soundcloud.com').get('/resolve').query(true).reply(200, { kind: 'user', id: 1 });
    const other = await redactedFailure(node(soundcloudProvider({ clientId: 'id' })).resolve(`https://soundcloud.com/someone/sets/a-set?${QUERY}`));
    expect(other).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
  });

  it('spotify: a missing track, and a short link that leads nowhere', async () => {
    nock('https://accounts.spotify.com').post('/api/token').reply(200, { access_token: 'tok', token_type: 'Bearer', expires_in: 3600 });
    nock('https://api.spotify.com').get('/v1/tracks/4uLU6hMCjMI75M1A2tKUQC').query(true).reply(404, { error: { status: 404, message: 'Not found' } });
    const n = node(spotifyProvider({ clientId: 'a', clientSecret: 'b' }));
    expect(await redactedFailure(n.resolve(`https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x&${QUERY}`))).toMatchObject({ code: 'NOT_FOUND' });
    nock('https://spotify.link').intercept('/abcdef', 'HEAD').query(true).reply(404);
    expect(await redactedFailure(n.resolve(`https://spotify.link/abcdef?${QUERY}`))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deezer: a missing track', async () => {
    nock('https://api.deezer.com').get('/track/3135556').reply(200, { error: { type: 'DataException', message: 'no data', code: 800 } });
    expect(await redactedFailure(node(deezerProvider()).resolve(`https://www.deezer.com/track/3135556?${QUERY}`))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('applemusic: a missing song', async () => {
    nock('https://itunes.apple.com').get('/lookup').query(true).reply(200, { resultCount: 0, results: [] });
    const result = node(appleMusicProvider()).resolve(`https://music.apple.com/us/album/an-album/1440818584?i=1440818588&${QUERY}`);
    expect(await redactedFailure(result)).toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('http', () => {
    let server: MediaServer;
    beforeAll(async () => {
      server = await startMediaServer({ '/page.html': { body: new TextEncoder().encode('<html></html>'), type: 'text/html' } });
    });
    afterAll(() => server.close());

    it('a missing file, a web page, a refused address, a malformed URL', async () => {
      const n = node(httpProvider(), { allowPrivateAddresses: true });
      expect(await redactedFailure(n.resolve(`${server.url('/missing.webm')}?${QUERY}`))).toMatchObject({ code: 'NOT_FOUND' });
      expect(await redactedFailure(n.resolve(`${server.url('/page.html')}?${QUERY}`))).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
      expect(await redactedFailure(node(httpProvider()).resolve(`http://169.254.169.254/a.webm?${QUERY}`))).toMatchObject({ code: 'FORBIDDEN_URL' });
      expect(await redactedFailure(n.resolve(`http://exa mple.com/a.webm?${QUERY}`))).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    });
  });

  describe('local', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'spence-redact-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('a missing file, and one outside the roots', async () => {
      const n = node(localProvider({ roots: [dir] }));
      expect(await redactedFailure(n.resolve(`${pathToFileURL(join(dir, 'missing.webm')).href}?${QUERY}`))).toMatchObject({ code: 'NOT_FOUND' });
      expect(await redactedFailure(n.resolve(`file:///etc/passwd?${QUERY}`))).toMatchObject({ code: 'FORBIDDEN_URL' });
    });
  });

  it('any provider: an error that is not a SpenceError, naming a URL, is wrapped with the URL redacted', async () => {
    const careless: Provider = {
      name: 'careless',
      canResolve: () => true,
      resolve: async (input) => {
        throw new TypeError(`Failed to fetch ${input.raw}`);
      },
    };
    const error = await node(careless).resolve(`careless://x/y?${QUERY}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM' });
    expect((error as Error).message).toBe('Provider careless failed: Failed to fetch careless://x/y');
    // Text with a URL in it, and no provider to search it: the refusal quotes the text redacted.
    const bare = new BaseNode({ providers: [] });
    nodes.push(bare);
    const unsearched = await redactedFailure(bare.resolve(`play https://cdn.example/a.webm?${QUERY} please`));
    expect(unsearched.message).toMatch(/^No provider recognises "play https:\/\/cdn\.example\/a\.webm please"/);
  });

  it('pinning a mirror to a URL that is not one track names the URL redacted', async () => {
    const lists: Provider = {
      name: 'lists',
      canResolve: () => true,
      resolve: async (input, context) => ({
        type: 'playlist',
        playlist: { name: 'A list', tracks: [context.createTrack({ source: 'lists', identifier: input.raw, uri: input.raw, title: 't', author: 'a', durationMs: 1000, isStream: false, isSeekable: true })] },
      }),
    };
    const n = new BaseNode({ providers: [lists], mirror: { source: { searchSongs: async () => [], searchVideos: async () => [] } } });
    nodes.push(n);
    const track = createTrack({ source: 'meta', identifier: 'm1', uri: 'meta://m1', title: 'Song', author: 'Someone', durationMs: 1000, isStream: false, isSeekable: true });
    const error = await redactedFailure(n.pinMirror(track, `https://lists.example/list?${QUERY}`));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'Cannot pin a mirror to "https://lists.example/list": it is not one playable track' });
  });

  it('the Lavalink server reports a root cause that names a URL redacted, stack included', () => {
    const root = new Error(`Request to https://www.youtube.com/youtubei/v1/player?${QUERY} failed with status code 500`);
    const json = exceptionJson(new SpenceError('UPSTREAM', 'YouTube answered unexpectedly', { cause: root }));
    expect(json.cause).toBe('Error: Request to https://www.youtube.com/youtubei/v1/player failed with status code 500');
    expect(json.causeStackTrace).not.toContain('SECRET');
    expect(json.causeStackTrace).toContain('https://www.youtube.com/youtubei/v1/player failed');
  });
});
