/**
 * Messages between a voice listener and its decoding session on a transcoding pool worker. The
 * listener sends its speakers' timeline decisions in batches (one message per event-loop turn at
 * most), packets packed into one transferred buffer; the worker answers each batch with the
 * decoded frames and the mix, PCM packed the same way.
 *
 * @module
 */

import type { Packed } from '../../../transcode/pool/protocol.js';

/** Listener → worker. */
export type ReceiveToWorker =
  | { t: 'rx-open'; id: number; channels: 1 | 2; mix: boolean }
  | {
      t: 'rx-push';
      id: number;
      /** The batch's Opus packets. */
      packed: Packed;
      /** Decisions, {@link IN_STRIDE} numbers each (see the `IN_*` offsets). */
      ops: number[];
      /** Mix every frame before this one (every speaker's frames before it are in this batch or earlier). */
      mixUntil: number;
    }
  | { t: 'rx-end'; id: number };

/** Worker → listener. */
export type ReceiveFromWorker =
  | {
      t: 'rx-frames';
      id: number;
      /** The batch's PCM frames (16-bit interleaved). */
      packed: Packed;
      /** Frames, {@link OUT_STRIDE} numbers each (see the `OUT_*` offsets). */
      ops: number[];
    }
  | { t: 'rx-ended'; id: number }
  | { t: 'error'; id: number; code: string; message: string };

/** Decision kinds (listener → worker). */
export const OP_AUDIO = 0;
export const OP_LOST = 1;
export const OP_SILENCE = 2;

/** A decision: kind, speaker, first frame, frame count, packet (index in the batch, -1: none), wants PCM back (1/0), arrival time. */
export const IN_STRIDE = 7;
export const IN_KIND = 0;
export const IN_SPEAKER = 1;
export const IN_INDEX = 2;
export const IN_COUNT = 3;
export const IN_PACKET = 4;
export const IN_WANT_PCM = 5;
export const IN_ARRIVED = 6;

/** Frame kinds (worker → listener). */
export const FRAME_AUDIO = 0;
export const FRAME_CONCEALED = 1;
export const FRAME_SILENCE = 2;

/** A frame: speaker (-1: the mix), index, count, kind, PCM (index in the batch, -1: zeros), arrival time. */
export const OUT_STRIDE = 6;
export const OUT_SPEAKER = 0;
export const OUT_INDEX = 1;
export const OUT_COUNT = 2;
export const OUT_KIND = 3;
export const OUT_PCM = 4;
export const OUT_ARRIVED = 5;
/** OUT_SPEAKER of a mix frame. */
export const MIX = -1;
