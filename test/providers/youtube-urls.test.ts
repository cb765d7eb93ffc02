import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/resolve/resolver.js';
import { parseYoutubeUrl, youtubeProvider } from '../../providers/youtube/index.js';

const ID = 'dQw4w9WgXcQ';

describe('YouTube URL recognition', () => {
  const positives: [string, { videoId?: string; listId?: string }][] = [
    [`https://www.youtube.com/watch?v=${ID}`, { videoId: ID }],
    [`https://youtube.com/watch?v=${ID}&t=42s`, { videoId: ID }],
    [`http://www.youtube.com/watch?feature=share&v=${ID}`, { videoId: ID }],
    [`https://m.youtube.com/watch?v=${ID}`, { videoId: ID }],
    [`https://music.youtube.com/watch?v=${ID}&si=abc`, { videoId: ID }],
    [`https://youtu.be/${ID}`, { videoId: ID }],
    [`https://youtu.be/${ID}?si=xyz&t=10`, { videoId: ID }],
    [`https://www.youtube.com/shorts/${ID}`, { videoId: ID }],
    [`https://youtube.com/shorts/${ID}?feature=share`, { videoId: ID }],
    [`https://www.youtube.com/live/${ID}`, { videoId: ID }],
    [`https://www.youtube.com/embed/${ID}?autoplay=1`, { videoId: ID }],
    [`https://www.youtube-nocookie.com/embed/${ID}`, { videoId: ID }],
    [`https://WWW.YOUTUBE.COM/watch?v=${ID}`, { videoId: ID }],
    ['https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG', { listId: 'PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG' }],
    ['https://music.youtube.com/playlist?list=OLAK5uy_kSeBUuUsmnk8Ae-1JH7DqTaZkMpzoJ4b0', { listId: 'OLAK5uy_kSeBUuUsmnk8Ae-1JH7DqTaZkMpzoJ4b0' }],
    [`https://www.youtube.com/watch?v=${ID}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=3`, { videoId: ID, listId: 'PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG' }],
    [`https://www.youtube.com/watch?v=${ID}&list=RD${ID}&start_radio=1`, { videoId: ID, listId: `RD${ID}` }],
    [`https://youtu.be/${ID}?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG`, { videoId: ID, listId: 'PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG' }],
  ];
  const negatives = [
    'https://www.youtube.com/',
    'https://www.youtube.com/@NoCopyrightSounds',
    'https://www.youtube.com/channel/UC_aEa8K-EOJ3D6gOs7HcyNg',
    'https://www.youtube.com/watch?v=tooShort',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQextra',
    'https://www.youtube.com/watch',
    'https://www.youtube.com/playlist',
    'https://www.youtube.com/shorts/',
    `https://www.youtube.com/shorts/${ID}/extra`,
    `https://youtube.com.evil.example/watch?v=${ID}`,
    `https://notyoutube.com/watch?v=${ID}`,
    `https://evil.example/?u=https://youtu.be/${ID}`,
    `ftp://www.youtube.com/watch?v=${ID}`,
    'https://youtu.be/',
    'https://soundcloud.com/artist/track',
  ];

  it.each(positives)('recognises %s', (raw, expected) => {
    expect(parseYoutubeUrl(new URL(raw))).toEqual(expected);
    expect(youtubeProvider().canResolve(parseInput(raw))).toBe(true);
  });

  it.each(negatives)('declines %s', (raw) => {
    expect(parseYoutubeUrl(new URL(raw))).toBeNull();
    expect(youtubeProvider().canResolve(parseInput(raw))).toBe(false);
  });

  it('declines plain text and search prefixes (those go to search())', () => {
    const provider = youtubeProvider();
    for (const raw of ['never gonna give you up', `ytsearch:${ID}`, ID]) expect(provider.canResolve(parseInput(raw))).toBe(false);
    expect(provider.searchPrefixes).toEqual(['ytsearch', 'ytmsearch']);
  });
});
