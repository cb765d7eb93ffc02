/**
 * Voice receive: `node.listen(connection)` records every speaker of a voice connection on one
 * timeline (reordered, gap-filled, DAVE-decrypted) into sinks: Ogg Opus and WAV files per speaker,
 * a mixed-down WAV, PCM iterables, or your own. See docs/receive.md.
 *
 * @module
 */

export { VoiceListener } from './listener.js';
export type { ListenOptions, StopOptions, VoiceListenerEvents, VoiceListenerStats, VoiceListenerStatus } from './listener.js';
export type { VoiceReceiveHandler, VoiceReceiveSource } from './source.js';
export type { DiscordJsReceivingConnection } from './rtp-tap.js';
export type { RtcpPacket, RtcpReportBlock } from './rtp.js';
export type { MixFrame, OpusFrame, PcmFrame, PcmKind, ReceiveSink, ReceiveSummary, SinkContext, SpeakerSummary } from './sinks/sink.js';
export type { PcmStream, PcmStreamOptions } from './sinks/pcm-stream.js';
export type { SpeakerFileTarget } from './sinks/per-speaker.js';
export { oggFiles } from './sinks/ogg-files.js';
export { wavFiles, mixWav } from './sinks/wav-files.js';
