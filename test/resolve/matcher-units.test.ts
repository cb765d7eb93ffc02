import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compact, isNonLatin, normalizeText, transliterateCyrillic } from '../../src/resolve/matcher/normalize.js';
import { parseTitle, splitNames } from '../../src/resolve/matcher/title.js';
import { detectTags, isNeutral } from '../../src/resolve/matcher/version-tags.js';
import { compareTags } from '../../src/resolve/matcher/tag-compare.js';
import { durationBound, fitDuration } from '../../src/resolve/matcher/duration.js';
import { artistName, channelIsArtist, nameInText, sameArtist } from '../../src/resolve/matcher/artist.js';
import { pickMatch, rankCandidates, type MatchCandidate } from '../../src/resolve/matcher/index.js';

const kinds = (title: string): string[] => detectTags(normalizeText(title)).tags.map((t) => t.kind).sort();

describe('normalizeText', () => {
  it('folds case, accents and compatibility forms', () => {
    expect(normalizeText('Déjà Vu')).toBe('deja vu');
    expect(normalizeText('Beyoncé')).toBe(normalizeText('BEYONCE'));
    expect(normalizeText('ＬｉＳＡ')).toBe('lisa');
    expect(normalizeText('Señorita')).toBe('senorita');
    expect(normalizeText('Mø')).toBe('mo');
    expect(normalizeText('Straße')).toBe('strasse');
  });
  it('unifies apostrophes and ampersands, drops punctuation', () => {
    expect(normalizeText('Taylor’s Version')).toBe(normalizeText("Taylor's Version"));
    expect(normalizeText('Simon & Garfunkel')).toBe('simon and garfunkel');
    expect(normalizeText('HUMBLE.')).toBe('humble');
    expect(normalizeText('Guns N’ Roses — "Live"!')).toBe('guns n roses live');
  });
  it('keeps CJK, Hangul and Cyrillic intact, including marks that change the letter', () => {
    expect(normalizeText('紅蓮華')).toBe('紅蓮華');
    expect(normalizeText('夜に駆ける')).toBe('夜に駆ける');
    expect(normalizeText('が')).not.toBe(normalizeText('か'));
    expect(normalizeText('봄날')).toBe('봄날');
    expect(normalizeText('Группа Крови')).toBe('группа крови');
    expect(normalizeText('Йогурт')).toBe('йогурт');
  });
  it('romanises Cyrillic and tells scripts apart', () => {
    expect(transliterateCyrillic('группа крови')).toBe('gruppa krovi');
    expect(transliterateCyrillic('kino')).toBeNull();
    expect(isNonLatin('紅蓮華')).toBe(true);
    expect(isNonLatin('gurenge')).toBe(false);
    expect(compact('the kid laroi')).toBe('thekidlaroi');
  });
  it('is idempotent', () => {
    fc.assert(fc.property(fc.string(), (s) => normalizeText(normalizeText(s)) === normalizeText(s)));
  });
});

describe('parseTitle', () => {
  it('extracts feat., ft., featuring and (with X) credits', () => {
    const credits = (t: string) => parseTitle(t).credits.map(normalizeText);
    expect(credits('STAY (with Justin Bieber)')).toEqual(['justin bieber']);
    expect(credits('Old Town Road (feat. Billy Ray Cyrus) - Remix')).toEqual(['billy ray cyrus']);
    expect(credits('Luis Fonsi - Despacito ft. Daddy Yankee')).toEqual(['daddy yankee']);
    expect(credits('Song featuring A & B (Official Video)')).toEqual(['a', 'b']);
    expect(credits('Dancing with Myself')).toEqual([]);
    expect(parseTitle('Old Town Road (feat. Billy Ray Cyrus) - Remix').parts).toEqual(['old town road', 'remix']);
  });
  it('splits artist and title parts, brackets and quoted titles', () => {
    const p = parseTitle('LiSA 『紅蓮華』 -MUSiC CLiP-');
    expect(p.parts).toEqual(['lisa', 'music clip']);
    expect(p.brackets).toEqual([{ text: '紅蓮華', quoted: true }]);
    expect(parseTitle('Queen – Bohemian Rhapsody (Official Video Remastered)').parts).toEqual(['queen', 'bohemian rhapsody']);
    expect(parseTitle('JAY-Z - Empire State Of Mind').parts).toEqual(['jay z', 'empire state of mind']);
    expect(parseTitle('Bohemian Rhapsody | Rami Malek Live Aid scene').descriptions).toEqual(['rami malek live aid scene']);
  });
  it('keeps known names whole when splitting artist lists', () => {
    expect(splitNames('Lil Nas X, Billy Ray Cyrus', ['lil nas x', 'billy ray cyrus']).sort()).toEqual(['billy ray cyrus', 'lil nas x']);
    expect(splitNames('Marshmello x Anne-Marie')).toEqual(['marshmello', 'anne marie']);
    expect(splitNames('Simon & Garfunkel', ['simon and garfunkel'])).toEqual(['simon and garfunkel']);
  });
});

describe('version tags', () => {
  it('finds the versions users complain about', () => {
    expect(kinds('Blinding Lights (sped up)')).toEqual(['sped']);
    expect(kinds('kill bill - sza (sped up + reverb)')).toEqual(['reverb', 'sped']);
    expect(kinds('Believer (Nightcore)')).toEqual(['nightcore']);
    expect(kinds('Song (slowed + reverb)')).toEqual(['reverb', 'slowed']);
    expect(kinds('Believer [8D AUDIO]')).toEqual(['8d']);
    expect(kinds('Believer [BASS BOOSTED]')).toEqual(['bassboost']);
    expect(kinds('Snowman [1 Hour]')).toEqual(['loop']);
    expect(kinds('Sweater Weather 10 HOURS')).toEqual(['loop']);
    expect(kinds('Song (Live at Wembley 1986)')).toEqual(['live']);
    expect(kinds('Song (Piano Cover)')).toEqual(['cover']);
    expect(kinds('Song (KARAOKE)')).toEqual(['karaoke']);
    expect(kinds('Song (Instrumental)')).toEqual(['instrumental']);
    expect(kinds('Song (Acoustic)')).toEqual(['acoustic']);
    expect(kinds('Song (MTV Unplugged)')).toEqual(['acoustic', 'live']);
    expect(kinds('Levels (Skrillex Remix)')).toEqual(['remix']);
    expect(kinds('Song (Extended Mix)')).toEqual(['extended']);
    expect(kinds('鬼滅の刃 OP 紅蓮華 TV size')).toEqual(['tvsize']);
    expect(kinds("Love Story (Taylor's Version)")).toEqual(['rerecord']);
    expect(kinds('Love Story (Taylor’s Version)')).toEqual(['rerecord']);
    expect(kinds('Song (Clean)')).toEqual(['clean']);
    expect(kinds('Song (Explicit)')).toEqual(['explicit']);
    expect(kinds('Into The Night (English Ver.)')).toEqual(['language']);
    expect(kinds('夜に駆ける 歌ってみた')).toEqual(['cover']);
    expect(kinds('First time hearing it REACTION')).toEqual(['nonmusic']);
  });
  it('treats remasters, edits and video words as neutral', () => {
    for (const t of ['Remastered 2011', '2011 Remaster', 'Radio Edit', 'Single Version', 'Official Audio',
      'Official Video', 'Official Music Video', 'Lyrics', 'Lyric Video', 'HD', '4K', 'Visualizer', 'Letra/Lyrics',
      'MUSiC CLiP', 'Official Video Remastered', 'Original Mix', 'Album Version', 'M/V', '1985', 'From "Frozen"']) {
      expect(isNeutral(normalizeText(t)), t).toBe(true);
      expect(detectTags(normalizeText(t)).tags, t).toEqual([]);
    }
    expect(isNeutral('hell freezes over')).toBe(false);
  });
  it('compares in both directions', () => {
    const tags = (t: string) => detectTags(normalizeText(t)).tags;
    const ctx = { deltaMs: 1000, explicit: undefined };
    expect(compareTags([], tags('Live'), ctx).reject).not.toBeNull();
    expect(compareTags(tags('sped up'), [], ctx).reject).not.toBeNull();
    expect(compareTags(tags('sped up'), tags('sped up'), ctx).reject).toBeNull();
    expect(compareTags(tags('sped up'), tags('sped up + reverb'), ctx).reject).not.toBeNull();
    expect(compareTags(tags('Live On MTV, 1994'), tags('Live 1977'), ctx).reject).not.toBeNull();
    expect(compareTags(tags('Live On MTV, 1994'), tags('Live On MTV 1994'), ctx).factor).toBe(1);
    // A live source, a result that does not say so: only a same-length upload survives, penalised.
    expect(compareTags(tags('Live'), [], ctx).factor).toBeLessThan(1);
    expect(compareTags(tags('Live'), [], { deltaMs: 9000, explicit: undefined }).reject).not.toBeNull();
    expect(compareTags([], tags('Clean'), { deltaMs: 0, explicit: true }).reject).not.toBeNull();
  });
});

describe('duration bound', () => {
  it('scales with the length', () => {
    expect(durationBound(180_000)).toBe(14_400);
    expect(durationBound(60_000)).toBe(7_000);
    expect(fitDuration(23 * 60_000, 23 * 60_000 + 10_000)?.withinBound).toBe(true);
    expect(fitDuration(210_000, 180_000)?.withinBound).toBe(false);
    expect(fitDuration(237_000, 91_000)?.withinBound).toBe(false);
    expect(fitDuration(200_000, 201_000)?.score).toBe(1);
    expect(fitDuration(200_000, undefined)).toBeNull();
  });
});

describe('artist names', () => {
  it('matches channels and names in titles', () => {
    expect(channelIsArtist('TheWeekndVEVO', artistName('The Weeknd'))).toBe(true);
    expect(channelIsArtist('LiSA Official YouTube', artistName('LiSA'))).toBe(true);
    expect(channelIsArtist('Eagles - Topic', artistName('Eagles'))).toBe(true);
    expect(channelIsArtist('AviciiOfficialVEVO', artistName('Avicii'))).toBe(true);
    expect(channelIsArtist('Queen Latifah', artistName('Queen'))).toBe(false);
    expect(channelIsArtist('PTXofficial', artistName('Jeff Buckley'))).toBe(false);
    expect(sameArtist(artistName('Beyoncé'), artistName('Beyonce'))).toBe(true);
    expect(sameArtist(artistName('Кино'), artistName('Kino'))).toBe(true);
    expect(sameArtist(artistName('The 1975'), artistName('The xx'))).toBe(false);
    expect(nameInText(normalizeText('The Kid LAROI, Justin Bieber - STAY'), artistName('The Kid LAROI'))).toBe(true);
    expect(nameInText(normalizeText('Demon Slayer Opening by LiSA'), artistName('LiSA'))).toBe(true);
    expect(nameInText(normalizeText('Elisa - Luce'), artistName('LiSA'))).toBe(false);
  });
});

describe('pickMatch / rankCandidates', () => {
  const q = { title: 'Blinding Lights', artists: ['The Weeknd'], durationMs: 200_000 };
  const good: MatchCandidate = { identifier: 'a', title: 'Blinding Lights', author: 'The Weeknd - Topic', durationMs: 200_000 };
  it('returns null for no candidates and never picks a stream', () => {
    expect(pickMatch(q, [])).toBeNull();
    expect(pickMatch(q, [{ ...good, isStream: true }])).toBeNull();
  });
  it('honours minScore', () => {
    expect(pickMatch(q, [good])?.candidate.identifier).toBe('a');
    expect(pickMatch(q, [good], { minScore: 1.01 })).toBeNull();
  });
  it('scores in [0, 1], best first, independent of candidate order', () => {
    const arb = fc.record({
      identifier: fc.string({ minLength: 1, maxLength: 4 }),
      title: fc.oneof(fc.constantFrom('Blinding Lights', 'The Weeknd - Blinding Lights (Live)', 'Blinding Lights (sped up)', 'Save Your Tears'), fc.string()),
      author: fc.oneof(fc.constantFrom('The Weeknd', 'TheWeekndVEVO', 'Lyrics Channel', 'Someone - Topic'), fc.string()),
      durationMs: fc.integer({ min: 0, max: 4_000_000 }),
      kind: fc.constantFrom('song' as const, 'video' as const),
      verifiedArtist: fc.boolean(),
      isrcHit: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(arb, { maxLength: 8 }), (cands) => {
      const ranked = rankCandidates(q, cands);
      for (const r of ranked) expect(r.score > 0 && r.score <= 1).toBe(true);
      for (let i = 1; i < ranked.length; i++) expect((ranked[i - 1]?.score ?? 0) >= (ranked[i]?.score ?? 0)).toBe(true);
      const reversed = rankCandidates(q, [...cands].reverse());
      expect(new Set(reversed.map((r) => r.score))).toEqual(new Set(ranked.map((r) => r.score)));
    }), { numRuns: 200 });
  });
  it('never accepts a candidate of another artist, whatever else matches', () => {
    fc.assert(fc.property(fc.integer({ min: 190_000, max: 210_000 }), fc.boolean(), (ms, verified) => {
      const other: MatchCandidate = { identifier: 'x', title: 'Blinding Lights', author: 'Someone Else', durationMs: ms, kind: 'song', artists: ['Someone Else'], verifiedArtist: verified, isrcHit: true };
      return pickMatch(q, [other]) === null;
    }));
  });
});
