/**
 * Many Opus encoders in one thread (a pool worker holds one per stream): each must encode exactly
 * what it would encode alone, however many share the thread's WebAssembly memory and however
 * often that memory grows. opusscript 0.1.1 failed this: its instances write their PCM at twice
 * their buffer's address (a 16-bit view indexed by a byte pointer), so the 55th instance in a
 * thread threw `RangeError: offset is out of bounds`, and its cached heap views die when the
 * memory grows. And the decoders the transcoder and voice receive use, the same way.
 */
import { describe, expect, it } from 'vitest';
import { createOpusDecoder } from '../../src/transcode/decode/opus.js';
import { createEncoder, type OpusFrameEncoder } from '../../src/transcode/encode/backends.js';
import { libopusWasm } from '../../src/transcode/encode/libopus-wasm.js';
import { FRAME_SAMPLES } from '../../src/transcode/pcm.js';
import { isSpenceError } from '../../src/errors.js';

/** One 20 ms stereo frame of stream `k` (its own two tones), frame `f`. */
function frame(k: number, f: number): Int16Array {
  const pcm = new Int16Array(FRAME_SAMPLES * 2);
  const left = 110 + 37 * k;
  const right = 2 * left + 13;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const t = (f * FRAME_SAMPLES + i) / 48_000;
    pcm[2 * i] = Math.round(9000 * Math.sin(2 * Math.PI * left * t));
    pcm[2 * i + 1] = Math.round(7000 * Math.sin(2 * Math.PI * right * t));
  }
  return pcm;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** What stream `k` encodes to with an encoder of its own, created and freed alone. */
function alone(k: number, frames: number): string[] {
  const encoder = createEncoder({ complexity: 0 });
  try {
    return Array.from({ length: frames }, (_, f) => hex(encoder.encode(frame(k, f))));
  } finally {
    encoder.free();
  }
}

describe('many Opus encoders in one thread', () => {
  // 300 live encoders: past opusscript's failure (the 55th) and past the first growth of the
  // WebAssembly memory of the encoder that replaced it (~48 KiB of libopus state per stereo
  // encoder; its 16 MiB memory grows at about the 238th).
  const STREAMS = 300;
  const FRAMES = 6;

  it(`${STREAMS} encoders, interleaved frame by frame, each encode what they encode alone`, () => {
    const expected = Array.from({ length: STREAMS }, (_, k) => alone(k, FRAMES));
    const memoryBefore = libopusWasm().memoryBytes;
    const encoders: OpusFrameEncoder[] = [];
    const got: string[][] = Array.from({ length: STREAMS }, () => []);
    const failures: string[] = [];
    try {
      for (let k = 0; k < STREAMS; k++) encoders.push(createEncoder({ complexity: 0 }));
      for (let f = 0; f < FRAMES; f++) {
        for (let k = 0; k < STREAMS; k++) {
          try {
            got[k]!.push(hex(encoders[k]!.encode(frame(k, f))));
          } catch (error) {
            failures.push(`stream ${k} frame ${f}: ${String(error)}`);
          }
        }
      }
      // The memory did grow under the live encoders.
      expect(libopusWasm().memoryBytes).toBeGreaterThan(memoryBefore);
    } finally {
      for (const e of encoders) e.free();
    }
    expect(failures.slice(0, 3)).toEqual([]);
    const differing = got.flatMap((packets, k) => (packets.join() === expected[k]!.join() ? [] : [k]));
    expect(differing).toEqual([]);
  });

  it('streams opened and closed in turn (freed states reused, the memory grown) stay exact', () => {
    // One stream opens per step and lives 40 to 120 frames: up to ~80 live at once, 160 in all,
    // each new one in memory that earlier ones freed or that grew for it.
    const lifetime = (k: number): number => 40 + ((k * 37) % 81);
    const live = new Map<number, { encoder: OpusFrameEncoder; frames: string[] }>();
    const done = new Map<number, string[]>();
    let most = 0;
    try {
      for (let step = 0; step < 160 || live.size > 0; step++) {
        if (step < 160) live.set(step, { encoder: createEncoder({ complexity: 0 }), frames: [] });
        most = Math.max(most, live.size);
        for (const [k, s] of live) {
          s.frames.push(hex(s.encoder.encode(frame(k, s.frames.length))));
          if (s.frames.length === lifetime(k)) {
            s.encoder.free();
            live.delete(k);
            done.set(k, s.frames);
          }
        }
      }
    } finally {
      for (const s of live.values()) s.encoder.free();
    }
    expect(most).toBeGreaterThan(60);
    for (let k = 3; k < 160; k += 17) expect(done.get(k)).toEqual(alone(k, lifetime(k)));
  });

  it('refuses a frame of the wrong size, use after free and a setting libopus refuses with SpenceError, not a RangeError', () => {
    expect(() => createEncoder({ complexity: 42 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('opus_encoder_ctl(4010, 42)') }));
    const encoder = createEncoder();
    expect(() => encoder.encode(new Int16Array(100))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    encoder.free();
    encoder.free(); // idempotent
    let thrown: unknown;
    try {
      encoder.encode(frame(0, 0));
    } catch (error) {
      thrown = error;
    }
    expect(isSpenceError(thrown) && thrown.code).toBe('INVALID_STATE');
  });
});

describe('many Opus decoders in one thread (transcoder input, voice receive)', () => {
  it('64 decoders, interleaved, each decode what they decode alone', async () => {
    const STREAMS = 64;
    const FRAMES = 5;
    // Each stream's packets, encoded ahead by an encoder of its own.
    const packets: Uint8Array[][] = [];
    for (let k = 0; k < STREAMS; k++) {
      const e = createEncoder({ complexity: 0 });
      packets.push(Array.from({ length: FRAMES }, (_, f) => e.encode(frame(k, f))));
      e.free();
    }
    const sum = (x: Float32Array): string => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i]! * (1 + (i % 7));
      return s.toFixed(6);
    };
    const expected: string[][] = [];
    for (let k = 0; k < STREAMS; k++) {
      const d = await createOpusDecoder({ codec: 'opus' });
      expected.push(packets[k]!.map((p) => { const b = d.decode(p); return sum(b.left) + sum(b.right); }));
      d.free();
    }
    const decoders = await Promise.all(Array.from({ length: STREAMS }, () => createOpusDecoder({ codec: 'opus' })));
    const got: string[][] = Array.from({ length: STREAMS }, () => []);
    for (let f = 0; f < FRAMES; f++) {
      for (let k = 0; k < STREAMS; k++) {
        const b = decoders[k]!.decode(packets[k]![f]!);
        got[k]!.push(sum(b.left) + sum(b.right));
      }
    }
    for (const d of decoders) d.free();
    expect(got).toEqual(expected);
  });
});
