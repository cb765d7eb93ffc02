/** A growable planar stereo FIFO. @module */

/** First-in first-out planar stereo samples; grows by doubling, compacts when half consumed. */
export class PcmFifo {
  private l = new Float32Array(8192);
  private r = new Float32Array(8192);
  private start = 0;
  private end = 0;

  /** Samples held. */
  get length(): number {
    return this.end - this.start;
  }

  /** Appends a copy of `length` samples. */
  push(left: Float32Array, right: Float32Array, length: number): void {
    if (length <= 0) return;
    if (this.end + length > this.l.length) {
      const held = this.end - this.start;
      if (held + length <= this.l.length / 2) {
        this.l.copyWithin(0, this.start, this.end);
        this.r.copyWithin(0, this.start, this.end);
      } else {
        const cap = Math.max(this.l.length * 2, held + length);
        const l = new Float32Array(cap);
        const r = new Float32Array(cap);
        l.set(this.l.subarray(this.start, this.end));
        r.set(this.r.subarray(this.start, this.end));
        this.l = l;
        this.r = r;
      }
      this.start = 0;
      this.end = held;
    }
    this.l.set(left.subarray(0, length), this.end);
    this.r.set(right.subarray(0, length), this.end);
    this.end += length;
  }

  /** Removes up to `n` samples into `left`/`right` (from index 0); returns how many. */
  shift(n: number, left: Float32Array, right: Float32Array): number {
    const count = Math.min(n, this.length);
    left.set(this.l.subarray(this.start, this.start + count));
    right.set(this.r.subarray(this.start, this.start + count));
    this.start += count;
    if (this.start === this.end) this.start = this.end = 0;
    return count;
  }

  /** Drops up to `n` samples; returns how many. */
  drop(n: number): number {
    const count = Math.min(n, this.length);
    this.start += count;
    if (this.start === this.end) this.start = this.end = 0;
    return count;
  }
}
