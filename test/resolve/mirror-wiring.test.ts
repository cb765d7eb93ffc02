// The wiring the node will use: a metadata provider's track, mirrored through YouTube searches that
// go through node.resolve (here a stand-in YouTube provider answering ytmsearch:/ytsearch:).
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { BaseNode } from '../../src/node/node.js';
import type { LoadResult, Provider, ProviderContext, TrackInfo } from '../../src/provider-kit.js';
import { Mirror, candidateSourceFromSearch } from '../../src/resolve/mirror/index.js';
import { spotifyProvider } from '../../providers/spotify/index.js';

const spotifyFixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/spotify/${name}`, import.meta.url), 'utf8'));

/** YouTube search results as the YouTube provider turns them into tracks. */
const RESULTS: Record<string, Omit<TrackInfo, 'source' | 'uri' | 'isSeekable'>[]> = {
  ytmsearch: [
    { identifier: 'Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', artists: ['The Weeknd'], album: 'After Hours', durationMs: 200000, isStream: false },
  ],
  ytsearch: [
    { identifier: 'OWMP81q4IpU', title: 'The Weeknd - Blinding Lights (Official Video)', author: 'TheWeekndVEVO', durationMs: 262000, isStream: false },
    { identifier: '67I8MWXOY2b', title: 'Blinding Lights (sped up)', author: 'sped up nightcore', durationMs: 171000, isStream: false },
    { identifier: 'liveLIVEliv', title: 'The Weeknd 24/7 radio', author: 'lofi', durationMs: null, isStream: true },
  ],
};

function fakeYoutube(queries: string[]): Provider {
  const search = async (query: string, context: ProviderContext & { prefix: string }): Promise<LoadResult> => {
    queries.push(`${context.prefix}:${query}`);
    const tracks = (RESULTS[context.prefix] ?? []).map((info) =>
      context.createTrack({ ...info, source: 'youtube', uri: `https://www.youtube.com/watch?v=${info.identifier}`, isSeekable: !info.isStream }),
    );
    return { type: 'search', tracks };
  };
  return { name: 'youtube', searchPrefixes: ['ytsearch', 'ytmsearch'], canResolve: () => false, resolve: async () => ({ type: 'empty' }), search };
}

afterEach(() => nock.cleanAll());

describe('mirror wiring', () => {
  it('a Spotify track resolves without YouTube requests, then mirrors through node.resolve searches', async () => {
    nock('https://accounts.spotify.com').post('/api/token').reply(200, spotifyFixture('token.json'));
    nock('https://api.spotify.com').get('/v1/tracks/0VjIjW4GlUZAMYd2vXMi3b').reply(200, spotifyFixture('track-0VjIjW4GlUZAMYd2vXMi3b.json'));
    const queries: string[] = [];
    const node = new BaseNode({
      providers: [spotifyProvider({ clientId: 'id', clientSecret: 'secret' }), fakeYoutube(queries)],
      http: { lookup: async () => [{ address: '35.186.224.25', family: 4 }] },
    });
    const mirror = new Mirror({ source: candidateSourceFromSearch((input, options) => node.resolve(input, options), { songPrefix: 'ytmsearch', videoPrefix: 'ytsearch' }) });

    const result = await node.resolve('https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b');
    if (result.type !== 'track') throw new Error(result.type);
    expect(queries).toEqual([]);

    const match = await mirror.mirror(result.track, { signal: AbortSignal.timeout(5000) });
    expect(match.target).toEqual({ source: 'youtube', identifier: 'Eya_l2utH1c' });
    expect(queries.sort()).toEqual(['ytmsearch:The Weeknd - Blinding Lights', 'ytsearch:"USUG11904206"', 'ytsearch:The Weeknd - Blinding Lights']);

    // A decoded copy of the stored track hits the mirror's cache; a pin replaces the pick.
    expect(await mirror.mirror(node.decodeTrack(result.track.encoded))).toMatchObject({ target: { source: 'youtube', identifier: 'Eya_l2utH1c' }, cached: true });
    await mirror.pin(result.track, { source: 'youtube', identifier: 'OWMP81q4IpU' });
    expect(await mirror.mirror(result.track)).toMatchObject({ target: { source: 'youtube', identifier: 'OWMP81q4IpU' }, pinned: true });
    expect(queries).toHaveLength(3);
    await node.destroy();
  });
});
