/**
 * The package's version, read from the package.json above this module (`src/` in development,
 * `dist/src/` when built).
 *
 * @module
 */

import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version of the installed spence package, or `'unknown'`. */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spence' && pkg.version) {
        cached = pkg.version;
        break;
      }
    } catch {}
  }
  return cached;
}
