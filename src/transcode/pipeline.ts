/**
 * The transcoding pipeline for one stream, synchronous: compressed input → decoder (to 48 kHz
 * stereo) → timescale → 20 ms frames → filters and volume → Opus encoder. It runs wherever it is
 * put: inside a pool worker (what {@link Transcoder} does) or inline (tests, benchmarks, tools).
 *
 * Input is decoded lazily, only as frames are read, so what is buffered stays compressed.
 *
 * @module
 */

import type { PcmDecoder } from './decode/types.js';
import { ENCODER_LOOKAHEAD, type OpusFrameEncoder } from './encode/backends.js';
import { FilterChain } from './filters/chain.js';
import type { FilterSettings } from './filters/types.js';
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, toInt16Interleaved } from './pcm.js';
import { PcmFifo } from './pcm-fifo.js';

/** One output frame: a 20 ms Opus packet and where it sits in time. */
export interface TranscodedFrame {
  /** The Opus packet (48 kHz stereo, 20 ms). */
  data: Uint8Array;
  /** Output time of the frame's start, ms: `startMs + 20·k` for the k-th frame. */
  timestampMs: number;
  /** Always 20. */
  durationMs: number;
  /**
   * Source time of the frame's start, ms. Equal to `timestampMs` without a timescale; with one, the
   * source position reached (speed · rate of source time per output ms, integrated over changes).
   */
  sourceTimestampMs: number;
}

/** Options shared by the pipeline and the {@link Transcoder}. */
export interface PipelineOptions {
  /** Filters (validated with {@link validateFilters}) in force from the first frame. */
  filters?: FilterSettings;
  /** Volume from the first frame (1 = unchanged, 0..10). */
  volume?: number;
  /**
   * Decoded audio to drop at the start, ms: where the requested start lies after the first input
   * unit (an Opus packet 80 ms before it, decoded as pre-roll; an MP3 frame boundary).
   */
  skipMs?: number;
  /**
   * Timestamp of the first output frame on the source timeline, ms (the start position), so frames
   * carry track times. Default 0.
   */
  startMs?: number;
  /**
   * Drop the encoder's look-ahead (312 samples) from the input, so the output decodes aligned
   * sample for sample with the source (what a switch from passthrough needs: no 6.5 ms repeat).
   * Default true.
   */
  alignEncoderDelay?: boolean;
}

/** The synchronous core of a transcoding stream. */
export class TranscodePipeline {
  private readonly input: Uint8Array[] = [];
  private inputIndex = 0;
  private pendingBytes = 0;
  private ended = false;
  private flushed = false;
  private skip: number;
  private readonly decoded = new PcmFifo();
  private readonly stretched = new PcmFifo();
  readonly chain: FilterChain;
  private frameIndex = 0;
  private sourceMs: number;
  private readonly startMs: number;
  private readonly frameL = new Float32Array(FRAME_SAMPLES);
  private readonly frameR = new Float32Array(FRAME_SAMPLES);
  private readonly chunkL = new Float32Array(FRAME_SAMPLES);
  private readonly chunkR = new Float32Array(FRAME_SAMPLES);
  private readonly pcm16 = new Int16Array(FRAME_SAMPLES * 2);
  private finished = false;

  constructor(
    private readonly decoder: PcmDecoder,
    private readonly encoder: OpusFrameEncoder,
    options: PipelineOptions = {},
  ) {
    this.chain = new FilterChain({ filters: options.filters ?? {}, volume: options.volume ?? 1 });
    this.skip = Math.round(((options.skipMs ?? 0) * SAMPLE_RATE) / 1000) + (options.alignEncoderDelay === false ? 0 : ENCODER_LOOKAHEAD);
    this.startMs = options.startMs ?? 0;
    this.sourceMs = this.startMs;
  }

  /** Queues one input unit: a byte chunk (mp3, aac) or one Opus packet. Not decoded until needed. */
  push(data: Uint8Array): void {
    if (this.ended) return;
    this.input.push(data);
    this.pendingBytes += data.byteLength;
  }

  /** Marks the end of the input: the last partial frame is padded with silence. */
  end(): void {
    this.ended = true;
  }

  /** Compressed bytes queued and not decoded yet. */
  get pendingInputBytes(): number {
    return this.pendingBytes;
  }

  /** True once the last frame has been read after {@link end}. */
  get done(): boolean {
    return this.finished;
  }

  /** The encoder backend in use. */
  get encoderBackend(): OpusFrameEncoder['backend'] {
    return this.encoder.backend;
  }

  /** Frames produced so far. */
  get framesOut(): number {
    return this.frameIndex;
  }

  /** Decodes one more input unit into `decoded`; false when there is none. */
  private decodeNext(): boolean {
    if (this.inputIndex < this.input.length) {
      const data = this.input[this.inputIndex]!;
      this.input[this.inputIndex++] = EMPTY;
      if (this.inputIndex > 64 && this.inputIndex * 2 > this.input.length) {
        this.input.splice(0, this.inputIndex);
        this.inputIndex = 0;
      }
      this.pendingBytes -= data.byteLength;
      this.take(this.decoder.decode(data));
      return true;
    }
    if (this.ended && !this.flushed) {
      this.flushed = true;
      this.take(this.decoder.flush());
      return true;
    }
    return false;
  }

  private take(block: { left: Float32Array; right: Float32Array; length: number }): void {
    let { left, right, length } = block;
    if (this.skip > 0 && length > 0) {
      const n = Math.min(this.skip, length);
      this.skip -= n;
      left = left.subarray(n);
      right = right.subarray(n);
      length -= n;
    }
    this.decoded.push(left, right, length);
  }

  /** Moves decoded audio through the timescale into `stretched`; false when nothing was decoded. */
  private stretchSome(): boolean {
    if (this.decoded.length === 0 && !this.decodeNext()) return false;
    while (this.decoded.length > 0) {
      const n = this.decoded.shift(FRAME_SAMPLES, this.chunkL, this.chunkR);
      const out = this.chain.stretch(this.chunkL, this.chunkR, n);
      this.stretched.push(out.left, out.right, out.length);
    }
    return true;
  }

  /**
   * The next 20 ms packet, or `null` when more input is needed (or, after {@link end}, when the
   * stream is done: see {@link done}).
   */
  /**
   * True when no frame is left (the input has ended and every frame has been read), found out
   * without producing one: so the frame that ends a stream can carry the end with it, rather than
   * a reader learning it only on its next request (by then a deadline may have passed).
   */
  settleDone(): boolean {
    if (this.finished) return true;
    if (!this.ended) return false;
    while (this.stretched.length === 0) {
      if (!this.stretchSome()) {
        if (this.inputIndex >= this.input.length) this.finished = true;
        return this.finished;
      }
    }
    return false;
  }

  /** The next 20 ms frame, or `null` when more input is needed (or the stream has finished). */
  readFrame(): TranscodedFrame | null {
    if (this.finished) return null;
    while (this.stretched.length < FRAME_SAMPLES) {
      if (!this.stretchSome()) {
        if (!this.ended || this.inputIndex < this.input.length) return null;
        if (this.stretched.length === 0) {
          this.finished = true;
          return null;
        }
        break;
      }
    }
    const n = this.stretched.shift(FRAME_SAMPLES, this.frameL, this.frameR);
    if (n < FRAME_SAMPLES) {
      // The last partial frame: pad with silence (Opus frames are fixed-size).
      this.frameL.fill(0, n);
      this.frameR.fill(0, n);
    }
    this.chain.processFrame(this.frameL, this.frameR, FRAME_SAMPLES);
    toInt16Interleaved(this.frameL, this.frameR, FRAME_SAMPLES, this.pcm16);
    const data = this.encoder.encode(this.pcm16);
    const frame: TranscodedFrame = {
      data,
      timestampMs: this.startMs + this.frameIndex * FRAME_MS,
      durationMs: FRAME_MS,
      sourceTimestampMs: this.sourceMs,
    };
    this.frameIndex++;
    this.sourceMs += FRAME_MS * this.chain.sourceRatio;
    if (n < FRAME_SAMPLES) this.finished = true;
    return frame;
  }

  /** Replaces the filters (validated): crossfaded in over the next frame. */
  setFilters(filters: FilterSettings): void {
    this.chain.setFilters(filters);
  }

  /** Ramps the volume (validated, 0..10) over `rampMs`. */
  setVolume(volume: number, rampMs?: number): void {
    this.chain.setVolume(volume, rampMs);
  }

  /** Frees the decoder and encoder. */
  destroy(): void {
    this.decoder.free();
    this.encoder.free();
    this.input.length = 0;
    this.finished = true;
  }
}

const EMPTY = new Uint8Array(0);
