/** The decoder contract and the input formats the transcoder accepts. @module */

import type { StereoBlock } from '../pcm.js';

/** What the transcoder is fed. */
export type TranscodeInput =
  | {
      /** Opus packets (RFC 6716), one per `push`, as the demuxers yield them. */
      codec: 'opus';
      /** Channels of the stream (OpusHead); default 2. Surround streams are down-mixed to stereo. */
      channels?: number;
      /**
       * Samples at 48 kHz to drop from the decoder's output at the start (OpusHead pre-skip). Give it
       * only when starting at the stream's first packet; mid-stream starts use `skipMs` instead.
       */
      preSkip?: number;
      /** The OpusHead, for channel mapping family 1 (surround); optional for mono and stereo. */
      opusHead?: Uint8Array;
    }
  | {
      /** An MPEG-1/2 Layer III byte stream (progressive file or HLS segments), any chunking. */
      codec: 'mp3';
    }
  | {
      /**
       * AAC-LC (or HE-AAC): an ADTS byte stream, or MP4 (progressive M4A) bytes, any chunking.
       * Needs the optional `@audio/decode-aac` package (GPL-2.0, so not bundled): without it,
       * creating the decoder fails with `UNAVAILABLE`.
       */
      codec: 'aac';
    };

/** The codecs {@link TranscodeInput} names. */
export type SourceCodec = TranscodeInput['codec'];

/** A decoder to 48 kHz planar stereo. Returned blocks may be views the next call overwrites: copy them. */
export interface PcmDecoder {
  readonly codec: SourceCodec;
  /** Decodes one input unit: a byte chunk (mp3, aac) or one packet (opus). */
  decode(data: Uint8Array): StereoBlock;
  /** Returns what the decoder (and its resampler) still hold, at the end of the input. */
  flush(): StereoBlock;
  /** Releases the WebAssembly memory. */
  free(): void;
}

/** An empty block. */
export const EMPTY_BLOCK: StereoBlock = { left: new Float32Array(0), right: new Float32Array(0), length: 0 };
