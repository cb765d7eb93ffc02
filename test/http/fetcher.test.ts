/**
 * The media fetcher (`createHttpMedia`) against a real HTTP server on loopback: chunking and the
 * one-ahead prefetch, seeking, servers that ignore Range, hide the length or answer the wrong
 * range, 416 at the end, expired URLs, stalls, giving up, aborting and backpressure.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMediaAgent } from '../../src/http/agent.js';
import { createHttpMedia } from '../../src/http/http-media.js';
import type { HttpMedia, HttpMediaOptions, RetryEvent } from '../../src/http/http-media.js';
import { RESOLVE_RETRY } from '../../src/http/retry-policy.js';
import { abortError, isSpenceError } from '../../src/errors.js';
import { httpSettings } from '../../src/http/budgets.js';
import { ManualClock } from '../../src/player/clock.js';
import { ioTurns, until } from '../helpers/drive.js';
import type { Agent } from 'undici';
import { startMediaServer } from '../helpers/media-server.js';
import type { MediaServer } from '../helpers/media-server.js';
import type { SpenceError } from '../../src/errors.js';
import { drive } from '../helpers/drive.js';

const KiB = 1024;
const file = new Uint8Array(randomBytes(300 * KiB));
/** A length that is an exact multiple of the test chunk size, so the read ends with a 416. */
const even = new Uint8Array(randomBytes(4 * 32 * KiB));
const big = new Uint8Array(randomBytes(8 * 1024 * KiB));

let server: MediaServer;
let agent: Agent;

beforeAll(async () => {
  server = await startMediaServer({ '/file.bin': { body: file }, '/even.bin': { body: even }, '/big.bin': { body: big } });
  agent = createMediaAgent({ allowPrivateAddresses: true });
});
afterEach(() => {
  server.faults = {};
  server.requests.length = 0;
});
afterAll(async () => {
  await agent.close();
  await server.close();
});

function open(path: string, options: Partial<HttpMediaOptions> = {}): HttpMedia {
  return createHttpMedia(server.url(path), { dispatcher: agent, chunkSize: 32 * KiB, backoffMs: 1, maxBackoffMs: 20, bodyTimeoutMs: 200, ...options });
}

async function readAll(media: HttpMedia, start = 0, signal = new AbortController().signal): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of media.read(start, { signal })) parts.push(chunk);
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSpenceError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a failure');
}

const ranges = () => server.requests.map((r) => r.split(' ').pop());

describe('chunks and prefetch', () => {
  it('reads every byte in aligned 32 KiB ranges, each next chunk requested ahead', async () => {
    const media = open('/file.bin');
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    const chunks = Math.ceil(file.length / (32 * KiB));
    expect(ranges()).toEqual(Array.from({ length: chunks }, (_, i) => `bytes=${i * 32 * KiB}-${Math.min((i + 1) * 32 * KiB, file.length) - 1}`));
    expect(media.stats).toMatchObject({ requests: chunks, prefetches: chunks - 1, prefetchHits: chunks - 1, bytesDelivered: file.length });
    expect(media.contentLength).toBe(file.length);
  });

  it('with the prefetch off, requests each chunk when the last is done', async () => {
    const media = open('/file.bin', { prefetchAt: false });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(media.stats.prefetches).toBe(0);
  });

  it('seeks: read(start) at any offset gives the bytes from there, the prefetch realigned', async () => {
    const media = open('/file.bin', { contentLength: file.length });
    for (const start of [0, 1, 32 * KiB - 1, 32 * KiB, 100_000, file.length - 1]) {
      expect(Buffer.from(file.subarray(start)).equals(await readAll(media, start)), `from ${start}`).toBe(true);
    }
    expect(await readAll(media, file.length)).toHaveLength(0);
    expect(await readAll(media, file.length + 10)).toHaveLength(0);
  });

  it('stops early without leaking the prefetch: the agent still serves the next read', async () => {
    const media = open('/file.bin');
    let taken = 0;
    for await (const chunk of media.read(0, { signal: new AbortController().signal })) {
      taken += chunk.length;
      if (taken > 40 * KiB) break;
    }
    expect(media.stats.prefetches).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
  });

  it('refuses a bad offset or option with INVALID_ARGUMENT', async () => {
    expect((await failure(readAll(open('/file.bin'), -1))).code).toBe('INVALID_ARGUMENT');
    expect(() => open('/file.bin', { chunkSize: 0 })).toThrow(/chunkSize/);
  });
});

describe('servers that do not play along', () => {
  it('a server that ignores Range (200): the whole body, skipped to the offset', async () => {
    server.faults = { ignoreRange: true };
    const media = open('/file.bin');
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(Buffer.from(file.subarray(77_777)).equals(await readAll(media, 77_777))).toBe(true);
    expect(media.stats.bytesSkipped).toBe(77_777);
    expect(media.stats.prefetches).toBe(0);
  });

  it('a 200 that drops mid-body is resumed by skipping again to the exact byte', async () => {
    let n = 0;
    server.faults = { ignoreRange: true, plan: () => (n++ < 3 ? { kind: 'drop', afterBytes: 90 * KiB * n } : undefined) };
    const media = open('/file.bin');
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(media.stats.failures.drop).toBe(3);
  });

  it('a wrong Content-Range is retried, never spliced into the stream', async () => {
    let n = 0;
    server.faults = { plan: () => (n++ % 3 === 1 ? { kind: 'wrong-range', shift: 100 } : undefined) };
    const media = open('/file.bin');
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(server.injected['wrong-range']).toBeGreaterThan(2);
    expect(media.stats.failures.range).toBe(server.injected['wrong-range']);
  });

  it('a server that always answers the wrong range ends in NETWORK', async () => {
    server.faults = { plan: (r) => (r.start === 0 ? undefined : { kind: 'wrong-range', shift: 7 }) };
    const { code, message } = await failure(readAll(open('/file.bin', { maxRetries: 3 })));
    expect(code).toBe('NETWORK');
    expect(message).toMatch(/asked for bytes 32768-65535, the server answered bytes 32775-65535/);
  });

  it('unknown length: a short last chunk ends the read', async () => {
    server.faults = { unknownLength: true };
    const media = open('/file.bin');
    expect(media.contentLength).toBeUndefined();
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
  });

  it('unknown length, a multiple of the chunk size: the 416 at the end ends the read', async () => {
    server.faults = { unknownLength: true };
    const media = open('/even.bin');
    expect(Buffer.from(even).equals(await readAll(media))).toBe(true);
    expect(ranges().at(-1)).toBe(`bytes=${even.length}-${even.length + 32 * KiB - 1}`);
  });

  it('unknown length and no Range support: a chunked 200 read to its end, resumed after a drop', async () => {
    let n = 0;
    server.faults = { unknownLength: true, ignoreRange: true, plan: () => (n++ === 0 ? { kind: 'drop', afterBytes: 50 * KiB } : undefined) };
    const media = open('/file.bin');
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(media.stats.failures.drop).toBe(1);
  });

  it('a 416 that contradicts the known length is not taken for the end', async () => {
    server.faults = { plan: (r) => (r.start === 64 * KiB ? { kind: 'status', status: 416 } : undefined) };
    const media = open('/file.bin', { contentLength: file.length, maxRetries: 1 });
    const { code, message } = await failure(readAll(media));
    expect(code).toBe('NETWORK');
    expect(message).toMatch(/HTTP 416 for bytes 65536- of a 307200-byte file/);
  });

  it('a 416 saying the file is shorter than known is UPSTREAM', async () => {
    const { code, message } = await failure(readAll(open('/file.bin', { contentLength: file.length + 100 }), file.length));
    expect(code).toBe('UPSTREAM');
    expect(message).toMatch(/changed size/);
  });

  it('a media that changes size is UPSTREAM, not stitched together', async () => {
    const { code } = await failure(readAll(open('/file.bin', { contentLength: 1000 })));
    expect(code).toBe('UPSTREAM');
  });

  it('404 is NOT_FOUND at once, with no retries', async () => {
    const { code } = await failure(readAll(open('/missing.bin')));
    expect(code).toBe('NOT_FOUND');
    expect(server.requests).toHaveLength(1);
  });
});

describe('faults', () => {
  it('drops every 10 KiB: resumed at the exact byte, no backoff', async () => {
    server.faults = { dropEveryBytes: 10 * KiB };
    const delays: number[] = [];
    const media = open('/file.bin', { backoffMs: 1000, onRetry: (e) => delays.push(e.delayMs) });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(media.stats.failures.drop).toBeGreaterThan(25);
    expect(delays.every((d) => d === 0)).toBe(true);
  });

  it('a stall mid-body (no bytes for bodyTimeoutMs) counts as a drop and resumes', async () => {
    let n = 0;
    server.faults = { plan: () => (n++ % 4 === 2 ? { kind: 'stall', afterBytes: 5 * KiB } : undefined) };
    const media = open('/file.bin', { bodyTimeoutMs: 50 });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(media.stats.failures.stall).toBeGreaterThanOrEqual(2);
  });

  it('a 5xx burst backs off (honouring Retry-After up to maxBackoffMs) and recovers', async () => {
    let n = 0;
    server.faults = { plan: (r) => (r.start === 64 * KiB && n++ < 3 ? { kind: 'status', status: 503, retryAfterSeconds: 1 } : undefined) };
    const delays: number[] = [];
    const media = open('/file.bin', { maxBackoffMs: 30, onRetry: (e) => delays.push(e.delayMs) });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(delays).toEqual([30, 30, 30]);
  });

  it('an expired URL (403) is refreshed and reading continues at the same offset', async () => {
    server.faults = { expireAfterRequests: 3 };
    const minted: string[] = [];
    const media = createHttpMedia(server.mint('/file.bin'), {
      dispatcher: agent,
      chunkSize: 16 * KiB,
      backoffMs: 1,
      refreshUrl: async () => {
        const url = server.mint('/file.bin');
        minted.push(url);
        return url;
      },
    });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(minted.length).toBeGreaterThanOrEqual(5);
    expect(media.stats.refreshes).toBe(minted.length);
  });

  it('an expiry after T ms, with a slow consumer', async () => {
    // The server's tokens expire on a ManualClock, which the consumer moves on 10 ms per chunk.
    const clock = new ManualClock();
    const timed = await startMediaServer({ '/file.bin': { body: file } }, { expireAfterMs: 40 }, { clock });
    try {
      const media = createHttpMedia(timed.mint('/file.bin'), {
        dispatcher: agent,
        chunkSize: 32 * KiB,
        refreshUrl: async () => timed.mint('/file.bin'),
      });
      const parts: Uint8Array[] = [];
      for await (const chunk of media.read(0, { signal: new AbortController().signal })) {
        parts.push(chunk);
        await clock.advance(10);
      }
      expect(Buffer.from(file).equals(Buffer.concat(parts))).toBe(true);
      expect(media.stats.refreshes).toBeGreaterThanOrEqual(1);
    } finally {
      await timed.close();
    }
  });

  it('concurrent reads hitting the same expiry share one refresh', async () => {
    server.faults = { expireAfterRequests: 2 };
    let calls = 0;
    const media = createHttpMedia(server.mint('/file.bin'), {
      dispatcher: agent,
      chunkSize: 64 * KiB,
      refreshUrl: async () => {
        calls++;
        // Slow enough for the other read to be refused meanwhile: until another expiry (at
        // most a few hundred turns of the event loop, no time).
        const expired = server.injected.expire;
        await until(() => server.injected.expire > expired, 500);
        return server.mint('/file.bin');
      },
    });
    const [a, b] = await Promise.all([readAll(media, 0), readAll(media, 1000)]);
    expect(Buffer.from(file).equals(a)).toBe(true);
    expect(Buffer.from(file.subarray(1000)).equals(b)).toBe(true);
    expect(calls).toBe(media.stats.refreshes);
    // Each refresh serves both reads: fewer calls than expiries.
    expect(calls).toBeLessThan(server.injected.expire);
  });

  it('a read aborted during a shared refresh does not fail the other read', async () => {
    // The first URL has no token: both reads get a 403 and wait on the refresh the first one starts.
    server.faults = { expireAfterRequests: 1 };
    const a = new AbortController();
    // The refresh is held until the test lets it go; once it has, later refreshes answer at once.
    let held = true;
    const waiting: (() => void)[] = [];
    let started = 0;
    const media = createHttpMedia(server.url('/file.bin'), {
      dispatcher: agent,
      chunkSize: 64 * KiB,
      backoffMs: 1,
      refreshUrl: ({ signal }) =>
        new Promise((resolve, reject) => {
          started++;
          const release = () => resolve(server.mint('/file.bin'));
          if (held) waiting.push(release);
          else release();
          // As a provider would: its own ABORTED, which must not end the read that did not abort.
          signal.addEventListener('abort', () => reject(abortError(signal, 'refresh')));
        }),
    });
    const first = readAll(media, 0, a.signal);
    const second = readAll(media, 100);
    // Both reads refused, the refresh under way: the first read aborts during it.
    expect(await until(() => started >= 1 && server.injected.expire >= 2)).toBe(true);
    a.abort();
    held = false;
    for (const release of waiting.splice(0)) release();
    expect((await failure(first)).code).toBe('ABORTED');
    expect(Buffer.from(file.subarray(100)).equals(await second)).toBe(true);
    expect(media.stats.failures.expired).toBeGreaterThanOrEqual(2);
  });

  it('an expired URL without refreshUrl is NETWORK', async () => {
    server.faults = { expireAfterRequests: 0 };
    const { code, message } = await failure(readAll(open('/file.bin')));
    expect(code).toBe('NETWORK');
    expect(message).toMatch(/expired/);
  });

  it('a refreshUrl that says UNAVAILABLE ends the read with that error', async () => {
    server.faults = { expireAfterRequests: 0 };
    const { SpenceError } = await import('../../src/errors.js');
    const media = open('/file.bin', {
      refreshUrl: async () => {
        throw new SpenceError('UNAVAILABLE', 'This video is private');
      },
    });
    expect(await failure(readAll(media))).toMatchObject({ code: 'UNAVAILABLE', message: 'This video is private' });
  });
});

describe('giving up', () => {
  it('a server that drops before any byte: NETWORK after maxRetries, listing each attempt', async () => {
    server.faults = { plan: () => ({ kind: 'reset' }) };
    const events: number[] = [];
    const media = open('/file.bin', { maxRetries: 4, onRetry: (e) => events.push(e.delayMs) });
    const { code, message } = await failure(readAll(media));
    expect(code).toBe('NETWORK');
    expect(server.requests).toHaveLength(5);
    expect(message).toMatch(/^Gave up reading http:\/\/127\.0\.0\.1:\d+\/file\.bin at byte 0 after 5 attempts in a row without progress/);
    for (let i = 1; i <= 5; i++) expect(message).toContain(`${i}) at byte 0: the connection dropped`);
    expect(message).toMatch(/sent 5 requests/);
    // Backoff doubles from 1 ms (jitter ±25%).
    expect(events[3]).toBeGreaterThanOrEqual(6);
  });

  it('progress resets the count: a drop after every 20 KiB never gives up', async () => {
    server.faults = { dropEveryBytes: 20 * KiB };
    const media = open('/file.bin', { maxRetries: 1 });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
  });

  it('a query string (a token) never appears in the message', async () => {
    server.faults = { plan: () => ({ kind: 'status', status: 500 }) };
    const media = createHttpMedia(server.url('/file.bin?signature=secret'), { dispatcher: agent, maxRetries: 1, backoffMs: 1 });
    const { code, message } = await failure(readAll(media));
    expect(code).toBe('NETWORK');
    expect(message).toContain('HTTP 500');
    expect(message).not.toContain('secret');
  });
});

describe('abort and close', () => {
  it('aborting mid-read rejects with ABORTED promptly, dropping the request in flight', async () => {
    server.faults = { plan: (r) => (r.start === 64 * KiB ? { kind: 'stall', afterBytes: 0 } : undefined) };
    // On a clock that never moves, no timer can end the wait: only the abort can, so it is prompt.
    const clock = new ManualClock();
    const media = open('/file.bin', { bodyTimeoutMs: 10_000, http: httpSettings({}, clock) });
    const controller = new AbortController();
    const iterator = media.read(0, { signal: controller.signal })[Symbol.asyncIterator]();
    let received = 0;
    while (received < 64 * KiB) {
      const step = await iterator.next();
      if (step.done) break;
      received += step.value.length;
    }
    expect(received).toBe(64 * KiB);
    const pending = iterator.next(); // waits on the stalled third chunk
    await ioTurns();
    controller.abort();
    expect((await failure(pending)).code).toBe('ABORTED');
    expect(clock.now()).toBe(0);
  });

  it('aborting during a backoff is prompt too', async () => {
    server.faults = { plan: () => ({ kind: 'status', status: 503 }) };
    const clock = new ManualClock();
    const delays: number[] = [];
    const media = open('/file.bin', { backoffMs: 5000, maxBackoffMs: 5000, http: httpSettings({}, clock), onRetry: (e) => delays.push(e.delayMs) });
    const controller = new AbortController();
    const reading = readAll(media, 0, controller.signal);
    expect(await until(() => delays.length === 1)).toBe(true);
    expect(delays[0]).toBeGreaterThanOrEqual(3750); // a 5 s backoff (±25 %) is under way
    controller.abort();
    expect((await failure(reading)).code).toBe('ABORTED');
    expect(clock.now()).toBe(0);
  });

  it('an already aborted signal rejects before any request', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(readAll(open('/file.bin'), 0, controller.signal))).code).toBe('ABORTED');
    expect(server.requests).toHaveLength(0);
  });

  it('close() aborts every read with ABORTED', async () => {
    server.faults = { plan: (r) => (r.start === 0 ? undefined : { kind: 'stall', afterBytes: 0 }) };
    const media = open('/file.bin', { bodyTimeoutMs: 10_000 });
    const reads = [readAll(media, 0), readAll(media, 40 * KiB)];
    // Both reads under way (the one at 40 KiB stalled): then close.
    expect(await until(() => server.requests.some((r) => r.endsWith(`bytes=${40 * KiB}-${72 * KiB - 1}`)))).toBe(true);
    await ioTurns();
    media.close();
    for (const read of reads) expect(await failure(read)).toMatchObject({ code: 'ABORTED', message: 'The media was closed' });
    expect((await failure(readAll(media))).code).toBe('ABORTED');
  });
});

/** Gives the event loop turns until the server sends nothing and is asked nothing for 20 turns in a row. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const sent = server.bytesSent;
    const asked = server.requests.length;
    await ioTurns(20);
    if (server.bytesSent === sent && server.requests.length === asked) return;
  }
  throw new Error('the server never went quiet');
}

describe('backpressure', () => {
  it('a consumer that stops pulling stops the download: one chunk requested, at most that much sent', async () => {
    const chunkSize = 1024 * KiB;
    // The fetcher's timers on a ManualClock: 200 ms pass on it with the consumer idle, and the
    // sockets are given turns until nothing moves.
    const clock = new ManualClock();
    const media = open('/big.bin', { chunkSize, http: httpSettings({}, clock) });
    const before = server.bytesSent;
    const iterator = media.read(0, { signal: new AbortController().signal })[Symbol.asyncIterator]();
    await iterator.next();
    await clock.advance(200);
    await quiet();
    expect(server.requests).toHaveLength(1);
    expect(server.bytesSent - before).toBeLessThanOrEqual(chunkSize);
    await iterator.return?.();
  });

  it('while the consumer pulls slowly, undici holds at most ~2 × highWaterMark (current + prefetch)', async () => {
    const chunkSize = 256 * KiB;
    const media = open('/big.bin', { chunkSize, bodyTimeoutMs: 5000 });
    let delivered = 0;
    for await (const chunk of media.read(0, { signal: new AbortController().signal })) {
      delivered += chunk.length;
      if (delivered >= 2 * 1024 * KiB) break;
      // Slow enough that the sockets fill the 64 KiB body buffers and pause.
      if (delivered % (64 * KiB) < chunk.length) await ioTurns(10);
    }
    const stats = media.stats;
    expect(stats.prefetchHits).toBeGreaterThanOrEqual(6);
    // undici stops reading a socket once its body holds highWaterMark (64 KiB); one socket read
    // (up to 64 KiB) can land on top of it. Two bodies at most: the current and the prefetched.
    expect(stats.maxBufferedBytes).toBeLessThanOrEqual(2 * (64 + 64) * KiB);
  });
});

describe('options are checked where given (issue 15 item 15)', () => {
  it.each([
    [{ chunkSize: 0 }, 'createHttpMedia: chunkSize must be an integer of at least 1, got 0'],
    [{ chunkSize: 1.5 }, 'createHttpMedia: chunkSize must be an integer of at least 1, got 1.5'],
    [{ maxRetries: -1 }, 'createHttpMedia: maxRetries must be an integer of at least 0, got -1'],
    [{ backoffMs: Number.NaN }, 'createHttpMedia: backoffMs must be a finite number of at least 0, got NaN'],
    [{ prefetchAt: 2 }, 'createHttpMedia: prefetchAt must be a finite number from 0 to 1, got 2'],
    [{ bodyTimeoutMs: 0 }, 'createHttpMedia: bodyTimeoutMs must be a finite number of at least 1, got 0'],
    [{ highWaterMark: 0 }, 'createHttpMedia: highWaterMark must be an integer of at least 1, got 0'],
    [{ contentLength: -5 }, 'createHttpMedia: contentLength must be an integer of at least 0, got -5'],
  ] as [Partial<HttpMediaOptions>, string][])('%o', (options, message) => {
    let error: unknown;
    try {
      open('/file.bin', options);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message });
  });
});

describe('redirects and a probe\'s bytes', () => {
  it('follows a redirect through the guard hook; without the hook, or refused by it, it is an error', async () => {
    server.faults = { redirects: { '/moved.bin': '/file.bin' } };
    const checked: string[] = [];
    const media = createHttpMedia(server.url('/moved.bin'), {
      dispatcher: agent,
      chunkSize: 128 * KiB,
      redirect: async (target) => {
        checked.push(target.pathname);
        return target;
      },
    });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(checked.length).toBeGreaterThanOrEqual(1);
    expect(checked.every((p) => p === '/file.bin')).toBe(true);
    expect(media.stats.redirects).toBe(checked.length);
    expect(await failure(readAll(open('/moved.bin')))).toMatchObject({ code: 'UPSTREAM', message: expect.stringMatching(/redirected .*follows no redirects/) });
    const refusing = open('/moved.bin', {
      redirect: async () => {
        throw new (await import('../../src/errors.js')).SpenceError('FORBIDDEN_URL', 'Refused http://10.0.0.1/: a private address');
      },
    });
    expect((await failure(readAll(refusing))).code).toBe('FORBIDDEN_URL');
  });

  it('a read that starts inside `head` is served from it, then goes on at its end; a later read uses the network', async () => {
    const head = file.slice(0, 100_000);
    const media = open('/file.bin', { head, contentLength: file.length });
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(ranges()[0]).toBe(`bytes=100000-${100_000 + 32 * KiB - 1}`);
    expect(media.stats.bytesDelivered).toBe(file.length);
    server.requests.length = 0;
    expect(Buffer.from(file).equals(await readAll(media))).toBe(true);
    expect(ranges()[0]).toBe(`bytes=0-${32 * KiB - 1}`);
  });
});

describe('trickles and stalls, on the clock (issue 15 item 10)', () => {
  let clock: ManualClock;
  let slow: MediaServer;
  beforeAll(async () => {
    clock = new ManualClock();
    slow = await startMediaServer({ '/file.bin': { body: file } }, {}, { clock });
  });
  afterEach(() => {
    slow.faults = {};
    slow.requests.length = 0;
  });
  afterAll(() => slow.close());

  const media = (options: Partial<HttpMediaOptions> = {}) =>
    createHttpMedia(slow.url('/file.bin'), { dispatcher: agent, chunkSize: 64 * KiB, backoffMs: 100, maxBackoffMs: 400, http: httpSettings({ idleTimeoutMs: 10_000 }, clock), ...options });

  it('a response that trickles (1 byte/s) mid-body is resumed on a new connection: every byte, exactly once', async () => {
    slow.faults = { plan: (r) => (r.start === 64 * KiB ? { kind: 'trickle', afterBytes: 5 * KiB, everyMs: 1000 } : undefined) };
    const trickling = media();
    const trickles = slow.injected.trickle;
    let longest = 0;
    const driven = await drive(clock, readAll(trickling), {
      limitMs: clock.now() + 60_000,
      onStep: () => {
        const since = trickling.waitingSince;
        if (since !== null) longest = Math.max(longest, clock.now() - since);
      },
    });
    expect(driven).toMatchObject({ settled: true });
    expect(Buffer.from(file).equals((driven as { value: Buffer }).value)).toBe(true);
    expect(trickling.stats.failures.stall).toBe(1);
    expect(slow.injected.trickle - trickles).toBe(1);
    // The players' view: the read was starved for the whole window, then not at all.
    expect(longest).toBeGreaterThanOrEqual(9_000);
    expect(trickling.waitingSince).toBeNull();
  });

  it('a source that only ever trickles ends in NETWORK after maxRetries windows: no hang', async () => {
    slow.faults = { trickle: { everyMs: 1000 } };
    const start = clock.now();
    const driven = await drive(clock, readAll(media({ maxRetries: 2 })), { limitMs: start + 120_000 });
    expect(driven.settled).toBe(true);
    const error = (driven as { error: SpenceError }).error;
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect(error.message).toMatch(/3 attempts in a row without progress/);
    expect(error.message).toMatch(/only \d+ bytes in \d+ ms of waiting, under 1024 bytes\/s/);
    // Three windows of 10 s, two backoffs of at most 400 ms, and the steps' granularity.
    expect(driven.at - start).toBeLessThanOrEqual(3 * 10_000 + 2 * 400 + 1_000);
  });

  it('a stall (no byte at all) mid-body is resumed after the idle budget of waiting, not before', async () => {
    slow.faults = { plan: (r) => (r.start === 0 ? { kind: 'stall', afterBytes: 10 * KiB } : undefined) };
    const start = clock.now();
    const retriedAt: number[] = [];
    const stalling = media({ onRetry: () => retriedAt.push(clock.now() - start) });
    const driven = await drive(clock, readAll(stalling), { limitMs: start + 60_000 });
    expect(Buffer.from(file).equals((driven as { value: Buffer }).value)).toBe(true);
    expect(retriedAt).toHaveLength(1);
    expect(retriedAt[0]).toBeGreaterThanOrEqual(10_000);
    expect(retriedAt[0]).toBeLessThanOrEqual(10_000 + 200);
    expect(stalling.waitingSince).toBeNull();
  });

  it('a consumer that stops pulling is never starved, however long it is away', async () => {
    slow.faults = { trickle: { afterBytes: 40 * KiB, everyMs: 1000 } };
    const paused = media();
    const iterator = paused.read(0, { signal: new AbortController().signal })[Symbol.asyncIterator]();
    await iterator.next();
    await clock.advance(600_000); // ten minutes away: the body is paused, not stalled
    expect(paused.waitingSince).toBeNull();
    expect(paused.stats.failures.stall).toBe(0);
    await iterator.return?.();
  });
});

describe('a host that never answered, on the clock (resolve budgets)', () => {
  let clock: ManualClock;
  /** A loopback port nothing listens on: every connection is refused. */
  let refusedUrl: string;
  beforeAll(async () => {
    clock = new ManualClock();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/a.webm`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });

  /** Reads `media` on the clock; the error and the clock time it settled at, relative to the start. */
  async function failedRead(media: HttpMedia): Promise<{ error: SpenceError; afterMs: number }> {
    const start = clock.now();
    const driven = await drive(clock, readAll(media), { limitMs: start + 120_000, stepMs: 50 });
    if (!driven.settled || !('error' in driven)) throw new Error('expected the read to fail');
    return { error: driven.error as SpenceError, afterMs: driven.at - start };
  }

  it('RESOLVE_RETRY: a refused connection is tried once more after the first backoff, then NETWORK saying the host never answered', async () => {
    const retries: RetryEvent[] = [];
    const media = createHttpMedia(refusedUrl, { dispatcher: agent, http: httpSettings({}, clock), ...RESOLVE_RETRY, onRetry: (e) => retries.push(e) });
    const { error, afterMs } = await failedRead(media);
    expect(error).toMatchObject({ code: 'NETWORK' });
    expect(error.message).toMatch(/^Could not connect to http:\/\/127\.0\.0\.1:\d+\/a\.webm, whose host has never answered, in 2 attempts: 1\) at byte 0: could not connect: .*ECONNREFUSED.*; 2\) .*ECONNREFUSED/);
    expect(retries.map((r) => r.kind)).toEqual(['connect']);
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(250 * 0.75);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(250 * 1.25);
    expect(afterMs).toBeLessThanOrEqual(250 * 1.25 + 50);
  });

  it('an unknown host (ENOTFOUND at connect time) is bounded the same way', async () => {
    const unresolvable = createMediaAgent({ lookup: async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND unreachable.example'), { code: 'ENOTFOUND' })) });
    try {
      const retries: RetryEvent[] = [];
      const media = createHttpMedia('https://unreachable.example/a.webm', { dispatcher: unresolvable, http: httpSettings({}, clock), ...RESOLVE_RETRY, onRetry: (e) => retries.push(e) });
      const { error } = await failedRead(media);
      expect(error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/whose host has never answered, in 2 attempts: .*ENOTFOUND/) });
      expect(retries).toHaveLength(1);
    } finally {
      await unresolvable.close();
    }
  });

  it('playback (the default policy) keeps retrying a host that never answered through maxRetries, backing off', async () => {
    const retries: RetryEvent[] = [];
    const media = createHttpMedia(refusedUrl, { dispatcher: agent, http: httpSettings({}, clock), maxRetries: 3, onRetry: (e) => retries.push(e) });
    const { error, afterMs } = await failedRead(media);
    expect(error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/in 4 attempts/) });
    expect(retries).toHaveLength(3);
    expect(afterMs).toBeGreaterThanOrEqual((250 + 500 + 1000) * 0.75);
  });

  it('a host that has answered once is retried through maxRetries under RESOLVE_RETRY too (it went away, it may come back)', async () => {
    const once = await startMediaServer({ '/file.bin': { body: file } });
    const url = once.url('/file.bin');
    once.faults = { plan: () => ({ kind: 'status', status: 503 }) };
    const retries: RetryEvent[] = [];
    let closing: Promise<void> | null = null;
    const media = createHttpMedia(url, {
      dispatcher: agent,
      http: httpSettings({}, clock),
      maxRetries: 3,
      ...RESOLVE_RETRY,
      // After the first answer (a 503) the server goes away: every later connection is refused.
      onRetry: (e) => {
        retries.push(e);
        closing ??= once.close();
      },
    });
    const { error } = await failedRead(media);
    await closing;
    expect(error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/^Gave up reading .* after 4 attempts in a row without progress: 1\) at byte 0: HTTP 503; 2\) .*ECONNREFUSED/) });
    expect(retries.map((r) => r.kind)).toEqual(['status', 'connect', 'connect']);
  });

  it('maxConnectRetries is checked where given', () => {
    expect(() => createHttpMedia(refusedUrl, { dispatcher: agent, maxConnectRetries: -1 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'createHttpMedia: maxConnectRetries must be an integer of at least 0, got -1' }),
    );
  });
});
