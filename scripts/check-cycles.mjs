#!/usr/bin/env node
/**
 * Fails when the import graph of src/ and providers/ has a cycle (issue 14 item 1), and prints
 * each cycle as a chain of files. Run by `npm run lint`.
 *
 * Every static `import`/`export ... from` of a relative module is an edge, `import type` included:
 * a type-only cycle costs nothing at run time, but it is the same tangle to a reader, and it turns
 * into a run-time one the day a value is imported along the same line. A dynamic `import()` is
 * not an edge: it is how a module defers a dependency to first use, and it cannot break module
 * initialisation order.
 *
 * TypeScript's own parser (already a dev dependency) reads the files: a syntax pass only, no type
 * checking, so the whole graph takes well under a second. eslint-plugin-import-x's `no-cycle`
 * would do the same job through a resolver plugin at several times the cost on every lint run.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const dirs = ['src', 'providers'];

/** Every .ts file (not .d.ts) under `dir`. */
function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The .ts file a relative specifier names (`./x.js` is `./x.ts`), or null outside the graph. */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** The files `file` imports statically. */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out = new Set();
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        ? statement.moduleSpecifier.text
        : null;
    if (specifier === null) continue;
    const target = resolveSpecifier(file, specifier);
    if (target !== null) out.add(target);
  }
  return out;
}

const graph = new Map();
for (const dir of dirs) for (const file of files(join(root, dir))) graph.set(file, importsOf(file));

// Tarjan's strongly connected components: every component of more than one file (or a file that
// imports itself) holds a cycle.
let index = 0;
const indices = new Map();
const lowlinks = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function connect(v) {
  indices.set(v, index);
  lowlinks.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!indices.has(w)) {
      connect(w);
      lowlinks.set(v, Math.min(lowlinks.get(v), lowlinks.get(w)));
    } else if (onStack.has(w)) {
      lowlinks.set(v, Math.min(lowlinks.get(v), indices.get(w)));
    }
  }
  if (lowlinks.get(v) === indices.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).has(v)) components.push(component);
  }
}
for (const v of graph.keys()) if (!indices.has(v)) connect(v);

/** One shortest cycle through `start` inside `members`, for the message. */
function cycleThrough(start, members) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (w === start) {
        const chain = [start];
        for (let u = v; u !== start; u = previous.get(u)) chain.splice(1, 0, u);
        return [...chain, start];
      }
      if (members.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

const show = (file) => relative(root, file);
if (components.length === 0) {
  process.stdout.write(`import graph: ${graph.size} files in ${dirs.join('/, ')}/, no cycle\n`);
} else {
  for (const component of components) {
    const members = new Set(component);
    const start = [...component].sort()[0];
    process.stderr.write(`import cycle among ${component.length} files, for example:\n  ${cycleThrough(start, members).map(show).join('\n  -> ')}\n`);
  }
  process.stderr.write(`\n${components.length} import cycle${components.length === 1 ? '' : 's'} in ${dirs.join('/, ')}/ (scripts/check-cycles.mjs)\n`);
  process.exitCode = 1;
}
