/**
 * The one pull path from an opener to a player, `fill(sink)`, and its two adapters: a
 * {@link PacketTrack} (a hand-written opener's packet iterator) pulled as a fill, and a fill read
 * as a packet iterator (for a caller that takes packets without a player: `Node.openTrack`).
 *
 * @module
 */

import type { OpusPacket } from '../demux/types.js';
import { SlabPacketSink } from '../demux/slab-sink.js';
import type { FillTarget, FillTrack, OpenedTrack } from './types.js';

/** `opened` as a {@link FillTrack}: itself when it has `fill`, else its packets one per call. */
export function toFillTrack(opened: OpenedTrack): FillTrack {
  if (typeof opened.fill === 'function') return opened;
  const { packets } = opened;
  const fill = async (sink: FillTarget): Promise<boolean> => {
    const result = await packets.next();
    if (result.done === true) return false;
    const packet = result.value;
    sink.packet(packet.data, 0, packet.data.length, packet.timestampMs, packet.durationMs);
    return true;
  };
  return {
    info: opened.info,
    ...(opened.codec !== undefined && { codec: opened.codec }),
    ...(opened.sourceInfo !== undefined && { sourceInfo: opened.sourceInfo }),
    get waitingSince() {
      return opened.waitingSince ?? null;
    },
    get byteLength() {
      return opened.byteLength ?? null;
    },
    fill,
    close: () => opened.close(),
  };
}

/**
 * The packets of `track` as an iterator: each `fill()` into a queue of packet objects (bytes in
 * slab memory, see `slab-sink.ts`), handed out one by one. A rejected `fill()` rejects `next()`
 * only after every packet it gave before the fault has been handed out. `return()` closes the track.
 */
export function packetIterator(track: FillTrack): AsyncIterator<OpusPacket> {
  const sink = new SlabPacketSink();
  let queue: OpusPacket[] = [];
  let index = 0;
  let ended = false;
  let failure: { error: unknown } | null = null;
  return {
    async next(): Promise<IteratorResult<OpusPacket>> {
      while (index >= queue.length) {
        if (failure !== null) throw failure.error;
        if (ended) return { done: true, value: undefined };
        queue = [];
        index = 0;
        sink.out = queue;
        try {
          if (!(await track.fill(sink))) ended = true;
        } catch (error) {
          failure = { error };
        }
      }
      const packet = queue[index]!;
      queue[index++] = undefined as never; // let the packet go once handed over
      return { done: false, value: packet };
    },
    async return(): Promise<IteratorResult<OpusPacket>> {
      ended = true;
      queue = [];
      index = 0;
      track.close();
      return { done: true, value: undefined };
    },
  };
}
