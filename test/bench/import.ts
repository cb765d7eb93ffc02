/**
 * Import cost: how long a fresh Node process takes to load each package entry, cold.
 *
 *   npm run bench -- import                  (or: npx tsx test/bench/import.ts)
 *
 * - The package is built first (`tsc -p tsconfig.build.json` into .bench-out/import/), so what is
 *   timed is the JavaScript a user installs, not tsx compiling TypeScript on the fly.
 * - Each entry of package.json `exports` with an import condition is loaded by a new process
 *   (`node --input-type=module -e`), which times `await import(entry)` with `performance.now()`
 *   and prints it; BENCH_RUNS (default 9) processes per entry, the median is reported beside the
 *   fastest and slowest run and the goal (issue 14: the root entry in 100 ms, `spence/demux` in 30).
 * - The first run of each entry is a warm-up of the OS file cache and is not counted: "cold" is a
 *   new V8 isolate with nothing compiled, not a disk that has never read the files.
 * - BENCH_NO_BUILD=1 reuses the last build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, '.bench-out', 'import');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

/** Goals in ms per entry (issue 14 item 3); entries without one are reported only. */
const GOALS: Record<string, number> = { '.': 100, './demux': 30 };

function build(): void {
  if (process.env.BENCH_NO_BUILD === '1' && existsSync(out)) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--sourceMap', 'false', '--declaration', 'false'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('The build for the import bench failed');
}

/** Each `exports` entry and the built file its `import` condition names, moved into the bench's build. */
function entries(): { name: string; file: string }[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const list: { name: string; file: string }[] = [];
  for (const [name, target] of Object.entries(pkg.exports)) {
    if (name.includes('*') || typeof target !== 'object' || target === null) continue;
    const conditions = target as Record<string, unknown>;
    const path = conditions['import'] ?? conditions['default'];
    if (typeof path !== 'string' || !path.startsWith('./dist/')) continue;
    list.push({ name, file: join(out, path.slice('./dist/'.length)) });
  }
  return list;
}

function timeImport(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root });
  if (result.status !== 0) throw new Error(`Importing ${file} failed:\n${result.stderr}`);
  return Number(result.stdout);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

build();
console.log(`node ${process.version}, ${RUNS} fresh processes per entry (after one warm-up), times of await import() in ms`);
console.log('entry'.padEnd(22) + 'median'.padStart(9) + 'min'.padStart(9) + 'max'.padStart(9) + 'goal'.padStart(9) + '  ');
let missed = 0;
for (const { name, file } of entries()) {
  timeImport(file);
  const times = Array.from({ length: RUNS }, () => timeImport(file));
  const med = median(times);
  const goal = GOALS[name];
  const verdict = goal === undefined ? '' : med <= goal ? 'met' : 'MISSED';
  if (verdict === 'MISSED') missed++;
  const label = name === '.' ? 'spence' : `spence/${name.slice(2)}`;
  console.log(
    label.padEnd(22)
    + med.toFixed(1).padStart(9)
    + Math.min(...times).toFixed(1).padStart(9)
    + Math.max(...times).toFixed(1).padStart(9)
    + (goal === undefined ? '-' : String(goal)).padStart(9)
    + `  ${verdict}`,
  );
}
if (missed > 0) console.log(`${missed} entr${missed === 1 ? 'y' : 'ies'} over the goal`);
