/**
 * Messages between a {@link TranscodePool} and its workers. Bytes cross the thread boundary packed
 * into one transferred ArrayBuffer per message (a structured clone of a view would copy its whole
 * underlying buffer, which may be a demuxer's slab or Node's Buffer pool).
 *
 * @module
 */

import type { TranscodeInput } from '../decode/types.js';
import type { EncoderBackendName, EncoderOptions } from '../encode/backends.js';
import type { FilterSettings } from '../filters/types.js';
import type { PipelineOptions } from '../pipeline.js';

/** Several byte arrays packed into one buffer. */
export interface Packed {
  buffer: ArrayBuffer;
  sizes: number[];
}

/** Packs `chunks` into one fresh ArrayBuffer (transferable). */
export function pack(chunks: readonly Uint8Array[]): Packed {
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const bytes = new Uint8Array(total);
  const sizes: number[] = [];
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
    sizes.push(c.byteLength);
  }
  return { buffer: bytes.buffer, sizes };
}

/** Views on the packed arrays (no copy). */
export function unpack(packed: Packed): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const size of packed.sizes) {
    out.push(new Uint8Array(packed.buffer, offset, size));
    offset += size;
  }
  return out;
}

/** Main thread → worker. */
export type ToWorker =
  | { t: 'open'; id: number; input: TranscodeInput; encoder: EncoderOptions; options: PipelineOptions }
  | { t: 'push'; id: number; packed: Packed }
  | { t: 'end'; id: number }
  | { t: 'want'; id: number; frames: number }
  | { t: 'filters'; id: number; filters: FilterSettings }
  | { t: 'volume'; id: number; volume: number; rampMs: number | undefined }
  | { t: 'close'; id: number };

/** Worker → main thread. */
export type FromWorker =
  | { t: 'opened'; id: number; backend: EncoderBackendName }
  | { t: 'error'; id: number; code: string; message: string }
  | {
      t: 'frames';
      id: number;
      packed: Packed;
      timestamps: number[];
      sourceTimestamps: number[];
      /** Input bytes decoded since the last message. */
      consumed: number;
      /** The stream produced its last frame. */
      done: boolean;
    }
  | { t: 'load'; busy: number; streams: number };
