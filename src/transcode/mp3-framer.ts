/**
 * Splits an MP3 byte stream (any chunking) into its MPEG audio frames, each with its time on the
 * track: the units the player's read-ahead counts in milliseconds and the transcoder decodes. ID3v2
 * tags and bytes between frames (ID3v1, APE tags, junk) are skipped; a Xing/Info/VBRI header
 * frame carries no audio and is prepended to the first audio frame, so the decoder still reads its
 * gapless trimming (LAME encoder delay and padding).
 *
 * @module
 */

import { findMp3Start, id3v2Size, mp3FrameHeader, mp3HeaderFrameCount } from '../demux/probe.js';
import type { Mp3FrameHeader } from '../demux/probe.js';
import type { OpusPacket } from '../demux/types.js';
import { ErrorCodes, SpenceError } from '../errors.js';

/** One MPEG audio frame: bytes, start time and duration (the same shape as an Opus packet). */
export type Mp3Unit = OpusPacket;

/** The parameters of an MP3 stream, from its first frame. */
export interface Mp3StreamInfo {
  container: 'mp3';
  codec: 'mp3';
  sampleRate: number;
  channels: 1 | 2;
  /** Duration from a Xing/Info/VBRI frame count, when the stream starts with one. */
  durationMs?: number;
}

/** The most bytes skipped looking for the first frame before the input is declared not MP3. */
const MAX_SYNC_SEARCH = 1024 * 1024;

/** A push framer for MP3: `push(chunk)` returns the frames it completes. */
export class Mp3Framer {
  #buf: Uint8Array = new Uint8Array(0);
  #samples = 0;
  #first: Mp3FrameHeader | null = null;
  #prefix: Uint8Array | null = null;
  #skipped = 0;
  #info: Mp3StreamInfo | null = null;

  /** The stream parameters once the first frame has been seen; null before. */
  get info(): Mp3StreamInfo | null {
    return this.#info;
  }

  /** Pushes a chunk and returns the complete frames it holds. */
  push(chunk: Uint8Array): Mp3Unit[] {
    const buf = this.#buf.length === 0 ? chunk : concat(this.#buf, chunk);
    const out: Mp3Unit[] = [];
    let at = 0;
    while (at + 4 <= buf.length) {
      if (this.#first === null) {
        // Skip ID3v2 tags whole (their bodies may contain sync-like bytes), then find two frames in a row.
        const tag = id3v2Size(buf, at);
        if (tag > 0) {
          if (at + tag > buf.length) break;
          at += tag;
          continue;
        }
        const start = findMp3Start(buf.subarray(at));
        if (start < 0) {
          const keep = Math.min(buf.length - at, 8192); // a frame split across chunks
          this.#skipped += buf.length - at - keep;
          at = buf.length - keep;
          if (this.#skipped > MAX_SYNC_SEARCH) throw new SpenceError(ErrorCodes.DEMUX, 'No MPEG audio frame in the first MiB of the MP3 stream', { source: 'transcode' });
          break;
        }
        at += start;
      }
      const header = mp3FrameHeader(buf, at);
      if (header === null || (this.#first !== null && (header.sampleRate !== this.#first.sampleRate || header.layer !== this.#first.layer))) {
        if (id3v2Size(buf, at) > 0 && this.#first !== null) {
          const tag = id3v2Size(buf, at);
          if (at + tag > buf.length) break;
          at += tag; // HLS segments each start with an ID3 timestamp tag
          continue;
        }
        at++; // lost sync (junk, ID3v1/APE at the end): resynchronise on the next header
        continue;
      }
      if (at + header.frameBytes > buf.length) break;
      const frame = buf.slice(at, at + header.frameBytes); // copied: the chunk is the caller's
      at += header.frameBytes;
      if (this.#first === null) {
        this.#first = header;
        const frames = mp3HeaderFrameCount(frame, 0, header);
        this.#info = {
          container: 'mp3', codec: 'mp3', sampleRate: header.sampleRate, channels: header.channels,
          ...(frames !== null && frames > 0 && { durationMs: (frames * header.samples * 1000) / header.sampleRate }),
        };
        if (frames !== null) {
          // The header frame decodes to silence the gapless decoder drops: it is no audio time.
          this.#prefix = frame;
          continue;
        }
      }
      const data = this.#prefix === null ? frame : concat(this.#prefix, frame);
      this.#prefix = null;
      const timestampMs = (this.#samples * 1000) / header.sampleRate;
      this.#samples += header.samples;
      out.push({ data, timestampMs, durationMs: (header.samples * 1000) / header.sampleRate });
    }
    this.#buf = at >= buf.length ? EMPTY : buf.slice(at);
    return out;
  }

  /** The end of the input: a truncated last frame is dropped (the decoder could not use it). */
  end(): Mp3Unit[] {
    this.#buf = EMPTY;
    if (this.#first === null) throw new SpenceError(ErrorCodes.DEMUX, 'The MP3 stream holds no audio frame', { source: 'transcode' });
    return [];
  }
}

const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
