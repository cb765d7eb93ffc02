import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import type { LoadResult, ProviderContext } from '../../src/resolve/provider.js';
import { fakeProvider } from '../helpers/providers.js';
import { codeOf } from '../helpers/errors.js';
import { ManualClock } from '../../src/player/clock.js';
import { until } from '../helpers/drive.js';
import { gate } from '../helpers/gate.js';
import type { Gate } from '../helpers/gate.js';

/** The next answer to GET https://api.example.test/search?q=`q`, held at a gate the test opens. */
function heldSearch(q: string, body: { id: string; title: string }[]): { scope: nock.Scope; held: Gate } {
  const held = gate();
  const scope = nock('https://api.example.test')
    .get('/search')
    .query({ q })
    .once()
    .reply(async () => {
      await held.pass();
      return [200, body];
    });
  return { scope, held };
}

afterEach(() => nock.cleanAll());

describe('routing', () => {
  it('sends a URL to the first provider that recognises it, and fallbacks last', async () => {
    const early = fakeProvider('music', { recognise: (i) => i.url?.hostname === 'music.example' });
    const late = fakeProvider('late', { recognise: (i) => i.url?.hostname === 'late.example' });
    const node = new Node({ providers: [early] });
    node.registerProvider(late); // registered after the built-in-style fallbacks would be: still asked before them
    const a = await node.resolve('https://music.example/track/1');
    const b = await node.resolve('https://late.example/x');
    expect(a.type === 'track' && a.track.source).toBe('music');
    expect(b.type === 'track' && b.track.source).toBe('late');
  });

  it('asks fallback providers only after every other provider declined', async () => {
    const node = new Node();
    const custom = fakeProvider('custom', { recognise: (i) => i.url?.hostname === 'cdn.example' });
    node.registerProvider(custom);
    const result = await node.resolve('https://cdn.example/file.webm');
    expect(result.type === 'track' && result.track.source).toBe('custom');
    expect(node.providers.map((p) => p.name)).toEqual(['youtube', 'soundcloud', 'spotify', 'applemusic', 'deezer', 'local', 'http', 'custom']);
  });

  it('routes prefixes to their provider and plain text to the default search prefix', async () => {
    const yt = fakeProvider('yt', { searchPrefixes: ['ytsearch', 'ytmsearch'] });
    const sc = fakeProvider('sc', { searchPrefixes: ['scsearch'] });
    const node = new Node({ providers: [yt, sc] });
    await node.resolve('ytsearch:never gonna give you up');
    await node.resolve('YTMSEARCH: daft punk');
    await node.resolve('scsearch:lofi');
    await node.resolve('some plain text query');
    expect(yt.calls).toEqual(['ytsearch:never gonna give you up', 'ytmsearch:daft punk', 'ytsearch:some plain text query']);
    expect(sc.calls).toEqual(['scsearch:lofi']);
  });

  it('uses the configured default search prefix', async () => {
    const sc = fakeProvider('sc', { searchPrefixes: ['scsearch'] });
    const node = new Node({ providers: [sc], defaultSearchPrefix: 'scsearch' });
    await node.resolve('lofi beats');
    expect(sc.calls).toEqual(['scsearch:lofi beats']);
  });

  it('refuses what nothing handles with UNSUPPORTED_INPUT', async () => {
    const node = new Node({ providers: [] });
    expect(await codeOf(node.resolve('https://example.com/a.webm'))).toBe('UNSUPPORTED_INPUT');
    expect(await codeOf(node.resolve('plain text'))).toBe('UNSUPPORTED_INPUT');
    expect(await codeOf(node.resolve('   '))).toBe('UNSUPPORTED_INPUT');
    expect(await codeOf(node.resolve('gopher://example.com/x'))).toBe('UNSUPPORTED_INPUT');
    const withSearch = new Node({ providers: [fakeProvider('yt', { searchPrefixes: ['ytsearch'] })] });
    expect(await codeOf(withSearch.resolve('ytsearch:   '))).toBe('UNSUPPORTED_INPUT');
  });

  it('wraps a provider crash as UPSTREAM with the cause', async () => {
    const broken = fakeProvider('broken', { recognise: () => true, answer: async () => { throw new TypeError('boom'); } });
    const node = new Node({ providers: [broken] });
    const error = await node.resolve('https://x.example/').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('refuses an invalid LoadResult and invalid providers', async () => {
    const bad = fakeProvider('bad', { recognise: () => true, answer: async () => ({ type: 'nonsense' }) as unknown as LoadResult });
    expect(await codeOf(new Node({ providers: [bad] }).resolve('https://x.example/'))).toBe('UPSTREAM');
    expect(() => new Node({ providers: [{ name: 'bad name!' } as never] })).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('one rule for every provider: a playlist or search with no track is empty, and cached as such (issue 15 item 20)', async () => {
    const nothing = fakeProvider('nothing', {
      recognise: () => true,
      searchPrefixes: ['nsearch'],
      answer: async (input) => (input.startsWith('nsearch:') ? { type: 'search', tracks: [] } : { type: 'playlist', playlist: { name: 'Gone', uri: input, tracks: [] } }),
    });
    const node = new Node({ providers: [nothing] });
    expect(await node.resolve('https://x.example/list')).toEqual({ type: 'empty' });
    expect(await node.resolve('nsearch:nobody')).toEqual({ type: 'empty' });
    expect(await node.resolve('https://x.example/list')).toEqual({ type: 'empty' });
    expect(nothing.calls).toEqual(['https://x.example/list', 'nsearch:nobody']);
  });
});

describe('cache', () => {
  it('answers a repeated resolve from the cache', async () => {
    const p = fakeProvider('p', { recognise: () => true });
    const node = new Node({ providers: [p] });
    const first = await node.resolve('https://a.example/1');
    const second = await node.resolve('https://a.example/1');
    expect(second).toEqual(first);
    expect(p.calls).toHaveLength(1);
  });

  it('expires entries after the provider TTL', async () => {
    const p = fakeProvider('p', { recognise: () => true, cacheTtlMs: 40 });
    const clock = new ManualClock();
    const node = new Node({ providers: [p], clock });
    await node.resolve('https://a.example/1');
    await node.resolve('https://a.example/1');
    expect(p.calls).toHaveLength(1);
    await clock.advance(80);
    await node.resolve('https://a.example/1');
    expect(p.calls).toHaveLength(2);
  });

  it('expires entries after the node TTL when the provider sets none', async () => {
    const p = fakeProvider('p', { recognise: () => true });
    const clock = new ManualClock();
    const node = new Node({ providers: [p], cache: { ttlMs: 40 }, clock });
    await node.resolve('https://a.example/1');
    await clock.advance(80);
    await node.resolve('https://a.example/1');
    expect(p.calls).toHaveLength(2);
  });

  it('is bounded in size, evicting the least recently used', async () => {
    const p = fakeProvider('p', { recognise: () => true });
    const node = new Node({ providers: [p], cache: { max: 3 } });
    for (const i of [1, 2, 3, 4]) await node.resolve(`https://a.example/${i}`);
    expect(p.calls).toHaveLength(4);
    await node.resolve('https://a.example/4');
    await node.resolve('https://a.example/3');
    expect(p.calls).toHaveLength(4);
    await node.resolve('https://a.example/1'); // evicted
    expect(p.calls).toHaveLength(5);
  });

  it('can be turned off', async () => {
    const p = fakeProvider('p', { recognise: () => true });
    const node = new Node({ providers: [p], cache: { max: 0 } });
    await node.resolve('https://a.example/1');
    await node.resolve('https://a.example/1');
    expect(p.calls).toHaveLength(2);
  });

  it('hands each caller its own arrays, so shuffling a result does not reorder the cache', async () => {
    const p = fakeProvider('p', {
      searchPrefixes: ['x'],
      answer: async (input, ctx) => ({ type: 'search', tracks: [1, 2, 3].map((i) => ctx.createTrack({ source: 'p', identifier: `${input}${i}`, uri: 'u', title: `${i}`, author: 'a', durationMs: 1, isStream: false, isSeekable: true })) }),
    });
    const node = new Node({ providers: [p] });
    const a = await node.resolve('x:q');
    if (a.type === 'search') a.tracks.reverse();
    const b = await node.resolve('x:q');
    expect(b.type === 'search' && b.tracks.map((t) => t.title)).toEqual(['1', '2', '3']);
  });
});

describe('concurrency and abort', () => {
  /** A provider that looks things up over HTTP, like a real one. */
  const apiProvider = () =>
    fakeProvider('api', {
      searchPrefixes: ['api'],
      answer: async (input: string, context: ProviderContext) => {
        const query = input.slice('api:'.length);
        const response = await fetch(`https://api.example.test/search?q=${encodeURIComponent(query)}`, { signal: context.signal });
        const body = (await response.json()) as { id: string; title: string }[];
        return { type: 'search', tracks: body.map((b) => context.createTrack({ source: 'api', identifier: b.id, uri: `https://api.example.test/${b.id}`, title: b.title, author: 'x', durationMs: 1000, isStream: false, isSeekable: true })) };
      },
    });

  it('makes one upstream request for N concurrent identical resolves', async () => {
    const search = heldSearch('daft punk', [{ id: '1', title: 'One More Time' }]);
    const node = new Node({ providers: [apiProvider()] });
    const resolving = Promise.all(Array.from({ length: 20 }, () => node.resolve('api:daft punk')));
    // The request is in flight while all 20 wait; then it answers.
    expect(await until(() => search.held.arrived > 0)).toBe(true);
    search.held.open();
    const results = await resolving;
    expect(search.scope.isDone()).toBe(true);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]!.type === 'search' && results[0]!.tracks[0]!.title).toBe('One More Time');
  });

  it('rejects at once with ABORTED when the signal has already fired', async () => {
    const p = fakeProvider('p', { recognise: () => true });
    const node = new Node({ providers: [p] });
    const controller = new AbortController();
    controller.abort();
    expect(await codeOf(node.resolve('https://a.example/1', { signal: controller.signal }))).toBe('ABORTED');
    expect(p.calls).toHaveLength(0);
  });

  it('rejects with ABORTED during a resolve and cancels the upstream request when no caller is left', async () => {
    let upstreamSignal: AbortSignal | undefined;
    const slow = fakeProvider('slow', {
      recognise: () => true,
      answer: (_input, context) => {
        upstreamSignal = context.signal;
        return new Promise<LoadResult>((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new Error('cancelled'))));
      },
    });
    const node = new Node({ providers: [slow] });
    const controller = new AbortController();
    const pending = node.resolve('https://a.example/slow', { signal: controller.signal });
    expect(await until(() => upstreamSignal !== undefined)).toBe(true);
    controller.abort();
    expect(await codeOf(pending)).toBe('ABORTED');
    expect(upstreamSignal?.aborted).toBe(true);
  });

  it('keeps the shared request going while another caller still waits', async () => {
    const search = heldSearch('x', [{ id: '9', title: 'Nine' }]);
    const node = new Node({ providers: [apiProvider()] });
    const quitter = new AbortController();
    const a = node.resolve('api:x', { signal: quitter.signal });
    const b = node.resolve('api:x');
    expect(await until(() => search.held.arrived > 0)).toBe(true);
    quitter.abort();
    expect(await codeOf(a)).toBe('ABORTED');
    search.held.open();
    const result = await b;
    expect(result.type === 'search' && result.tracks[0]!.title).toBe('Nine');
  });

  it('refuses calls after close()', async () => {
    const node = new Node({ providers: [] });
    await node.close();
    expect(await codeOf(node.resolve('x'))).toBe('INVALID_STATE');
  });
});
