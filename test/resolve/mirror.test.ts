import { describe, expect, it } from 'vitest';
import { createTrack } from '../../src/resolve/track-codec.js';
import {
  MemoryMirrorStore,
  Mirror,
  candidateSourceFromSearch,
  trackToCandidate,
  trackToMatchQuery,
} from '../../src/resolve/mirror/index.js';
import type { CandidateSource, MirrorCandidate, MirrorEntry, MirrorStore, MirrorTarget, SearchOptions } from '../../src/resolve/mirror/index.js';
import { mergeCandidates } from '../../src/resolve/mirror/mirror.js';
import { ManualClock } from '../../src/player/clock.js';
import { until } from '../helpers/drive.js';

/** A YouTube video as a mirror target. */
const youtube = (identifier: string): MirrorTarget => ({ source: 'youtube', identifier });
/** The searches `Node` mirrors through (DEFAULT_MIRROR_SEARCH). */
const YOUTUBE_SEARCH = { songPrefix: 'ytmsearch', videoPrefix: 'ytsearch' };

const spotifyTrack = createTrack({
  source: 'spotify',
  identifier: '0VjIjW4GlUZAMYd2vXMi3b',
  uri: 'https://open.spotify.com/track/0VjIjW4GlUZAMYd2vXMi3b',
  title: 'Blinding Lights',
  author: 'The Weeknd',
  artists: ['The Weeknd'],
  album: 'After Hours',
  durationMs: 200040,
  isrc: 'USUG11904206',
  isStream: false,
  isSeekable: true,
});
const deezerSame = createTrack({ ...spotifyTrack, source: 'deezer', identifier: '908604612', uri: 'https://www.deezer.com/track/908604612' });

const SONGS: MirrorCandidate[] = [
  { source: 'youtube', identifier: 'Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', durationMs: 200000, kind: 'song', artists: ['The Weeknd'], album: 'After Hours' },
];
const VIDEOS: MirrorCandidate[] = [
  { source: 'youtube', identifier: 'OWMP81q4IpU', title: 'The Weeknd - Blinding Lights (Official Video)', author: 'TheWeekndVEVO', durationMs: 262000, kind: 'video', verifiedArtist: true },
  { source: 'youtube', identifier: '67I8MWXOY2b', title: 'Blinding Lights (sped up)', author: 'sped up nightcore', durationMs: 171000, kind: 'video' },
  { source: 'youtube', identifier: 'eaSYs3k_ino', title: 'Blinding Lights', author: 'The Weeknd - Topic', durationMs: 201000, kind: 'video' },
];

interface Calls { songs: string[]; videos: string[]; isrc: string[]; signals: AbortSignal[] }

/**
 * Answers searches from fixtures. `held`: each search waits (until its signal aborts) for
 * `release()`, so a test acts while searches run, with no time passing.
 */
function fakeSource(answers: { songs?: MirrorCandidate[] | Error; videos?: MirrorCandidate[] | Error; isrc?: MirrorCandidate[] | Error; held?: boolean } = {}): CandidateSource & { calls: Calls; release: () => void } {
  const calls: Calls = { songs: [], videos: [], isrc: [], signals: [] };
  let held = answers.held === true;
  const waiting: (() => void)[] = [];
  const answer = (value: MirrorCandidate[] | Error | undefined, o: SearchOptions) =>
    new Promise<MirrorCandidate[]>((resolve, reject) => {
      calls.signals.push(o.signal);
      const done = () => (value instanceof Error ? reject(value) : resolve(value ?? []));
      if (!held) return done();
      waiting.push(done);
      o.signal.addEventListener('abort', () => reject(o.signal.reason));
    });
  return {
    calls,
    release: () => {
      held = false;
      for (const done of waiting.splice(0)) done();
    },
    searchSongs: (q, o) => (calls.songs.push(q), answer(answers.songs ?? SONGS, o)),
    searchVideos: (q, o) => (calls.videos.push(q), answer(answers.videos ?? VIDEOS, o)),
    searchIsrc: (q, o) => (calls.isrc.push(q), answer(answers.isrc ?? [], o)),
  };
}

describe('Mirror', () => {
  it('searches songs, videos and the ISRC concurrently and picks the recording', async () => {
    const source = fakeSource();
    const mirror = new Mirror({ source });
    const match = await mirror.mirror(spotifyTrack);
    expect(match.target).toEqual(youtube('Eya_l2utH1c'));
    expect(match).toMatchObject({ pinned: false, cached: false });
    expect(match.alternates).toContainEqual(youtube('eaSYs3k_ino'));
    expect(match.alternates).not.toContainEqual(youtube('67I8MWXOY2b'));
    expect(source.calls.songs).toEqual(['The Weeknd - Blinding Lights']);
    expect(source.calls.videos).toEqual(['The Weeknd - Blinding Lights']);
    expect(source.calls.isrc).toEqual(['USUG11904206']);
  });

  it('caches by track and by ISRC: a second call and the same recording elsewhere make no search', async () => {
    const source = fakeSource();
    const mirror = new Mirror({ source });
    await mirror.mirror(spotifyTrack);
    const again = await mirror.mirror(spotifyTrack);
    const deezer = await mirror.mirror(deezerSame);
    expect(again).toMatchObject({ target: youtube('Eya_l2utH1c'), cached: true });
    expect(deezer).toMatchObject({ target: youtube('Eya_l2utH1c'), cached: true });
    expect(source.calls.songs).toHaveLength(1);
  });

  it('marks ISRC results isrcHit and merges duplicates, songs first', async () => {
    const isrcOnly: MirrorCandidate = { source: 'youtube', identifier: 'zzzzzzzzzzz', title: 'Blinding Lights', author: 'Some Channel', durationMs: 200000, kind: 'video' };
    const merged = mergeCandidates([SONGS, VIDEOS, [{ ...VIDEOS[2]!, isrcHit: true }, { ...isrcOnly, isrcHit: true }]]);
    expect(merged.map((c) => c.identifier)).toEqual(['Eya_l2utH1c', 'OWMP81q4IpU', '67I8MWXOY2b', 'eaSYs3k_ino', 'zzzzzzzzzzz']);
    expect(merged[3]).toMatchObject({ author: 'The Weeknd - Topic', isrcHit: true });
    expect(merged[4]!.isrcHit).toBe(true);
    // The mirror sets the mark itself on whatever searchIsrc returns.
    const source = fakeSource({ songs: [], videos: [], isrc: [{ ...SONGS[0]! }] });
    const match = await new Mirror({ source }).mirror(spotifyTrack);
    expect(match.target).toEqual(youtube('Eya_l2utH1c'));
  });

  it('throws NO_MATCH naming the track, and remembers the miss for a while', async () => {
    const source = fakeSource({ songs: [], videos: [VIDEOS[1]!] });
    const mirror = new Mirror({ source });
    const error = await mirror.mirror(spotifyTrack).catch((e) => e);
    expect(error).toMatchObject({ code: 'NO_MATCH' });
    expect(error.message).toContain('"Blinding Lights" by The Weeknd');
    expect(error.message).toContain('spotify:0VjIjW4GlUZAMYd2vXMi3b');
    await expect(mirror.mirror(spotifyTrack)).rejects.toMatchObject({ code: 'NO_MATCH' });
    expect(source.calls.songs).toHaveLength(1);
    // The miss is not stored under the ISRC: another service's copy searches again.
    await expect(mirror.mirror(deezerSame)).rejects.toMatchObject({ code: 'NO_MATCH' });
    expect(source.calls.songs).toHaveLength(2);
  });

  it('does not remember a miss when a search failed; fails with the search error when all failed', async () => {
    const failing = fakeSource({ songs: new Error('ytmsearch down'), videos: [VIDEOS[1]!] });
    const mirror = new Mirror({ source: failing });
    await expect(mirror.mirror(spotifyTrack)).rejects.toMatchObject({ code: 'NO_MATCH', message: expect.stringContaining('1 of 3 searches failed') });
    await expect(mirror.mirror(spotifyTrack)).rejects.toMatchObject({ code: 'NO_MATCH' });
    expect(failing.calls.songs).toHaveLength(2);

    const down = new Error('network down');
    const allFail = new Mirror({ source: fakeSource({ songs: down, videos: down, isrc: down }) });
    const error = await allFail.mirror(spotifyTrack).catch((e) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM' });
    expect(error.cause).toBe(down);
  });

  it('uses partial results when one search fails', async () => {
    const mirror = new Mirror({ source: fakeSource({ songs: new Error('ytmsearch down') }) });
    expect((await mirror.mirror(spotifyTrack)).target).toEqual(youtube('eaSYs3k_ino'));
  });

  it('pins: never overwritten by automatic matching, under the ISRC too', async () => {
    const source = fakeSource();
    const store = new MemoryMirrorStore();
    const mirror = new Mirror({ source, store, ttlMs: 1 });
    const pinned = await mirror.pin(spotifyTrack, youtube('OWMP81q4IpU'));
    expect(pinned).toMatchObject({ target: youtube('OWMP81q4IpU'), pinned: true });
    expect(await mirror.mirror(spotifyTrack)).toMatchObject({ target: youtube('OWMP81q4IpU'), pinned: true, cached: true });
    expect(await mirror.mirror(deezerSame)).toMatchObject({ target: youtube('OWMP81q4IpU'), pinned: true });
    expect(source.calls.songs).toHaveLength(0);
    await expect(mirror.pin(spotifyTrack, 'not an id' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await mirror.forget(spotifyTrack);
    expect(await mirror.lookup(spotifyTrack)).toBeNull();
  });

  it('an automatic match found while a pin is written elsewhere does not overwrite the pin', async () => {
    const store = new MemoryMirrorStore();
    const source = fakeSource({ held: true });
    const mirror = new Mirror({ source, store });
    const searching = mirror.mirror(spotifyTrack);
    // Another process pins while the search runs.
    expect(await until(() => source.calls.signals.length > 0)).toBe(true);
    await store.set('track:spotify:0VjIjW4GlUZAMYd2vXMi3b', { target: youtube('OWMP81q4IpU'), pinned: true, at: 1 });
    source.release();
    await searching;
    expect(await store.get('track:spotify:0VjIjW4GlUZAMYd2vXMi3b')).toMatchObject({ target: youtube('OWMP81q4IpU'), pinned: true });
    expect((await mirror.mirror(spotifyTrack)).target).toEqual(youtube('OWMP81q4IpU'));
  });

  it('shares one search between concurrent callers; aborting one does not abort the others', async () => {
    const source = fakeSource({ held: true });
    const mirror = new Mirror({ source });
    const quitter = new AbortController();
    const a = mirror.mirror(spotifyTrack, { signal: quitter.signal });
    const b = mirror.mirror(spotifyTrack);
    expect(await until(() => source.calls.signals.length > 0)).toBe(true);
    quitter.abort();
    await expect(a).rejects.toMatchObject({ code: 'ABORTED' });
    source.release();
    expect((await b).target).toEqual(youtube('Eya_l2utH1c'));
    expect(source.calls.songs).toHaveLength(1);
    expect(source.calls.signals.every((s) => !s.aborted)).toBe(true);
  });

  it('aborts the searches when the only caller gives up', async () => {
    const source = fakeSource({ held: true });
    const mirror = new Mirror({ source });
    const controller = new AbortController();
    const pending = mirror.mirror(spotifyTrack, { signal: controller.signal });
    expect(await until(() => source.calls.signals.length > 0)).toBe(true);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(source.calls.signals.length).toBeGreaterThan(0);
    expect(source.calls.signals.every((s) => s.aborted)).toBe(true);
    await expect(mirror.mirror(spotifyTrack, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('treats a failing store as a miss and reports it', async () => {
    const errors: string[] = [];
    const broken: MirrorStore = {
      get: async () => { throw new Error('redis down'); },
      set: async () => { throw new Error('redis down'); },
    };
    const mirror = new Mirror({ source: fakeSource(), store: broken, onStoreError: (_e, key) => errors.push(key) });
    expect((await mirror.mirror(spotifyTrack)).target).toEqual(youtube('Eya_l2utH1c'));
    expect(errors).toContain('track:spotify:0VjIjW4GlUZAMYd2vXMi3b');
    await expect(mirror.forget(spotifyTrack)).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('works over a string-only store (the shape a Redis adapter has)', async () => {
    const map = new Map<string, string>();
    const ttls = new Map<string, number | undefined>();
    const redisLike: MirrorStore = {
      get: async (key) => (map.has(key) ? (JSON.parse(map.get(key)!) as MirrorEntry) : undefined),
      set: async (key, value, ttlMs) => { map.set(key, JSON.stringify(value)); ttls.set(key, ttlMs); },
      delete: async (key) => { map.delete(key); },
    };
    const mirror = new Mirror({ source: fakeSource(), store: redisLike });
    await mirror.mirror(spotifyTrack);
    expect([...map.keys()].sort()).toEqual(['isrc:USUG11904206', 'track:spotify:0VjIjW4GlUZAMYd2vXMi3b']);
    expect(ttls.get('isrc:USUG11904206')).toBe(7 * 24 * 3_600_000);
    await mirror.pin(spotifyTrack, youtube('OWMP81q4IpU'));
    expect(ttls.get('isrc:USUG11904206')).toBeUndefined();
  });

  it('memory store: TTLs expire, entries without one do not', async () => {
    const clock = new ManualClock();
    const store = new MemoryMirrorStore({ max: 10, clock });
    await store.set('a', { target: youtube('x'), at: 0 }, 5);
    await store.set('b', { target: youtube('y'), at: 0 });
    await clock.advance(20);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toMatchObject({ target: youtube('y') });
  });
});

describe('Mirror targets (issue 14 item 2: the mirror knows no provider)', () => {
  it('a target names the provider each candidate came from', async () => {
    const soundcloud: MirrorCandidate = { ...SONGS[0]!, source: 'soundcloud', identifier: 'the-weeknd/blinding-lights' };
    const match = await new Mirror({ source: fakeSource({ songs: [soundcloud], videos: [] }) }).mirror(spotifyTrack);
    expect(match.target).toEqual({ source: 'soundcloud', identifier: 'the-weeknd/blinding-lights' });
  });

  it('the same identifier from two providers is two candidates', () => {
    const merged = mergeCandidates([[SONGS[0]!], [{ ...SONGS[0]!, source: 'soundcloud' }]]);
    expect(merged.map((c) => `${c.source}:${c.identifier}`)).toEqual(['youtube:Eya_l2utH1c', 'soundcloud:Eya_l2utH1c']);
  });

  it('pins only a { source, identifier } of non-empty strings', async () => {
    const mirror = new Mirror({ source: fakeSource() });
    for (const bad of [{ source: '', identifier: 'x' }, { source: 'youtube', identifier: '' }, { identifier: 'x' }, null, 42]) {
      await expect(mirror.pin(spotifyTrack, bad as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('reads entries stored by spence 0.1 ({ youtubeId, alternates: ids }) as YouTube targets', async () => {
    const store = new MemoryMirrorStore();
    const source = fakeSource();
    const mirror = new Mirror({ source, store });
    await store.set('track:spotify:0VjIjW4GlUZAMYd2vXMi3b', { youtubeId: 'OWMP81q4IpU', pinned: true, alternates: ['eaSYs3k_ino'], at: 1 } as never);
    expect(await mirror.mirror(spotifyTrack)).toEqual({ target: youtube('OWMP81q4IpU'), alternates: [youtube('eaSYs3k_ino')], pinned: true, cached: true });
    // An old "no match" is still a remembered miss.
    await store.set('track:deezer:908604612', { youtubeId: null, at: Date.now() } as never);
    await expect(mirror.mirror(deezerSame)).rejects.toMatchObject({ code: 'NO_MATCH', message: expect.stringContaining('remembered') });
    expect(source.calls.songs).toHaveLength(0);
  });
});

describe('mirror helpers', () => {
  it('trackToMatchQuery reads title, artists, album, duration and ISRC', () => {
    expect(trackToMatchQuery(spotifyTrack)).toEqual({ title: 'Blinding Lights', artists: ['The Weeknd'], album: 'After Hours', durationMs: 200040, isrc: 'USUG11904206' });
    const bare = createTrack({ source: 'x', identifier: '1', uri: 'x:1', title: 'T', author: 'A', durationMs: null, isStream: false, isSeekable: true });
    expect(trackToMatchQuery(bare)).toEqual({ title: 'T', artists: ['A'] });
  });

  it('converts YouTube search tracks: songs keep artists and album, videos do not', () => {
    const yt = createTrack({ source: 'youtube', identifier: 'Eya_l2utH1c', uri: 'https://www.youtube.com/watch?v=Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', artists: ['The Weeknd'], album: 'After Hours', durationMs: 200000, isStream: false, isSeekable: true });
    expect(trackToCandidate(yt, 'song')).toEqual({ identifier: 'Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', durationMs: 200000, kind: 'song', artists: ['The Weeknd'], album: 'After Hours', isStream: false });
    expect(trackToCandidate(yt, 'video')).toEqual({ identifier: 'Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', durationMs: 200000, kind: 'video', isStream: false });
    const live = createTrack({ ...yt, durationMs: null, isStream: true });
    expect(trackToCandidate(live, 'video')).toEqual({ identifier: 'Eya_l2utH1c', title: 'Blinding Lights', author: 'The Weeknd', kind: 'video', isStream: true });
  });

  it('candidateSourceFromSearch routes to ytmsearch, ytsearch and a quoted ISRC search', async () => {
    const inputs: string[] = [];
    const yt = createTrack({ source: 'youtube', identifier: 'Eya_l2utH1c', uri: 'u', title: 'Blinding Lights', author: 'The Weeknd', artists: ['The Weeknd'], durationMs: 200000, isStream: false, isSeekable: true });
    const source = candidateSourceFromSearch(async (input) => (inputs.push(input), { type: 'search', tracks: [yt] }), { ...YOUTUBE_SEARCH, limit: 5 });
    const signal = new AbortController().signal;
    expect((await source.searchSongs('a - b', { signal }))[0]).toMatchObject({ kind: 'song', artists: ['The Weeknd'] });
    expect((await source.searchVideos('a - b', { signal }))[0]).toMatchObject({ kind: 'video' });
    await source.searchIsrc!('USUG11904206', { signal });
    expect(inputs).toEqual(['ytmsearch:a - b', 'ytsearch:a - b', 'ytsearch:"USUG11904206"']);
    expect(candidateSourceFromSearch(async () => ({ type: 'empty' }), { ...YOUTUBE_SEARCH, isrcPrefix: null }).searchIsrc).toBeUndefined();
  });
});
