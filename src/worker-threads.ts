/**
 * Starting a worker thread on one of spence's modules, in both modes the library runs in: built
 * (`dist/`, plain `.js`: the compiled module) and from TypeScript sources (tsx, vitest: the `.ts`
 * module, through tsx's ESM loader registered inside the worker, since Node 20 does not take
 * `--import` in a worker's execArgv).
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { ErrorCodes, SpenceError } from './errors.js';

/** Which file a worker runs: the built `.js` beside `base`, or the `.ts` source. */
export function moduleEntry(base: URL, name: string): { mode: 'built' | 'source'; url: URL } {
  const built = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(built))) return { mode: 'built', url: built };
  return { mode: 'source', url: new URL(`./${name}.ts`, base) };
}

/**
 * Starts a worker on `entry` (see {@link moduleEntry}).
 *
 * @throws {SpenceError} `UNAVAILABLE` when the entry is TypeScript and tsx is not installed.
 */
export function spawnModuleWorker(entry: { mode: 'built' | 'source'; url: URL }, options: WorkerOptions = {}, names: { what: string; source: string } = { what: 'worker', source: 'worker' }): Worker {
  if (entry.mode === 'built') return new Worker(entry.url, options);
  let tsxApi: string;
  try {
    // tsx's ESM API (the .mjs beside the resolved CommonJS entry): register() installs its loader in this thread.
    tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  } catch (error) {
    throw new SpenceError(ErrorCodes.UNAVAILABLE, `The ${names.what} runs from TypeScript sources here and needs tsx (a dev dependency); build with \`npm run build\` or install tsx`, { cause: error, source: names.source });
  }
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.url.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}
