/** Brings a decoder's output at any rate to 48 kHz stereo. @module */

import { SAMPLE_RATE, toStereoPlanes, type StereoBlock } from '../pcm.js';
import { Resampler } from '../resample.js';
import { EMPTY_BLOCK } from './types.js';

/** Converts decoder output (any rate, 1..n channels) to 48 kHz stereo, creating a resampler when the rate differs. */
export class To48k {
  private resampler: Resampler | null = null;
  private rate = SAMPLE_RATE;

  convert(channelData: readonly Float32Array[], samples: number, sampleRate: number): StereoBlock {
    if (samples === 0) return EMPTY_BLOCK;
    const block = toStereoPlanes(channelData, samples);
    if (sampleRate !== this.rate || (this.resampler === null && sampleRate !== SAMPLE_RATE)) {
      // A new rate (the first block, or an HLS variant switch): start a resampler for it.
      this.rate = sampleRate;
      this.resampler = sampleRate === SAMPLE_RATE ? null : new Resampler({ step: sampleRate / SAMPLE_RATE });
    }
    return this.resampler ? this.resampler.process(block.left, block.right, block.length) : block;
  }

  flush(): StereoBlock {
    return this.resampler ? this.resampler.flush() : EMPTY_BLOCK;
  }
}
