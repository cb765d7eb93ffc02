/**
 * The local provider's reads (providers/local/read-service.ts): through `fs.read`, or through the
 * read worker. Whatever the path, a read gives exactly the file's bytes at that position, short at
 * the end and 0 past it; errors arrive as the errno's code; more reads at once than the worker has
 * slots, and reads larger than a slot, still complete; a worker that dies has its reads made again;
 * an idle worker wakes for the next read. Mode `'auto'` starts no thread for a few reads.
 *
 * Runs in its own process (vitest `forks`): the module's worker state is this file's alone, and
 * the tests run in order.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localProvider } from '../../providers/local/index.js';
import { PositionalFile } from '../../providers/local/positional-file.js';
import { killReadWorker, readCounts, readInto, readWorkerStatus, type ReadWorkerMode } from '../../providers/local/read-service.js';
import { mulberry32Uint } from '../helpers/prng.js';

const SIZE = 1_000_003;

function read(fd: number, position: number, length: number, mode: ReadWorkerMode): Promise<Uint8Array> {
  const target = new Uint8Array(length).fill(0xee);
  return new Promise((resolve, reject) => {
    let calls = 0;
    let sync = true;
    readInto(fd, position, target, (error, n) => {
      calls++;
      if (sync) reject(new Error('the callback ran synchronously'));
      if (calls > 1) reject(new Error('the callback ran twice'));
      if (error !== null) reject(error);
      else {
        if (target.subarray(n).some((b) => b !== 0xee)) reject(new Error('bytes past the count were written'));
        resolve(target.subarray(0, n));
      }
    }, mode);
    sync = false;
  });
}

/** Byte equality without vitest's deep diff (slow on 16 KiB arrays); the message says where. */
function expectBytes(got: Uint8Array, want: Uint8Array, what = ''): void {
  if (got.length !== want.length) expect.fail(`${what}: ${got.length} bytes, want ${want.length}`);
  const at = Buffer.from(got.buffer, got.byteOffset, got.length).compare(Buffer.from(want.buffer, want.byteOffset, want.length));
  if (at !== 0) expect.fail(`${what}: the bytes differ`);
}

describe('local reads: fs.read and the read worker give the same bytes', () => {
  let dir: string;
  let filePath: string;
  let bytes: Uint8Array;
  let fd: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'spence-read-worker-'));
    filePath = path.join(dir, 'data.bin');
    bytes = new Uint8Array(randomBytes(SIZE));
    await writeFile(filePath, bytes);
    fd = openSync(filePath, 'r');
  });

  afterAll(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  it('an unknown readWorker mode is refused with INVALID_ARGUMENT', () => {
    expect(() => localProvider({ roots: [dir], readWorker: 'sometimes' as ReadWorkerMode })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it("'auto' starts no thread for a few reads; 'never' never does", async () => {
    for (let k = 0; k < 20; k++) {
      expectBytes(await read(fd, k * 1000, 4096, 'auto'), bytes.subarray(k * 1000, k * 1000 + 4096));
      expectBytes(await read(fd, k * 777, 5000, 'never'), bytes.subarray(k * 777, k * 777 + 5000));
    }
    expect(readWorkerStatus()).toBe('none');
  });

  it("'auto' moves to the worker when reads come by the hundreds a second, with the same bytes", async () => {
    const rand = mulberry32Uint(7);
    const reads = [];
    for (let k = 0; k < 300; k++) {
      const position = rand() % SIZE;
      reads.push(read(fd, position, 16384, 'auto').then((got) => expectBytes(got, bytes.subarray(position, position + 16384))));
    }
    await Promise.all(reads);
    expect(readWorkerStatus()).toBe('running');
  });

  it('through the worker: random positions and sizes, the end of the file, reads larger than a slot, more at once than its slots', async () => {
    const rand = mulberry32Uint(11);
    const cases: [number, number][] = [[0, 1], [SIZE - 10, 16384], [SIZE, 100], [SIZE + 5000, 100], [12345, 16384], [0, 65536], [500_000, 40_000]];
    for (let k = 0; k < 400; k++) cases.push([rand() % (SIZE + 100), 1 + (rand() % 16384)]);
    const got = await Promise.all(cases.map(([position, length]) => read(fd, position, length, 'always')));
    cases.forEach(([position, length], k) => {
      expectBytes(got[k]!, bytes.subarray(Math.min(position, SIZE), Math.min(position + length, SIZE)), `read ${k}: ${length} bytes at ${position}`);
    });
  });

  it('an error is the errno: a directory descriptor reads as EISDIR', async () => {
    const dirFd = openSync(dir, 'r');
    try {
      await expect(read(dirFd, 0, 100, 'always')).rejects.toMatchObject({ code: 'EISDIR' });
      await expect(read(dirFd, 0, 100, 'never')).rejects.toMatchObject({ code: 'EISDIR' });
    } finally {
      closeSync(dirFd);
    }
  });

  it('an idle worker (blocked, no timer) wakes for the next read', async () => {
    await new Promise((resolve) => setTimeout(resolve, 400)); // past its 200 ms of polling
    for (let k = 0; k < 3; k++) {
      expectBytes(await read(fd, 4242 + k, 10_000, 'always'), bytes.subarray(4242 + k, 4242 + k + 10_000));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(readWorkerStatus()).toBe('running');
  });

  it("'auto', busy: a file's first reads (a start) and its paced reads (a player's refills) go to the worker, its later bursts (a bulk copy) through fs.read", async () => {
    const rand = mulberry32Uint(17);
    // Busy: hundreds of reads this second.
    await Promise.all(Array.from({ length: 250 }, () => read(fd, rand() % SIZE, 1024, 'auto')));
    const file = new PositionalFile(openSync(filePath, 'r'), 'auto');
    try {
      const at = (): { worker: number; threadPool: number } => ({ ...readCounts });
      const target = new Uint8Array(16384);
      const before = at();
      expect(await file.read(100, target)).toBe(16384); // the file's first read: paced
      expectBytes(target, bytes.subarray(100, 100 + 16384));
      // Back to back: the first four reads are a start's (its headers, its prebuffer), the rest a burst.
      for (let k = 1; k <= 8; k++) {
        expect(await file.read(100 + k * 16384, target)).toBe(16384);
        expectBytes(target, bytes.subarray(100 + k * 16384, 100 + (k + 1) * 16384));
      }
      const afterBurst = at();
      expect(afterBurst.worker - before.worker, "the start's reads").toBe(4);
      expect(afterBurst.threadPool - before.threadPool, 'the burst').toBe(5);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await file.read(7, target)).toBe(16384); // a refill's pace
      expectBytes(target, bytes.subarray(7, 7 + 16384));
      expect(at().worker - afterBurst.worker, 'the paced read').toBe(1);
    } finally {
      file.close();
    }
  });

  it('a worker that dies: its reads out complete through fs.read, exact, and later reads too', async () => {
    const rand = mulberry32Uint(13);
    const positions = Array.from({ length: 200 }, () => rand() % (SIZE - 16384));
    const reads = positions.map((p) => read(fd, p, 16384, 'always'));
    await killReadWorker();
    expect(readWorkerStatus()).toBe('dead');
    const got = await Promise.all(reads);
    positions.forEach((p, k) => expectBytes(got[k]!, bytes.subarray(p, p + 16384)));
    expectBytes(await read(fd, 99, 16384, 'always'), bytes.subarray(99, 99 + 16384));
    expect(readWorkerStatus()).toBe('dead');
  });
});
