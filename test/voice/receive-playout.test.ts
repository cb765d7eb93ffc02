/**
 * A speaker's playout buffer, frame by frame: reordering within the depth, duplicates, losses, the
 * 16-bit sequence wrap, timestamp jumps after silence (following the clock, or not), late
 * packets, multi-frame packets and a new SSRC. Driven the way the listener drives it: packets
 * arrive in a frame, then the final playhead moves to `frame - depth`.
 */
import { describe, expect, it } from 'vitest';
import { PlayoutBuffer, type PlayoutOutput, type PlayoutPacket } from '../../src/voice/receive/playout.js';

const DEPTH = 5;

/** What the buffer decided for each frame: a packet's sequence number, or `s` (silence) / `l` (lost). */
class Timeline implements PlayoutOutput {
  readonly frames: (number | 's' | 'l')[] = [];
  packet(index: number, packet: PlayoutPacket): void {
    expect(index).toBe(this.frames.length);
    for (let i = 0; i < packet.frames; i++) this.frames.push(packet.sequence);
  }
  gap(index: number, count: number, kind: 'silence' | 'lost'): void {
    expect(index).toBe(this.frames.length);
    for (let i = 0; i < count; i++) this.frames.push(kind === 'silence' ? 's' : 'l');
  }
}

interface Arrival {
  /** The frame it arrives in. */
  at: number;
  sequence: number;
  timestamp: number;
  ssrc?: number;
  payload?: Uint8Array;
}

const TWENTY_MS = (sequence: number) => Uint8Array.of(0xfc, sequence & 0xff, sequence >> 8);

/** Delivers `arrivals` frame by frame up to `until`, moving the playhead as the listener does. */
function play(arrivals: Arrival[], until: number): { timeline: Timeline; buffer: PlayoutBuffer; decidedOnArrival: number[] } {
  const buffer = new PlayoutBuffer({ start: 0, depthFrames: DEPTH });
  const timeline = new Timeline();
  const decidedOnArrival: number[] = [];
  for (let frame = 0; frame < until; frame++) {
    // The listener's tick at the frame's start, then what arrives during the frame.
    buffer.advance(frame - DEPTH, timeline);
    buffer.release(frame, timeline);
    for (const a of arrivals.filter((x) => x.at === frame)) {
      if (!buffer.check(a.ssrc ?? 1, a.sequence)) continue;
      buffer.add(a.ssrc ?? 1, a.sequence, a.timestamp, a.payload ?? TWENTY_MS(a.sequence), frame * 20, frame, timeline);
      decidedOnArrival.push(buffer.decided);
    }
  }
  buffer.advance(until, timeline);
  return { timeline, buffer, decidedOnArrival };
}

/** A talkspurt: `count` packets from frame `start`, sequence from `seq`, timestamps from `ts`. */
function spurt(start: number, count: number, seq: number, ts: number): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({ at: start + i, sequence: (seq + i) % 65536, timestamp: (ts + 960 * i) % 2 ** 32 }));
}

describe('PlayoutBuffer', () => {
  it('places packets on the timeline by timestamp, silence before the first', () => {
    const { timeline, buffer } = play(spurt(3, 4, 100, 5000), 10);
    expect(timeline.frames).toEqual(['s', 's', 's', 100, 101, 102, 103, 's', 's', 's']);
    expect(buffer.stats).toEqual({ packets: 4, duplicates: 0, late: 0, lost: 0 });
  });

  it('decides a packet that arrives in order at once, once its stream is known', () => {
    const { decidedOnArrival } = play(spurt(0, 12, 100, 5000), 14);
    // The first packet waits for the depth (nothing says it is the first); after it, each packet
    // is decided as it arrives (frame at + 1).
    expect(decidedOnArrival.slice(DEPTH + 2)).toEqual([7, 8, 9, 10, 11].map((at) => at + 1));
  });

  it('puts packets reordered within the depth back in order', () => {
    const arrivals = spurt(0, 10, 10, 0);
    arrivals[3]!.at = 6; // 60 ms late
    arrivals[4]!.at = 5; // swapped with its successor
    arrivals[5]!.at = 4;
    const { timeline, buffer } = play(arrivals, 12);
    expect(timeline.frames).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 's', 's']);
    expect(buffer.stats).toEqual({ packets: 10, duplicates: 0, late: 0, lost: 0 });
  });

  it('fills a lost packet after the depth and counts it', () => {
    const arrivals = spurt(0, 10, 10, 0).filter((a) => a.sequence !== 14 && a.sequence !== 15);
    const { timeline, buffer } = play(arrivals, 12);
    expect(timeline.frames).toEqual([10, 11, 12, 13, 'l', 'l', 16, 17, 18, 19, 's', 's']);
    expect(buffer.stats.lost).toBe(2);
  });

  it('drops duplicates, waiting or already decided', () => {
    const arrivals = spurt(0, 8, 10, 0);
    arrivals.push({ ...arrivals[2]!, at: 2 }, { ...arrivals[6]!, at: 7 }, { ...arrivals[1]!, at: 5 });
    arrivals[6]!.at = 7; // waits behind a gap when its copy comes
    arrivals[5]!.at = 7;
    const { timeline, buffer } = play(arrivals, 10);
    expect(timeline.frames).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 's', 's']);
    expect(buffer.stats.duplicates).toBe(3);
    expect(buffer.stats.packets).toBe(8);
  });

  it('follows the sequence number through its wrap at 65536', () => {
    const arrivals = spurt(0, 8, 65533, 2 ** 32 - 1920);
    [arrivals[2], arrivals[3]] = [{ ...arrivals[3]!, at: 2 }, { ...arrivals[2]!, at: 3 }];
    const { timeline, buffer } = play(arrivals, 10);
    expect(timeline.frames).toEqual([65533, 65534, 65535, 0, 1, 2, 3, 4, 's', 's']);
    expect(buffer.stats).toEqual({ packets: 8, duplicates: 0, late: 0, lost: 0 });
  });

  it('places a talkspurt after silence by its timestamp when the timestamp followed the clock', () => {
    // Five silence frames end the first talkspurt; the sequence goes on, the timestamp jumps by the time passed.
    const first = spurt(0, 3, 10, 0);
    const silence = [3, 4, 5, 6, 7].map((i) => ({ at: i, sequence: 10 + i, timestamp: 960 * i, payload: Uint8Array.of(0xf8, 0xff, 0xfe) }));
    const second = spurt(30, 3, 18, 960 * 30);
    const { timeline, buffer } = play([...first, ...silence, ...second], 35);
    expect(timeline.frames.slice(0, 8)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    expect(timeline.frames.slice(8, 30)).toEqual(Array(22).fill('s'));
    expect(timeline.frames.slice(30)).toEqual([18, 19, 20, 's', 's']);
    expect(buffer.stats.lost).toBe(0);
  });

  it('places a talkspurt where it arrived when its timestamp jumped away from the clock', () => {
    const first = spurt(0, 3, 10, 0);
    const ahead = spurt(20, 3, 13, 1_000_000); // far ahead of the time passed
    const behind = spurt(40, 3, 16, 960 * 25); // a clock that stopped for 15 frames of silence
    const { timeline, buffer } = play([...first, ...ahead, ...behind], 45);
    expect(timeline.frames.slice(20, 23)).toEqual([13, 14, 15]);
    expect(timeline.frames.slice(40, 43)).toEqual([16, 17, 18]);
    expect(timeline.frames.filter((f) => typeof f === 'number')).toHaveLength(9);
    expect(buffer.stats).toEqual({ packets: 9, duplicates: 0, late: 0, lost: 0 });
  });

  it('places a talkspurt whose timestamp points into decided frames where it arrived, however little it is behind', () => {
    for (let behind = 1; behind <= DEPTH + 3; behind++) {
      const first = spurt(0, 3, 10, 0);
      // After silence, a timestamp `behind` frames short of the arrival, DEPTH + 1 after the last frame.
      const second = spurt(20, 3, 13, 960 * (20 - behind));
      const { timeline, buffer } = play([...first, ...second], 25);
      expect(timeline.frames.filter((f) => typeof f === 'number'), `${behind} behind`).toEqual([10, 11, 12, 13, 14, 15]);
      expect(buffer.stats, `${behind} behind`).toEqual({ packets: 6, duplicates: 0, late: 0, lost: 0 });
    }
  });

  it('drops a packet later than the depth, and counts it late', () => {
    const arrivals = spurt(0, 10, 10, 0);
    arrivals[4]!.at = 4 + DEPTH + 3;
    const { timeline, buffer } = play(arrivals, 14);
    expect(timeline.frames.slice(0, 10)).toEqual([10, 11, 12, 13, 'l', 15, 16, 17, 18, 19]);
    expect(buffer.stats).toMatchObject({ late: 1, lost: 1, packets: 9 });
  });

  it('gives a 60 ms packet three frames', () => {
    const sixty = (s: number) => Uint8Array.of(11 << 3, s); // SILK wideband 60 ms, code 0
    const arrivals = [0, 1, 2].map((i) => ({ at: 3 * i, sequence: i, timestamp: 2880 * i, payload: sixty(i) }));
    const { timeline } = play(arrivals, 10);
    expect(timeline.frames).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 's']);
  });

  it('starts a new stream, anchored where it arrives, when the speaker comes back with a new SSRC', () => {
    const first = spurt(0, 3, 500, 123);
    const second = spurt(10, 3, 7, 999_999).map((a) => ({ ...a, ssrc: 2 }));
    const { timeline, buffer } = play([...first, ...second], 15);
    expect(timeline.frames).toEqual([500, 501, 502, 's', 's', 's', 's', 's', 's', 's', 7, 8, 9, 's', 's']);
    expect(buffer.stats.lost).toBe(0);
  });
});
