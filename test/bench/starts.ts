/**
 * The cost of starting players all at once (issue 16: a restart restoring every player), on a
 * manual clock, so that the figures are the process's own work and bytes, not the machine's load:
 *
 *   npm run bench -- starts
 *   BENCH_LAYOUTS=youtube,opusenc BENCH_COUNT=5000 npm run bench -- starts
 *
 * Per layout (see `_layouts.ts`; default youtube and opusenc), in a process of its own (the first
 * loop of a process is the one a restart runs: nothing compiled yet):
 * - the caller's loop: `node.createPlayer()` N times, then `player.load(track)` on each, as one
 *   synchronous loop; µs per call (wall, and the process's CPU), and the heap the loop leaves
 *   (after a forced collection) per player: what every player holds while it waits for its turn
 *   at the start gate;
 * - the starts: the manual clock moved 20 ms at a time, the event loop (the file reads) run
 *   between, until every player plays: how long that took on the clock, the collections meanwhile
 *   (scavenges, mark-compacts: count and ms), the most the old space grew, the heap each playing
 *   player holds (after a forced collection: what the starts' scavenges had to copy and promote,
 *   so what their pauses grow with), and the ArrayBuffers (the read-aheads) per player at the end. V8 starts a mark-compact for each 64 MB of
 *   ArrayBuffers allocated since the last one, so their bytes set a floor under that count.
 *
 * Lateness is not measured here (the clock is manual): the scheduler bench's `burst` rows are.
 *
 * Environment: BENCH_LAYOUTS (default "youtube,opusenc"), BENCH_COUNT (5000), BENCH_TRACK_SECONDS
 * (180), BENCH_CACHE (where the layouts' files are kept; default $TMPDIR/spence-bench-layouts),
 * BENCH_HEAP_SNAPSHOT (a path prefix: writes a heap snapshot once every player plays, to compare
 * two counts' snapshots for what each player holds).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import v8 from 'node:v8';
import { defaultProviders } from '../../src/default-providers.js';
import { Node } from '../../src/node.js';
import { ManualClock } from '../../src/player/clock.js';
import type { Player } from '../../src/player/player.js';
import { layoutFile, type LayoutName } from './_layouts.js';
import { BENCH_NODE_ARGS } from './_node-args.js';

const LAYOUTS = (process.env.BENCH_LAYOUTS ?? 'youtube,opusenc').split(',') as LayoutName[];
const COUNT = Number(process.env.BENCH_COUNT ?? 5000);
const TRACK_SECONDS = Number(process.env.BENCH_TRACK_SECONDS ?? 180);
const CACHE = process.env.BENCH_CACHE ?? path.join(os.tmpdir(), 'spence-bench-layouts');
/** Set in the child process that measures one layout. */
const CHILD = process.env.BENCH_STARTS_LAYOUT as LayoutName | undefined;
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;

if (CHILD === undefined) {
  console.log(`starts bench: ${COUNT} players loaded in one loop, on a manual clock; node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| layout | createPlayer µs | load µs (sync) | CPU µs/player | heap KB/player waiting | clock ms until all play | heap KB/player playing | scavenges (ms, longest) | mark-compacts (ms) | old space peak MB | ArrayBuffers KB/player |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const layout of LAYOUTS) {
    layoutFile(layout, TRACK_SECONDS, CACHE); // built here, not timed in the child
    const result = spawnSync(process.execPath, [...BENCH_NODE_ARGS, import.meta.filename], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_STARTS_LAYOUT: layout },
    });
    if (result.status !== 0) process.exitCode = 1;
  }
} else {
  await measure(CHILD);
}

async function measure(layout: LayoutName): Promise<void> {
  if (gc === undefined) throw new Error('run with --expose-gc (npm run bench does)');
  const file = layoutFile(layout, TRACK_SECONDS, CACHE);
  const clock = new ManualClock(0);
  const node = new Node({ providers: defaultProviders({ local: { roots: [path.dirname(file)] } }), clock });
  const resolved = await node.resolve(file);
  if (resolved.type !== 'track') throw new Error(`${file} did not resolve to a track`);
  const { track } = resolved;
  const collections = { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, markCompacts: 0, markCompactMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        collections.scavenges++;
        collections.scavengeMs += entry.duration;
        collections.scavengeMaxMs = Math.max(collections.scavengeMaxMs, entry.duration);
      } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        collections.markCompacts++;
        collections.markCompactMs += entry.duration;
      }
    }
  });
  const oldSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
  gc();
  gc();
  const before = process.memoryUsage();
  const oldBefore = oldSpace();

  // The caller's loop: what a bot restoring every player runs.
  const players: Player[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) players.push(node.createPlayer());
  const t1 = performance.now();
  let playing = 0;
  for (const player of players) {
    player.load(track).then(
      () => void playing++,
      () => {},
    );
  }
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  gc();
  const waitingKB = (process.memoryUsage().heapUsed - before.heapUsed) / 1024 / COUNT;

  // The starts, 20 ms of the clock at a time with the file reads in between.
  observer.observe({ entryTypes: ['gc'] });
  let oldPeak = 0;
  const start = clock.now();
  while (playing < COUNT && clock.now() - start < 60_000) {
    await clock.advance(20);
    await new Promise<void>((resolve) => setImmediate(resolve));
    oldPeak = Math.max(oldPeak, oldSpace() - oldBefore);
  }
  const untilAllMs = playing === COUNT ? clock.now() - start : Number.NaN;
  observer.disconnect();
  gc();
  const playingKB = (process.memoryUsage().heapUsed - before.heapUsed) / 1024 / COUNT;
  if (process.env.BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}-${layout}-${COUNT}.heapsnapshot`);
  const buffersKB = (process.memoryUsage().arrayBuffers - before.arrayBuffers) / 1024 / COUNT;
  for (const player of players) player.destroy();
  await node.close();

  const us = (ms: number): string => ((ms * 1000) / COUNT).toFixed(1);
  console.log(
    `| ${layout} | ${us(t1 - t0)} | ${us(t2 - t1)} | ${((cpu.user + cpu.system) / COUNT).toFixed(1)} | ${waitingKB.toFixed(2)} | ${untilAllMs} | ${playingKB.toFixed(2)} | ` +
      `${collections.scavenges} (${collections.scavengeMs.toFixed(0)}, ${collections.scavengeMaxMs.toFixed(1)}) | ${collections.markCompacts} (${collections.markCompactMs.toFixed(0)}) | ` +
      `${(oldPeak / MB).toFixed(1)} | ${buffersKB.toFixed(1)} |`,
  );
}
