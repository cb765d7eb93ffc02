/**
 * The decoding side of voice receive, inside a transcoding pool worker (the pool's worker entry
 * starts it beside the transcoder's loop; each ignores the other's streams). One session per
 * listener: an Opus decoder per speaker (the project's, opus-decoder's libopus), concealment of
 * lost packets, and the mix.
 *
 * Concealment: libopus conceals a lost frame when given a packet with a TOC byte and no frame
 * data (RFC 6716 §3.2.1: a zero-length frame, DTX), for the duration its TOC says; so a lost 20 ms
 * frame is decoded as the speaker's last TOC byte with its configuration moved to the same mode's
 * 20 ms frame size and code 0. (An empty packet would conceal 120 ms: the decoder's whole buffer.)
 *
 * The mix is the sum of the speakers' 16-bit frames, clipped: exactly the sum of what the
 * per-speaker PCM holds.
 *
 * @module
 */

import type { MessagePort } from 'node:worker_threads';
import { isSpenceError } from '../../../errors.js';
import { createOpusDecoder } from '../../../transcode/decode/opus.js';
import type { PcmDecoder } from '../../../transcode/decode/types.js';
import { FRAME_SAMPLES, toInt16Interleaved } from '../../../transcode/pcm.js';
import { pack, unpack } from '../../../transcode/pool/protocol.js';
import {
  FRAME_AUDIO, FRAME_CONCEALED, FRAME_SILENCE, IN_ARRIVED, IN_COUNT, IN_INDEX, IN_KIND, IN_PACKET, IN_SPEAKER, IN_STRIDE,
  IN_WANT_PCM, MIX, OP_AUDIO, OP_LOST, type ReceiveFromWorker, type ReceiveToWorker,
} from './protocol.js';

/** A CELT fullband stereo 20 ms TOC (config 31, code 0): concealment before any packet. */
const DEFAULT_TOC = 0xfc;

/** The TOC byte that conceals one 20 ms frame in the mode of `toc` (RFC 6716 §3.1, Table 2). */
export function concealmentToc(toc: number): number {
  const config = toc >> 3;
  // SILK (0-11) and CELT (16-31) come in fours per bandwidth, Hybrid (12-15) in twos; the
  // 20 ms size is the second of four for SILK, the second of two for Hybrid, the fourth for CELT.
  const twenty = config < 12 ? (config & ~3) | 1 : config < 16 ? (config & ~1) | 1 : (config & ~3) | 3;
  return (twenty << 3) | (toc & 0x04);
}

interface Speaker {
  decoder: PcmDecoder;
  /** The last packet's TOC byte (the mode concealment continues). */
  toc: number;
  /** Decoded frames not mixed yet, in order (when mixing). */
  held: { index: number; pcm: Int16Array }[];
}

/** What one batch answers: PCM frames and their descriptions. */
class Reply {
  readonly ops: number[] = [];
  readonly chunks: Uint8Array[] = [];

  frame(speaker: number, index: number, count: number, kind: number, pcm: Int16Array | null, arrivedAt: number): void {
    let slot = -1;
    if (pcm !== null) {
      slot = this.chunks.length;
      this.chunks.push(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    }
    this.ops.push(speaker, index, count, kind, slot, arrivedAt);
  }
}

class Session {
  readonly #channels: 1 | 2;
  readonly #mix: boolean;
  readonly #speakers: (Speaker | undefined)[] = [];
  #mixed = 0;
  /** The mix's accumulator (one frame of 32-bit sums). */
  #sum: Int32Array | null = null;
  #closed = false;

  constructor(channels: 1 | 2, mix: boolean) {
    this.#channels = channels;
    this.#mix = mix;
  }

  async push(packets: Uint8Array[], ops: number[], mixUntil: number, reply: Reply): Promise<void> {
    for (let at = 0; at < ops.length; at += IN_STRIDE) {
      const speaker = await this.#speaker(ops[at + IN_SPEAKER]!);
      if (speaker === null) return;
      const index = ops[at + IN_INDEX]!;
      const count = ops[at + IN_COUNT]!;
      const want = ops[at + IN_WANT_PCM] === 1;
      const who = ops[at + IN_SPEAKER]!;
      const kind = ops[at + IN_KIND]!;
      if (kind === OP_AUDIO) {
        const packet = packets[ops[at + IN_PACKET]!]!;
        const pcm = this.#decode(speaker, packet, count);
        const frameKind = pcm === null ? FRAME_CONCEALED : FRAME_AUDIO;
        for (let f = 0; f < count; f++) {
          const frame = pcm === null ? this.#conceal(speaker) : pcm.subarray(f * FRAME_SAMPLES * this.#channels, (f + 1) * FRAME_SAMPLES * this.#channels);
          this.#keep(speaker, index + f, frame);
          if (want) reply.frame(who, index + f, 1, frameKind, frame, ops[at + IN_ARRIVED]!);
        }
      } else if (kind === OP_LOST) {
        for (let f = 0; f < count; f++) {
          const frame = this.#conceal(speaker);
          this.#keep(speaker, index + f, frame);
          if (want) reply.frame(who, index + f, 1, FRAME_CONCEALED, frame, 0);
        }
      } else if (want) {
        reply.frame(who, index, count, FRAME_SILENCE, null, 0);
      }
    }
    if (this.#mix) this.#mixUntil(mixUntil, reply);
  }

  free(): void {
    this.#closed = true;
    for (const speaker of this.#speakers) speaker?.decoder.free();
    this.#speakers.length = 0;
  }

  async #speaker(index: number): Promise<Speaker | null> {
    const existing = this.#speakers[index];
    if (existing !== undefined) return existing;
    const decoder = await createOpusDecoder({ codec: 'opus', channels: 2 });
    if (this.#closed) {
      decoder.free();
      return null;
    }
    const speaker: Speaker = { decoder, toc: DEFAULT_TOC, held: [] };
    this.#speakers[index] = speaker;
    return speaker;
  }

  /** `frames` 20 ms frames of 16-bit PCM from `packet`, or null when it does not decode. */
  #decode(speaker: Speaker, packet: Uint8Array, frames: number): Int16Array | null {
    const block = packet.length > 0 ? speaker.decoder.decode(packet) : null;
    if (block === null || block.length === 0) return null;
    speaker.toc = packet[0]!;
    return this.#toInt16(block.left, block.right, block.length, frames * FRAME_SAMPLES);
  }

  /** One 20 ms frame of concealment in the speaker's last mode. */
  #conceal(speaker: Speaker): Int16Array {
    const block = speaker.decoder.decode(Uint8Array.of(concealmentToc(speaker.toc)));
    return this.#toInt16(block.left, block.right, block.length, FRAME_SAMPLES);
  }

  /** Planar float to interleaved 16-bit (rounded, clipped), exactly `samples` per channel (padded with zeros). */
  #toInt16(left: Float32Array, right: Float32Array, length: number, samples: number): Int16Array {
    const out = new Int16Array(samples * this.#channels);
    const n = Math.min(length, samples);
    if (this.#channels === 2) {
      toInt16Interleaved(left, right, n, out);
      return out;
    }
    for (let i = 0; i < n; i++) {
      let v = (left[i]! + right[i]!) * 16383.5;
      v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      out[i] = Math.round(v);
    }
    return out;
  }

  #keep(speaker: Speaker, index: number, pcm: Int16Array): void {
    if (this.#mix && index >= this.#mixed) speaker.held.push({ index, pcm });
  }

  #mixUntil(target: number, reply: Reply): void {
    const size = FRAME_SAMPLES * this.#channels;
    const sum = (this.#sum ??= new Int32Array(size));
    while (this.#mixed < target) {
      let next = target;
      for (const speaker of this.#speakers) {
        if (speaker === undefined) continue;
        const held = speaker.held;
        while (held.length > 0 && held[0]!.index < this.#mixed) held.shift();
        if (held.length > 0 && held[0]!.index < next) next = held[0]!.index;
      }
      if (next > this.#mixed) {
        reply.frame(MIX, this.#mixed, next - this.#mixed, FRAME_SILENCE, null, 0);
        this.#mixed = next;
        continue;
      }
      sum.fill(0);
      for (const speaker of this.#speakers) {
        const head = speaker?.held[0];
        if (head === undefined || head.index !== this.#mixed) continue;
        const pcm = head.pcm;
        for (let i = 0; i < size; i++) sum[i]! += pcm[i]!;
        speaker!.held.shift();
      }
      const pcm = new Int16Array(size);
      for (let i = 0; i < size; i++) {
        const v = sum[i]!;
        pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      reply.frame(MIX, this.#mixed, 1, FRAME_AUDIO, pcm, 0);
      this.#mixed++;
    }
  }
}

/** Runs the receive sessions on `port` (a pool worker's parent port). */
export function runReceiveLoop(port: MessagePort): void {
  const sessions = new Map<number, { session: Session; chain: Promise<void> }>();
  const post = (message: ReceiveFromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  const enqueue = (id: number, work: (session: Session) => Promise<void>): void => {
    const entry = sessions.get(id);
    if (entry === undefined) return;
    entry.chain = entry.chain
      .then(() => work(entry.session))
      .catch((error: unknown) => {
        entry.session.free();
        sessions.delete(id);
        post({ t: 'error', id, code: isSpenceError(error) ? error.code : 'UPSTREAM', message: error instanceof Error ? error.message : String(error) });
      });
  };

  port.on('message', (message: ReceiveToWorker | { t: 'close'; id: number }) => {
    switch (message.t) {
      case 'rx-open':
        sessions.set(message.id, { session: new Session(message.channels, message.mix), chain: Promise.resolve() });
        return;
      case 'rx-push': {
        const { id, packed, ops, mixUntil } = message;
        enqueue(id, async (session) => {
          const reply = new Reply();
          await session.push(unpack(packed), ops, mixUntil, reply);
          if (reply.ops.length === 0) return;
          const out = pack(reply.chunks);
          post({ t: 'rx-frames', id, packed: out, ops: reply.ops }, [out.buffer]);
        });
        return;
      }
      case 'rx-end':
        enqueue(message.id, async () => post({ t: 'rx-ended', id: message.id }));
        return;
      case 'close': {
        const entry = sessions.get(message.id);
        if (entry === undefined) return;
        sessions.delete(message.id);
        void entry.chain.then(() => entry.session.free());
        return;
      }
      default:
        return;
    }
  });
}
