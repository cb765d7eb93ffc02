import { describe, expect, it } from 'vitest';
import { judge, loadCases, OWN_CASES, SHARED_CASES, summary, type MatchCase } from './matcher-cases.js';

function runCases(cases: MatchCase[]): void {
  for (const c of cases) {
    it(`${c.id}: ${c.note ?? ''}`, () => {
      const j = judge(c);
      // The per-case decision, with every candidate's score or rejection, for debugging.
      console.log([summary(j), ...j.lines].join('\n'));
      expect(j.wrongPick, 'a wrong pick').toBe(false);
      expect(j.ok, summary(j)).toBe(true);
    });
  }
}

const shared = loadCases(SHARED_CASES);
describe.skipIf(shared.length === 0)('matcher: shared cases (../shared/matching)', () => {
  it('has the 15 cases', () => expect(shared.length).toBeGreaterThanOrEqual(15));
  runCases(shared);
});

describe('matcher: project cases (fixtures/matching)', () => {
  const own = loadCases(OWN_CASES);
  it('has at least 20 cases, some of them "no match"', () => {
    expect(own.length).toBeGreaterThanOrEqual(20);
    expect(own.filter((c) => c.accept.length === 0).length).toBeGreaterThanOrEqual(5);
  });
  runCases(own);
});
