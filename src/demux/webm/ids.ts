/**
 * Numeric EBML and Matroska element IDs, as read from the stream (marker bits kept), so that
 * the demuxer dispatches with a numeric `switch` and never builds a string per element.
 *
 * EBML IDs are from RFC 8794 §11.2 (EBML header) and §11.3 (global elements); Matroska IDs are
 * from RFC 9559 §5.1 (the Matroska schema). Only the elements the demuxer reads, skips by name or
 * uses to close unknown-size elements are listed.
 *
 * @module
 */

// EBML header, RFC 8794 §11.2.
/** `EBML`: the EBML header, the first element of every EBML document (RFC 8794 §11.2.1). */
export const ID_EBML = 0x1a45dfa3;
/** `DocType`: `webm` or `matroska` (RFC 8794 §11.2.6). */
export const ID_DOC_TYPE = 0x4282;

// Global elements, RFC 8794 §11.3.
/** `CRC-32`: may be the first child of any master element; skipped (RFC 8794 §11.3.1). */
export const ID_CRC32 = 0xbf;
/** `Void`: padding, skipped (RFC 8794 §11.3.2). */
export const ID_VOID = 0xec;

// Top level, RFC 9559 §5.1.
/** `Segment`: the root of a Matroska document (RFC 9559 §5.1). */
export const ID_SEGMENT = 0x18538067;

// Segment children, RFC 9559 §5.1.1 - §5.1.8.
/** `SeekHead` (RFC 9559 §5.1.1). */
export const ID_SEEK_HEAD = 0x114d9b74;
/** `Seek` (RFC 9559 §5.1.1.1). */
export const ID_SEEK = 0x4dbb;
/** `SeekID`: the binary ID of the element pointed to (RFC 9559 §5.1.1.1.1). */
export const ID_SEEK_ID = 0x53ab;
/** `SeekPosition`: relative to the Segment data start (RFC 9559 §5.1.1.1.2). */
export const ID_SEEK_POSITION = 0x53ac;
/** `Info` (RFC 9559 §5.1.2). */
export const ID_INFO = 0x1549a966;
/** `TimestampScale`, formerly TimecodeScale, in ns per tick; default 1 000 000 (RFC 9559 §5.1.2.12). */
export const ID_TIMESTAMP_SCALE = 0x2ad7b1;
/** `Duration`: float, in TimestampScale ticks (RFC 9559 §5.1.2.13). */
export const ID_DURATION = 0x4489;
/** `Cluster` (RFC 9559 §5.1.3). */
export const ID_CLUSTER = 0x1f43b675;
/** `Tracks` (RFC 9559 §5.1.4). */
export const ID_TRACKS = 0x1654ae6b;
/** `Cues` (RFC 9559 §5.1.5). */
export const ID_CUES = 0x1c53bb6b;
/** `Attachments` (RFC 9559 §5.1.6). */
export const ID_ATTACHMENTS = 0x1941a469;
/** `Chapters` (RFC 9559 §5.1.7). */
export const ID_CHAPTERS = 0x1043a770;
/** `Tags` (RFC 9559 §5.1.8). */
export const ID_TAGS = 0x1254c367;

// Cluster children, RFC 9559 §5.1.3.
/** `Timestamp` (formerly Timecode) of the Cluster (RFC 9559 §5.1.3.1). */
export const ID_CLUSTER_TIMESTAMP = 0xe7;
/** `SilentTracks` (deprecated, RFC 9559 §5.1.3.2). */
export const ID_SILENT_TRACKS = 0x5854;
/** `Position` (RFC 9559 §5.1.3.3). */
export const ID_POSITION = 0xa7;
/** `PrevSize` (RFC 9559 §5.1.3.4). */
export const ID_PREV_SIZE = 0xab;
/** `SimpleBlock` (RFC 9559 §5.1.3.5, structure §10.2). */
export const ID_SIMPLE_BLOCK = 0xa3;
/** `BlockGroup` (RFC 9559 §5.1.3.6). */
export const ID_BLOCK_GROUP = 0xa0;
/** `Block` inside a BlockGroup (RFC 9559 §5.1.3.6.1, structure §10.1). */
export const ID_BLOCK = 0xa1;
/** `EncryptedBlock` (deprecated, RFC 9559 §5.1.3.7). */
export const ID_ENCRYPTED_BLOCK = 0xaf;

// BlockGroup children, RFC 9559 §5.1.3.6 (Block is above).
/** `BlockVirtual` (deprecated). */
export const ID_BLOCK_VIRTUAL = 0xa2;
/** `BlockAdditions`. */
export const ID_BLOCK_ADDITIONS = 0x75a1;
/** `BlockDuration`. */
export const ID_BLOCK_DURATION = 0x9b;
/** `ReferencePriority`. */
export const ID_REFERENCE_PRIORITY = 0xfa;
/** `ReferenceBlock`. */
export const ID_REFERENCE_BLOCK = 0xfb;
/** `ReferenceVirtual` (deprecated). */
export const ID_REFERENCE_VIRTUAL = 0xfd;
/** `CodecState`. */
export const ID_CODEC_STATE = 0xa4;
/** `DiscardPadding`. */
export const ID_DISCARD_PADDING = 0x75a2;
/** `Slices` (deprecated). */
export const ID_SLICES = 0x8e;
/** `ReferenceFrame` (deprecated). */
export const ID_REFERENCE_FRAME = 0xc8;

// Tracks, RFC 9559 §5.1.4.
/** `TrackEntry` (RFC 9559 §5.1.4.1). */
export const ID_TRACK_ENTRY = 0xae;
/** `TrackNumber`: the number blocks refer to (RFC 9559 §5.1.4.1.1). */
export const ID_TRACK_NUMBER = 0xd7;
/** `TrackType`: 1 video, 2 audio (RFC 9559 §5.1.4.1.3). */
export const ID_TRACK_TYPE = 0x83;
/** `CodecID`: `A_OPUS` for Opus (RFC 9559 §5.1.4.1.21). */
export const ID_CODEC_ID = 0x86;
/** `CodecPrivate`: the OpusHead for Opus (RFC 9559 §5.1.4.1.22). */
export const ID_CODEC_PRIVATE = 0x63a2;
/** `CodecDelay`, in ns (RFC 9559 §5.1.4.1.28). */
export const ID_CODEC_DELAY = 0x56aa;
/** `SeekPreRoll`, in ns (RFC 9559 §5.1.4.1.29). */
export const ID_SEEK_PRE_ROLL = 0x56bb;
/** `Audio` settings (RFC 9559 §5.1.4.1.31). */
export const ID_AUDIO = 0xe1;
/** `SamplingFrequency`: float (RFC 9559 §5.1.4.1.31.1). */
export const ID_SAMPLING_FREQUENCY = 0xb5;
/** `Channels` (RFC 9559 §5.1.4.1.31.3). */
export const ID_CHANNELS = 0x9f;
/** `ContentEncodings`: compression or encryption of the track's frames (RFC 9559 §5.1.4.1.32). */
export const ID_CONTENT_ENCODINGS = 0x6d80;

// Cues, RFC 9559 §5.1.5.
/** `CuePoint` (RFC 9559 §5.1.5.1). */
export const ID_CUE_POINT = 0xbb;
/** `CueTime`, in TimestampScale ticks (RFC 9559 §5.1.5.1.1). */
export const ID_CUE_TIME = 0xb3;
/** `CueTrackPositions` (RFC 9559 §5.1.5.1.2). */
export const ID_CUE_TRACK_POSITIONS = 0xb7;
/** `CueTrack` (RFC 9559 §5.1.5.1.2.1). */
export const ID_CUE_TRACK = 0xf7;
/** `CueClusterPosition`: relative to the Segment data start (RFC 9559 §5.1.5.1.2.2). */
export const ID_CUE_CLUSTER_POSITION = 0xf1;

/** Matroska `TrackType` value for audio (RFC 9559 §5.1.4.1.3). */
export const TRACK_TYPE_AUDIO = 2;
