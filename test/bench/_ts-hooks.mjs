/**
 * Module hooks for `_ts-register.mjs`: resolves `./x.js` to `./x.ts` when only the source exists
 * (the sources import each other by their built names), and strips each `.ts` file's types with
 * esbuild, as tsx does but without `keepNames` (so a closure is made as `tsc`'s output makes it).
 * esbuild rather than TypeScript's `transpileModule`: the latter takes ~10 ms a file, and modules
 * that a bench imports lazily (a demuxer at the first open) would be compiled inside its window.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { URL, fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/** The compiler options that change emitted code (tsconfig.json's `target`, class fields as defined properties). */
const tsconfigRaw = { compilerOptions: { target: 'ES2023', useDefineForClassFields: true, verbatimModuleSyntax: true } };

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith('.ts') && specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const asTs = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (!existsSync(fileURLToPath(new URL(specifier, parent))) && existsSync(fileURLToPath(asTs))) {
      return { url: asTs.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return next(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'es2023',
    keepNames: false,
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
