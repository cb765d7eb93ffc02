/**
 * The memory of players' read-aheads (see `packet-ring.ts`): a `SharedArrayBuffer` where the
 * platform has one, so that thousands of players starting at once do not set off V8's full
 * collections while the first of them already play.
 *
 * Why shared: V8 counts the bytes of every `ArrayBuffer` it allocates towards a full collection
 * (a mark-compact begins for about every 64 MB allocated since the last one), but not those of a
 * `SharedArrayBuffer` (a backing store that may be shared by several isolates is accounted to
 * none: V8's `BackingStore::PerIsolateAccountingLength()` is 0 for it). 5000 players loaded at
 * once take ~680 MB of read-ahead (~137 KB each) in the ~2.5 s their starts take: as
 * ArrayBuffers, 10-14 mark-compacts with 10-20 ms pauses, and every frame due in a pause late by
 * up to its length; as SharedArrayBuffers, none (docs/benchmarks.md, the scheduler's `burst` rows).
 * The memory is the same, and so is every use of it: the bytes never leave this thread through it
 * (a packet that leaves a player is copied, or is a view that is valid during a listener's call).
 *
 * The price of uncounted memory: a `SharedArrayBuffer` no ring uses any more is freed by the next
 * full collection, whenever the heap starts one, not because it was dropped. A ring's memory is
 * dropped rarely (a ring keeps its buffer for its track, and a closed ring's goes to a free list
 * for the next track), but a node destroying thousands of players at once drops all of theirs.
 * So this module counts the shared bytes dropped and not yet freed (a `FinalizationRegistry` tells
 * it when they are): while more than {@link UNCOLLECTED_LIMIT} of them wait, new memory is an
 * `ArrayBuffer`, which V8 does count, and whose allocation leads it to the collection that frees
 * both. Uncollected read-ahead memory stays within that limit beyond what players hold.
 *
 * @module
 */

/** Dropped shared memory that may wait for a collection before new memory is made counted: V8's own step (64 MB). */
const UNCOLLECTED_LIMIT = 64 * 1024 * 1024;

const Shared: SharedArrayBufferConstructor | undefined = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : undefined;

/** Shared bytes dropped (see {@link dropRingMemory}) and not yet freed. */
let uncollected = 0;
let registry: FinalizationRegistry<number> | null = null;

/** Counters of the read-ahead memory, for tests and monitoring. @internal */
export function ringMemoryStats(): { uncollectedBytes: number; freeCarryBytes: number } {
  return { uncollectedBytes: uncollected, freeCarryBytes };
}

/**
 * New memory for a ring: shared while the platform has it and little dropped shared memory waits
 * for a collection, else an `ArrayBuffer` (see the module comment). Zero-filled either way.
 * @internal
 */
export function newRingMemory(bytes: number): ArrayBufferLike {
  return Shared !== undefined && uncollected < UNCOLLECTED_LIMIT ? new Shared(bytes) : new ArrayBuffer(bytes);
}

/**
 * A ring no longer uses `buffer` and nothing will take it again: counted as waiting for a
 * collection until the heap frees it. Nothing to count for an `ArrayBuffer` (V8 counts it).
 * @internal
 */
export function dropRingMemory(buffer: ArrayBufferLike): void {
  if (Shared === undefined || !(buffer instanceof Shared) || buffer.byteLength === 0) return;
  const bytes = buffer.byteLength;
  uncollected += bytes;
  (registry ??= new FinalizationRegistry<number>(collected)).register(buffer, bytes);
}

function collected(bytes: number): void {
  uncollected -= bytes;
}

/** Carry buffers are whole multiples of this (their size classes). */
const CARRY_STEP = 4096;
/** The most memory free carry buffers keep: beyond it, a dropped one waits for a collection. */
const MAX_FREE_CARRY_BYTES = 16 * 1024 * 1024;
/** Free carry buffers by size class: `freeCarries[k]` holds buffers of `k * CARRY_STEP` bytes. */
const freeCarries: ArrayBufferLike[][] = [];
let freeCarryBytes = 0;

/**
 * Memory for demuxers' carries (a page or block cut by a read, kept for the track: see the Ogg
 * page reader's `CarryMemory`): ring memory in whole multiples of 4 KiB, and outgrown or released
 * buffers kept (up to 16 MiB of them) for the next carry of their size. A carry may grow in its
 * first reads; each buffer dropped would wait for a full collection as dropped shared memory (5000
 * opusenc players' outgrown carries were ~60 MB of it, 10 KB of RSS per player). Kept, the next
 * player's carry of that size takes it: in a burst of starts, players of the same media need the
 * same sizes. A reused buffer is not zeroed: a carry reads only the bytes it wrote.
 * @internal
 */
export const sharedCarryMemory = {
  allocate(bytes: number): ArrayBufferLike {
    const k = Math.max(1, Math.ceil(bytes / CARRY_STEP));
    const buffer = freeCarries[k]?.pop();
    if (buffer === undefined) return newRingMemory(k * CARRY_STEP);
    freeCarryBytes -= buffer.byteLength;
    return buffer;
  },
  drop(buffer: ArrayBufferLike): void {
    const k = buffer.byteLength / CARRY_STEP;
    if (Number.isInteger(k) && k > 0 && freeCarryBytes + buffer.byteLength <= MAX_FREE_CARRY_BYTES) {
      (freeCarries[k] ??= []).push(buffer);
      freeCarryBytes += buffer.byteLength;
    } else {
      dropRingMemory(buffer);
    }
  },
};
