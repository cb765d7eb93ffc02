/**
 * The Opus encoders, chosen automatically: `@discordjs/opus` (native libopus, fastest) when it is
 * installed and loads, else libopus in WebAssembly from `@evan/opus` (always installed; see
 * `libopus-wasm.ts`: one module instance per thread, every encoder a state inside it). The native
 * package needs a native build, which spence does not require, so it is never a dependency: a bot
 * that wants it installs it. `spence doctor` shows what was found and chosen.
 *
 * `@evan/opus` also ships prebuilt native addons; spence does not load them: their output buffer
 * is one per process, shared by every worker thread, so encoders in two pool workers overwrite
 * each other's packets.
 *
 * @module
 */

import { createRequire } from 'node:module';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { CHANNELS, FRAME_SAMPLES, SAMPLE_RATE } from '../pcm.js';
import { LIBOPUS_WASM_PACKAGE, libopusWasm } from './libopus-wasm.js';

/** An encoder backend, by package name. */
export type EncoderBackendName = '@discordjs/opus' | '@evan/opus';

/** What detection found for one backend. */
export interface EncoderBackendInfo {
  name: EncoderBackendName;
  kind: 'native' | 'wasm';
  available: boolean;
  /** The package's version and what the backend is (and its limits) when available; the load failure otherwise. */
  detail: string;
}

/** One 20 ms stereo 48 kHz frame in, one Opus packet out. */
export interface OpusFrameEncoder {
  readonly backend: EncoderBackendName;
  /**
   * Encodes {@link FRAME_SAMPLES} interleaved stereo samples; returns a fresh packet.
   *
   * @throws SpenceError `INVALID_ARGUMENT` for another length, `INVALID_STATE` after {@link free}, `UPSTREAM` when libopus fails.
   */
  encode(pcm: Int16Array): Uint8Array;
  /** Releases the encoder (its state in the WebAssembly memory). Idempotent. */
  free(): void;
}

/** Options for the encoder. */
export interface EncoderOptions {
  /** Which backend; `'auto'` (default) prefers native. */
  backend?: EncoderBackendName | 'auto';
  /** Bits per second; default 128 000 (what Discord's boosted channels carry; libopus' own default is lower). */
  bitrate?: number;
  /** libopus complexity 0..10; default 10 (libopus' default). Lower is cheaper. */
  complexity?: number;
}

// libopus CTL request numbers (opus_defines.h).
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_MUSIC = 3002;
const OPUS_APPLICATION_AUDIO = 2049;

/**
 * Samples of look-ahead a libopus encoder in `OPUS_APPLICATION_AUDIO` mode adds at 48 kHz
 * (`OPUS_GET_LOOKAHEAD`: Fs/400 + the delay compensation Fs/250 = 120 + 192).
 */
export const ENCODER_LOOKAHEAD = 312;

const require = createRequire(import.meta.url);

interface DiscordOpusModule {
  OpusEncoder: new (rate: number, channels: number) => {
    encode(pcm: Buffer): Buffer;
    setBitrate(bitrate: number): void;
    applyEncoderCTL(ctl: number, value: number): void;
  };
}

function versionOf(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown version';
  }
}

function tryRequire<T>(name: string): { module: T } | { error: string } {
  try {
    return { module: require(name) as T };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { error: code === 'MODULE_NOT_FOUND' ? 'not installed' : error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

function detectWasm(): EncoderBackendInfo {
  const info = { name: LIBOPUS_WASM_PACKAGE, kind: 'wasm' } as const;
  try {
    const lib = libopusWasm();
    const kib = Math.round(lib.encoderBytes(CHANNELS) / 1024);
    return {
      ...info,
      available: true,
      detail: `${versionOf(LIBOPUS_WASM_PACKAGE)}, libopus in WebAssembly (${lib.build === 'simd' ? 'SIMD build' : 'plain build: no WebAssembly SIMD here'}); one instance per thread, ${kib} KiB per encoder, up to 2 GiB per thread; about twice the CPU of native libopus`,
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ...info, available: false, detail: code === 'MODULE_NOT_FOUND' ? 'not installed' : error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

let detected: EncoderBackendInfo[] | undefined;

/** Detects the encoder backends this install can load (cached). Native first, in order of preference. */
export function detectEncoders(): EncoderBackendInfo[] {
  if (detected) return detected;
  const native = tryRequire<DiscordOpusModule>('@discordjs/opus');
  detected = [
    { name: '@discordjs/opus', kind: 'native', available: 'module' in native, detail: 'module' in native ? `${versionOf('@discordjs/opus')}, native libopus` : native.error },
    detectWasm(),
  ];
  return detected;
}

/** The backend `'auto'` picks: the first available one. */
export function chooseEncoderBackend(preference: EncoderBackendName | 'auto' = 'auto'): EncoderBackendName {
  const found = detectEncoders();
  const pick = preference === 'auto' ? found.find((b) => b.available) : found.find((b) => b.name === preference);
  if (!pick || !pick.available) {
    throw new SpenceError(ErrorCodes.UNAVAILABLE, `No Opus encoder${preference === 'auto' ? '' : ` ${preference}`} can be loaded (${found.map((b) => `${b.name}: ${b.detail}`).join('; ')})`, { source: 'transcode' });
  }
  return pick.name;
}

/** Wraps a backend's encode and free with the checks every backend shares. */
function frameEncoder(backend: EncoderBackendName, encode: (pcm: Int16Array) => Uint8Array, free: () => void): OpusFrameEncoder {
  let freed = false;
  return {
    backend,
    encode(pcm) {
      if (freed) throw new SpenceError(ErrorCodes.INVALID_STATE, 'The Opus encoder was freed', { source: 'transcode' });
      if (pcm.length !== FRAME_SAMPLES * CHANNELS) {
        throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `An Opus frame is ${FRAME_SAMPLES * CHANNELS} interleaved stereo samples, not ${pcm.length}`, { source: 'transcode' });
      }
      return encode(pcm);
    },
    free() {
      if (freed) return;
      freed = true;
      free();
    },
  };
}

/** Creates a 48 kHz stereo encoder for 20 ms frames, tuned for music. */
export function createEncoder(options: EncoderOptions = {}): OpusFrameEncoder {
  const backend = chooseEncoderBackend(options.backend);
  const bitrate = options.bitrate ?? 128_000;
  const complexity = options.complexity ?? 10;
  if (backend === '@discordjs/opus') {
    const { OpusEncoder } = require('@discordjs/opus') as DiscordOpusModule;
    const encoder = new OpusEncoder(SAMPLE_RATE, CHANNELS);
    encoder.setBitrate(bitrate);
    encoder.applyEncoderCTL(OPUS_SET_COMPLEXITY, complexity);
    encoder.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);
    return frameEncoder(backend, (pcm) => new Uint8Array(encoder.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength))), () => {});
  }
  const lib = libopusWasm();
  const state = lib.createEncoder(SAMPLE_RATE, CHANNELS, OPUS_APPLICATION_AUDIO, [
    [OPUS_SET_BITRATE, bitrate],
    [OPUS_SET_COMPLEXITY, complexity],
    [OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC],
  ]);
  return frameEncoder(backend, (pcm) => lib.encode(state, pcm, FRAME_SAMPLES), () => lib.freeEncoder(state));
}
