/** The pool worker loads from the build (dist/, plain JS: no tsx) as well as from the sources (the other tests). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const built = existsSync(new URL('../../dist/src/transcode/pool/worker.js', import.meta.url));

describe.skipIf(!built)('built mode (skipped: run npm run build first; CI builds before testing)', () => {
  it('transcodes through a worker started from dist/', () => {
    const script = new URL('./built-smoke.mjs', import.meta.url).pathname;
    // A plain node, no tsx loader: only the compiled worker can load.
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout.trim())).toEqual({ workerMode: 'built', backend: '@evan/opus', frames: 150 });
  });
});
