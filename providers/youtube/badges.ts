/**
 * Members-only videos: YouTube lists them (in playlists, in search) but plays them only to the
 * channel's paying members, so an anonymous client cannot open them. The mark is a badge on the
 * entry: `metadataBadgeRenderer` with the style `BADGE_STYLE_TYPE_MEMBERS_ONLY` (label
 * "Members only"), or, in the newer view models, a badge whose text is "Members only".
 * youtubei.js drops a playlist entry's badges, so playlists are read from the raw answer.
 *
 * @module
 */

/** Badge styles that mark members-only content (the style is not localised; the label is). */
const MEMBERS_ONLY_STYLE = /MEMBERS?_ONLY/;
const MEMBERS_ONLY_LABEL = /^members[ -]only$/i;
/** Properties whose text is the uploader's (a title may say "Members only"), never a badge. */
const NOT_BADGES = new Set(['title', 'headline', 'descriptionSnippet', 'detailedMetadataSnippets', 'menu', 'navigationEndpoint', 'shortBylineText', 'longBylineText', 'ownerText']);
const STYLE_KEYS = ['style', 'badgeStyle'];
const LABEL_KEYS = ['label', 'text', 'content', 'accessibilityLabel', 'tooltip'];
/** Renderers of one video entry, and where each keeps the video ID. */
const ENTRIES = new Map([
  ['playlistVideoRenderer', 'videoId'],
  ['videoRenderer', 'videoId'],
  ['gridVideoRenderer', 'videoId'],
  ['compactVideoRenderer', 'videoId'],
  ['playlistPanelVideoRenderer', 'videoId'],
  ['lockupViewModel', 'contentId'],
]);

/** True when `value` (an entry, its badges, parsed or raw) carries a members-only badge. */
export function isMembersOnly(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isMembersOnly);
  if (typeof value !== 'object' || value === null) return false;
  const object = value as Record<string, unknown>;
  for (const key of STYLE_KEYS) {
    const style = object[key];
    if (typeof style === 'string' && MEMBERS_ONLY_STYLE.test(style)) return true;
  }
  for (const key of LABEL_KEYS) {
    const label = object[key];
    if (typeof label === 'string' && MEMBERS_ONLY_LABEL.test(label.trim())) return true;
  }
  for (const [key, child] of Object.entries(object)) {
    if (!NOT_BADGES.has(key) && typeof child === 'object' && child !== null && isMembersOnly(child)) return true;
  }
  return false;
}

/** The IDs of every members-only video entry in a raw InnerTube answer, wherever it sits. */
export function membersOnlyVideoIds(answer: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(answer)) {
    for (const item of answer) membersOnlyVideoIds(item, into);
    return into;
  }
  if (typeof answer !== 'object' || answer === null) return into;
  for (const [key, child] of Object.entries(answer as Record<string, unknown>)) {
    const idKey = ENTRIES.get(key);
    if (idKey !== undefined && typeof child === 'object' && child !== null) {
      const id = (child as Record<string, unknown>)[idKey];
      if (typeof id === 'string' && isMembersOnly(child)) into.add(id);
    }
    if (typeof child === 'object' && child !== null) membersOnlyVideoIds(child, into);
  }
  return into;
}
