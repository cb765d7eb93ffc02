/**
 * The voice listener on a ManualClock, fed by hand (receive-fake-source.ts): pausing (the span
 * kept as silence, or cut), a failing sink never stopping the others (a throw, a file that cannot
 * be opened), packets from an SSRC announced late or never, the PCM iterable, mono, the end of the
 * source, and the arguments it refuses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';
import { isSpenceError, type SpenceError } from '../../src/errors.js';
import { mixWav, oggFiles, wavFiles, type OpusFrame, type PcmFrame, type ReceiveSink, type ReceiveSummary } from '../../src/voice/receive/index.js';
import { FakeReceiveSource } from './receive-fake-source.js';

const U = '730000000000000001';
const V = '730000000000000002';
const packet = (sequence: number) => Uint8Array.of(0xfc, sequence & 0xff, 0x55);

/** Keeps what a sink is given: per speaker and frame, `s`, `l` or the packet's second byte. */
class Recorder implements ReceiveSink {
  readonly frames = new Map<string, (number | 's' | 'l')[]>();
  summary: ReceiveSummary | null = null;
  opus(frame: OpusFrame): void {
    let list = this.frames.get(frame.userId);
    if (list === undefined) this.frames.set(frame.userId, (list = []));
    expect(frame.index).toBe(list.length);
    for (let i = 0; i < frame.count; i++) list.push(frame.kind === 'audio' ? frame.packet![1]! : frame.kind === 'silence' ? 's' : 'l');
  }
  close(summary: ReceiveSummary): void {
    this.summary = summary;
  }
}

let clock: ManualClock;
let node: BaseNode;
let source: FakeReceiveSource;
let dir: string;
beforeEach(() => {
  sequences.clear();
  clock = new ManualClock(5000);
  node = new BaseNode({ clock });
  source = new FakeReceiveSource();
  dir = mkdtempSync(path.join(tmpdir(), 'spence-listener-'));
});
afterEach(async () => {
  await node.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const sequences = new Map<number, number>();
/**
 * Sends one 20 ms packet per frame for frames [from, to), advancing the clock: the timestamp
 * follows the frame, the sequence number goes on from the SSRC's last (as across a silence).
 * The packet's second byte is the frame's.
 */
async function speak(ssrc: number, from: number, to: number): Promise<void> {
  for (let f = from; f < to; f++) {
    const sequence = sequences.get(ssrc) ?? 0;
    sequences.set(ssrc, sequence + 1);
    source.send(ssrc, sequence, 960 * f, packet(f));
    await clock.advance(20);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => (from + i) & 0xff);

describe('VoiceListener', () => {
  it("pause 'silence' keeps the paused span as silence; pause 'cut' leaves it out", async () => {
    for (const pause of ['silence', 'cut'] as const) {
      const recorder = new Recorder();
      source = new FakeReceiveSource();
      const run = node.listen(source, { sinks: [recorder], pause });
      source.announce(1, U);
      await speak(1, 0, 50);
      run.pause();
      await speak(1, 50, 100); // dropped
      run.resume();
      await speak(1, 100, 150);
      const summary = await run.stop();
      expect(run.stats.paused).toBe(50);
      if (pause === 'silence') {
        expect(summary.frames).toBe(150);
        expect(recorder.frames.get(U)).toEqual([...range(0, 50), ...Array(50).fill('s'), ...range(100, 150)]);
      } else {
        expect(summary.frames).toBe(100);
        expect(recorder.frames.get(U)).toEqual([...range(0, 50), ...range(100, 150)]);
      }
    }
  });

  it('detaches a failing sink and goes on with the others: a throw, and a file that cannot be opened', async () => {
    const recorder = new Recorder();
    let closed = false;
    const thrower: ReceiveSink = {
      opus() {
        throw new Error('disk full');
      },
      close() {
        closed = true;
      },
    };
    const unopenable = oggFiles(path.join(dir, 'missing', 'directory'));
    const listener = node.listen(source, { sinks: [thrower, unopenable, recorder] });
    const errors: [SpenceError, ReceiveSink][] = [];
    listener.on('sinkError', (error, sink) => errors.push([error, sink]));
    source.announce(1, U);
    await speak(1, 0, 20);
    await listener.stop();
    expect(errors.map(([, sink]) => sink)).toEqual([thrower, unopenable]);
    expect(errors.every(([error]) => isSpenceError(error))).toBe(true);
    expect((errors[0]![0].cause as Error).message).toBe('disk full');
    expect((errors[1]![0].cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(closed).toBe(false);
    expect(recorder.frames.get(U)).toEqual(range(0, 20));
  });

  it('places packets that came before their SSRC was announced; drops them when it never is, without holding the timeline', async () => {
    const recorder = new Recorder();
    const listener = node.listen(source, { sinks: [recorder], unknownSsrcMs: 500 });
    await speak(1, 0, 10); // SSRC 1 not announced yet
    expect(listener.frames).toBe(0); // the timeline waits for it
    source.announce(1, U);
    await speak(1, 10, 20);
    await speak(2, 20, 60); // SSRC 2: never announced
    // Held, but never more than unknownSsrcMs behind: the oldest kept packet is 500 ms old.
    const heldAt = listener.frames;
    await clock.advance(600);
    expect(heldAt).toBe(60 - 500 / 20);
    expect(listener.frames).toBeGreaterThan(60);
    await listener.stop();
    expect(recorder.frames.get(U)).toEqual([...range(0, 20), ...Array(recorder.frames.get(U)!.length - 20).fill('s')]);
    expect(listener.stats.unattributed).toBe(40);
  });

  it('gives a speaker\'s decoded frames to an async iterable, from their first packet, silences between, until stop()', async () => {
    const listener = node.listen(source);
    const stream = listener.audio(U);
    const silent = listener.audio(U, { silence: false });
    const frames: PcmFrame[] = [];
    const collecting = (async () => {
      for await (const frame of stream) frames.push(frame);
    })();
    await clock.advance(100);
    source.announce(1, U);
    await speak(1, 5, 15);
    await clock.advance(200);
    await speak(1, 25, 30);
    await clock.advance(200);
    await listener.stop();
    await collecting;
    expect(frames.map((f) => f.index)).toEqual(range(5, 40));
    expect(frames.map((f) => f.kind)).toEqual([...Array(10).fill('audio'), ...Array(10).fill('silence'), ...Array(5).fill('audio'), ...Array(10).fill('silence')]);
    expect(frames.every((f) => f.userId === U && f.count === 1 && f.pcm.length === 1920)).toBe(true);
    expect(frames.filter((f) => f.kind === 'silence').every((f) => f.pcm.every((s) => s === 0))).toBe(true);
    expect(frames[0]!.arrivedAt).toBe(5000 + 100);
    const loud: number[] = [];
    for await (const frame of silent) loud.push(frame.index);
    expect(loud).toEqual([...range(5, 15), ...range(25, 30)]);
  });

  it('decodes to mono when asked: one channel in the frames and the WAV files', async () => {
    const listener = node.listen(source, { channels: 1, sinks: [wavFiles(dir), mixWav(path.join(dir, 'mix.wav'))] });
    const stream = listener.audio(U);
    source.announce(1, U);
    await speak(1, 0, 10);
    const first = await stream.next();
    expect(first.value?.pcm.length).toBe(960);
    const summary = await listener.stop();
    for (const file of [`${U}.wav`, 'mix.wav']) {
      const bytes = readFileSync(path.join(dir, file));
      expect(bytes.readUInt16LE(22)).toBe(1);
      expect(bytes.length - 44).toBe(summary.frames * 960 * 2);
    }
  });

  it('stops when the source ends; stop() is one result; refuses what it cannot take', async () => {
    const listener = node.listen(source);
    const ended = new Promise<ReceiveSummary>((resolve) => listener.once('end', resolve));
    source.announce(1, U);
    source.announce(2, V);
    await speak(1, 0, 3);
    source.handler.end();
    const summary = await ended;
    expect(source.closed).toBe(true);
    expect(listener.status).toBe('stopped');
    expect(await listener.stop()).toBe(summary);
    expect(summary.speakers.map((s) => s.userId)).toEqual([U]);

    for (const options of [{ depthMs: -1 }, { channels: 3 as 1 }, { pause: 'stop' as 'cut' }]) {
      expect(() => node.listen(new FakeReceiveSource(), options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => node.listen({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await node.destroy();
    expect(() => node.listen(new FakeReceiveSource())).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });
});
