/**
 * Prints the matcher's decision on every case, with each candidate's score or rejection reason.
 * Run: `npx tsx test/resolve/matcher-report.ts [--failures]`.
 */
import { judge, loadCases, OWN_CASES, SHARED_CASES, summary } from './matcher-cases.js';

const onlyFailures = process.argv.includes('--failures');
for (const [name, path] of [['shared', SHARED_CASES], ['own', OWN_CASES]] as const) {
  const cases = loadCases(path);
  if (cases.length === 0) continue;
  const judged = cases.map(judge);
  console.log(`\n== ${name}: ${judged.filter((j) => j.ok).length}/${judged.length} right, ${judged.filter((j) => j.wrongPick).length} wrong picks`);
  for (const j of judged) {
    if (onlyFailures && j.ok) continue;
    console.log(summary(j));
    for (const line of j.lines) console.log(line);
  }
}
