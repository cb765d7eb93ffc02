/**
 * Comparing the source's version tags with a candidate's, in both directions: a tag in the result
 * but not the source counts against it ("Taylor's Version" for the original), and so does a tag in
 * the source missing from the result (a live source, a studio result).
 *
 * @module
 */
import type { TagKind, VersionTag } from './version-tags.js';

/** The verdict: rejected with a reason, or a factor (≤ 1) to multiply the score by. */
export interface TagVerdict {
  readonly reject: string | null;
  readonly factor: number;
  readonly notes: readonly string[];
}

/** What the comparison needs besides the tags. */
export interface TagContext {
  /** |source − candidate| duration, when both are known. */
  readonly deltaMs: number | undefined;
  /** The source's explicit flag. */
  readonly explicit: boolean | undefined;
}

/** Within this, a result missing "Live" or "Remix" may still be the source's recording. */
const SAME_CUT_MS = 2000;

const YEAR = /^(?:19|20)\d\d$/;

function qualifiers(tags: readonly VersionTag[]): { years: Set<string>; words: Set<string> } {
  const years = new Set<string>();
  const words = new Set<string>();
  for (const t of tags) for (const q of t.qualifier) (YEAR.test(q) ? years : words).add(q);
  return { years, words };
}

const disjoint = (a: Set<string>, b: Set<string>): boolean => a.size > 0 && b.size > 0 && ![...a].some((x) => b.has(x));

/** Compares two tag lists. */
export function compareTags(source: readonly VersionTag[], candidate: readonly VersionTag[], ctx: TagContext): TagVerdict {
  const notes: string[] = [];
  let factor = 1;
  const kinds = new Set<TagKind>([...source, ...candidate].map((t) => t.kind));
  for (const kind of kinds) {
    const s = source.filter((t) => t.kind === kind);
    const c = candidate.filter((t) => t.kind === kind);
    if (c.length > 0 && s.length === 0) {
      const f = extraFactor(kind, ctx);
      if (f === 0) return { reject: `result is ${kind}, source is not`, factor: 0, notes };
      if (f < 1) notes.push(`extra ${kind}`);
      factor *= f;
    } else if (s.length > 0 && c.length === 0) {
      const f = missingFactor(kind, ctx);
      if (f === 0) return { reject: `source is ${kind}, result is not`, factor: 0, notes };
      if (f < 1) notes.push(`missing ${kind}`);
      factor *= f;
    } else if (s.length > 0 && c.length > 0) {
      const f = qualifierFactor(kind, s, c);
      if (f === 0) return { reject: `another ${kind} (${c[0]?.qualifier.join(' ')})`, factor: 0, notes };
      if (f < 1) notes.push(`${kind} qualifiers differ`);
      factor *= f;
    }
  }
  return { reject: null, factor, notes };
}

function extraFactor(kind: TagKind, ctx: TagContext): number {
  switch (kind) {
    case 'edit': return 0.85;
    case 'version': return 0.8;
    case 'clean': return ctx.explicit === true ? 0 : ctx.explicit === false ? 1 : 0.85;
    case 'explicit': return ctx.explicit === false ? 0.85 : 1;
    default: return 0;
  }
}

function missingFactor(kind: TagKind, ctx: TagContext): number {
  switch (kind) {
    // Uploads often drop "Live" or "Remix" from the title of the very same recording; the
    // duration has to vouch for it.
    case 'live':
    case 'remix':
      return ctx.deltaMs !== undefined && ctx.deltaMs <= SAME_CUT_MS ? 0.8 : 0;
    case 'edit':
    case 'version':
    case 'clean':
      return 0.85;
    case 'explicit':
      return 1;
    default:
      return 0;
  }
}

function qualifierFactor(kind: TagKind, s: readonly VersionTag[], c: readonly VersionTag[]): number {
  const a = qualifiers(s);
  const b = qualifiers(c);
  switch (kind) {
    case 'live':
      // "Live 1977" is not "Live On MTV, 1994", "Live at Glastonbury" not "Live in Buenos Aires".
      return disjoint(a.years, b.years) || disjoint(a.words, b.words) ? 0 : 1;
    case 'remix':
      // "Skrillex Remix" is not "Tiësto Remix"; an unnamed remix against a named one is doubtful.
      if (disjoint(a.words, b.words)) return 0;
      return (a.words.size === 0) !== (b.words.size === 0) ? 0.8 : 1;
    case 'language':
    case 'version':
      return disjoint(a.words, b.words) ? 0 : 1;
    default:
      return 1;
  }
}
