/**
 * The demux area: streaming WebM/Matroska, Ogg Opus and MP3 demuxers, the sniffing
 * `createDemuxer()` over them, the `demux()` pull API, the Ogg Opus writer, `inspectMedia()` and the
 * Opus packet helpers. Pure: no I/O, no HTTP.
 *
 * @module spence/demux
 */

export { demux } from './demux.js';
export type { DemuxInput, DemuxOptions, OpusPacketStream, PacketStream } from './demux.js';
export { createDemuxer } from './media-demuxer.js';
export type { ContainerDemuxer, MediaDemuxer, MediaDemuxerOptions } from './media-demuxer.js';
export { Mp3Demuxer } from './mp3/mp3-demuxer.js';
export { MAX_SNIFF_BYTES, sniffContainer, sniffMedia } from './sniff.js';
export type { SniffResult } from './sniff.js';
export { inspectMedia } from './inspect.js';
export { probeMedia } from './probe.js';
export type { Mp3ProbeResult, OpusProbeResult, ProbeResult } from './probe.js';
export type { Mp3FrameHeader } from './mp3/frame-header.js';
export type { FrameSizeCount, InspectInput, MediaInspection } from './inspect.js';
export { OggDemuxer } from './ogg/ogg-demuxer.js';
export type { OggDemuxerOptions } from './ogg/ogg-demuxer.js';
export type { OpusHead, OpusHeadInit } from './ogg/opus-head.js';
export type { OpusTags } from './ogg/opus-tags.js';
export { OggOpusWriter } from './ogg/ogg-writer.js';
export type { OggOpusWriterEndOptions, OggOpusWriterHead, OggOpusWriterOptions } from './ogg/ogg-writer.js';
export { OPUS_SILENCE_FRAME, opusFrameCount, opusPacketDurationMs, opusPacketSamples } from './opus.js';
export { DEFAULT_MAX_ELEMENT_SIZE } from './types.js';
export type {
  ContainerKind, DemuxDamage, DemuxerOptions, Mp3StreamInfo, OpusContainer, OpusPacket, OpusStreamInfo, PacketSink, PushDemuxer,
  SeekPlan, SeekPoint, StreamInfo,
} from './types.js';
export { WebmDemuxer } from './webm/webm-demuxer.js';
