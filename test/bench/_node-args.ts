/**
 * The Node arguments a bench process runs with: GC on demand (for steady allocation figures), and
 * TypeScript whose closures are made as in the built package (see `_ts-register.mjs`: not tsx, whose
 * `keepNames` makes every named closure slower and larger than in the built package).
 */
export const BENCH_NODE_ARGS: readonly string[] = ['--expose-gc', '--import', new URL('./_ts-register.mjs', import.meta.url).href];
