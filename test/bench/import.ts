/**
 * Import cost: how long a fresh Node process takes to load each package entry, cold.
 *
 *   npm run bench -- import                  (or: npx tsx test/bench/import.ts)
 *   BENCH_BASE=main npm run bench -- import  (the same entries of another commit, in the same run)
 *
 * - The package is built first (`tsc -p tsconfig.build.json` into .bench-out/import/), so what is
 *   timed is the JavaScript a user installs, not tsx compiling TypeScript on the fly.
 * - Each entry of package.json `exports` (its import condition) is loaded by a new process
 *   (`node --input-type=module -e`), which times `await import(entry)` with `performance.now()`
 *   and the CPU time the process spent in it (`process.cpuUsage()`, every thread). BENCH_RUNS
 *   (default 9) processes per entry; the median wall time is the figure, beside the fastest run,
 *   the median CPU time (steadier than wall time on a busy machine) and the goal (issue 14 item
 *   3: the root entry in 100 ms, `spence/demux` in 30).
 * - The first run of each entry warms the OS file cache and is not counted: "cold" is a new V8
 *   isolate with nothing compiled, not a disk that has never read the files.
 * - BENCH_BASE=<git ref>: the same entries (by path) of that commit, built from `git archive` in
 *   .bench-out/import-base/ against this checkout's node_modules, measured interleaved with
 *   this tree's, run by run, so both see the same machine load. An entry the base lacks is skipped.
 * - BENCH_NO_BUILD=1 reuses the last build(s).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const BASE = process.env.BENCH_BASE;
const NO_BUILD = process.env.BENCH_NO_BUILD === '1';

/** Goals in ms per entry (issue 14 item 3); entries without one are reported only. */
const GOALS: Record<string, number> = { '.': 100, './demux': 30 };

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Builds the tree at `tree` (its tsconfig.build.json) into `out`. */
function build(tree: string, out: string): void {
  if (NO_BUILD && existsSync(out)) return;
  rmSync(out, { recursive: true, force: true }); // no file left from another tree's build
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', join(tree, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false'];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`The build of ${tree} for the import bench failed`);
}

/** Checks out `ref` (files only) next to this tree, sharing its node_modules. */
function checkoutBase(ref: string): string {
  const tree = join(root, '.bench-out', 'import-base', 'tree');
  if (NO_BUILD && existsSync(tree)) return tree;
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  // Only what the build reads: the sources and the TypeScript settings.
  const parts = ['src', 'providers', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
  const archive = execFileSync('git', ['-C', root, 'archive', '--format=tar', ref, ...parts], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', tree], { input: archive });
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
  return tree;
}

/** Each `exports` entry and the path of its `import` target under dist/. */
function entries(): { name: string; path: string }[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const list: { name: string; path: string }[] = [];
  for (const [name, target] of Object.entries(pkg.exports)) {
    if (name.includes('*') || typeof target !== 'object' || target === null) continue;
    const conditions = target as Record<string, unknown>;
    const path = conditions['import'] ?? conditions['default'];
    if (typeof path === 'string' && path.startsWith('./dist/')) list.push({ name, path: path.slice('./dist/'.length) });
  }
  return list;
}

function timeImport(file: string): Sample {
  const script = [
    'const cpu = process.cpuUsage();',
    'const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const wallMs = performance.now() - t;',
    'const used = process.cpuUsage(cpu);',
    'process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));',
  ].join('\n');
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root });
  if (result.status !== 0) throw new Error(`Importing ${file} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const out = join(root, '.bench-out', 'import', 'dist');
build(root, out);
const builds: { label: string; out: string }[] = [{ label: '', out }];
if (BASE) {
  const baseOut = join(root, '.bench-out', 'import-base', 'dist');
  build(checkoutBase(BASE), baseOut);
  builds.push({ label: ` @${BASE}`, out: baseOut });
}

console.log(`node ${process.version}, ${RUNS} fresh processes per entry (after one warm-up); ms of await import()`);
console.log('entry'.padEnd(28) + 'median'.padStart(9) + 'min'.padStart(9) + 'CPU'.padStart(9) + 'goal'.padStart(9));
let missed = 0;
for (const { name, path } of entries()) {
  const label = name === '.' ? 'spence' : `spence/${name.slice(2)}`;
  const files = builds.map((b) => join(b.out, path)).map((file) => (existsSync(file) ? file : null));
  for (const file of files) if (file !== null) timeImport(file);
  // Interleaved: run i of every build before run i + 1 of any, so they share the machine's load.
  const samples: Sample[][] = files.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    files.forEach((file, i) => {
      if (file !== null) samples[i]!.push(timeImport(file));
    });
  }
  builds.forEach((b, i) => {
    if (files[i] === null) return console.log(`${label}${b.label}`.padEnd(28) + '(no such entry)'.padStart(18));
    const wall = samples[i]!.map((s) => s.wallMs);
    const med = median(wall);
    const goal = b.label === '' ? GOALS[name] : undefined;
    const verdict = goal === undefined ? '' : med <= goal ? '  met' : '  MISSED';
    if (verdict.trim() === 'MISSED') missed++;
    console.log(
      `${label}${b.label}`.padEnd(28)
      + med.toFixed(1).padStart(9)
      + Math.min(...wall).toFixed(1).padStart(9)
      + median(samples[i]!.map((s) => s.cpuMs)).toFixed(1).padStart(9)
      + (goal === undefined ? '-' : String(goal)).padStart(9)
      + verdict,
    );
  });
}
if (missed > 0) console.log(`${missed} entr${missed === 1 ? 'y' : 'ies'} over the goal (on a busy machine, see the CPU column and min)`);
