/**
 * The demux area: streaming WebM/Matroska and Ogg Opus demuxers, the `demux()` pull API, the Ogg
 * Opus writer, `inspectMedia()` and the Opus packet helpers. Pure: no I/O, no HTTP.
 *
 * @module
 */

export { demux, sniffContainer } from './demux.js';
export type { ContainerKind, DemuxInput, DemuxOptions, OpusPacketStream } from './demux.js';
export { inspectMedia } from './inspect.js';
export type { FrameSizeCount, InspectInput, MediaInspection } from './inspect.js';
export { OggDemuxer } from './ogg/ogg-demuxer.js';
export { OggOpusWriter } from './ogg/ogg-writer.js';
export type { OggOpusWriterEndOptions, OggOpusWriterHead, OggOpusWriterOptions } from './ogg/ogg-writer.js';
export { OPUS_SILENCE_FRAME, opusFrameCount, opusPacketDurationMs, opusPacketSamples } from './opus.js';
export { DEFAULT_MAX_ELEMENT_SIZE } from './types.js';
export type { DemuxDamage, DemuxerOptions, OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer, SeekPoint } from './types.js';
export { WebmDemuxer } from './webm/webm-demuxer.js';
