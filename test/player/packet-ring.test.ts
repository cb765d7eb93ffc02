/**
 * PacketRing, against a plain array of packets as the reference model.
 *
 * Random sequences of pushes (views at random offsets of larger arrays, packet objects, and
 * packets demuxed from the ring's own read area, several per read, with shifts in between and the
 * ring growing part-way through), shifts (borrowed and pooled), `at(k)`, `clear()` and recycling
 * of the ring's storage. After every step: count, bufferedUs, headTimestampMs. Every packet that
 * leaves has exactly the bytes and times it went in with, in order; a borrowed packet's bytes hold
 * until the ring is next written; a pooled packet's bytes never change, whatever the ring (or the
 * next ring given its memory) does afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OpusPacket } from '../../src/demux/types.js';
import { PacketRing } from '../../src/player/packet-ring.js';

// ------------------------------------------------------------------------------------- helpers

/**
 * The one place that knows how `shift` is asked to borrow: the packet object it fills in (as the
 * player passes its push packet), or null for a packet with pooled bytes of its own.
 */
const scratch: OpusPacket = { data: new Uint8Array(0), timestampMs: 0, durationMs: 0 };
function shiftOut(ring: PacketRing, borrow: boolean): OpusPacket | undefined {
  return ring.shift(borrow ? scratch : null);
}

/** 1 MiB of xorshift32 bytes, made once: contents are copied out of it (a native copy), not made per byte. */
const NOISE = ((): Buffer => {
  const noise = Buffer.alloc(1 << 20);
  let x = 0x9e3779b9;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    noise[i] = x & 0xff;
  }
  return noise;
})();

/** Random contents, reproducible from the seed: the noise from an offset the seed picks. */
function fillRandom(target: Uint8Array, seed: number): void {
  let from = (Math.imul(seed | 0, 0x9e3779b1) >>> 0) % NOISE.length;
  for (let at = 0; at < target.length; from = 0) {
    at += NOISE.copy(target, at, from, from + Math.min(target.length - at, NOISE.length - from));
  }
}

let packetSeq = 0;
/**
 * `size` fresh random bytes; no two calls give the same bytes (the sequence number is mixed in, and
 * written at the start). A Buffer (from Node's pool: no zeroing), so comparisons need no wrapper.
 */
function randomBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  const seq = ++packetSeq;
  fillRandom(bytes, (seed ^ Math.imul(seq, 0x85ebca6b)) | 0);
  for (let k = 0; k < 4 && k < size; k++) bytes[k] = (seq >>> (8 * k)) & 0xff;
  return bytes;
}

/**
 * The memory a packet is given to the ring from: one buffer, reused (the ring copies what it is
 * given during the call, so the next packet's junk overwrites this one's: a ring that kept a view
 * of its input would show it).
 */
let input = new Uint8Array(64 * 1024);
function inputOf(length: number): Uint8Array {
  if (input.length < length) input = new Uint8Array(2 * length);
  return input.subarray(0, length);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length)).equals(a);
}

/** The pacing duration in µs as the ring's contract states it: 20 ms for a duration <= 0 or not finite. */
function expectedMicros(durationMs: number): number {
  return durationMs > 0 && Number.isFinite(durationMs) ? Math.round(durationMs * 1000) : 20_000;
}

/**
 * The reference model: a queue of packets (an array and a head index, so that taking the oldest is
 * O(1): with `Array#shift` the model, not the ring, took most of the suite's time).
 */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  /** The item `k` places after the oldest. */
  at(k: number): T | undefined {
    return this.#items[this.#head + k];
  }
}

/** A packet as it went in: its own copy of the bytes. */
interface Held {
  id: number;
  bytes: Uint8Array;
  timestampMs: number;
  durationMs: number;
}

/** A packet that left the ring, with what its bytes must stay. */
interface Out {
  id: number;
  data: Uint8Array;
  bytes: Uint8Array;
}

interface Coverage {
  packets: number;
  readPackets: number;
  /** A borrowed packet sat before the previous one in the same memory: the ring had wrapped. */
  wraps: number;
  /** A borrowed packet was in other memory than the previous one: the ring had grown. */
  grows: number;
  maxCount: number;
  recycles: number;
}

const coverage: Coverage = { packets: 0, readPackets: 0, wraps: 0, grows: 0, maxCount: 0, recycles: 0 };

/** What happens before each packet of a read after the first: the player plays on, or the demuxer emits a packet it held. */
type Between = 'none' | 'shift' | 'shift2' | 'extra';

/**
 * A ring driven step by step beside the reference model, checking everything after each step.
 * It calls `readBuffer()` only where an opener would (a read): the call may change the ring.
 */
class Harness {
  ring = new PacketRing();
  model = new Fifo<Held>();
  /** The model's total pacing duration, µs (integers: the sum is exact). */
  modelUs = 0;
  /** The model's total bytes. */
  modelBytes = 0;
  /** Pooled packets (shift(), at()) handed out: their bytes must never change. */
  pooled: Out[] = [];
  /** Borrowed packets since the ring was last written: their bytes must hold until then. */
  borrowed: Out[] = [];
  /** The memory of the last read area. */
  lastArea: ArrayBufferLike | null = null;
  /** Every memory the rings lent (read areas, borrowed packets): pooled bytes are never in one. */
  readonly ringMemory = new Set<ArrayBufferLike>();
  #nextId = 0;
  #lastBorrow: Uint8Array | null = null;

  /** A new packet of the model (fresh random bytes). */
  make(size: number, seed: number, timestampMs: number, durationMs: number): Held {
    return { id: this.#nextId++, bytes: randomBytes(size, seed), timestampMs, durationMs };
  }

  /** Before the ring is written: the borrowed packets are still intact, then forgotten. */
  beforeWrite(): void {
    this.checkBorrowed('before the next write');
    this.borrowed = [];
  }

  checkBorrowed(when: string): void {
    for (const out of this.borrowed) {
      if (!sameBytes(out.data, out.bytes)) expect.fail(`borrowed packet #${out.id} changed ${when}`);
    }
  }

  /** `packet(view, start, end)` with `view` a window at a random offset of a larger array. */
  packetFromView(held: Held, lead: number, trail: number, viewLead: number): void {
    this.beforeWrite();
    const size = held.bytes.length;
    const backing = inputOf(lead + viewLead + size + trail);
    // Junk around the packet.
    fillRandom(backing.subarray(0, lead + viewLead), size + lead);
    fillRandom(backing.subarray(lead + viewLead + size), size + trail);
    backing.set(held.bytes, lead + viewLead);
    const view = backing.subarray(lead, lead + viewLead + size + trail);
    this.ring.packet(view, viewLead, viewLead + size, held.timestampMs, held.durationMs);
    this.#added(held);
  }

  /** A packet object's bytes and times (its data a view at an offset of a larger array), as an opener's packets reach the ring. */
  pushObject(held: Held, lead: number): void {
    this.beforeWrite();
    const backing = inputOf(lead + held.bytes.length + 7);
    fillRandom(backing.subarray(0, lead), lead + 1);
    backing.fill(0xa5, lead + held.bytes.length);
    backing.set(held.bytes, lead);
    const packet: OpusPacket = { data: backing.subarray(lead, lead + held.bytes.length), timestampMs: held.timestampMs, durationMs: held.durationMs };
    this.ring.packet(packet.data, 0, packet.data.length, packet.timestampMs, packet.durationMs);
    this.#added(held);
  }

  /**
   * One read into the ring's read area, demuxed: as many packets of `source` (an array, or a
   * function making the next one) as fit are written into `readBuffer()` (from `at`, `gap` bytes
   * apart), then given to `packet()` as views of it, in order. Before each packet after the
   * first, `between` (taken in turn) says what happens: the
   * player shifts one or two packets (`borrow` or not), or the demuxer emits a packet it held
   * from an earlier read (`extras`, in turn; from its own memory), which can make the ring grow
   * part-way through the read.
   */
  read(source: Held[] | (() => Held), at: number, gap: number, wholeView: boolean, between: readonly Between[], borrow: boolean, extras: readonly Held[] = []): number {
    let taken = 0;
    const nextPacket = typeof source === 'function' ? source : (): Held | undefined => source[taken++];
    const packets: Held[] = [];
    this.checkBorrowed('before a read');
    const area = this.ring.readBuffer();
    this.lastArea = area.buffer;
    this.ringMemory.add(area.buffer);
    fillRandom(area, at + gap + 3); // stale bytes from an earlier read
    const spans: [number, number][] = [];
    let p = Math.min(at, Math.max(0, area.length - 1));
    for (let held = nextPacket(); held !== undefined; held = nextPacket()) {
      if (p + held.bytes.length > area.length) break;
      packets.push(held);
      area.set(held.bytes, p);
      spans.push([p, p + held.bytes.length]);
      p += held.bytes.length + gap;
    }
    // Borrowed packets live in the packet bytes, not in the read area: the read leaves them alone.
    this.checkBorrowed('after a read into the read area');
    this.borrowed = [];
    let extra = 0;
    for (let k = 0; k < spans.length; k++) {
      if (k > 0) {
        const step = between[(k - 1) % between.length] ?? 'none';
        const shifts = step === 'shift' ? 1 : step === 'shift2' ? 2 : 0;
        for (let s = 0; s < shifts; s++) this.shift(borrow);
        // The demuxer emits what it held: the extras, a few at a time.
        if (step === 'extra') for (let e = 0; e < 3 && extra < extras.length; e++) this.packetFromView(extras[extra++]!, 3, 3, 0);
      }
      const [start, end] = spans[k]!;
      this.fromArea(area, start, end, packets[k]!, wholeView);
    }
    return spans.length;
  }

  /** A packet whose bytes are `area[start, end)` (a read area), given as a view of it. */
  fromArea(area: Uint8Array, start: number, end: number, held: Held, wholeView: boolean): void {
    this.beforeWrite();
    if (wholeView) {
      // As a demuxer reading in place passes its input: the whole chunk, with the packet's range.
      this.ring.packet(area, start, end, held.timestampMs, held.durationMs);
    } else {
      // As the opener slices a chunk and the demuxer passes a sub-view of the slice.
      const sliceStart = Math.max(0, start - ((start * 7) % 97));
      const view = area.subarray(sliceStart, Math.min(area.length, end + 5));
      this.ring.packet(view, start - sliceStart, end - sliceStart, held.timestampMs, held.durationMs);
    }
    this.#added(held);
    coverage.readPackets++;
  }

  #added(held: Held): void {
    this.model.push(held);
    this.modelUs += expectedMicros(held.durationMs);
    this.modelBytes += held.bytes.length;
    coverage.packets++;
    this.check();
  }

  /** Shifts one packet and checks it; returns its data. */
  shift(borrow: boolean): Uint8Array | undefined {
    const packet = shiftOut(this.ring, borrow);
    const want = this.model.shift();
    if (want === undefined) {
      if (packet !== undefined) expect.fail('shift() gave a packet from an empty ring');
      this.check();
      return undefined;
    }
    this.modelUs -= expectedMicros(want.durationMs);
    this.modelBytes -= want.bytes.length;
    if (packet === undefined) expect.fail(`shift() gave nothing with packet #${want.id} held`);
    this.#expectPacket(packet, want, borrow ? 'shift(borrow)' : 'shift()');
    if (this.ring.lastMicros !== expectedMicros(want.durationMs)) expect(this.ring.lastMicros, 'lastMicros').toBe(expectedMicros(want.durationMs));
    const data = packet.data;
    const out = { id: want.id, data, bytes: want.bytes };
    if (borrow) {
      this.borrowed.push(out);
      this.ringMemory.add(data.buffer);
      const last = this.#lastBorrow;
      if (last !== null && last.buffer === data.buffer && data.byteOffset < last.byteOffset) coverage.wraps++;
      if (last !== null && last.buffer !== data.buffer) coverage.grows++;
      this.#lastBorrow = data;
    } else {
      this.pooled.push(out);
      // Bytes of its own: never a view of memory the ring lent.
      if (this.ringMemory.has(data.buffer)) expect.fail(`shift(): packet #${want.id} is a view of the ring's memory`);
    }
    this.check();
    return data;
  }

  at(k: number): void {
    const packet = this.ring.at(k);
    const want = this.model.at(k)!;
    this.#expectPacket(packet, want, 'at(k)');
    if (this.ringMemory.has(packet.data.buffer)) expect.fail(`at(${k}): packet #${want.id} is a view of the ring's memory`);
    this.pooled.push({ id: want.id, data: packet.data, bytes: want.bytes });
  }

  clear(): void {
    this.ring.clear();
    this.model = new Fifo<Held>();
    this.modelUs = 0;
    this.modelBytes = 0;
    this.check();
  }

  /** Releases the ring (its memory goes to the free list, or not) and continues with a new one. */
  recycle(reusable: boolean): void {
    this.checkBorrowed('before release');
    this.borrowed = [];
    this.#lastBorrow = null;
    this.ring.release(reusable);
    this.ring = new PacketRing();
    this.model = new Fifo<Held>();
    this.modelUs = 0;
    this.modelBytes = 0;
    coverage.recycles++;
    this.check();
  }

  #expectPacket(packet: OpusPacket, want: Held, what: string): void {
    if (!sameBytes(packet.data, want.bytes)) {
      expect.fail(`${what}: packet #${want.id} has the wrong bytes (${packet.data.length} bytes, want ${want.bytes.length}; first ${Buffer.from(packet.data.subarray(0, 8)).toString('hex')}, want ${Buffer.from(want.bytes.subarray(0, 8)).toString('hex')})`);
    }
    // Object.is: NaN is NaN, and -0 is not 0.
    if (!Object.is(packet.timestampMs, want.timestampMs)) expect.fail(`${what}: packet #${want.id} timestamp ${packet.timestampMs}, want ${want.timestampMs}`);
    if (!Object.is(packet.durationMs, want.durationMs)) expect.fail(`${what}: packet #${want.id} duration ${packet.durationMs}, want ${want.durationMs}`);
  }

  /** The ring's counters against the model (plain comparisons: this runs after every step). */
  check(): void {
    const ring = this.ring;
    if (ring.count !== this.model.length) expect(ring.count, 'count').toBe(this.model.length);
    if (ring.bufferedUs !== this.modelUs) expect(ring.bufferedUs, 'bufferedUs').toBe(this.modelUs);
    const head = this.model.at(0);
    if (head === undefined) {
      if (ring.headTimestampMs !== undefined) expect(ring.headTimestampMs, 'headTimestampMs of an empty ring').toBeUndefined();
    } else if (!Object.is(ring.headTimestampMs, head.timestampMs)) {
      expect.fail(`headTimestampMs ${ring.headTimestampMs}, want ${head.timestampMs} (packet #${head.id})`);
    }
    if (ring.count > coverage.maxCount) coverage.maxCount = ring.count;
  }

  /** Every pooled packet ever handed out still has its bytes. */
  checkPooled(when: string): void {
    for (const out of this.pooled) {
      if (!sameBytes(out.data, out.bytes)) expect.fail(`pooled packet #${out.id} changed ${when}`);
    }
  }

  /** Shifts everything out, checking it. */
  drain(borrow = false): void {
    while (this.model.length > 0) this.shift(borrow);
    this.shift(borrow);
  }
}

/**
 * The packet bytes' capacity of an empty ring: its read area starts right after them, in the same
 * memory. (A ring may start larger than 64 KiB: it may have a grown ring's recycled memory.)
 */
function capacityOf(ring: PacketRing): number {
  if (ring.count !== 0) throw new Error('capacityOf() reads an empty ring only');
  return ring.readBuffer().byteOffset;
}

// ---------------------------------------------------------------------------------- operations

const timestampArb = fc.oneof(
  fc.integer({ min: -1_000, max: 100_000_000 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -0, -6.5, 13.5, 1e15 + 0.5),
);
const durationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(20, 2.5, 5, 10, 40, 60, 120, 13.3333333) },
  { weight: 2, arbitrary: fc.constantFrom(0, -20, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.0004, 0.0005, 1e-9) },
  { weight: 1, arbitrary: fc.double({ min: -100, max: 5000, noNaN: true }) },
);
const sizeArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3000 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) });
const packetArb = fc.record({ size: sizeArb, seed: fc.integer(), timestampMs: timestampArb, durationMs: durationArb });

interface PacketSpec { size: number; seed: number; timestampMs: number; durationMs: number }
type Op =
  | { kind: 'packet'; p: PacketSpec; lead: number; trail: number; viewLead: number }
  | { kind: 'push'; p: PacketSpec; lead: number }
  | { kind: 'burst'; n: number; size: number; seed: number }
  | { kind: 'read'; packets: PacketSpec[]; at: number; gap: number; wholeView: boolean; between: Between[]; borrow: boolean; extras: PacketSpec[] }
  | { kind: 'shift'; borrow: boolean; n: number }
  | { kind: 'at'; k: number }
  | { kind: 'atAll' }
  | { kind: 'clear' }
  | { kind: 'recycle'; reusable: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('packet' as const), p: packetArb, lead: fc.integer({ min: 0, max: 4096 }), trail: fc.integer({ min: 0, max: 64 }), viewLead: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), p: packetArb, lead: fc.integer({ min: 0, max: 2048 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), n: fc.integer({ min: 1, max: 300 }), size: fc.integer({ min: 1, max: 200 }), seed: fc.integer() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      packets: fc.array(packetArb, { minLength: 1, maxLength: 24 }),
      at: fc.integer({ min: 0, max: 4000 }),
      gap: fc.integer({ min: 0, max: 40 }),
      wholeView: fc.boolean(),
      between: fc.array(fc.constantFrom<Between>('none', 'shift', 'shift2', 'extra', 'extra'), { minLength: 1, maxLength: 6 }),
      borrow: fc.boolean(),
      extras: fc.array(packetArb, { maxLength: 12 }),
    }),
  },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('shift' as const), borrow: fc.boolean(), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('at' as const), k: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('atAll' as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recycle' as const), reusable: fc.boolean() }) },
);

function run(h: Harness, op: Op): void {
  switch (op.kind) {
    case 'packet':
      h.packetFromView(h.make(op.p.size, op.p.seed, op.p.timestampMs, op.p.durationMs), op.lead, op.trail, op.viewLead);
      break;
    case 'push':
      h.pushObject(h.make(op.p.size, op.p.seed, op.p.timestampMs, op.p.durationMs), op.lead);
      break;
    case 'burst':
      for (let k = 0; k < op.n; k++) h.packetFromView(h.make(1 + ((op.size * (k + 1)) % 200), op.seed + k, k * 20, 20), k & 15, 0, k & 3);
      break;
    case 'read':
      h.read(
        op.packets.map((p) => h.make(p.size, p.seed, p.timestampMs, p.durationMs)),
        op.at, op.gap, op.wholeView, op.between, op.borrow,
        op.extras.map((p) => h.make(p.size, p.seed, p.timestampMs, p.durationMs)),
      );
      break;
    case 'shift':
      for (let k = 0; k < op.n; k++) h.shift(op.borrow);
      break;
    case 'at':
      if (h.model.length > 0) h.at(op.k % h.model.length);
      break;
    case 'atAll':
      for (let k = 0; k < h.model.length; k++) h.at(k);
      break;
    case 'clear':
      h.clear();
      break;
    case 'recycle':
      h.recycle(op.reusable);
      break;
  }
}

/** Thousands of packets through the ring, written and shifted, to overwrite whatever memory it reuses. */
function churn(h: Harness, packets: number, seed: number): void {
  for (let k = 0; k < packets; k++) {
    h.packetFromView(h.make(1 + ((seed + k * 977) % 3000), seed + k, k * 20, 20), k % 31, 3, k % 5);
    if (h.model.length > 60 || (k & 1) === 1) h.shift((k & 2) === 0);
  }
  h.drain(true);
}

// ---------------------------------------------------------------------------------------- tests

/**
 * Shrinking a failing sequence of hundreds of steps can take minutes: after 20 s the failure is
 * reported as shrunk so far (a run that found none by then passes with the runs it made).
 */
const SHRINK_BOUNDED_400 = { numRuns: 400, interruptAfterTimeLimit: 20_000 };

describe('PacketRing: property tests against a plain array', () => {
  it('every packet comes out with its bytes, timestamp and duration, in order; counters match; pooled bytes never change', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }), (ops) => {
        const h = new Harness();
        for (const op of ops) run(h, op);
        h.checkPooled('after the run');
        h.drain(false);
        h.checkPooled('after draining');
        // The ring's memory goes to the free list and the next ring writes all over it.
        h.recycle(true);
        churn(h, 100, ops.length);
        h.checkPooled('after the ring was released and its memory reused');
        // Dropped, not recycled: every run starts with a new ring of the initial size, so the
        // runs grow it (a recycled ring may already be large).
        h.ring.release(false);
      }),
      SHRINK_BOUNDED_400,
    );
  });

  it('as a player uses it: reads into its read area up to a bound, extras between packets, shifts as it plays', () => {
    let grewDuringRead = 0;
    fc.assert(
      fc.property(
        fc.record({
          /** The read-ahead bound, in bytes held (a bitrate times 3 s). */
          bound: fc.integer({ min: 8_000, max: 400_000 }),
          sizes: fc.record({ min: fc.integer({ min: 1, max: 1_500 }), spread: fc.integer({ min: 0, max: 1_500 }) }),
          between: fc.array(fc.constantFrom<Between>('none', 'shift', 'shift2', 'extra'), { minLength: 1, maxLength: 8 }),
          extraEvery: fc.integer({ min: 1, max: 6 }),
          borrow: fc.boolean(),
          cycles: fc.integer({ min: 20, max: 120 }),
          seed: fc.integer(),
        }),
        ({ bound, sizes, between, extraEvery, borrow, cycles, seed }) => {
          const h = new Harness();
          let ts = 0;
          let n = 0;
          const next = (): Held => {
            n++;
            const size = sizes.min + (Math.imul(n, 0x9e3779b1 ^ seed) >>> 0) % (sizes.spread + 1);
            ts += 20;
            return h.make(size, seed + n, ts, 20);
          };
          let held = 0;
          for (let cycle = 0; cycle < cycles; cycle++) {
            if (held < bound) {
              // A refill: a read (as many packets as the read area takes), extras between its packets.
              const extras = cycle % extraEvery === 0 ? Array.from({ length: 12 }, () => h.make(1_000 + ((n++ * 131) % 2_000), seed - n, (ts += 20), 20)) : [];
              h.read(next, cycle % 7, cycle % 3, cycle % 2 === 0, between, borrow, extras);
              // The player plays on: the next packet, in the memory the read went to, unless the ring grew during the read.
              const played = h.shift(true);
              if (played !== undefined && played.buffer !== h.lastArea) grewDuringRead++;
            } else {
              for (let k = 0; k < 25 && h.model.length > 0; k++) h.shift(borrow || k % 5 === 0);
            }
            held = h.modelBytes;
          }
          h.drain(false);
          h.checkPooled('after the session');
          h.ring.release(false);
        },
      ),
      { ...SHRINK_BOUNDED_400, numRuns: 150 },
    );
    // The ring grew in the middle of reads (the rest of each such read came from its old memory).
    expect(grewDuringRead, 'reads during which the ring grew (their later packets came from the old memory)').toBeGreaterThan(10);
  });

  it('a long session: 50,000 mixed steps on one ring and its successors, pooled bytes checked at the end', () => {
    const ops = fc.sample(opArb, { numRuns: 50_000, seed: 0x5eed });
    for (const key of Object.keys(coverage) as (keyof Coverage)[]) coverage[key] = 0;
    const h = new Harness();
    const pooled: Out[] = [];
    for (const op of ops) {
      run(h, op);
      if (op.kind === 'recycle') {
        pooled.push(...h.pooled);
        h.pooled = [];
      }
    }
    pooled.push(...h.pooled);
    h.pooled = pooled;
    h.checkPooled('after 50,000 steps');
    expect(pooled.length).toBeGreaterThan(10_000);
    h.recycle(true);
    churn(h, 5_000, 7);
    h.checkPooled('after 5,000 more packets through recycled memory');
    h.ring.release(true);
    // The session reached the paths this suite is for (the sample is seeded: the same every run).
    expect(coverage.readPackets).toBeGreaterThan(10_000);
    expect(coverage.wraps).toBeGreaterThan(0);
    expect(coverage.grows).toBeGreaterThan(0);
    expect(coverage.maxCount).toBeGreaterThan(256);
  });
});

describe('PacketRing: unit tests', () => {
  it('starts empty', () => {
    const ring = new PacketRing();
    expect(ring.count).toBe(0);
    expect(ring.bufferedUs).toBe(0);
    expect(ring.headTimestampMs).toBeUndefined();
    expect(shiftOut(ring, false)).toBeUndefined();
    expect(shiftOut(ring, true)).toBeUndefined();
    ring.release();
  });

  it('paces a duration <= 0, NaN or infinite as 20 ms, others as their rounded µs', () => {
    const ring = new PacketRing();
    const durations = [20, 2.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.0004, 13.3336, 120];
    const us = [20_000, 2_500, 20_000, 20_000, 20_000, 20_000, 0, 13_334, 120_000];
    for (const d of durations) ring.packet(Uint8Array.of(1, 2, 3), 0, 3, 0, d);
    expect(ring.bufferedUs).toBe(us.reduce((a, b) => a + b, 0));
    for (let k = 0; k < us.length; k++) {
      shiftOut(ring, false);
      expect(ring.lastMicros).toBe(us[k]);
    }
    expect(ring.bufferedUs).toBe(0);
    ring.release();
  });

  it('takes the packet range of a view at an offset of a larger array', () => {
    const ring = new PacketRing();
    const backing = new Uint8Array(1000);
    fillRandom(backing, 42);
    const view = backing.subarray(300, 700);
    ring.packet(view, 50, 150, 12.5, 20);
    const packet = shiftOut(ring, false)!;
    expect(sameBytes(packet.data, backing.subarray(350, 450))).toBe(true);
    expect(packet).toMatchObject({ timestampMs: 12.5, durationMs: 20 });
    ring.release();
  });

  it('wraps to the front when the end is full and the front is free, without growing', () => {
    const h = new Harness();
    const size = Math.floor(capacityOf(h.ring) / 6.4);
    for (let k = 0; k < 6; k++) h.packetFromView(h.make(size, k, k * 20, 20), 0, 0, 0);
    const memory = h.shift(true)!.buffer;
    h.shift(true);
    h.shift(true);
    // In use: [3 size, 6 size). The next packets do not fit at the end, and do before the oldest.
    const smaller = Math.floor(size * 0.9);
    for (let k = 0; k < 3; k++) h.packetFromView(h.make(smaller, 10 + k, 200 + k * 20, 20), 0, 0, 0);
    for (let k = 0; k < 6; k++) h.at(k);
    const views: Uint8Array[] = [];
    while (h.model.length > 0) views.push(h.shift(true)!);
    expect(views.every((v) => v.buffer === memory), 'all in the first memory: it did not grow').toBe(true);
    expect(views.map((v) => v.byteOffset)).toEqual([3 * size, 4 * size, 5 * size, 0, smaller, 2 * smaller]);
    h.checkPooled('after the wrap');
    h.ring.release();
  });

  /** Fills a ring so that the packet bytes in use are [x, capacity - 100): the oldest packet starts at x. */
  function fillTo(h: Harness, x: number): void {
    const capacity = capacityOf(h.ring);
    h.packetFromView(h.make(x, 1, 0, 20), 0, 0, 0);
    for (let left = capacity - 100 - x, k = 0; left > 0; k++) {
      const size = Math.min(left, 2_900);
      h.packetFromView(h.make(size, 2 + k, 20 + k * 20, 20), 0, 0, 0);
      left -= size;
    }
    h.shift(true);
  }

  for (const delta of [-2, -1, 0, 1, 2, 15]) {
    it(`wraps only strictly before the oldest packet (a packet ${delta >= 0 ? '+' : ''}${delta} bytes from the oldest's start)`, () => {
      const h = new Harness();
      fillTo(h, 1_000);
      // No room at the end (100 bytes); at the front, up to the oldest packet at 1,000.
      h.packetFromView(h.make(1_000 + delta, 50, 5_000, 20), 0, 0, 0);
      h.packetFromView(h.make(30, 51, 5_020, 20), 0, 0, 0);
      h.drain(false);
      h.checkPooled('after the wrap');
      h.ring.release();
    });

    it(`fits a wrapped packet only strictly before the oldest packet (${delta >= 0 ? '+' : ''}${delta} bytes from it)`, () => {
      const h = new Harness();
      fillTo(h, 3_000);
      h.packetFromView(h.make(1_000, 60, 5_000, 20), 0, 0, 0); // wraps: [0, 1,000)
      // Wrapped: free between 1,000 and the oldest packet at 3,000.
      h.packetFromView(h.make(2_000 + delta, 61, 5_020, 20), 0, 0, 0);
      h.packetFromView(h.make(30, 62, 5_040, 20), 0, 0, 0);
      h.drain(false);
      h.checkPooled('after the wrapped packets');
      h.ring.release();
    });
  }

  it('grows (by steps, compacting) when neither the end nor the front has room, keeping order', () => {
    const h = new Harness();
    const size = Math.floor(capacityOf(h.ring) / 6.4);
    for (let k = 0; k < 6; k++) h.packetFromView(h.make(size, k, k * 20, 20), 0, 0, 0);
    const memory = h.shift(true)!.buffer;
    for (let k = 0; k < 4; k++) h.packetFromView(h.make(size, 10 + k, 200 + k * 20, 20), 0, 0, 0);
    expect(h.shift(true)!.buffer !== memory, 'in new memory').toBe(true);
    h.drain(false);
    h.checkPooled('after growing');
    h.ring.release();
  });

  it('grows its slots past 256 packets with the head in the middle of the slot ring', () => {
    const h = new Harness();
    for (let k = 0; k < 200; k++) h.packetFromView(h.make(10, k, k, 20), 0, 0, 0);
    for (let k = 0; k < 150; k++) h.shift(k % 2 === 0);
    for (let k = 0; k < 600; k++) h.pushObject(h.make(10 + (k % 50), 1000 + k, 1000 + k, 20), k % 7);
    for (let k = 0; k < h.model.length; k += 37) h.at(k);
    h.drain(false);
    h.checkPooled('after growing the slots');
    h.ring.release();
  });

  it('takes packets demuxed from its read area', () => {
    const h = new Harness();
    const packets = [1, 300, 1200, 2999, 17, 800].map((size, k) => h.make(size, k, k * 20, 20));
    expect(h.read(packets, 5, 3, true, ['none'], false)).toBe(6);
    const again = packets.map((p, k) => h.make(p.bytes.length, 50 + k, 1000 + k, 20));
    expect(h.read(again, 0, 0, false, ['shift', 'none'], true)).toBe(6);
    h.drain(false);
    h.checkPooled('after reads');
    h.ring.release();
  });

  it('takes the rest of a read from its old memory when it grows part-way through the read', () => {
    const h = new Harness();
    const capacity = capacityOf(h.ring);
    const area = h.ring.readBuffer();
    h.ringMemory.add(area.buffer);
    const read = Array.from({ length: 8 }, (_, k) => h.make(1_000 + k, 100 + k, 800 + k * 20, 20));
    let at = 0;
    const spans = read.map((p) => {
      area.set(p.bytes, at);
      at += p.bytes.length + 1;
      return [at - p.bytes.length - 1, at - 1] as const;
    });
    // The read's first packet goes in (moved within the ring's memory); then the demuxer emits
    // packets it held from an earlier read (a page or block across reads), more than the ring has
    // room for: it grows, and the read's other packets come from the read area of the old memory.
    h.fromArea(area, spans[0]![0], spans[0]![1], read[0]!, true);
    for (let k = 0; k * 3_000 <= capacity; k++) h.packetFromView(h.make(3_000, 200 + k, k * 20, 20), 1, 1, 0);
    const moved = h.shift(true)!; // the read's first packet, moved to the new memory
    expect(moved.buffer !== area.buffer, 'the ring grew').toBe(true);
    for (let k = 1; k < read.length; k++) {
      if (k % 2 === 0) h.shift(true);
      h.fromArea(area, spans[k]![0], spans[k]![1], read[k]!, k % 3 !== 0);
    }
    // And a read into the new memory after it.
    expect(h.read(Array.from({ length: 10 }, (_, k) => h.make(700 + k, 300 + k, 5000 + k * 20, 20)), 7, 2, false, ['shift', 'none', 'shift2'], true)).toBe(10);
    h.drain(false);
    h.checkPooled('after reads across growth');
    h.ring.release();
  });

  it('lends the same read view from refill to refill (sizes in 4 KiB steps), a new one after it grows', () => {
    const ring = new PacketRing();
    const first = ring.readBuffer();
    expect(first.length % 4096).toBe(0);
    expect(first.length).toBeGreaterThanOrEqual(8192);
    expect(ring.readBuffer()).toBe(first); // nothing changed: the same object, not a new view
    for (let k = 0; k < 10; k++) ring.packet(new Uint8Array(1_000), 0, 1_000, k * 20, 20);
    const less = ring.readBuffer(); // 10 KB less room: a smaller read, still a multiple of 4 KiB
    expect(less.length % 4096).toBe(0);
    expect(less.length).toBeLessThanOrEqual(first.length);
    expect(less.buffer).toBe(first.buffer);
    expect(less.byteOffset).toBe(first.byteOffset);
    for (let k = 0; k < 10; k++) ring.shift(null);
    expect(ring.readBuffer()).toBe(first);
    // More than it holds (its memory may be a grown ring's, recycled): it grows.
    const capacity = capacityOf(ring);
    for (let k = 0; k * 1_000 <= capacity; k++) ring.packet(new Uint8Array(1_000), 0, 1_000, k * 20, 20);
    const grown = ring.readBuffer();
    expect(grown.buffer).not.toBe(first.buffer);
    expect(grown.length % 4096).toBe(0);
    ring.release();
  });

  it('lends a read area smaller by the bytes the opener holds already, so that what a fill brings fits', () => {
    const ring = new PacketRing();
    const capacity = capacityOf(ring);
    // Leave about 24 KiB free: a read of the whole area (16 KiB) fits; with 12 KiB pending it would not.
    let used = 0;
    for (; used + 1_000 <= capacity - 24 * 1024; used += 1_000) ring.packet(new Uint8Array(1_000), 0, 1_000, used, 20);
    const whole = ring.readBuffer();
    expect(whole.length + 12 * 1024).toBeGreaterThan(capacity - used);
    const less = ring.readBuffer(12 * 1024);
    expect(less.length).toBeLessThan(whole.length);
    expect(less.length + 12 * 1024).toBeLessThanOrEqual(capacity - used);
    expect(less.buffer).toBe(whole.buffer); // smaller, not grown
    ring.release();
  });

  it('lends a read area that is disjoint from the packets it holds', () => {
    const h = new Harness();
    for (let k = 0; k < 30; k++) h.packetFromView(h.make(2_000, k, k * 20, 20), 0, 0, 0);
    for (let k = 0; k < 10; k++) h.shift(true);
    const area = h.ring.readBuffer();
    area.fill(0xee);
    h.checkBorrowed('after the read area was overwritten');
    for (let k = 0; k < h.model.length; k++) h.at(k);
    h.drain(true);
    h.ring.release();
  });

  it('keeps a borrowed packet intact until the ring is next written', () => {
    const h = new Harness();
    for (let k = 0; k < 50; k++) h.packetFromView(h.make(1_000 + k, k, k * 20, 20), 0, 0, 0);
    for (let k = 0; k < 40; k++) h.shift(true);
    for (let k = 0; k < h.model.length; k++) h.at(k);
    h.checkBorrowed('after more shifts and at()');
    h.drain(true);
    h.ring.release();
  });

  it('at(k) copies without consuming', () => {
    const h = new Harness();
    for (let k = 0; k < 10; k++) h.pushObject(h.make(100 * (k + 1), k, k * 20, 20), k);
    for (let k = 9; k >= 0; k--) h.at(k);
    expect(h.ring.count).toBe(10);
    h.drain(false);
    h.checkPooled('after at()');
    h.ring.release();
  });

  it('clear() forgets every packet and the ring goes on from empty', () => {
    const h = new Harness();
    for (let k = 0; k < 45; k++) h.packetFromView(h.make(1_400, k, k * 20, 20), 0, 0, 0);
    for (let k = 0; k < 5; k++) h.shift(false);
    h.clear();
    for (let k = 0; k < 100; k++) {
      h.packetFromView(h.make(900 + k, 100 + k, k * 20, 20), 0, 0, 0);
      if (k % 3 === 0) h.shift(k % 2 === 0);
    }
    h.drain(false);
    h.checkPooled('after clear()');
    h.ring.release();
  });

  it('pooled packets keep their bytes after the ring is released and its memory reused by the next ring', () => {
    const h = new Harness();
    for (let k = 0; k < 40; k++) h.packetFromView(h.make(1_000 + k * 7, k, k * 20, 20), 0, 0, 0);
    for (let k = 0; k < 20; k++) h.shift(false);
    for (let k = 0; k < 20; k++) h.at(k);
    const memory = h.ring.readBuffer().buffer;
    h.recycle(true);
    expect(h.ring.readBuffer().buffer === memory, 'the next ring has the same memory').toBe(true);
    churn(h, 3_000, 99);
    h.checkPooled('after the next ring wrote over the memory');
    h.ring.release();
  });

  it('release() gives its memory to the next ring', () => {
    const first = new PacketRing();
    first.packet(Uint8Array.of(1, 2, 3), 0, 3, 0, 20);
    const memory = first.readBuffer().buffer;
    first.release();
    expect(first.count).toBe(0);
    expect(first.bufferedUs).toBe(0);
    const next = new PacketRing();
    expect(next.readBuffer().buffer === memory, 'the next ring has the same memory').toBe(true);
    expect(next.count).toBe(0);
    expect(next.bufferedUs).toBe(0);
    expect(next.headTimestampMs).toBeUndefined();
    expect(shiftOut(next, false)).toBeUndefined();
    next.release();
  });

  it('release(false) keeps its memory from the next ring: a late read into the old read area cannot reach it', () => {
    const first = new PacketRing();
    const lent = first.readBuffer(); // a read into this is still in flight
    first.release(false);
    const next = new PacketRing();
    const area = next.readBuffer();
    expect(area.buffer !== lent.buffer, 'the next ring has other memory').toBe(true);
    // The next ring's opener reads its bytes, then the old read lands, then the next ring demuxes.
    const bytes = randomBytes(1_000, 5);
    area.set(bytes, 100);
    lent.fill(0x55);
    next.packet(area, 100, 1_100, 0, 20);
    next.packet(area.subarray(100, 1_100), 0, 1_000, 20, 20);
    expect(sameBytes(shiftOut(next, false)!.data, bytes)).toBe(true);
    expect(sameBytes(shiftOut(next, true)!.data, bytes)).toBe(true);
    next.release();
    // And with release(true), the same memory is handed over: that is what release(false) is for.
    const third = new PacketRing();
    const lent3 = third.readBuffer();
    third.release(true);
    const fourth = new PacketRing();
    expect(fourth.readBuffer().buffer === lent3.buffer, 'the next ring has the same memory').toBe(true);
    fourth.release();
  });
});
