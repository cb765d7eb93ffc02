/**
 * The Ogg Opus identification header, "OpusHead" (RFC 7845 §5.1): parsing and serialising.
 * Matroska's Opus CodecPrivate holds the same bytes, so the WebM side may use these too.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';

/** The parsed fields of an OpusHead packet (RFC 7845 §5.1). */
export interface OpusHead {
  /** Version byte; the upper four bits are the major version and must be 0 (RFC 7845 §5.1 item 2). */
  version: number;
  /** Output channel count, 1 to 255. */
  channels: number;
  /** Samples at 48 kHz to discard from the decoder's output at the start. */
  preSkip: number;
  /** The original input sample rate in Hz (informational only; 0 when unspecified). */
  inputSampleRate: number;
  /** Output gain in Q7.8 dB (a signed 16-bit value). */
  outputGain: number;
  /** Channel mapping family: 0 (mono/stereo), 1 (Vorbis order, up to 8), 255 (undefined), others reserved. */
  channelMappingFamily: number;
  /** For families other than 0: the number of Opus streams in each packet. */
  streamCount?: number;
  /** For families other than 0: how many of those streams are coupled (stereo). */
  coupledCount?: number;
  /** For families other than 0: for each output channel, the decoded channel index (255 = silence). */
  channelMapping?: Uint8Array;
}

/** "OpusHead", the identification header's magic signature (RFC 7845 §5.1 item 1). */
export const OPUS_HEAD_MAGIC: Uint8Array = Uint8Array.of(0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64);

/** The fixed part of OpusHead: magic (8), version, channels, pre-skip (2), rate (4), gain (2), family (RFC 7845 §5.1). */
const OPUS_HEAD_FIXED_SIZE = 19;

/** True when `packet` starts with the "OpusHead" magic signature. */
export function isOpusHead(packet: Uint8Array): boolean {
  if (packet.length < 8) return false;
  for (let i = 0; i < 8; i++) if (packet[i] !== OPUS_HEAD_MAGIC[i]) return false;
  return true;
}

function fail(message: string): never {
  throw new SpenceError(ErrorCodes.DEMUX, `Invalid OpusHead: ${message}`, { source: 'demux' });
}

/**
 * Parses an OpusHead packet (RFC 7845 §5.1).
 *
 * @throws SpenceError `DEMUX` when the magic, version, channel count or mapping table is invalid.
 */
export function parseOpusHead(packet: Uint8Array): OpusHead {
  if (!isOpusHead(packet)) fail('missing the "OpusHead" signature');
  if (packet.length < OPUS_HEAD_FIXED_SIZE) fail(`${packet.length} bytes, at least 19 required`);
  const version = packet[8]!;
  // RFC 7845 §5.1 item 2: a major version (upper 4 bits) other than 0 is incompatible.
  if (version >> 4 !== 0) fail(`unsupported version ${version}`);
  const channels = packet[9]!;
  if (channels === 0) fail('channel count 0');
  const preSkip = packet[10]! | (packet[11]! << 8);
  const inputSampleRate = (packet[12]! | (packet[13]! << 8) | (packet[14]! << 16) | (packet[15]! << 24)) >>> 0;
  const outputGain = ((packet[16]! | (packet[17]! << 8)) << 16) >> 16; // signed Q7.8
  const channelMappingFamily = packet[18]!;
  const head: OpusHead = { version, channels, preSkip, inputSampleRate, outputGain, channelMappingFamily };
  if (channelMappingFamily === 0) {
    // RFC 7845 §5.1.1.1: family 0 is mono or stereo, with no mapping table.
    if (channels > 2) fail(`mapping family 0 with ${channels} channels`);
    return head;
  }
  // RFC 7845 §5.1.1: every other family carries stream count, coupled count and a channel mapping.
  if (packet.length < OPUS_HEAD_FIXED_SIZE + 2 + channels) fail('channel mapping table truncated');
  const streamCount = packet[19]!;
  const coupledCount = packet[20]!;
  if (streamCount === 0) fail('stream count 0');
  if (coupledCount > streamCount) fail('more coupled streams than streams');
  // RFC 7845 §5.1.1: a mapping index must be below streams + coupled streams, or 255 (silence).
  const decodedChannels = streamCount + coupledCount;
  if (decodedChannels > 255) fail('too many decoded channels');
  const channelMapping = packet.slice(21, 21 + channels);
  for (const index of channelMapping) if (index !== 255 && index >= decodedChannels) fail(`channel mapping index ${index} out of range`);
  // RFC 7845 §5.1.1.2: family 1 is 1 to 8 channels.
  if (channelMappingFamily === 1 && channels > 8) fail(`mapping family 1 with ${channels} channels`);
  head.streamCount = streamCount;
  head.coupledCount = coupledCount;
  head.channelMapping = channelMapping;
  return head;
}

/** What `serializeOpusHead` needs: the fields of {@link OpusHead}, most of them optional. */
export interface OpusHeadInit {
  /** Output channel count. */
  channels: number;
  /** Pre-skip in samples at 48 kHz (default 312, libopus's usual encoder delay at 48 kHz). */
  preSkip?: number;
  /** Original input sample rate in Hz (default 48000). */
  inputSampleRate?: number;
  /** Output gain, Q7.8 dB (default 0). */
  outputGain?: number;
  /** Mapping family (default 0 for 1-2 channels; required with a mapping for more). */
  channelMappingFamily?: number;
  /** Streams per packet (families other than 0). */
  streamCount?: number;
  /** Coupled streams (families other than 0). */
  coupledCount?: number;
  /** Channel mapping (families other than 0), one entry per channel. */
  channelMapping?: ArrayLike<number>;
}

/**
 * Serialises an OpusHead packet (RFC 7845 §5.1), version 1.
 *
 * @throws SpenceError `INVALID_ARGUMENT` when the fields cannot make a valid header (for example
 *   more than two channels without a mapping table).
 */
export function serializeOpusHead(init: OpusHeadInit): Uint8Array {
  const family = init.channelMappingFamily ?? 0;
  const channels = init.channels;
  const bad = (message: string): never => {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Cannot build an OpusHead: ${message}`, { source: 'demux' });
  };
  if (!Number.isInteger(channels) || channels < 1 || channels > 255) bad(`channel count ${channels}`);
  if (family === 0 && channels > 2) bad(`${channels} channels need a mapping family and table`);
  const hasTable = family !== 0;
  const out = new Uint8Array(OPUS_HEAD_FIXED_SIZE + (hasTable ? 2 + channels : 0));
  out.set(OPUS_HEAD_MAGIC, 0);
  out[8] = 1; // RFC 7845 §5.1 item 2: version 1
  out[9] = channels;
  const preSkip = init.preSkip ?? 312;
  if (!Number.isInteger(preSkip) || preSkip < 0 || preSkip > 0xffff) bad(`pre-skip ${preSkip}`);
  out[10] = preSkip & 0xff;
  out[11] = preSkip >>> 8;
  const rate = init.inputSampleRate ?? 48000;
  out[12] = rate & 0xff;
  out[13] = (rate >>> 8) & 0xff;
  out[14] = (rate >>> 16) & 0xff;
  out[15] = (rate >>> 24) & 0xff;
  const gain = (init.outputGain ?? 0) & 0xffff;
  out[16] = gain & 0xff;
  out[17] = gain >>> 8;
  out[18] = family;
  if (hasTable) {
    const mapping = init.channelMapping;
    if (init.streamCount === undefined || init.coupledCount === undefined || !mapping || mapping.length !== channels) {
      bad(`mapping family ${family} needs streamCount, coupledCount and a ${channels}-entry channelMapping`);
    }
    out[19] = init.streamCount!;
    out[20] = init.coupledCount!;
    for (let i = 0; i < channels; i++) out[21 + i] = mapping![i]!;
  }
  return out;
}
