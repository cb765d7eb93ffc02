/**
 * MP3 and Opus through the Transcoder (worker pool) with volume 0.5, written to Ogg and decoded by
 * ffmpeg: the expected duration, and a level 6.02 dB below the source's within 1 dB.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { WebmDemuxer } from '../../src/demux/index.js';
import type { OpusPacket } from '../../src/demux/index.js';
import { Transcoder, TranscodePool, type TranscodedFrame } from '../../src/transcode/index.js';
import { db, goertzel, rms } from './signal.js';
import { ffmpegDecode, hasFfmpeg, toOgg } from './reference.js';

const media = (name: string): string => new URL(`../../fixtures/media/${name}`, import.meta.url).pathname;
const pool = new TranscodePool({ workers: 2 });
afterAll(() => pool.close());

async function collect(t: Transcoder): Promise<TranscodedFrame[]> {
  const frames: TranscodedFrame[] = [];
  for await (const f of t.frames({ signal: AbortSignal.timeout(30_000) })) frames.push(f);
  return frames;
}

describe.skipIf(!hasFfmpeg)('end to end, checked by ffmpeg (skipped: ffmpeg is not installed; CI installs it)', () => {
  it('MP3 (44.1 kHz) at volume 0.5: 3 s, both channels −6.02 dB ± 1 dB, tones intact', async () => {
    const bytes = readFileSync(media('tone-44k.mp3'));
    const t = await Transcoder.create({ codec: 'mp3' }, { pool, volume: 0.5 });
    for (let i = 0; i < bytes.length; i += 3000) t.push(bytes.subarray(i, i + 3000));
    t.end();
    const frames = await collect(t);
    expect(frames.map((f) => f.timestampMs).slice(0, 3)).toEqual([0, 20, 40]);
    const out = ffmpegDecode(toOgg(frames));
    const ref = ffmpegDecode(media('tone-44k.mp3'));
    expect(Math.abs(out.left.length / 48 - 3000)).toBeLessThan(30);
    const from = 4800;
    const to = Math.min(out.left.length, ref.left.length) - 4800;
    const leftDb = db(rms(out.left, from, to), rms(ref.left, from, to));
    const rightDb = db(rms(out.right, from, to), rms(ref.right, from, to));
    console.log(`mp3 volume 0.5: duration ${(out.left.length / 48).toFixed(1)} ms, left ${leftDb.toFixed(2)} dB, right ${rightDb.toFixed(2)} dB`);
    expect(Math.abs(leftDb + 6.02)).toBeLessThan(1);
    expect(Math.abs(rightDb + 6.02)).toBeLessThan(1);
    // Each channel keeps its own tone, at half the source's amplitude.
    expect(goertzel(out.left, 440, 48_000, from, to) / goertzel(ref.left, 440, 48_000, from, to)).toBeCloseTo(0.5, 1);
    expect(goertzel(out.right, 660, 48_000, from, to) / goertzel(ref.right, 660, 48_000, from, to)).toBeCloseTo(0.5, 1);
    expect(goertzel(out.left, 660, 48_000, from, to)).toBeLessThan(0.005);
  });

  it('Opus (WebM) at volume 0.5: same duration as the source, −6.02 dB ± 1 dB', async () => {
    const demuxer = new WebmDemuxer();
    const packets: OpusPacket[] = [...demuxer.push(readFileSync(media('sample.webm'))), ...demuxer.end()];
    const info = demuxer.info!;
    const t = await Transcoder.create({ codec: 'opus', channels: info.channels, preSkip: info.preSkip }, { pool, volume: 0.5 });
    for (const p of packets) t.push(p.data);
    t.end();
    const frames = await collect(t);
    const out = ffmpegDecode(toOgg(frames));
    const ref = ffmpegDecode(media('sample.webm'));
    expect(Math.abs(out.left.length - ref.left.length) / 48).toBeLessThan(25);
    const to = Math.min(out.left.length, ref.left.length) - 4800;
    const leftDb = db(rms(out.left, 4800, to), rms(ref.left, 4800, to));
    const rightDb = db(rms(out.right, 4800, to), rms(ref.right, 4800, to));
    console.log(`opus volume 0.5: duration ${(out.left.length / 48).toFixed(1)} ms (source ${(ref.left.length / 48).toFixed(1)} ms), left ${leftDb.toFixed(2)} dB, right ${rightDb.toFixed(2)} dB`);
    expect(Math.abs(leftDb + 6.02)).toBeLessThan(1);
    expect(Math.abs(rightDb + 6.02)).toBeLessThan(1);
    // Aligned to the sample: the transcoded audio correlates with the source at lag 0.
    let dot = 0;
    let e1 = 0;
    let e2 = 0;
    for (let i = 4800; i < to; i++) {
      dot += out.left[i]! * ref.left[i]!;
      e1 += out.left[i]! ** 2;
      e2 += ref.left[i]! ** 2;
    }
    expect(dot / Math.sqrt(e1 * e2)).toBeGreaterThan(0.95);
  });
});
