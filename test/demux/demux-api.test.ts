/**
 * demux(): the pull API. Input kinds (async iterable, Node Readable, web ReadableStream),
 * container sniffing, stream info before the first packet, abort, errors, early exit; and
 * inspectMedia().
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSpenceError } from '../../src/errors.js';
import { demux, inspectMedia, Mp3Demuxer, OggOpusWriter, WebmDemuxer } from '../../src/demux/index.js';
import type { OpusPacket } from '../../src/demux/index.js';
import { ioTurns } from '../helpers/drive.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sample = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/sample.webm')));

function reference(bytes: Uint8Array): OpusPacket[] {
  const d = new WebmDemuxer();
  return [...d.push(bytes), ...d.end()];
}
const expected = reference(sample);

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function collect(stream: AsyncIterable<OpusPacket>): Promise<OpusPacket[]> {
  const out: OpusPacket[] = [];
  for await (const p of stream) out.push(p);
  return out;
}
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (error) { return error; }
  throw new Error('expected a rejection');
}
const same = (a: OpusPacket[], b: OpusPacket[]) => {
  expect(a.length).toBe(b.length);
  a.forEach((p, i) => {
    expect(p.timestampMs).toBe(b[i]!.timestampMs);
    expect(Buffer.from(p.data).equals(Buffer.from(b[i]!.data))).toBe(true);
  });
};

describe('demux(): inputs', () => {
  it('reads an async iterable in 1-byte and 64 KiB chunks', async () => {
    same(await collect(demux(chunks(sample, 65_536))), expected);
    same(await collect(demux(chunks(sample, 1))), expected);
  });

  it('reads a Node Readable', async () => {
    same(await collect(demux(Readable.from(chunks(sample, 4096)))), expected);
  });

  it('reads a web ReadableStream', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < sample.length; i += 10_000) controller.enqueue(sample.slice(i, i + 10_000));
        controller.close();
      },
    });
    same(await collect(demux(stream)), expected);
  });

  it('sniffs Ogg Opus and demuxes it', async () => {
    const info = reference(sample);
    const d = new WebmDemuxer();
    d.push(sample);
    const writer = new OggOpusWriter(d.info!);
    const pages: Uint8Array[] = [...writer.headers()];
    for (const p of info) pages.push(...writer.write(p));
    pages.push(...writer.end());
    const ogg = Buffer.concat(pages);
    const stream = demux(chunks(new Uint8Array(ogg), 333));
    expect((await stream.info()).container).toBe('ogg');
    expect(stream.container).toBe('ogg');
    const packets = await collect(stream);
    expect(packets.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(info.map((p) => Buffer.from(p.data).toString('hex')));
  });

  it('refuses chunks that are not bytes', async () => {
    const error = await rejection(collect(demux((async function* () { yield 'text' as unknown as Uint8Array; })())));
    expect(isSpenceError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('demux(): stream info', () => {
  it('gives the info before the first packet, losing no packet', async () => {
    const stream = demux(chunks(sample, 1000));
    const info = await stream.info();
    expect(info).toMatchObject({ container: 'webm', channels: 2, preSkip: 312 });
    expect(stream.container).toBe('webm');
    same(await collect(stream), expected);
    expect(stream.cues?.length).toBeGreaterThan(0);
    expect(await stream.info()).toBe(info);
  });

  it('rejects info() with DEMUX for input that is neither container, empty or too short', async () => {
    for (const bytes of [new TextEncoder().encode('ID3\u0003 not audio'), new Uint8Array(0), Uint8Array.of(0x1a, 0x45)]) {
      const error = await rejection(demux(chunks(bytes, 1)).info());
      expect(isSpenceError(error, 'DEMUX')).toBe(true);
    }
  });

  it('yields every packet before a fault, then rejects with DEMUX', async () => {
    const d = new WebmDemuxer();
    d.push(sample);
    const cut = d.cues![1]!.byteOffset; // a Cluster boundary: the zeros land where an element ID must be
    const broken = Buffer.concat([sample.subarray(0, cut), Buffer.from([0x00, 0x00, 0x00, 0x00])]);
    const got: OpusPacket[] = [];
    let error: unknown;
    // resync: false: by default, the trailing damage would be reported and skipped.
    try { for await (const p of demux(chunks(new Uint8Array(broken), 4096), { resync: false })) got.push(p); } catch (e) { error = e; }
    expect(isSpenceError(error, 'DEMUX')).toBe(true);
    const complete = reference(sample.subarray(0, cut));
    expect(complete.length).toBeGreaterThan(0);
    expect(got.length).toBe(complete.length);
  });
});

describe('demux(): abort and early exit', () => {
  it('rejects with ABORTED when the signal has already fired', async () => {
    const error = await rejection(collect(demux(chunks(sample, 4096), { signal: AbortSignal.abort() })));
    expect(isSpenceError(error, 'ABORTED')).toBe(true);
  });

  it('rejects with ABORTED mid-stream, and while waiting on a stalled input', async () => {
    const controller = new AbortController();
    let count = 0;
    const error = await rejection((async () => {
      for await (const _ of demux(chunks(sample, 4096), { signal: controller.signal })) if (++count === 10) controller.abort();
    })());
    expect(isSpenceError(error, 'ABORTED')).toBe(true);
    expect(count).toBe(10);

    const stalled = new Readable({ read() { /* never pushes */ } });
    const later = new AbortController();
    const pending = demux(stalled, { signal: later.signal }).info();
    await ioTurns(); // info() is waiting on the input now
    later.abort(new Error('user stop'));
    const stalledError = await rejection(pending);
    expect(isSpenceError(stalledError, 'ABORTED')).toBe(true);
  });

  it('closes the input when the loop exits early', async () => {
    const readable = Readable.from(chunks(sample, 4096));
    for await (const _ of demux(readable)) break;
    expect(readable.destroyed).toBe(true);
  });

  it('can be iterated only once', async () => {
    const stream = demux(chunks(sample, 65_536));
    await collect(stream);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/once/);
  });
});

describe('demux(): batches and MP3', () => {
  it('batches(): the same packets in non-empty arrays, one per chunk of input, iterated once', async () => {
    const stream = demux(chunks(sample, 4096));
    const batches: OpusPacket[][] = [];
    for await (const batch of stream.batches()) batches.push(batch);
    expect(batches.every((b) => b.length > 0)).toBe(true);
    expect(batches.length).toBeGreaterThan(10);
    same(batches.flat(), expected);
    expect(() => stream.batches()).toThrow(/once/);
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/once/);
  });

  it('batches(): the packets read for info() come first, and an early exit closes the input', async () => {
    const stream = demux(chunks(sample, 1000));
    await stream.info();
    const all: OpusPacket[] = [];
    for await (const batch of stream.batches()) all.push(...batch);
    same(all, expected);
    const readable = Readable.from(chunks(sample, 4096));
    for await (const _ of demux(readable).batches()) break;
    expect(readable.destroyed).toBe(true);
  });

  it('refuses MP3 unless asked for it, then yields its frames with MP3 parameters', async () => {
    const mp3 = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/tone-44k.mp3')));
    const error = await rejection(collect(demux(chunks(mp3, 3))));
    expect(isSpenceError(error, 'DEMUX')).toBe(true);
    expect((error as Error).message).toMatch(/MP3/);
    const stream = demux(chunks(mp3, 3), { mp3: true });
    const info = await stream.info();
    expect(info).toMatchObject({ codec: 'mp3', container: 'mp3', sampleRate: 44_100 });
    expect(await collect(stream)).toHaveLength(116);
    expect(stream.container).toBe('mp3');
  });

  it('hands over every packet of the chunk that holds a fault, then rejects (WebM and MP3, one chunk each)', async () => {
    const webm = Buffer.concat([sample, Buffer.from([0x00, 0x00, 0x00, 0x00])]);
    const mp3 = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/tone-44k.mp3')));
    const cut = mp3.length - 4000;
    const framesBefore = (() => { const d = new Mp3Demuxer(); return [...d.push(mp3.subarray(0, cut)), ...d.end()]; })();
    const mp3Broken = Buffer.concat([mp3.subarray(0, cut), Buffer.alloc(600, 0x20), mp3.subarray(cut)]);
    const cases = [
      { bytes: new Uint8Array(webm), mp3: false, before: expected.length },
      { bytes: new Uint8Array(mp3Broken), mp3: true, before: framesBefore.length },
    ];
    for (const { bytes, mp3: isMp3, before } of cases) {
      const got: OpusPacket[] = [];
      let error: unknown;
      async function* one(): AsyncGenerator<Uint8Array> { yield bytes; }
      try {
        for await (const p of demux(one(), { resync: false, mp3: isMp3 })) got.push(p);
      } catch (e) { error = e; }
      expect(isSpenceError(error, 'DEMUX')).toBe(true);
      expect(got.length).toBeGreaterThanOrEqual(before);
    }
  });

  it('waits for enough bytes to tell the container: 3 bytes, then the rest', async () => {
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield sample.subarray(0, 3);
      await new Promise((resolve) => setImmediate(resolve));
      yield sample.subarray(3);
    }
    same(await collect(demux(slow())), expected);
  });
});

describe('inspectMedia()', () => {
  it('reports container, codec parameters, duration, packet count, frame sizes and cues', async () => {
    const report = await inspectMedia(sample);
    expect(report.container).toBe('webm');
    expect(report.info).toMatchObject({ channels: 2, preSkip: 312, inputSampleRate: 48_000 });
    expect(report.packetCount).toBe(expected.length);
    expect(report.frameSizes).toEqual([{ durationMs: 20, count: expected.length }]);
    expect(report.hasCues).toBe(true);
    expect(report.durationMs).toBeGreaterThan(9_900);
    expect(report.durationMs).toBeLessThan(10_100);
    expect(report.averageBitrate).toBeGreaterThan(80_000);
  });

  it('reads a stream too, and a file with mixed frame sizes', async () => {
    const short = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures/media/live-mono-40ms.webm')));
    const report = await inspectMedia(chunks(short, 100));
    expect(report.info.channels).toBe(1);
    expect(report.frameSizes.map((f) => f.durationMs)).toContain(40);
    expect(report.hasCues).toBe(false);
  });
});
