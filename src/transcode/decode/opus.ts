/**
 * Opus packets through libopus compiled to WebAssembly (`opus-decoder`, wasm-audio-decoders), at
 * 48 kHz, surround down-mixed to stereo by the decoder (`forceStereo`).
 *
 * @module
 */

import { OpusDecoder } from 'opus-decoder';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { toStereoPlanes, type StereoBlock } from '../pcm.js';
import { EMPTY_BLOCK, type PcmDecoder, type TranscodeInput } from './types.js';

/** Channel mapping from an OpusHead (RFC 7845 §5.1.1), for mapping family 1 and up. */
function mappingFrom(head: Uint8Array | undefined): { streamCount: number; coupledStreamCount: number; channelMappingTable: number[] } | null {
  if (!head || head.length < 21 || head[18] === 0) return null;
  const channels = head[9]!;
  return { streamCount: head[19]!, coupledStreamCount: head[20]!, channelMappingTable: [...head.subarray(21, 21 + channels)] };
}

/** Creates an Opus packet decoder (waits for its WebAssembly instance). */
export async function createOpusDecoder(input: Extract<TranscodeInput, { codec: 'opus' }>): Promise<PcmDecoder> {
  const channels = input.channels ?? 2;
  const mapping = mappingFrom(input.opusHead);
  if (channels > 2 && !mapping) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `An Opus stream with ${channels} channels needs its OpusHead (channel mapping)`, { source: 'transcode' });
  }
  const decoder = new OpusDecoder({
    channels,
    preSkip: input.preSkip ?? 0,
    forceStereo: true,
    ...(mapping ?? {}),
  });
  await decoder.ready;
  return {
    codec: 'opus',
    decode(packet: Uint8Array): StereoBlock {
      const out = decoder.decodeFrame(packet);
      return out.samplesDecoded === 0 ? EMPTY_BLOCK : toStereoPlanes(out.channelData, out.samplesDecoded);
    },
    flush: () => EMPTY_BLOCK,
    free: () => decoder.free(),
  };
}
