/**
 * Loading and judging matcher cases (the shared `../shared/matching/cases.json` and the project's
 * `fixtures/matching/cases.json`), shared by the test and the report script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainCandidates, pickMatch, type MatchCandidate, type MatchQuery } from '../../src/resolve/matcher/index.js';

/** One case: a source, the search results, and the identifiers that carry the same recording. */
export interface MatchCase {
  id: string;
  note?: string;
  source: MatchQuery;
  candidates: MatchCandidate[];
  accept: string[];
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared cases beside the repo. */
export const SHARED_CASES = resolve(root, '../shared/matching/cases.json');
/** The project's own cases. */
export const OWN_CASES = resolve(root, 'fixtures/matching/cases.json');

/** Reads a case file; `[]` when it is absent. */
export function loadCases(path: string): MatchCase[] {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as MatchCase[]) : [];
}

/** The matcher's decision on a case, and whether it is right. */
export interface Judgement {
  id: string;
  ok: boolean;
  picked: string | null;
  score: number;
  expected: string[];
  /** A pick where the right answer was "no match", or a pick outside `accept`. */
  wrongPick: boolean;
  lines: string[];
}

/** Runs the matcher on a case. */
export function judge(c: MatchCase): Judgement {
  const result = pickMatch(c.source, c.candidates);
  const picked = result?.candidate.identifier ?? null;
  const ok = c.accept.length === 0 ? picked === null : picked !== null && c.accept.includes(picked);
  const lines = explainCandidates(c.source, c.candidates).map((e) => {
    const mark = e.candidate.identifier === picked ? '>' : c.accept.includes(e.candidate.identifier) ? '+' : ' ';
    const verdict = e.rejected !== null ? `REJECT ${e.rejected}` : e.score.toFixed(3);
    return `  ${mark} ${e.candidate.identifier.padEnd(12)} ${verdict.padEnd(40)} ${e.candidate.title} — ${e.candidate.author} ${JSON.stringify(e.parts)} ${e.notes.join('; ')}`;
  });
  return { id: c.id, ok, picked, score: result?.score ?? 0, expected: c.accept, wrongPick: picked !== null && !c.accept.includes(picked), lines };
}

/** A printable line for a judgement. */
export function summary(j: Judgement): string {
  return `${j.ok ? 'PASS' : 'FAIL'} ${j.id}: picked ${j.picked ?? 'null'} (${j.score.toFixed(3)}), accept [${j.expected.join(', ')}]`;
}
