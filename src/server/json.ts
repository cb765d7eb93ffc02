/**
 * JSON out of the server. One thing differs from `JSON.stringify`: lavaplayer's unknown length,
 * `Long.MAX_VALUE` (9223372036854775807), is beyond a double's exact range, so `JSON.stringify`
 * would write 9223372036854776000, which a client reading a 64-bit integer (Kotlin, C#, Go, Rust)
 * refuses as an overflow. It is written exactly, as Lavalink writes it.
 *
 * @module
 */

/** How `JSON.stringify` writes Long.MAX_VALUE held in a double. */
const ROUNDED_LONG_MAX = '9223372036854776000';
/**
 * Only a `length` key holds it. Inside a JSON string a quote is always escaped, so the text
 * `"length":` (quote, name, quote, colon) cannot come from a title or any other string value.
 */
const ROUNDED_LENGTH = `"length":${ROUNDED_LONG_MAX}`;
const EXACT_LENGTH = '"length":9223372036854775807';

/** `JSON.stringify`, with track lengths of Long.MAX_VALUE written exactly. */
export function stringify(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes(ROUNDED_LONG_MAX) ? text.replaceAll(ROUNDED_LENGTH, EXACT_LENGTH) : text;
}
