/**
 * `node --import ./test/bench/_ts-register.mjs file.ts`: runs the benches' TypeScript with its
 * closures as the built package has them (see `_ts-hooks.mjs`).
 *
 * Why not tsx: tsx compiles with esbuild's `keepNames`, which wraps every named function
 * expression and arrow in `__name(fn, "name")`, an `Object.defineProperty` on each closure as it
 * is made. That is a runtime call per closure, and it turns each one's properties into a
 * 256-byte dictionary: a heap snapshot of 2000 playing players held 6377 of them (1.6 MB), and
 * every start that makes closures paid the calls. `tsc`, which builds `dist/`, adds neither, so a
 * bench under tsx measures a slower, larger spence than the one users run.
 */
import { register } from 'node:module';

register('./_ts-hooks.mjs', import.meta.url);
