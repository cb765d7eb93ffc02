/**
 * MP3 through mpg123 compiled to WebAssembly (`mpg123-decoder`, wasm-audio-decoders): any chunking
 * of a Layer I/II/III byte stream, including a start in the middle of a file or an HLS segment
 * (mpg123 syncs to the next frame header). Gapless trimming from the LAME/Xing header is on.
 *
 * @module
 */

import { MPEGDecoder } from 'mpg123-decoder';
import { ErrorCodes, SpenceError } from '../../errors.js';
import type { StereoBlock } from '../pcm.js';
import { To48k } from './to48k.js';
import type { PcmDecoder } from './types.js';

/** Creates an MP3 decoder (waits for its WebAssembly instance). */
export async function createMp3Decoder(): Promise<PcmDecoder> {
  const decoder = new MPEGDecoder({ enableGapless: true });
  await decoder.ready;
  const to48k = new To48k();
  let consecutiveErrors = 0;
  return {
    codec: 'mp3',
    decode(data: Uint8Array): StereoBlock {
      const out = decoder.decode(data);
      // A stray bad frame is skipped (mpg123 resyncs), but bytes that never decode are not MP3.
      if (out.errors.length > 0 && out.samplesDecoded === 0) {
        if (++consecutiveErrors > 32) {
          throw new SpenceError(ErrorCodes.DEMUX, `Not a decodable MP3 stream: ${out.errors[0]?.message ?? 'decode error'}`, { source: 'transcode' });
        }
      } else if (out.samplesDecoded > 0) {
        consecutiveErrors = 0;
      }
      return to48k.convert(out.channelData, out.samplesDecoded, out.sampleRate);
    },
    flush: () => to48k.flush(),
    free: () => decoder.free(),
  };
}
