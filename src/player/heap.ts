/**
 * A binary min-heap of deadline tasks, keyed by `deadline`, that records each task's position so
 * a task can be removed or moved in O(log n). Allocation-free after the backing array has grown.
 *
 * @module
 */

/** An entry the {@link FrameScheduler} can hold. @internal */
export interface DeadlineTask {
  /** The absolute clock time (ms) the task is next due. */
  deadline: number;
  /** Position in the heap, or -1 when not in it. Owned by the heap. */
  heapIndex: number;
  /** Called by the scheduler at (or after) `deadline`, with the scheduler's current time. */
  run(now: number): void;
}

/** @internal */
export class DeadlineHeap {
  readonly #items: DeadlineTask[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): DeadlineTask | undefined {
    return this.#items[0];
  }

  push(task: DeadlineTask): void {
    task.heapIndex = this.#items.length;
    this.#items.push(task);
    this.#up(task.heapIndex);
  }

  pop(): DeadlineTask | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop() as DeadlineTask;
    if (last !== top) {
      items[0] = last;
      last.heapIndex = 0;
      this.#down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  remove(task: DeadlineTask): void {
    const i = task.heapIndex;
    const items = this.#items;
    if (i < 0 || items[i] !== task) return;
    const last = items.pop() as DeadlineTask;
    task.heapIndex = -1;
    if (last === task) return;
    items[i] = last;
    last.heapIndex = i;
    this.#update(i);
  }

  /** Restores order after `task.deadline` changed. */
  update(task: DeadlineTask): void {
    if (task.heapIndex >= 0) this.#update(task.heapIndex);
  }

  #update(i: number): void {
    const items = this.#items;
    const parent = (i - 1) >> 1;
    if (i > 0 && (items[i] as DeadlineTask).deadline < (items[parent] as DeadlineTask).deadline) this.#up(i);
    else this.#down(i);
  }

  #up(i: number): void {
    const items = this.#items;
    const task = items[i] as DeadlineTask;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as DeadlineTask;
      if (parent.deadline <= task.deadline) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = task;
    task.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const task = items[i] as DeadlineTask;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = items[l] as DeadlineTask;
      if (r < n) {
        const right = items[r] as DeadlineTask;
        if (right.deadline < child.deadline) {
          c = r;
          child = right;
        }
      }
      if (child.deadline >= task.deadline) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = task;
    task.heapIndex = i;
  }
}
