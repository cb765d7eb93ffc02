/**
 * An hour of one speaker on the ManualClock, through every sink (an Ogg file, a WAV file and the
 * mix, written as they go; a PCM iterable read as it goes): memory stays flat. The heap of the
 * main thread and of the decoding worker are measured after garbage collection at 10 minutes and
 * at 60; what the listener holds (packets waiting) is bounded all along.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, expect, it } from 'vitest';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';
import { mixWav, oggFiles, wavFiles } from '../../src/voice/receive/index.js';
import type { TranscodePool } from '../../src/transcode/pool/worker-pool.js';
import { FakeReceiveSource } from './receive-fake-source.js';
import { planSpeaker } from './receive-scenario.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const U = '740000000000000001';
const MINUTE_FRAMES = 3000;
const dir = mkdtempSync(path.join(tmpdir(), 'spence-hour-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface WorkerLike {
  getHeapSnapshot(): Promise<NodeJS.ReadableStream>;
  getHeapStatistics?: () => Promise<{ used_heap_size: number }>;
}

/**
 * The heap of the pool's worker after a full collection (taking a heap snapshot collects first),
 * read through the pool's internals; null where Node cannot read it from outside (< 22.16).
 */
async function workerHeap(node: BaseNode): Promise<number | null> {
  const pool = (node as unknown as { pool: TranscodePool | null }).pool;
  const worker = (pool as unknown as { workers: ({ worker: WorkerLike } | null)[] } | null)?.workers[0]?.worker;
  if (worker?.getHeapStatistics === undefined) return null;
  const snapshot = await worker.getHeapSnapshot();
  for await (const _chunk of snapshot) {
    // drained and dropped: only the collection it forces matters
  }
  return (await worker.getHeapStatistics()).used_heap_size;
}

it('an hour of one speaker keeps memory flat', { timeout: 300_000 }, async () => {
  const clock = new ManualClock(0);
  const node = new BaseNode({ clock, transcode: { workers: 1 } });
  const source = new FakeReceiveSource();
  // The WAV files go to /dev/null: the test is about memory, not about 1.4 GB of disk.
  // The clock moves a second at a time: a second of packets arrives together (a playout depth
  // longer than that keeps them where their timestamps put them), then the clock is blocked for
  // the second and the listener catches up in one tick, as after a stall. One tick a second keeps
  // the test's cost to the work of the hour, not to the turns of the loop.
  const listener = node.listen(source, { depthMs: 1500, sinks: [oggFiles(dir), wavFiles(() => '/dev/null'), mixWav('/dev/null')] });
  // A reader that keeps up, but takes what the worker sends in bursts: a slow moment drops the
  // oldest frames past the stream's bound (counted), never grows memory.
  let frames = 0;
  const stream = listener.audio(U);
  const reading = (async () => {
    for await (const _frame of stream) frames++;
  })();
  const delivered = () => frames + stream.dropped;
  // 50 distinct packets of a tone at a speaking bitrate, sent in a loop (sequence and timestamp go on).
  const tone = planSpeaker({ userId: U, sequence: 0, timestamp: 0, spurts: [{ start: 0, length: 50 }], tone: { hz: 440, dbfs: -12 } }, { loss: 0, reorder: 0, duplicate: 0, seed: 1 }, 12_000)
    .slice(0, 50)
    .map((p) => p.opus);
  source.announce(1, U);

  const heaps: { main: number; worker: number | null }[] = [];
  let maxWaiting = 0;
  const STEP = 50;
  for (let frame = 0; frame < 60 * MINUTE_FRAMES; frame += STEP) {
    for (let f = frame; f < frame + STEP; f++) source.send(1, f, f * 960, tone[f % tone.length]!);
    maxWaiting = Math.max(maxWaiting, listener.stats.waiting);
    clock.block(20 * STEP - 20);
    await clock.advance(20);
    if (frame === 10 * MINUTE_FRAMES || frame === 60 * MINUTE_FRAMES - STEP) {
      // Let the worker catch up with what was sent, then collect on both sides.
      const deadline = Date.now() + 120_000;
      while (delivered() < frame - 100) {
        if (Date.now() > deadline) throw new Error(`the decoding worker did not catch up: ${delivered()} of ${frame} frames`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      gc();
      heaps.push({ main: process.memoryUsage().heapUsed, worker: await workerHeap(node) });
    }
  }
  const summary = await listener.stop();
  await reading;
  await node.destroy();

  expect(summary.frames).toBe(60 * MINUTE_FRAMES);
  expect(summary.speakers[0]).toMatchObject({ packets: 60 * MINUTE_FRAMES, lost: 0, late: 0 });
  expect(delivered()).toBe(60 * MINUTE_FRAMES);
  expect(statSync(path.join(dir, `${U}.ogg`)).size).toBeGreaterThan(0);
  // At most a second of packets and the playout depth (a stream's first packet waits for it).
  expect(maxWaiting).toBeLessThanOrEqual(STEP + 1500 / 20);
  const [at10, at60] = heaps;
  const growth = (at60!.main - at10!.main) / 2 ** 20;
  expect(growth, `main heap ${at10!.main} -> ${at60!.main}`).toBeLessThan(4);
  if (at10!.worker !== null && at60!.worker !== null) {
    expect((at60!.worker - at10!.worker) / 2 ** 20, `worker heap ${at10!.worker} -> ${at60!.worker}`).toBeLessThan(4);
  }
});
