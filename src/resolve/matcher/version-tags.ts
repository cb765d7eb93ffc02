/**
 * Version tags: the words in a title that say which recording it is. A tag names a different
 * recording ("Live", "Remix", "sped up", "Taylor's Version", "TV size", a cover...) or a different
 * thing altogether (a reaction, a tutorial, an hour-long loop). Neutral words ("Remastered 2011",
 * "Radio Edit", "Official Audio", "Lyrics", "HD") describe the same recording and are dropped.
 *
 * All functions take text already passed through `normalizeText`.
 *
 * @module
 */

/** The kinds of version the matcher distinguishes. */
export type TagKind =
  | 'loop' | 'sped' | 'slowed' | 'nightcore' | 'daycore' | '8d' | 'bassboost' | 'reverb'
  | 'cover' | 'karaoke' | 'instrumental' | 'acapella' | 'acoustic' | 'live' | 'remix' | 'edit'
  | 'extended' | 'tvsize' | 'rerecord' | 'demo' | 'clean' | 'explicit' | 'mashup' | 'reprise'
  | 'arrangement' | 'language' | 'version' | 'nonmusic';

/** One tag found in a title, with the other words of its segment ("Skrillex" in "Skrillex Remix"). */
export interface VersionTag {
  readonly kind: TagKind;
  /** Words beside the tag in the same bracket or part, minus stop words: tells two lives apart. */
  readonly qualifier: readonly string[];
}

/** Tag kinds produced by audio effects: a channel name alone can reveal these. */
export const EFFECT_KINDS: ReadonlySet<TagKind> = new Set<TagKind>([
  'sped', 'slowed', 'nightcore', 'daycore', '8d', 'bassboost', 'reverb', 'karaoke',
]);

const w = (src: string): RegExp => new RegExp(`\\b(?:${src})\\b`, 'g');

/**
 * Neutral phrases. Removed before tag detection so that "Radio Edit" is not an "edit", "Original
 * Mix" not a "remix" and "Album Version" not some other version.
 */
const NEUTRAL: readonly RegExp[] = [
  w('(?:radio|single|album|main|original|uncut) (?:edit|version|mix|ver)'),
  w('original (?:recording|mix)'),
  w('(?:(?:19|20)\\d\\d )?(?:mono|stereo)(?: mix| version)?(?: (?:19|20)\\d\\d)?|(?:19|20)\\d\\d mix'),
  w('(?:official )?(?:cover art|art track|album art)'),
  w('(?:letra|lyrics?|sub(?:titulos)?) (?:en|in) [a-z]+|traduccion|traducao|traduzione|perevod|tradução'),
  w('(?:full|studio|video|lyrics?|mv|official|standard|stereo|mono|hq|hd) (?:version|ver)'),
  w('(?:(?:19|20)\\d\\d )?(?:digital(?:ly)? )?re ?master(?:ed)?(?: version| edition| (?:19|20)\\d\\d)?'),
  w('(?:super )?deluxe(?: edition| version)?|expanded edition|anniversary edition|bonus track'),
  w('official|music video|video ?clip|music clip|clip|video|audio|visuali[sz]er|m ?v|pv'),
  w('with lyrics|lyrics?|lyric video|letra|paroles|testo|legendad[oa]|traducid[oa]|subtitulad[oa]'),
  w('sub(?:s| espanol| indo)?|eng ?sub|vietsub|colou?r coded|han rom eng|rom eng|romanized'),
  w('hd|hq|4k|8k|1080p|720p|60fps|hi ?res|high quality|mono|stereo|full song|full'),
  w('from .*(?:soundtrack|motion picture|film|movie|series|ost)|ost|soundtrack|original soundtrack'),
  w('out now|new song|premiere|prod(?: by)? .*'),
];

interface TagRule { readonly kind: TagKind; readonly re: RegExp }

/** Ordered: specific phrases first, because each match is consumed before the next rule runs. */
const RULES: readonly TagRule[] = [
  { kind: 'nonmusic', re: w('reaction|reacts?|reacting|tutorial|lesson|how to (?:play|sing)|chords|tabs|parody|teaser|trailer|snippet|preview|behind the scenes|making of|interview|dance practice|choreography|amv|full album|review|explained|fan ?made|shorts|meme') },
  { kind: 'loop', re: w('\\d+ ?(?:hours?|hrs?|h)(?: loop| version| long)?|(?:one|two|three|five|ten|twelve) hours?|hour (?:long|version|loop)|\\d+ ?min(?:ute)?s? (?:loop|version)|loop(?:ed|s)?') },
  { kind: 'rerecord', re: w('taylors version|re ?-?record(?:ed|ing)?|rerecord(?:ed|ing)?|(?:19|20)\\d\\d recording|new recording') },
  { kind: 'tvsize', re: w('tv ?(?:size|ver|version|edit|length|cut)|short (?:ver|version|edit)|(?:anime|game|movie|op|ed) size') },
  { kind: 'nightcore', re: w('nightcore') },
  { kind: 'daycore', re: w('daycore') },
  { kind: 'sped', re: w('(?:sped|speed) ?up(?: version)?|sped|speedup|fast(?:er)? version|pitched up') },
  { kind: 'slowed', re: w('(?:super |ultra )?slowed(?: down)?(?: version)?|slow(?:er)? version|chopped (?:and )?screwed|pitched down') },
  { kind: '8d', re: w('(?:8|9|16) ?d(?: audio)?') },
  { kind: 'bassboost', re: w('bass ?boost(?:ed)?') },
  { kind: 'reverb', re: w('reverb') },
  { kind: 'karaoke', re: w('karaoke|sing ?along|in the style of|originally performed by|made famous by|backing track') },
  { kind: 'instrumental', re: w('instrumental(?: version)?|off ?vocal|minus one|inst|no vocals?') },
  { kind: 'acapella', re: w('a ?cap?pella|vocals? only|isolated vocals?') },
  { kind: 'arrangement', re: w('orchestral(?: version)?|symphonic(?: version)?|piano (?:version|ver|arrangement)|8 ?bit(?: version)?|music ?box(?: version)?|lo ?fi(?: version| remix)?|(?:jazz|rock|metal|orchestra|string|strings|violin|cello|guitar) (?:version|arrangement)') },
  { kind: 'cover', re: w('(?:piano |guitar |drum |bass |violin |dance |acoustic |vocal )?cover(?:ed)?(?: by)?|tribute') },
  // Japanese and Korean uploads say "tried singing it", "cover" in their own scripts.
  { kind: 'cover', re: /歌ってみた|弾いてみた|叩いてみた|演奏してみた|カバー|翻唱|커버/g },
  { kind: 'live', re: w('live(?: version| performance| session| lounge)?|unplugged|in concert|concert|en vivo|ao vivo|en directo|en concierto') },
  { kind: 'acoustic', re: w('acoustic(?: version)?|unplugged') },
  { kind: 'extended', re: w('extended(?: mix| version| edit| play)?|club mix|full length') },
  { kind: 'remix', re: w('remix(?:ed|es)?|rmx|bootleg|rework|flip|vip|(?:club|dance|dub|house|techno|trap|edm|dubstep) mix|mix') },
  { kind: 'demo', re: w('demo(?: version)?') },
  { kind: 'clean', re: w('clean(?: version| edit)?|censored|radio clean') },
  { kind: 'explicit', re: w('explicit(?: version)?|uncensored|dirty(?: version)?') },
  { kind: 'mashup', re: w('mash ?up|medley') },
  { kind: 'reprise', re: w('reprise') },
  { kind: 'edit', re: w('edit') },
  { kind: 'language', re: w('(?:english|spanish|japanese|korean|chinese|mandarin|cantonese|french|german|italian|portuguese|russian|espanol|eng|jpn|jp|kor|kr|cn) ?(?:ver|version)') },
  { kind: 'version', re: w('[a-z0-9]+ (?:ver|version)') },
];

const STOP = new Set([
  'at', 'on', 'in', 'from', 'the', 'of', 'a', 'an', 'and', 'version', 'ver', 'by', 'feat', 'ft', 'with',
  'to', 'for', 'de', 'la', 'el', 'en', 'le', 'les', 'du', 'des', 'vivo', 'ao', 'directo', 'edit', 'mix',
  'remix', 'live', 'op', 'ed', 'opening', 'ending', 'theme', 'song', 'new', 'performance', 'session',
  'sessions', 'show', 'official', 'video', 'audio', 'full', 'recorded', 'recording', 'at the',
]);

/** Removes neutral phrases; what is left is either a tag, a title, a name or unknown words. */
export function stripNeutral(normalized: string): string {
  let out = ` ${normalized} `;
  for (const re of NEUTRAL) out = out.replace(re, ' ');
  return out.replace(/ +/g, ' ').trim();
}

/** True when the text says nothing about the recording ("Official Video Remastered", "HD"). */
export function isNeutral(normalized: string): boolean {
  // Bare years ("(1985)") and track numbers describe, they do not distinguish; "From 'Frozen'"
  // names the film.
  if (/^from\b/.test(normalized)) return true;
  return stripNeutral(normalized).replace(/\b\d+\b/g, '').trim() === '';
}

/** The tags in one segment of a title, and the segment's text with tags and neutral words removed. */
export function detectTags(normalized: string): { tags: VersionTag[]; rest: string } {
  let text = ` ${stripNeutral(normalized)} `;
  const kinds: TagKind[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    if (!rule.re.test(text)) continue;
    if (rule.kind === 'language' || rule.kind === 'version') {
      // The distinguishing word is the qualifier, e.g. "spanish" in "Spanish Version".
      const match = text.match(rule.re)?.[0] ?? '';
      text = text.replace(rule.re, ' ');
      text = `${text} ${match.replace(/\b(?:ver|version)\b/, '')} `;
    } else {
      text = text.replace(rule.re, ' ');
    }
    kinds.push(rule.kind);
    // "Unplugged" is both acoustic and live; let both rules see it.
    if (rule.kind === 'live' && /\bunplugged\b/.test(normalized)) text = `${text} unplugged `;
  }
  const rest = text.replace(/ +/g, ' ').trim();
  const qualifier = rest.split(' ').filter((t) => t !== '' && !STOP.has(t));
  return { tags: [...new Set(kinds)].map((kind) => ({ kind, qualifier })), rest };
}
