/**
 * Parsers for the small Segment-level masters the demuxer buffers whole: Info, Tracks, Cues and
 * SeekHead (RFC 9559 §5.1.1 - §5.1.5). Each takes the element's data bytes and returns plain
 * values; unknown children are skipped, as EBML readers must (RFC 8794 §8).
 *
 * @module
 */

import type { OpusStreamInfo } from '../types.js';
import {
  newElementHeader, readElementHeaderIn, readFloatIn, readStringIn, readUintIn, demuxError,
} from './ebml.js';
import * as ID from './ids.js';

const header = newElementHeader();

/**
 * Calls `visit` for each child of the buffered master data `bytes[start..end)`: its ID and the
 * offset and size of its data. Throws `DEMUX` when a child is malformed or overruns the master.
 */
function forEachChild(bytes: Uint8Array, start: number, end: number, visit: (id: number, at: number, size: number) => void): void {
  for (let pos = start; pos < end; ) {
    readElementHeaderIn(bytes, pos, end, header);
    const id = header.id;
    const at = pos + header.headerLength;
    const size = header.size;
    visit(id, at, size);
    pos = at + size;
  }
}

/** Segment information (RFC 9559 §5.1.2). */
export interface SegmentInfo {
  /** Nanoseconds per timestamp tick; 1 000 000 when absent (RFC 9559 §5.1.2.12). */
  timestampScale: number;
  /** Duration in ticks, when stated and above 0 (RFC 9559 §5.1.2.13). */
  duration: number | undefined;
}

/** Parses the data of an Info element. */
export function parseInfo(bytes: Uint8Array): SegmentInfo {
  const info: SegmentInfo = { timestampScale: 1_000_000, duration: undefined };
  forEachChild(bytes, 0, bytes.length, (id, at, size) => {
    if (id === ID.ID_TIMESTAMP_SCALE) {
      const scale = readUintIn(bytes, at, size);
      if (scale > 0) info.timestampScale = scale; // the range is "not 0"; keep the default
    } else if (id === ID.ID_DURATION) {
      // 0 is no duration (Firefox's MediaRecorder writes it; ffprobe reads N/A): unknown.
      const duration = readFloatIn(bytes, at, size);
      if (Number.isFinite(duration) && duration > 0) info.duration = duration;
    }
  });
  return info;
}

/** The fields of one TrackEntry the demuxer uses (RFC 9559 §5.1.4.1). */
export interface TrackEntry {
  /** TrackNumber, as blocks refer to it. */
  number: number;
  /** TrackType (2 = audio), 0 when absent. */
  type: number;
  /** CodecID, `''` when absent. */
  codecId: string;
  /** CodecPrivate bytes (a copy), when present. */
  codecPrivate: Uint8Array | undefined;
  /** CodecDelay in ns (default 0). */
  codecDelayNs: number;
  /** SeekPreRoll in ns, when present. */
  seekPreRollNs: number | undefined;
  /** Audio.Channels (default 1, RFC 9559 §5.1.4.1.31.3). */
  channels: number;
  /** Audio.SamplingFrequency, when present (the schema's default, 8000 Hz, means nothing for Opus). */
  samplingFrequency: number | undefined;
  /** True when the track has ContentEncodings (compressed or encrypted frames). */
  encoded: boolean;
}

/** Parses the data of a Tracks element into its track entries. */
export function parseTracks(bytes: Uint8Array): TrackEntry[] {
  const tracks: TrackEntry[] = [];
  forEachChild(bytes, 0, bytes.length, (id, at, size) => {
    if (id === ID.ID_TRACK_ENTRY) tracks.push(parseTrackEntry(bytes, at, at + size));
  });
  return tracks;
}

function parseTrackEntry(bytes: Uint8Array, start: number, end: number): TrackEntry {
  const track: TrackEntry = {
    number: 0, type: 0, codecId: '', codecPrivate: undefined, codecDelayNs: 0,
    seekPreRollNs: undefined, channels: 1, samplingFrequency: undefined, encoded: false,
  };
  forEachChild(bytes, start, end, (id, at, size) => {
    switch (id) {
      case ID.ID_TRACK_NUMBER: track.number = readUintIn(bytes, at, size); break;
      case ID.ID_TRACK_TYPE: track.type = readUintIn(bytes, at, size); break;
      case ID.ID_CODEC_ID: track.codecId = readStringIn(bytes, at, size); break;
      case ID.ID_CODEC_PRIVATE: track.codecPrivate = bytes.slice(at, at + size); break;
      case ID.ID_CODEC_DELAY: track.codecDelayNs = readUintIn(bytes, at, size); break;
      case ID.ID_SEEK_PRE_ROLL: track.seekPreRollNs = readUintIn(bytes, at, size); break;
      case ID.ID_CONTENT_ENCODINGS: track.encoded = true; break;
      case ID.ID_AUDIO:
        forEachChild(bytes, at, at + size, (audioId, a, s) => {
          if (audioId === ID.ID_CHANNELS) track.channels = readUintIn(bytes, a, s);
          else if (audioId === ID.ID_SAMPLING_FREQUENCY) track.samplingFrequency = readFloatIn(bytes, a, s);
        });
        break;
      default: break;
    }
  });
  return track;
}

/** The "OpusHead" magic signature (RFC 7845 §5.1). */
const OPUS_HEAD_MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64];

/**
 * Builds the stream info of an A_OPUS track: from the OpusHead in CodecPrivate (RFC 7845 §5.1,
 * as the Matroska Opus mapping stores it) when present and valid, else from CodecDelay and the
 * Audio element. Throws `DEMUX` when the track's frames are compressed or encrypted.
 */
export function opusInfoFromTrack(track: TrackEntry): OpusStreamInfo {
  if (track.encoded) throw demuxError('The Opus track uses ContentEncodings (compressed or encrypted frames), which are not supported');
  const head = track.codecPrivate;
  const rate = track.samplingFrequency;
  const info: OpusStreamInfo = {
    codec: 'opus',
    container: 'webm',
    channels: track.channels > 0 ? track.channels : 1,
    // CodecDelay is in ns; Opus pre-skip counts 48 kHz samples (RFC 9559 §5.1.4.1.28, RFC 7845 §4.2).
    preSkip: Math.round((track.codecDelayNs * 48_000) / 1e9),
    inputSampleRate: rate !== undefined && rate > 0 && Number.isFinite(rate) ? Math.round(rate) : 48_000,
    outputGain: 0,
    channelMappingFamily: track.channels > 2 ? 1 : 0,
  };
  if (head !== undefined && head.length >= 19 && OPUS_HEAD_MAGIC.every((b, i) => head[i] === b)) {
    // OpusHead (RFC 7845 §5.1): magic(8) version(1) channels(1) pre-skip(LE16) input rate(LE32) gain(LE16, signed Q7.8) family(1).
    info.channels = head[9]!;
    info.preSkip = head[10]! | (head[11]! << 8);
    info.inputSampleRate = (head[12]! | (head[13]! << 8) | (head[14]! << 16)) + head[15]! * 0x1000000;
    info.outputGain = ((head[16]! | (head[17]! << 8)) << 16) >> 16;
    info.channelMappingFamily = head[18]!;
    info.opusHead = head;
  }
  if (track.seekPreRollNs !== undefined) info.seekPreRollNs = track.seekPreRollNs;
  return info;
}

/**
 * The entries of a Cues element: each CuePoint's CueTrackPositions (RFC 9559 §5.1.5.1) as
 * {@link CUE_STRIDE} numbers, CueTime (ticks), CueTrack and CueClusterPosition (relative to the
 * Segment data start), in the file's order.
 *
 * One typed array rather than an object per entry: a player holds its track's Cues for as long as
 * it plays it, and YouTube's files put them before the first Cluster, so every start made them:
 * 37 objects and an array (~2 KB) for a 3-minute track, which the young-generation collections
 * of thousands of players starting at once copied and promoted.
 */
export type CueTable = Float64Array;

/** Numbers per entry of a {@link CueTable}. */
export const CUE_STRIDE = 3;

/**
 * A CuePoint's CueTrackPositions as (track, position) pairs, until its CueTime is known; reused,
 * with a count of its own (setting an array's length to 0 drops its backing store).
 */
const cuePositions: number[] = [];
/** The entries found so far, reused likewise (copied into the table at the end). */
const cueEntries: number[] = [];

/**
 * Parses the data of a Cues element. Loops rather than {@link forEachChild}: files with Cues at
 * the end (ffmpeg's, mkvmerge's) have them read as each track ends, hundreds of CuePoints (one
 * every few hundred ms for mkvmerge), and a closure and an array per CuePoint were most of what a
 * player allocated for such a track's demuxing. One typed array is all that is made.
 */
export function parseCues(bytes: Uint8Array): CueTable {
  let count = 0;
  for (let pos = 0; pos < bytes.length; ) {
    readElementHeaderIn(bytes, pos, bytes.length, header);
    const id = header.id;
    const at = pos + header.headerLength;
    const end = at + header.size;
    pos = end;
    if (id !== ID.ID_CUE_POINT) continue;
    let time = -1;
    let positions = 0;
    for (let p = at; p < end; ) {
      readElementHeaderIn(bytes, p, end, header);
      const pointId = header.id;
      const pAt = p + header.headerLength;
      const pEnd = pAt + header.size;
      p = pEnd;
      if (pointId === ID.ID_CUE_TIME) {
        time = readUintIn(bytes, pAt, pEnd - pAt);
      } else if (pointId === ID.ID_CUE_TRACK_POSITIONS) {
        let track = 0;
        let clusterPosition = -1;
        for (let q = pAt; q < pEnd; ) {
          readElementHeaderIn(bytes, q, pEnd, header);
          const positionId = header.id;
          const qAt = q + header.headerLength;
          const n = header.size;
          q = qAt + n;
          if (positionId === ID.ID_CUE_TRACK) track = readUintIn(bytes, qAt, n);
          else if (positionId === ID.ID_CUE_CLUSTER_POSITION) clusterPosition = readUintIn(bytes, qAt, n);
        }
        if (clusterPosition >= 0) {
          cuePositions[positions++] = track;
          cuePositions[positions++] = clusterPosition;
        }
      }
    }
    if (time >= 0) {
      for (let k = 0; k < positions; k += 2) {
        cueEntries[count++] = time;
        cueEntries[count++] = cuePositions[k]!;
        cueEntries[count++] = cuePositions[k + 1]!;
      }
    }
  }
  const table = new Float64Array(count);
  for (let k = 0; k < count; k++) table[k] = cueEntries[k]!;
  return table;
}

/** Parses the data of a SeekHead: a map from element ID to position relative to the Segment data start. */
export function parseSeekHead(bytes: Uint8Array): Map<number, number> {
  const seeks = new Map<number, number>();
  forEachChild(bytes, 0, bytes.length, (id, at, size) => {
    if (id !== ID.ID_SEEK) return;
    let seekId = -1;
    let position = -1;
    forEachChild(bytes, at, at + size, (childId, p, s) => {
      if (childId === ID.ID_SEEK_ID && s <= 4) seekId = readUintIn(bytes, p, s);
      else if (childId === ID.ID_SEEK_POSITION) position = readUintIn(bytes, p, s);
    });
    if (seekId >= 0 && position >= 0 && !seeks.has(seekId)) seeks.set(seekId, position);
  });
  return seeks;
}

