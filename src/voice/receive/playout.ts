/**
 * One speaker's playout buffer: puts RTP packets back in sequence order (wrapping at 65536),
 * drops duplicates, places each packet on the session timeline by its RTP timestamp, and decides
 * every 20 ms frame of that timeline in order: a packet, `silence` (nothing was sent: the speaker
 * was quiet, had not joined, or had left) or `lost` (a sequence number never arrived in time).
 *
 * Placement: a stream (one SSRC) is anchored by its first packet's arrival frame; later packets
 * sit at anchor + (timestamp - anchor timestamp) / 960. Discord's clients keep the sequence
 * running across silence and move the timestamp on by the time that passed, so a talkspurt lands
 * where it was spoken; a timestamp that disagrees with the arrival time by more than the playout
 * depth (a client that stopped its clock, or jumped it) re-anchors the stream at the packet's
 * arrival when nothing is waiting.
 *
 * Deciding: a frame is decided early when the packets before it are all here (the next expected
 * sequence number is at the head, and its time has come), else when the listener's final playhead
 * passes it (arrival plus the playout depth): missing sequence numbers just before the next packet
 * become `lost` frames, and any frames before those `silence`. A packet arriving for a decided
 * frame is `late` and dropped.
 *
 * @module
 */

import { opusPacketSamples } from '../../demux/opus.js';
import { FRAME_SAMPLES } from '../../transcode/pcm.js';

/** A packet waiting in a playout buffer. */
export interface PlayoutPacket {
  readonly ssrc: number;
  readonly sequence: number;
  readonly timestamp: number;
  /** The Opus packet (transport- and end-to-end-decrypted). */
  readonly payload: Uint8Array;
  /** Clock time it arrived, ms. */
  readonly arrivedAt: number;
  /** 20 ms frames it covers (1 for a 20 ms packet, 3 for 60 ms). */
  readonly frames: number;
  /** The sequence number extended past its 16 bits (monotonic within a stream). */
  ext: number;
  /** The timeline frame its timestamp places it at. */
  slot: number;
}

/** Where a playout buffer's decisions go, in timeline order. */
export interface PlayoutOutput {
  /** `packet` covers frames [index, index + packet.frames). */
  packet(index: number, packet: PlayoutPacket): void;
  /** Frames [index, index + count) have no packet: `silence` (none was sent) or `lost` (missing). */
  gap(index: number, count: number, kind: 'silence' | 'lost'): void;
}

/** What happened to a speaker's packets. */
export interface PlayoutStats {
  /** Packets placed on the timeline. */
  packets: number;
  /** Copies of a packet already received, dropped. */
  duplicates: number;
  /** Packets that arrived after their frame was decided, dropped. */
  late: number;
  /** Sequence numbers that never arrived in time. */
  lost: number;
}

/** Options for {@link PlayoutBuffer}. */
export interface PlayoutOptions {
  /** The first undecided frame (frames before it belong to the timeline already). */
  start: number;
  /** The playout depth in frames: how long a gap waits for a reordered packet. */
  depthFrames: number;
}

/** How many released sequence numbers are remembered to tell a duplicate from a late packet. */
const RECENT = 256;

/** The number of 20 ms frames an Opus packet covers (at least one). */
export function packetFrames(payload: Uint8Array): number {
  return Math.max(1, Math.round(opusPacketSamples(payload) / FRAME_SAMPLES));
}

/** The signed difference a - b of two 32-bit RTP timestamps (RFC 3550 §5.1: they wrap). */
function timestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** A speaker's playout buffer (see the module comment). */
export class PlayoutBuffer {
  /** Every frame before this one is decided. */
  decided: number;
  readonly stats: PlayoutStats = { packets: 0, duplicates: 0, late: 0, lost: 0 };
  readonly #depth: number;
  readonly #capacity: number;
  /** Waiting packets, sorted by extended sequence number. */
  readonly #queue: PlayoutPacket[] = [];
  readonly #recent = new Float64Array(RECENT).fill(-1);
  #ssrc = -1;
  /** The highest extended sequence number seen in this stream; -1 before the first. */
  #highest = -1;
  /** The extended sequence number expected next; -1 until the first release. */
  #next = -1;
  #anchored = false;
  #anchorTimestamp = 0;
  #anchorSlot = 0;

  constructor(options: PlayoutOptions) {
    this.decided = options.start;
    this.#depth = Math.max(0, Math.floor(options.depthFrames));
    // Room for a full depth of reordering, and for packets a fast sender clock puts ahead.
    this.#capacity = 4 * this.#depth + 16;
  }

  /** Packets waiting. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Looks at a packet before it is decrypted end to end (a duplicate must not reach the DAVE
   * decryptor, which refuses a nonce twice): `false` when it is a duplicate or late, counted.
   */
  check(ssrc: number, sequence: number): boolean {
    if (ssrc !== this.#ssrc || this.#highest < 0) return true;
    const ext = this.#extend(sequence);
    if (this.#next >= 0 && ext < this.#next) {
      if (this.#recent[ext % RECENT] === ext) this.stats.duplicates++;
      else this.stats.late++;
      return false;
    }
    if (this.#find(ext) >= 0) {
      this.stats.duplicates++;
      return false;
    }
    return true;
  }

  /**
   * Adds a packet that passed {@link check}, arrived in timeline frame `nowFrame`, and decides
   * what can be decided early.
   */
  add(ssrc: number, sequence: number, timestamp: number, payload: Uint8Array, arrivedAt: number, nowFrame: number, out: PlayoutOutput): void {
    if (ssrc !== this.#ssrc) this.#newStream(ssrc, out);
    const ext = this.#extend(sequence);
    const inOrder = this.#next < 0 || ext >= this.#next;
    let slot = this.#slotOf(timestamp);
    if (!this.#anchored) {
      this.#anchor(timestamp, Math.max(nowFrame, this.decided));
      slot = this.#slotOf(timestamp);
    } else if (inOrder && this.#queue.length === 0 && (slot - nowFrame > this.#depth || nowFrame - slot > this.#depth + 1 || slot < this.decided)) {
      // The timestamp disagrees with the clock by more than the depth (or points into frames
      // already decided): a new talkspurt from a sender whose timestamps did not follow the time
      // that passed, or one whose first packet came late. Place it where it arrived.
      this.#anchor(timestamp, Math.max(nowFrame, this.decided));
      slot = this.#slotOf(timestamp);
    }
    if (ext > this.#highest) this.#highest = ext;
    if (slot < this.decided) {
      // In order, but its frame passed: late. The sequence numbers before it are lost.
      this.stats.late++;
      if (this.#next >= 0 && ext > this.#next) this.stats.lost += ext - this.#next;
      if (this.#next >= 0 || this.#queue.length === 0) this.#next = Math.max(this.#next, ext + 1);
      return;
    }
    const packet: PlayoutPacket = { ssrc, sequence, timestamp, payload, arrivedAt, frames: packetFrames(payload), ext, slot };
    this.#insert(packet);
    this.stats.packets++;
    if (this.#queue.length > this.#capacity) {
      const head = this.#queue[0]!;
      this.advance(Math.max(head.slot, this.decided) + 1, out);
    }
    this.release(nowFrame, out);
  }

  /** Decides the packets that are next in sequence and due by `nowFrame` (the early path). */
  release(nowFrame: number, out: PlayoutOutput): void {
    const queue = this.#queue;
    while (queue.length > 0 && this.#next >= 0) {
      const head = queue[0]!;
      if (head.ext !== this.#next || Math.max(head.slot, this.decided) + head.frames > nowFrame + 1) return;
      this.advance(Math.max(head.slot, this.decided) + 1, out);
    }
  }

  /** Decides every frame before `target` (the final playhead's path; see the module comment). */
  advance(target: number, out: PlayoutOutput): void {
    const queue = this.#queue;
    while (this.decided < target) {
      const head = queue[0];
      if (head === undefined) {
        out.gap(this.decided, target - this.decided, 'silence');
        this.decided = target;
        return;
      }
      const at = Math.max(head.slot, this.decided);
      const missing = this.#next < 0 ? 0 : head.ext - this.#next;
      const lostFrom = Math.max(this.decided, at - missing);
      const end = Math.min(at, target);
      if (lostFrom > this.decided) {
        const until = Math.min(lostFrom, end);
        if (until > this.decided) out.gap(this.decided, until - this.decided, 'silence');
        this.decided = Math.max(this.decided, until);
      }
      if (end > this.decided) {
        // The missing sequence numbers right before the head stand for these frames.
        const count = end - this.decided;
        out.gap(this.decided, count, 'lost');
        this.stats.lost += count;
        this.#next += count;
        this.decided = end;
      }
      if (at >= target) return;
      if (this.#next >= 0 && head.ext > this.#next) this.stats.lost += head.ext - this.#next;
      queue.shift();
      this.#next = head.ext + 1;
      this.#recent[head.ext % RECENT] = head.ext;
      out.packet(at, head);
      this.decided = at + head.frames;
    }
  }

  /**
   * Forgets the stream: the next packet starts a new one, anchored where it arrives. What waits is
   * decided first with `out`, or dropped without (a pause or the end: its frames are past).
   */
  restart(out: PlayoutOutput | null): void {
    const last = this.#queue.at(-1);
    if (last !== undefined && out !== null) this.advance(Math.max(last.slot, this.decided) + last.frames, out);
    this.#queue.length = 0;
    this.#ssrc = -1;
    this.#highest = -1;
    this.#next = -1;
    this.#anchored = false;
  }

  #newStream(ssrc: number, out: PlayoutOutput): void {
    // A user's new SSRC (they reconnected): what the old stream left is decided first.
    if (this.#ssrc !== -1) this.restart(out);
    this.#ssrc = ssrc;
  }

  #extend(sequence: number): number {
    if (this.#highest < 0) return sequence + 65536;
    // The 16-bit difference to the highest seen, as a signed number (RFC 3550 §A.1's idea).
    const delta = (((sequence - (this.#highest & 0xffff)) & 0xffff) << 16) >> 16;
    return this.#highest + delta;
  }

  #slotOf(timestamp: number): number {
    return this.#anchorSlot + Math.round(timestampDelta(timestamp, this.#anchorTimestamp) / FRAME_SAMPLES);
  }

  #anchor(timestamp: number, slot: number): void {
    this.#anchored = true;
    this.#anchorTimestamp = timestamp;
    this.#anchorSlot = slot;
  }

  #find(ext: number): number {
    const queue = this.#queue;
    for (let i = queue.length - 1; i >= 0; i--) {
      const e = queue[i]!.ext;
      if (e === ext) return i;
      if (e < ext) return -1;
    }
    return -1;
  }

  #insert(packet: PlayoutPacket): void {
    const queue = this.#queue;
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.ext > packet.ext) i--;
    queue.splice(i, 0, packet);
  }
}
