/** Decoding with a reference decoder (ffmpeg), for the end-to-end checks of the transcoder's output. */

import { spawnSync } from 'node:child_process';
import { OggOpusWriter } from '../../src/demux/index.js';
import type { TranscodedFrame } from '../../src/transcode/index.js';

export const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/** Decodes any file ffmpeg reads (or bytes on stdin) to 48 kHz stereo float planes. */
export function ffmpegDecode(input: string | Uint8Array): { left: Float32Array; right: Float32Array } {
  const fromStdin = typeof input !== 'string';
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', fromStdin ? 'pipe:0' : input, '-f', 'f32le', '-ac', '2', '-ar', '48000', 'pipe:1'], {
    input: fromStdin ? input : undefined,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
  const out = result.stdout;
  const samples = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
  const n = samples.length / 2;
  const left = new Float32Array(n);
  const right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = samples[2 * i]!;
    right[i] = samples[2 * i + 1]!;
  }
  return { left, right };
}

/** Writes transcoded frames as an Ogg Opus file (pre-skip 0: the transcoder aligns the encoder delay). */
export function toOgg(frames: readonly TranscodedFrame[]): Uint8Array {
  const writer = new OggOpusWriter({ channels: 2, preSkip: 0 }, { serial: 7 });
  const pages: Uint8Array[] = [...writer.headers()];
  for (const f of frames) pages.push(...writer.write(f.data));
  pages.push(...writer.end());
  return Buffer.concat(pages);
}
