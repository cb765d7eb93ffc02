/**
 * AAC through FAAD2 compiled to WebAssembly (`@audio/decode-aac`), loaded only when installed.
 *
 * Why optional: it is the one registry decoder found that needs no native build or ffmpeg and
 * handles ADTS and MP4 (see docs/transcoding.md for what else was tried), but FAAD2 is GPL-2.0,
 * and spence is MIT: bundling it would put every user under the GPL. A bot that wants AAC sources
 * installs it (`npm install @audio/decode-aac`) and accepts its licence; without it an AAC source
 * fails with `UNAVAILABLE` and says so.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import type { StereoBlock } from '../pcm.js';
import { To48k } from './to48k.js';
import type { PcmDecoder } from './types.js';

/** The optional package's name. */
export const AAC_PACKAGE = '@audio/decode-aac';

interface AacModule {
  decoder(): Promise<{ decode(data: Uint8Array): { channelData: Float32Array[]; sampleRate: number }; flush(): { channelData: Float32Array[]; sampleRate: number }; free(): void }>;
}

let loaded: Promise<AacModule | null> | undefined;

/** Loads the optional AAC decoder package; null when it is not installed. */
export function loadAacModule(): Promise<AacModule | null> {
  // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
  const name = AAC_PACKAGE;
  loaded ??= import(name).then((m: AacModule) => (typeof m.decoder === 'function' ? m : null), () => null);
  return loaded;
}

/** Creates an AAC (ADTS or MP4 bytes) decoder, or fails with `UNAVAILABLE` when the package is missing. */
export async function createAacDecoder(): Promise<PcmDecoder> {
  const mod = await loadAacModule();
  if (!mod) {
    throw new SpenceError(
      ErrorCodes.UNAVAILABLE,
      `AAC sources need the optional decoder package ${AAC_PACKAGE} (FAAD2 WebAssembly, GPL-2.0, not bundled with spence): npm install ${AAC_PACKAGE}`,
      { source: 'transcode' },
    );
  }
  const decoder = await mod.decoder();
  const to48k = new To48k();
  const convert = (out: { channelData: Float32Array[]; sampleRate: number }): StereoBlock =>
    to48k.convert(out.channelData, out.channelData[0]?.length ?? 0, out.sampleRate);
  return {
    codec: 'aac',
    decode: (data) => convert(decoder.decode(data)),
    flush(): StereoBlock {
      const rest = convert(decoder.flush());
      if (rest.length > 0) return rest;
      return to48k.flush();
    },
    free: () => decoder.free(),
  };
}
