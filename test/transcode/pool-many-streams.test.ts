/**
 * Many transcoding streams at once in one pool worker: what a node with many players on volume,
 * filters or MP3 sources puts on a worker. Each stream holds an Opus encoder in the worker's one
 * WebAssembly instance, so this is where an encoder that breaks past some count of instances
 * (opusscript 0.1.1: the 55th threw `RangeError`) or when the memory grows would show. Every
 * stream must end with the packets the same input gives alone, and those decode to the right
 * level.
 */
import { readFileSync } from 'node:fs';
import { OpusDecoder } from 'opus-decoder';
import { afterAll, describe, expect, it } from 'vitest';
import { WebmDemuxer } from '../../src/demux/index.js';
import { createMp3Decoder } from '../../src/transcode/decode/mp3.js';
import { Transcoder, TranscodePool, type TranscodeInput, type TranscodedFrame } from '../../src/transcode/index.js';
import { db, rms } from './signal.js';

const media = (name: string): string => new URL(`../../fixtures/media/${name}`, import.meta.url).pathname;
const pool = new TranscodePool({ workers: 1 });
afterAll(() => pool.close());

/** Half a second of the WebM sample's Opus packets, played at volume 0.5. */
const webm = new WebmDemuxer();
const opusPackets = [...webm.push(readFileSync(media('sample.webm'))), ...webm.end()].slice(0, 25).map((p) => p.data);
const opusInput: TranscodeInput = { codec: 'opus', channels: webm.info!.channels };
/** The first 12 000 bytes of the 44.1 kHz MP3 tone (about 0.75 s), at volume 1. */
const mp3Bytes = readFileSync(media('tone-44k.mp3')).subarray(0, 12_000);

interface Kind {
  input: TranscodeInput;
  volume: number;
  chunks: Uint8Array[];
}
const KINDS: Kind[] = [
  { input: opusInput, volume: 0.5, chunks: opusPackets },
  // In 1500-byte chunks, as a network would deliver it.
  { input: { codec: 'mp3' }, volume: 1, chunks: Array.from({ length: Math.ceil(mp3Bytes.length / 1500) }, (_, i) => mp3Bytes.subarray(i * 1500, (i + 1) * 1500)) },
];

async function run(t: Transcoder, kind: Kind): Promise<TranscodedFrame[]> {
  for (const c of kind.chunks) t.push(c);
  t.end();
  const frames: TranscodedFrame[] = [];
  for await (const f of t.frames({ signal: AbortSignal.timeout(120_000) })) frames.push(f);
  return frames;
}

const hex = (frames: TranscodedFrame[]): string[] => frames.map((f) => Buffer.from(f.data).toString('hex'));

/** Decodes packets to the left channel at 48 kHz. */
async function decodeLeft(packets: Uint8Array[]): Promise<Float32Array> {
  const decoder = new OpusDecoder({ channels: 2 });
  await decoder.ready;
  const parts = packets.map((p) => decoder.decodeFrame(p).channelData[0]!.slice());
  decoder.free();
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('many transcoding streams in one pool worker', () => {
  it('the reference: each kind, alone, decodes to its source at its volume (±1 dB)', async () => {
    const opus = await run(await Transcoder.create(opusInput, { inline: true, volume: 0.5 }), KINDS[0]!);
    const out = await decodeLeft(opus.map((f) => f.data));
    const src = await decodeLeft(opusPackets);
    expect(opus.length).toBe(25);
    expect(Math.abs(db(rms(out, 4800, 19_200), rms(src, 4800, 19_200)) + 6.02)).toBeLessThan(1);

    const mp3 = await run(await Transcoder.create({ codec: 'mp3' }, { inline: true }), KINDS[1]!);
    const mp3Decoder = await createMp3Decoder();
    const block = mp3Decoder.decode(mp3Bytes);
    const srcMp3 = block.left.slice(0, block.length);
    mp3Decoder.free();
    const outMp3 = await decodeLeft(mp3.map((f) => f.data));
    expect(Math.abs(mp3.length * 960 - srcMp3.length)).toBeLessThan(2 * 960);
    expect(Math.abs(db(rms(outMp3, 4800, 24_000), rms(srcMp3, 4800, 24_000)))).toBeLessThan(1);
  });

  // 256 streams open at once, half Opus at volume 0.5, half MP3: past opusscript's 55th instance
  // and past the first growth of the worker's encoder memory (about 238 stereo encoders).
  const STREAMS = 256;

  it(`${STREAMS} streams open at once on one worker each give the packets their input gives alone`, async () => {
    const expected = await Promise.all(KINDS.map(async (kind) => hex(await run(await Transcoder.create(kind.input, { inline: true, volume: kind.volume }), kind))));
    const kindOf = (k: number): number => k % 2;
    // All open before any is fed: every encoder is alive at once in the worker.
    const transcoders = await Promise.all(
      Array.from({ length: STREAMS }, (_, k) => Transcoder.create(KINDS[kindOf(k)]!.input, { pool, volume: KINDS[kindOf(k)]!.volume })),
    );
    const results = await Promise.allSettled(transcoders.map((t, k) => run(t, KINDS[kindOf(k)]!)));
    for (const t of transcoders) t.destroy();
    const failed = results.flatMap((r, k) => (r.status === 'rejected' ? [`stream ${k}: ${String(r.reason)}`] : []));
    expect(failed.slice(0, 3)).toEqual([]);
    const differing = results.flatMap((r, k) => (r.status === 'fulfilled' && hex(r.value).join() !== expected[kindOf(k)]!.join() ? [k] : []));
    expect(differing).toEqual([]);
  });
});
