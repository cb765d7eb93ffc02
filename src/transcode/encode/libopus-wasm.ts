/**
 * libopus in WebAssembly through its C API, one module instance per thread: every encoder of a
 * thread (a pool worker holds one per stream) is an `OpusEncoder` state allocated inside that
 * instance's memory, and the JavaScript views of the memory are taken again whenever the memory
 * has grown (growing replaces its `ArrayBuffer` and detaches every view of the old one).
 *
 * The binary is the one `@evan/opus` ships (libopus built with emscripten, standalone, exporting
 * `opus_encoder_init`, `opus_encode`, `opus_encoder_ctl_set` and `malloc`/`free`), in a SIMD build
 * where the engine has WebAssembly SIMD. This file replaces that package's JavaScript: only the
 * `.wasm` files are used, never its prebuilt native addon (see `backends.ts` for why).
 *
 * Why not opusscript (what spence used before): its JavaScript indexes a 16-bit view of the heap
 * with byte addresses, so each instance writes its PCM at twice its buffer's address, over other
 * allocations, until an address passes the end of the memory (the 55th instance of a thread threw
 * `RangeError: offset is out of bounds`); and it keeps views made at construction, detached when
 * the memory grows.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ErrorCodes, SpenceError } from '../../errors.js';

/** The package whose `.wasm` files this module instantiates. */
export const LIBOPUS_WASM_PACKAGE = '@evan/opus';

/** What the standalone emscripten build exports (opus.h's encoder API and the allocator). */
interface LibopusExports {
  memory: WebAssembly.Memory;
  malloc(bytes: number): number;
  free(pointer: number): void;
  opus_strerror(code: number): number;
  opus_encoder_get_size(channels: number): number;
  opus_encoder_init(state: number, sampleRate: number, channels: number, application: number): number;
  opus_encode(state: number, pcm: number, frameSize: number, data: number, maxDataBytes: number): number;
  opus_encoder_ctl_set(state: number, request: number, value: number): number;
  /** A WASI reactor's initialiser (static constructors), when the build has one. */
  _initialize?: () => void;
}

/**
 * The largest packet asked of `opus_encode`: 4000 bytes, libopus' recommended `max_data_bytes`
 * (opus.h); a 20 ms packet is at most 1275 bytes per frame (RFC 6716 §3.2.1).
 */
const MAX_PACKET_BYTES = 4000;
/** WASI `ENOSYS`: the stubs below say the module has no files to write. */
const WASI_ENOSYS = 52;
/**
 * A module of one function that uses a SIMD instruction (`i32.const 0; i8x16.splat; drop`): an
 * engine validates it only if it has WebAssembly SIMD (Node 16.4 and later).
 */
const SIMD_PROBE = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11);

const require = createRequire(import.meta.url);

function failure(code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, cause?: unknown): SpenceError {
  return new SpenceError(code, message, { source: 'transcode', ...(cause !== undefined && { cause }) });
}

/** One instance of the libopus module, with the views of its memory and its scratch buffers. */
export class LibopusWasm {
  /** Which build was instantiated: `'simd'` or the plain one (`'opus'`). */
  readonly build: 'simd' | 'opus';
  readonly #wasm: LibopusExports;
  #u8: Uint8Array;
  #i16: Int16Array;
  /** Scratch for one frame of PCM in, and one packet out; shared by the thread's encoders (calls are synchronous). */
  #pcm = 0;
  #packet = 0;
  #pcmBytes = 0;

  constructor() {
    this.build = WebAssembly.validate(SIMD_PROBE) ? 'simd' : 'opus';
    const bytes = readFileSync(require.resolve(`${LIBOPUS_WASM_PACKAGE}/wasm/${this.build}.wasm`));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      wasi_snapshot_preview1: {
        fd_write: () => WASI_ENOSYS,
        fd_seek: () => WASI_ENOSYS,
        fd_close: () => WASI_ENOSYS,
        proc_exit: (code: number) => {
          throw failure(ErrorCodes.UPSTREAM, `libopus (WebAssembly) exited with status ${code}`);
        },
      },
      // Called after the module grew its memory; the views are also checked before each use.
      env: { emscripten_notify_memory_growth: () => this.#refresh() },
    });
    this.#wasm = instance.exports as unknown as LibopusExports;
    this.#wasm._initialize?.();
    this.#u8 = new Uint8Array(this.#wasm.memory.buffer);
    this.#i16 = new Int16Array(this.#wasm.memory.buffer);
  }

  /** Bytes of WebAssembly memory this instance holds now (it grows as encoders are made, and never shrinks). */
  get memoryBytes(): number {
    return this.#wasm.memory.buffer.byteLength;
  }

  /** Bytes of one encoder state for `channels` (`opus_encoder_get_size`). */
  encoderBytes(channels: number): number {
    return this.#wasm.opus_encoder_get_size(channels);
  }

  /**
   * Creates and configures an encoder state (`opus_encoder_init`, then each `[request, value]`
   * through `opus_encoder_ctl`) and returns its address.
   *
   * @throws SpenceError `UNAVAILABLE` when the memory cannot grow for it, `INVALID_ARGUMENT` when libopus refuses a setting.
   */
  createEncoder(sampleRate: number, channels: number, application: number, settings: readonly (readonly [number, number])[]): number {
    const state = this.#malloc(this.encoderBytes(channels), 'an encoder');
    try {
      this.#check(this.#wasm.opus_encoder_init(state, sampleRate, channels, application), ErrorCodes.INVALID_ARGUMENT, 'opus_encoder_init');
      for (const [request, value] of settings) {
        this.#check(this.#wasm.opus_encoder_ctl_set(state, request, value), ErrorCodes.INVALID_ARGUMENT, `opus_encoder_ctl(${request}, ${value})`);
      }
    } catch (error) {
      this.#wasm.free(state);
      throw error;
    }
    return state;
  }

  /**
   * Encodes interleaved 16-bit PCM (`frameSize` samples per channel) with the encoder at `state`;
   * returns a fresh copy of the packet.
   *
   * @throws SpenceError `UPSTREAM` when libopus fails.
   */
  encode(state: number, pcm: Int16Array, frameSize: number): Uint8Array {
    if (pcm.byteLength > this.#pcmBytes) {
      if (this.#pcm !== 0) this.#wasm.free(this.#pcm);
      this.#pcm = 0;
      this.#pcmBytes = 0;
      this.#pcm = this.#malloc(pcm.byteLength, 'a PCM buffer');
      this.#pcmBytes = pcm.byteLength;
    }
    if (this.#packet === 0) this.#packet = this.#malloc(MAX_PACKET_BYTES, 'a packet buffer');
    this.#refresh();
    // malloc aligns to 8 bytes, so the address is a whole index of the 16-bit view.
    this.#i16.set(pcm, this.#pcm >> 1);
    const length = this.#wasm.opus_encode(state, this.#pcm, frameSize, this.#packet, MAX_PACKET_BYTES);
    this.#check(length, ErrorCodes.UPSTREAM, 'opus_encode');
    this.#refresh();
    return this.#u8.slice(this.#packet, this.#packet + length);
  }

  /** Frees an encoder state made by {@link createEncoder}. */
  freeEncoder(state: number): void {
    this.#wasm.free(state);
  }

  /** Takes the views again if the memory grew since they were taken. */
  #refresh(): void {
    const buffer = this.#wasm.memory.buffer;
    if (this.#u8.buffer === buffer) return;
    this.#u8 = new Uint8Array(buffer);
    this.#i16 = new Int16Array(buffer);
  }

  #malloc(bytes: number, what: string): number {
    const pointer = this.#wasm.malloc(bytes);
    if (pointer === 0) {
      throw failure(ErrorCodes.UNAVAILABLE, `libopus (WebAssembly) has no memory left for ${what} (${this.memoryBytes} bytes in use in this thread)`);
    }
    return pointer;
  }

  #check(result: number, code: (typeof ErrorCodes)[keyof typeof ErrorCodes], call: string): void {
    if (result >= 0) return;
    this.#refresh();
    const at = this.#wasm.opus_strerror(result);
    const end = this.#u8.indexOf(0, at);
    const text = new TextDecoder().decode(this.#u8.subarray(at, end < 0 ? at : end));
    throw failure(code, `libopus ${call} failed: ${text || `error ${result}`}`);
  }
}

let shared: LibopusWasm | undefined;

/** This thread's libopus instance, made on first use (each worker thread has its own). */
export function libopusWasm(): LibopusWasm {
  shared ??= new LibopusWasm();
  return shared;
}
