/**
 * The Opus encoders, chosen automatically: `@discordjs/opus` (native libopus, fastest) when it is
 * installed and loads, else `opusscript` (libopus 1.4 in WebAssembly, always installed). The native
 * package needs a native build, which spence does not require, so it is never a dependency: a bot
 * that wants it installs it. `spence doctor` shows what was found and chosen.
 *
 * @module
 */

import { createRequire } from 'node:module';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { CHANNELS, FRAME_SAMPLES, SAMPLE_RATE } from '../pcm.js';

/** An encoder backend, by package name. */
export type EncoderBackendName = '@discordjs/opus' | 'opusscript';

/** What detection found for one backend. */
export interface EncoderBackendInfo {
  name: EncoderBackendName;
  kind: 'native' | 'wasm';
  available: boolean;
  /** The package's version when available; the load failure otherwise. */
  detail: string;
}

/** One 20 ms stereo 48 kHz frame in, one Opus packet out. */
export interface OpusFrameEncoder {
  readonly backend: EncoderBackendName;
  /** Encodes {@link FRAME_SAMPLES} interleaved stereo samples; returns a fresh packet. */
  encode(pcm: Int16Array): Uint8Array;
  /** Releases the encoder (its WebAssembly memory). */
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
type OpusScriptCtor = new (rate: number, channels: number, application: number) => {
  encode(pcm: Buffer, frameSize: number): Buffer;
  encoderCTL(ctl: number, value: number): void;
  delete(): void;
};

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

let detected: EncoderBackendInfo[] | undefined;

/** Detects the encoder backends this install can load (cached). Native first, in order of preference. */
export function detectEncoders(): EncoderBackendInfo[] {
  if (detected) return detected;
  const native = tryRequire<DiscordOpusModule>('@discordjs/opus');
  const wasm = tryRequire<OpusScriptCtor>('opusscript');
  detected = [
    { name: '@discordjs/opus', kind: 'native', available: 'module' in native, detail: 'module' in native ? versionOf('@discordjs/opus') : native.error },
    { name: 'opusscript', kind: 'wasm', available: 'module' in wasm, detail: 'module' in wasm ? versionOf('opusscript') : wasm.error },
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
    return {
      backend,
      encode: (pcm) => new Uint8Array(encoder.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength))),
      free: () => {},
    };
  }
  const OpusScript = require('opusscript') as OpusScriptCtor;
  const encoder = new OpusScript(SAMPLE_RATE, CHANNELS, OPUS_APPLICATION_AUDIO);
  encoder.encoderCTL(OPUS_SET_BITRATE, bitrate);
  encoder.encoderCTL(OPUS_SET_COMPLEXITY, complexity);
  encoder.encoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_MUSIC);
  return {
    backend,
    // opusscript takes the PCM as bytes (a Buffer over the Int16 samples) and returns a copy.
    encode: (pcm) => encoder.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), FRAME_SAMPLES),
    free: () => encoder.delete(),
  };
}
