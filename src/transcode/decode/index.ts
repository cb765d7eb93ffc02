/** Decoder selection. @module */

import { createAacDecoder } from './aac.js';
import { createMp3Decoder } from './mp3.js';
import { createOpusDecoder } from './opus.js';
import type { PcmDecoder, TranscodeInput } from './types.js';
import { ErrorCodes, SpenceError } from '../../errors.js';

/** Creates the decoder for `input`. */
export function createDecoder(input: TranscodeInput): Promise<PcmDecoder> {
  switch (input.codec) {
    case 'opus':
      return createOpusDecoder(input);
    case 'mp3':
      return createMp3Decoder();
    case 'aac':
      return createAacDecoder();
    default:
      return Promise.reject(new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Unknown input codec ${String((input as { codec: unknown }).codec)}`, { source: 'transcode' }));
  }
}
