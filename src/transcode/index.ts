/**
 * The transcoding path: non-Opus sources (MP3, AAC), volume and Lavalink-style filters, decoded,
 * filtered and re-encoded to 20 ms Opus packets off the event loop. Opus passthrough does not
 * come here. Imports nothing from the player, resolution or providers.
 *
 * @module spence/transcode
 */

export { Transcoder } from './transcoder.js';
export type { TranscoderOptions, VolumeOptions } from './transcoder.js';
export { TranscodePipeline } from './pipeline.js';
export type { PipelineOptions, TranscodedFrame } from './pipeline.js';
export { TranscodePool, defaultTranscodePool, validatePoolOptions } from './pool/worker-pool.js';
export type { TranscodePoolOptions, WorkerLoad } from './pool/worker-pool.js';
export { createDecoder } from './decode/index.js';
export type { PcmDecoder, SourceCodec, TranscodeInput } from './decode/types.js';
export { createEncoder, detectEncoders } from './encode/backends.js';
export type { EncoderBackendInfo, EncoderBackendName, EncoderOptions, OpusFrameEncoder } from './encode/backends.js';
export { FilterChain } from './filters/chain.js';
export type { FilterChainOptions } from './filters/chain.js';
export { validateFilters, validateVolume, MAX_VOLUME, TIMESCALE_BOUNDS } from './filters/validate.js';
export { EQUALIZER_BAND_HZ } from './filters/types.js';
export type {
  ChannelMixSettings, DistortionSettings, EqualizerBand, FilterSettings, KaraokeSettings, LowPassSettings,
  RotationSettings, TimescaleSettings, TremoloSettings, VibratoSettings,
} from './filters/types.js';
export { Resampler } from './resample.js';
export type { ResamplerOptions } from './resample.js';
export { transcodeCapabilities } from './capabilities.js';
export type { DecoderInfo, TranscodeCapabilities } from './capabilities.js';
export { CHANNELS, FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from './pcm.js';
export type { StereoBlock } from './pcm.js';
