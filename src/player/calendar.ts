/**
 * The scheduler's queue of deadline tasks: a calendar queue (R. Brown, CACM 1988) of 1 ms buckets.
 *
 * Why not a binary heap: with thousands of players the heap's log n sift per frame touches log n
 * task objects scattered in memory (one cache miss each), and that was a third of the scheduler's
 * cost at 5000 players. Here a task's deadline picks its bucket (`floor(deadline)` ms, modulo
 * {@link BUCKETS}); players due in the same millisecond sit together in one array and go out in
 * one pass. Insert, remove (a tombstone) and run are O(1). A bucket is run in deadline order:
 * players re-arm in the order they ran, so appends arrive sorted, and a bucket is sorted
 * (insertion sort: stable, linear on nearly sorted input) only when one arrives out of order. Deadlines {@link BUCKETS} ms or more ahead of the
 * cursor wait in a small unsorted overflow list (none in normal playback: packets are at most
 * 120 ms), and move into buckets as the cursor comes near.
 *
 * @module
 */

/** An entry the {@link FrameScheduler} can hold. @internal */
export interface DeadlineTask {
  /** The absolute clock time (ms) the task is next due. */
  deadline: number;
  /**
   * Where the task is queued, or -1 when it is not. Owned by the scheduler's queue (the name is
   * historical: it was a heap position).
   */
  heapIndex: number;
  /**
   * Called by the scheduler at (or after) `deadline`, with the scheduler's current time (also
   * `FrameScheduler.tickTime`; a task that reads it there need not declare the parameter).
   */
  run(now: number): void;
}

/** Buckets of 1 ms in the ring: the span of deadlines held in buckets rather than the overflow. */
const BUCKETS = 1024;
const MASK = BUCKETS - 1;
/**
 * `heapIndex` of a queued task: `index * STRIDE + slot`, where `slot` is its bucket, or `BUCKETS`
 * for the overflow list; so it is >= 0 exactly when the task is queued.
 */
const STRIDE = BUCKETS + 1;

/** @internal */
export class CalendarQueue {
  /** Per bucket: its tasks (null where one was removed), in deadline order unless `#dirty`. */
  readonly #buckets: (DeadlineTask | null)[][] = Array.from({ length: BUCKETS }, () => []);
  /**
   * Per bucket: how many of its array's entries are in use. The arrays keep their length (and
   * their backing store) from one millisecond to the next: emptying one by `length = 0` would
   * free it and make the next millisecond's tasks grow it again, garbage every millisecond.
   */
  readonly #len = new Int32Array(BUCKETS);
  /** Per bucket: the largest deadline appended since it was last sorted or emptied. */
  readonly #tail = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  /** Per bucket: 1 when a task was appended out of deadline order. */
  readonly #dirty = new Uint8Array(BUCKETS);
  /** Every bucketed task's key (floor of its deadline, in ms) is >= this, and < this + BUCKETS. */
  #cursor = 0;
  /** Tasks in buckets. */
  #bucketed = 0;
  /** Tasks due BUCKETS ms or more past the cursor when queued. */
  readonly #far: DeadlineTask[] = [];
  /** Inside {@link runDue}: the cursor is the bucket being run and must not move back. */
  #running = false;

  get size(): number {
    return this.#bucketed + this.#far.length;
  }

  /**
   * Queues `task` at `task.deadline` (it must not be queued). `now` is the clock's time: the
   * cursor never passes it, so a deadline before the cursor is due already and goes in the
   * cursor's bucket, which the next run reaches at once. Inside {@link runDue} `now` is not
   * needed (the cursor is the running bucket) and may be omitted.
   */
  push(task: DeadlineTask, now = Number.NaN): void {
    let key = Math.floor(task.deadline);
    if (!Number.isFinite(key)) {
      this.#pushFar(task);
      return;
    }
    if (this.size === 0 && !this.#running) this.#cursor = Math.min(key, Math.floor(now));
    else if (key < this.#cursor) key = this.#cursor;
    if (key - this.#cursor >= BUCKETS) {
      this.#pushFar(task);
      return;
    }
    const slot = key & MASK;
    const bucket = this.#buckets[slot] as (DeadlineTask | null)[];
    const n = this.#len[slot] as number;
    task.heapIndex = n * STRIDE + slot;
    bucket[n] = task;
    this.#len[slot] = n + 1;
    this.#bucketed++;
    const tail = this.#tail[slot] as number;
    if (task.deadline < tail) this.#dirty[slot] = 1;
    else this.#tail[slot] = task.deadline;
  }

  #pushFar(task: DeadlineTask): void {
    task.heapIndex = this.#far.length * STRIDE + BUCKETS;
    this.#far.push(task);
  }

  /**
   * Adds up, into `out` (`out.length` phases, zeroed first), the tasks queued in the milliseconds
   * from the cursor up to `until` (exclusive), by their millisecond modulo `out.length`: how a
   * frame's phases are taken. The tasks overdue (a blocked loop's) are counted at the phase they
   * were due at, which they keep. Tombstones count too. O(until - cursor) buckets.
   */
  phaseLoads(until: number, out: Int32Array): void {
    out.fill(0);
    if (this.#bucketed === 0) return;
    const span = out.length;
    const end = Math.min(until, this.#cursor + BUCKETS);
    for (let key = this.#cursor; key < end; key++) {
      const n = this.#len[key & MASK]!;
      if (n > 0) out[((key % span) + span) % span]! += n;
    }
  }

  /** Takes `task` out (no-op when it is not queued). */
  remove(task: DeadlineTask): void {
    const at = task.heapIndex;
    if (at < 0) return;
    task.heapIndex = -1;
    const slot = at % STRIDE;
    const i = (at - slot) / STRIDE;
    if (slot === BUCKETS) {
      const far = this.#far;
      const last = far.pop() as DeadlineTask;
      if (last !== task) {
        far[i] = last;
        last.heapIndex = at;
      }
      return;
    }
    // A tombstone: the others' indices stay valid; the bucket is compacted when it is run.
    (this.#buckets[slot] as (DeadlineTask | null)[])[i] = null;
    this.#bucketed--;
  }

  /** The earliest deadline queued, or +Infinity. Compacts and sorts the bucket it finds. */
  nextDeadline(): number {
    let best = Number.POSITIVE_INFINITY;
    if (this.#bucketed > 0) {
      for (let key = this.#cursor; ; key++) {
        const slot = key & MASK;
        const bucket = this.#buckets[slot] as (DeadlineTask | null)[];
        if (this.#len[slot] === 0) continue;
        this.#tidy(slot, 0);
        const first = bucket[0];
        if (first === undefined || first === null) continue; // only tombstones: emptied by #tidy
        best = first.deadline;
        break;
      }
    }
    for (const task of this.#far) if (task.deadline < best) best = task.deadline;
    return best;
  }

  /**
   * Runs every task whose deadline is at or before `now`, in deadline order, each taken out of
   * the queue before `run(task)` is called (a task that wants to go on re-queues itself). `run`
   * may push and remove tasks. `refresh()` is called every 64 tasks and returns a new `now`, so
   * a long batch also sends what came due meanwhile. Returns how many tasks ran.
   */
  runDue(now: number, run: (task: DeadlineTask) => void, refresh: () => number): number {
    this.#running = true;
    try {
      return this.#runDue(now, run, refresh);
    } finally {
      this.#running = false;
    }
  }

  #runDue(now: number, run: (task: DeadlineTask) => void, refresh: () => number): number {
    let ran = 0;
    for (;;) {
      if (this.#bucketed === 0) {
        if (this.#far.length === 0 || !this.#pullFar(now)) break;
      }
      const key = this.#cursor;
      if (key > now) break;
      const slot = key & MASK;
      const bucket = this.#buckets[slot] as (DeadlineTask | null)[];
      let i = 0;
      const len = this.#len;
      if (len[slot]! > 0) this.#tidy(slot, 0);
      let stopped = false;
      while (i < len[slot]!) {
        const task = bucket[i];
        if (task === null || task === undefined) {
          i++;
          continue;
        }
        if (task.deadline > now) {
          stopped = true;
          break;
        }
        bucket[i] = null;
        task.heapIndex = -1;
        this.#bucketed--;
        i++;
        run(task);
        if (++ran % 64 === 0) now = refresh();
        // A task re-queued into this bucket out of order (a deadline already past) is sorted in.
        if (this.#dirty[slot] === 1) {
          this.#tidy(slot, i);
          i = 0;
        }
      }
      if (stopped) {
        // The rest of this millisecond is not due yet: keep it, compacted, for the next wake-up.
        this.#tidy(slot, i);
        break;
      }
      len[slot] = 0; // every entry was set to null as it ran
      this.#tail[slot] = Number.NEGATIVE_INFINITY;
      this.#dirty[slot] = 0;
      // The cursor passes a millisecond only once it is over: a task queued later in it (due,
      // then) must find its bucket at or after the cursor.
      if (key + 1 > now) break;
      if (this.#bucketed === 0) {
        if (this.#far.length === 0 || !this.#pullFar(now)) break;
        continue;
      }
      this.#cursor = key + 1;
      if (this.#far.length > 0) this.#pullFar(now);
    }
    return ran;
  }

  /** Empties the queue. */
  clear(): void {
    for (let slot = 0; slot < BUCKETS; slot++) {
      const bucket = this.#buckets[slot] as (DeadlineTask | null)[];
      for (let i = 0; i < this.#len[slot]!; i++) {
        const task = bucket[i];
        if (task !== null && task !== undefined) task.heapIndex = -1;
      }
      bucket.length = 0;
      this.#len[slot] = 0;
      this.#tail[slot] = Number.NEGATIVE_INFINITY;
      this.#dirty[slot] = 0;
    }
    for (const task of this.#far) task.heapIndex = -1;
    this.#far.length = 0;
    this.#bucketed = 0;
  }

  /**
   * Compacts the bucket's tasks from index `from` on to its front (dropping tombstones and what
   * is before `from`), sorts them by deadline when the bucket is dirty, and renumbers them.
   */
  #tidy(slot: number, from: number): void {
    const bucket = this.#buckets[slot] as (DeadlineTask | null)[];
    const dirty = this.#dirty[slot] === 1;
    if (from === 0 && !dirty && bucket[0] !== null) {
      // The common case: sorted and its head live. Tombstones further in are skipped as met.
      return;
    }
    let n = 0;
    const length = this.#len[slot]!;
    for (let i = from; i < length; i++) {
      const task = bucket[i];
      if (task === null || task === undefined) continue;
      // Insertion sort while compacting: stable, linear on the nearly sorted input it gets.
      let j = n;
      if (dirty) {
        while (j > 0 && (bucket[j - 1] as DeadlineTask).deadline > task.deadline) {
          bucket[j] = bucket[j - 1] as DeadlineTask;
          j--;
        }
      }
      bucket[j] = task;
      n++;
    }
    for (let i = n; i < length; i++) bucket[i] = null; // no stale references past the end
    this.#len[slot] = n;
    let tail = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const task = bucket[i] as DeadlineTask;
      task.heapIndex = i * STRIDE + slot;
      if (task.deadline > tail) tail = task.deadline;
    }
    this.#tail[slot] = tail;
    this.#dirty[slot] = 0;
  }

  /**
   * Moves overflow tasks that now fall within the ring into buckets. With no bucketed task left,
   * first moves the cursor up to the earliest overflow task (not past `now`). Returns true when
   * a task was moved.
   */
  #pullFar(now: number): boolean {
    const far = this.#far;
    if (this.#bucketed === 0) {
      let min = Number.POSITIVE_INFINITY;
      for (const task of far) if (task.deadline < min) min = task.deadline;
      if (Number.isFinite(min)) this.#cursor = Math.max(this.#cursor, Math.min(Math.floor(min), Math.floor(now)));
    }
    let moved = false;
    for (let i = far.length - 1; i >= 0; i--) {
      const task = far[i] as DeadlineTask;
      if (Math.floor(task.deadline) - this.#cursor >= BUCKETS || !Number.isFinite(task.deadline)) continue;
      const last = far.pop() as DeadlineTask;
      if (last !== task) {
        far[i] = last;
        last.heapIndex = i * STRIDE + BUCKETS;
      }
      task.heapIndex = -1;
      this.push(task, now);
      moved = true;
    }
    return moved;
  }
}
