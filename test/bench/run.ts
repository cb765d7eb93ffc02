/**
 * `npm run bench [-- name...]`: runs the benchmarks in test/bench (each in its own process, so one
 * benchmark's heap and timers do not disturb the next) and prints their tables.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BENCH_NODE_ARGS } from './_node-args.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name));

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n### bench: ${name}\n`);
  const result = spawnSync(process.execPath, [...BENCH_NODE_ARGS, `${dir}${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
