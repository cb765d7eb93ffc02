#!/usr/bin/env node
/**
 * Checks the package as `npm publish` would send it (issue 14 item 11); run by CI after the build.
 *
 * - The tarball's file list (`npm pack --dry-run --json`): every file the package's `exports`,
 *   `bin` and runtime need is there (each entry's JavaScript and types, every built-in provider,
 *   the transcoding worker, the CLI's sample, README, LICENSE, CHANGELOG), and nothing else is
 *   (no tests, no TypeScript sources but the documented example, no bench output, no stray build).
 * - Every source map in dist/ carries the sources it points at (`sourcesContent`): the package
 *   does not ship src/, so a map without them would point at nothing.
 * - `npm publish --dry-run` reports no warning but the one a dry run always gives without a login.
 *
 * Needs a fresh build (`npm run build`); prints what is wrong and exits 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];
const npm = (args) => execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

if (!existsSync(join(root, 'dist'))) {
  process.stderr.write('check-pack: no dist/; run `npm run build` first\n');
  process.exit(1);
}

// ---------------------------------------------------------------- the file list
const files = new Set(JSON.parse(npm(['pack', '--dry-run', '--json']))[0].files.map((f) => f.path));

const required = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'fixtures/media/sample.webm', 'dist/src/transcode/pool/worker.js']);
for (const target of Object.values(pkg.bin ?? {})) required.add(target.replace(/^\.\//, ''));
const providers = readdirSync(join(root, 'providers')).filter((name) => existsSync(join(root, 'providers', name, 'index.ts')));
for (const [entry, conditions] of Object.entries(pkg.exports)) {
  if (typeof conditions === 'string') {
    required.add(conditions.replace(/^\.\//, ''));
    continue;
  }
  for (const target of Object.values(conditions)) {
    const path = target.replace(/^\.\//, '');
    if (entry.includes('*')) for (const name of providers) required.add(path.replace('*', name));
    else required.add(path);
  }
}
for (const path of required) if (!files.has(path)) problems.push(`missing from the tarball: ${path}`);

const allowed = [
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|fixtures\/media\/sample\.webm)$/,
  /^dist\/(src|providers)\/.+\.(js|d\.ts|js\.map)$/,
  /^docs\/[^/]+\.md$/,
  /^docs\/examples\/[^/]+\.ts$/,
];
for (const path of files) if (!allowed.some((pattern) => pattern.test(path))) problems.push(`unexpected in the tarball: ${path}`);

// ---------------------------------------------------------------- source maps
function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
let maps = 0;
for (const path of walk(join(root, 'dist'))) {
  if (!path.endsWith('.js.map')) continue;
  maps++;
  const map = JSON.parse(readFileSync(path, 'utf8'));
  const contents = map.sourcesContent ?? [];
  if (contents.length !== map.sources.length || contents.some((c) => typeof c !== 'string')) {
    problems.push(`${relative(root, path)} does not carry its sources (inlineSources)`);
  }
}

// ---------------------------------------------------------------- npm publish --dry-run
const publish = spawnSync('npm', ['publish', '--dry-run'], { cwd: root, encoding: 'utf8' });
if (publish.status !== 0) problems.push(`npm publish --dry-run failed:\n${publish.stderr}`);
// A dry run without a login always warns that publishing would need one; any other warning counts.
const warnings = `${publish.stdout}\n${publish.stderr}`
  .split('\n')
  .filter((line) => /^npm warn/i.test(line) && !/requires you to be logged in/.test(line));
problems.push(...warnings.map((line) => `npm publish --dry-run: ${line}`));

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n\ncheck-pack: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write(`check-pack: ${files.size} files, all ${required.size} required ones present, none unexpected; ${maps} source maps with their sources; npm publish --dry-run clean\n`);
}
