/**
 * `Content-Range` parsing (RFC 9110 §14.4). The fetcher checks every ranged answer against what it
 * asked for, so a server (or a cache in front of it) answering the wrong bytes cannot corrupt the
 * stream.
 *
 * @module
 */

/** A parsed `Content-Range` header. */
export type ContentRange =
  /** `bytes first-last/complete-length` or `bytes first-last/*`: the bytes this answer carries. */
  | { satisfied: true; start: number; end: number; total: number | undefined }
  /** `bytes * /complete-length` (written without the space): the answer to an unsatisfiable range (a 416). */
  | { satisfied: false; total: number };

// RFC 9110 §14.4: Content-Range = range-unit SP ( range-resp / unsatisfied-range ).
const SATISFIED = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i;
const UNSATISFIED = /^bytes\s+\*\/(\d+)\s*$/i;

/** Parses a `Content-Range` header; `null` when it is absent or malformed (including last < first). */
export function parseContentRange(header: string | string[] | undefined): ContentRange | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return null;
  const satisfied = SATISFIED.exec(value);
  if (satisfied) {
    const start = Number(satisfied[1]);
    const end = Number(satisfied[2]);
    const total = satisfied[3] === '*' ? undefined : Number(satisfied[3]);
    // §14.4: "invalid if the last-pos value is less than the first-pos value, or the complete-length is
    // less than or equal to the last-pos".
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
    if (total !== undefined && (!Number.isSafeInteger(total) || total <= end)) return null;
    return { satisfied: true, start, end, total };
  }
  const unsatisfied = UNSATISFIED.exec(value);
  if (unsatisfied) {
    const total = Number(unsatisfied[1]);
    return Number.isSafeInteger(total) ? { satisfied: false, total } : null;
  }
  return null;
}

/** A `Content-Length` header as a byte count; `undefined` when absent or malformed. */
export function parseContentLength(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const length = Number(value);
  return Number.isSafeInteger(length) ? length : undefined;
}
