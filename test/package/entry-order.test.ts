/**
 * The root entry loads whatever order its exports are written in (issue 14 item 1). Before the
 * provider kit, moving `export { Node }` one line up broke the package at import
 * (`ReferenceError: Cannot access 'ErrorCodes' before initialization`): the entry imported the
 * node, which imported every provider, which imported the entry. Each variant of src/index.ts
 * with its export statements reordered replaces the entry in a copy of src/ and providers/ and is
 * loaded by a fresh process (a module graph is evaluated once per process, so only a new one shows
 * an initialisation-order fault).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../helpers/prng.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'spence-entry-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The export statements of an entry, each whole (multi-line ones included). */
function exportStatements(file: string): string[] {
  return readFileSync(join(root, 'src', file), 'utf8').match(/^export[^;]*;/gms) ?? [];
}

/** Loads a copy of the package whose root entry is `statements`, in a fresh process; resolves with what it exports. */
async function load(name: string, statements: string[]): Promise<string[]> {
  const copy = join(dir, name);
  for (const part of ['src', 'providers', 'package.json']) cpSync(join(root, part), join(copy, part), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const file = join(copy, 'src', 'index.ts');
  writeFileSync(file, statements.join('\n') + '\n');
  const script = `const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(JSON.stringify(Object.keys(m).sort()));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: copy });
  return JSON.parse(stdout) as string[];
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('the root entry', () => {
  it('imports in any order of its export statements', async () => {
    const statements = exportStatements('index.ts');
    expect(statements.length).toBeGreaterThan(3);
    const nodeFirst = [...statements].sort((a, b) => Number(/\bNode\b/.test(b)) - Number(/\bNode\b/.test(a)));
    const variants: [string, string[]][] = [
      ['written', statements],
      ['reversed', [...statements].reverse()],
      ['node-first', nodeFirst],
      ['shuffled-1', shuffled(statements, 1)],
      ['shuffled-2', shuffled(statements, 2)],
    ];
    const exported = await Promise.all(variants.map(([name, list]) => load(name, list)));
    for (const keys of exported) expect(keys).toEqual(exported[0]);
    expect(exported[0]).toContain('Node');
  });
});
