/**
 * Duration: a hard bound relative to the source's length, and a closeness score inside it.
 *
 * @module
 */

/** The hard bound is the larger of this... */
export const MIN_BOUND_MS = 7000;
/** ...and this fraction of the source's length: 23:00 still meets 23:10, 3:30 never meets 3:00. */
export const BOUND_FRACTION = 0.08;
/** Differences up to this are encoding and silence, not a different cut. */
export const SAME_LENGTH_MS = 2000;

/** The largest accepted difference for a source of `sourceMs`. */
export function durationBound(sourceMs: number): number {
  return Math.max(MIN_BOUND_MS, BOUND_FRACTION * sourceMs);
}

/** The comparison: `null` when either length is unknown. */
export interface DurationFit {
  readonly deltaMs: number;
  readonly withinBound: boolean;
  /** 1 up to {@link SAME_LENGTH_MS}, falling quadratically to 0 at the bound. */
  readonly score: number;
}

const known = (ms: number | undefined): ms is number => ms !== undefined && Number.isFinite(ms) && ms > 0;

/** Compares a candidate's length with the source's. */
export function fitDuration(sourceMs: number | undefined, candidateMs: number | undefined): DurationFit | null {
  if (!known(sourceMs) || !known(candidateMs)) return null;
  const deltaMs = Math.abs(sourceMs - candidateMs);
  const bound = durationBound(sourceMs);
  if (deltaMs > bound) return { deltaMs, withinBound: false, score: 0 };
  if (deltaMs <= SAME_LENGTH_MS) return { deltaMs, withinBound: true, score: 1 };
  // Quadratic, so a music video with a 12 s intro scores low even inside the bound: the
  // audio-only upload with the same length wins, and the video alone is not enough.
  const x = 1 - (deltaMs - SAME_LENGTH_MS) / (bound - SAME_LENGTH_MS);
  return { deltaMs, withinBound: true, score: x * x };
}
