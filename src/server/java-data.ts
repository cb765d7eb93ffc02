/**
 * Java's `DataInput`/`DataOutput` encodings, as lavaplayer writes its track messages with them:
 * big-endian integers, booleans as one byte, and strings in "modified UTF-8" (`writeUTF`): an
 * unsigned 16-bit byte count, then each UTF-16 code unit as 1 byte (U+0001..U+007F), 2 bytes
 * (U+0000 and U+0080..U+07FF: NUL is `C0 80`, never a zero byte) or 3 bytes (U+0800..U+FFFF,
 * surrogates included: a supplementary character is its two surrogates, 3 bytes each, never a
 * 4-byte sequence). Pure: byte slices in, values out.
 *
 * Reference: the Java SE API documentation of `java.io.DataInput` ("Modified UTF-8") and
 * `DataInputStream.readUTF`, whose acceptance rules {@link DataReader.utf} follows exactly.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';

/** The most bytes `writeUTF` can put in one string (its length prefix is an unsigned short). */
export const MAX_UTF_BYTES = 0xffff;

function malformed(why: string): SpenceError {
  return new SpenceError(ErrorCodes.INVALID_TRACK, `The encoded track is corrupt: ${why}`, { source: 'lavalink' });
}

/** Reads Java `DataInput` values from a byte slice; every read past the end throws `INVALID_TRACK`. */
export class DataReader {
  /** The next byte to read. */
  offset = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left. */
  get remaining(): number {
    return this.#bytes.length - this.offset;
  }

  #need(count: number, what: string): void {
    if (this.offset + count > this.#bytes.length) throw malformed(`it ends inside ${what}`);
  }

  /** `readUnsignedByte`. */
  u8(what = 'a byte'): number {
    this.#need(1, what);
    return this.#bytes[this.offset++]!;
  }

  /** `readBoolean`: any non-zero byte is true. */
  bool(what = 'a boolean'): boolean {
    return this.u8(what) !== 0;
  }

  /** `readInt`. */
  i32(what = 'an int'): number {
    this.#need(4, what);
    const value = this.#view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  /** `readLong`, as a bigint (lavaplayer's "unknown length" is `Long.MAX_VALUE`, beyond a double's exact range). */
  i64(what = 'a long'): bigint {
    this.#need(8, what);
    const value = this.#view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  /** `count` raw bytes (a view, not a copy). */
  bytes(count: number, what = 'bytes'): Uint8Array {
    this.#need(count, what);
    const out = this.#bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /**
   * `readUTF`. Accepts what `DataInputStream.readUTF` accepts (a raw zero byte, overlong 2- and
   * 3-byte forms, lone surrogates) and refuses what it refuses: a byte `10xxxxxx` or `1111xxxx`
   * where a character starts (so 4-byte UTF-8 is malformed), a missing continuation byte, or a
   * character cut by the string's end.
   */
  utf(what = 'a string'): string {
    this.#need(2, what);
    const length = this.#view.getUint16(this.offset);
    this.offset += 2;
    this.#need(length, what);
    const bytes = this.#bytes;
    const end = this.offset + length;
    const units = new Uint16Array(length);
    let count = 0;
    let i = this.offset;
    while (i < end) {
      const c = bytes[i]!;
      switch (c >> 4) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
          units[count++] = c;
          i += 1;
          break;
        case 12: case 13: {
          // 110xxxxx 10xxxxxx
          if (i + 2 > end) throw malformed(`${what} ends inside a character`);
          const c2 = bytes[i + 1]!;
          if ((c2 & 0xc0) !== 0x80) throw malformed(`${what} is not modified UTF-8 (byte ${hex(c2)} after ${hex(c)})`);
          units[count++] = ((c & 0x1f) << 6) | (c2 & 0x3f);
          i += 2;
          break;
        }
        case 14: {
          // 1110xxxx 10xxxxxx 10xxxxxx
          if (i + 3 > end) throw malformed(`${what} ends inside a character`);
          const c2 = bytes[i + 1]!;
          const c3 = bytes[i + 2]!;
          if ((c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) throw malformed(`${what} is not modified UTF-8 (bytes ${hex(c)} ${hex(c2)} ${hex(c3)})`);
          units[count++] = ((c & 0x0f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
          i += 3;
          break;
        }
        default:
          // 10xxxxxx cannot start a character; 1111xxxx (4-byte UTF-8) is not modified UTF-8.
          throw malformed(`${what} is not modified UTF-8 (byte ${hex(c)} at ${i - this.offset} of ${length})`);
      }
    }
    this.offset = end;
    return unitsToString(units, count);
  }

  /** lavaplayer's `readNullableText`: a boolean, then `readUTF` when it is true. */
  nullableUtf(what = 'a string'): string | null {
    return this.bool(what) ? this.utf(what) : null;
  }
}

/** Writes Java `DataOutput` values into a growing buffer. */
export class DataWriter {
  #buffer = new Uint8Array(256);
  #view = new DataView(this.#buffer.buffer);
  /** Bytes written. */
  length = 0;

  #ensure(extra: number): void {
    if (this.length + extra <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  /** `writeByte`. */
  u8(value: number): void {
    this.#ensure(1);
    this.#buffer[this.length++] = value & 0xff;
  }

  /** `writeBoolean`. */
  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  /** `writeInt`. */
  i32(value: number): void {
    this.#ensure(4);
    this.#view.setInt32(this.length, value);
    this.length += 4;
  }

  /** `writeLong`. */
  i64(value: bigint): void {
    this.#ensure(8);
    this.#view.setBigInt64(this.length, BigInt.asIntN(64, value));
    this.length += 8;
  }

  /** Raw bytes. */
  bytes(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * `writeUTF`.
   *
   * @throws {SpenceError} `INVALID_ARGUMENT` when the string needs more than 65535 bytes (Java
   * throws `UTFDataFormatException` there too).
   */
  utf(value: string, what = 'a string'): void {
    const size = modifiedUtf8Length(value);
    if (size > MAX_UTF_BYTES) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${what} is too long for lavaplayer's track format (${size} bytes of modified UTF-8, at most ${MAX_UTF_BYTES})`, { source: 'lavalink' });
    }
    this.#ensure(2 + size);
    const out = this.#buffer;
    this.#view.setUint16(this.length, size);
    let j = this.length + 2;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x0001 && c <= 0x007f) {
        out[j++] = c;
      } else if (c <= 0x07ff) {
        out[j++] = 0xc0 | (c >> 6);
        out[j++] = 0x80 | (c & 0x3f);
      } else {
        out[j++] = 0xe0 | (c >> 12);
        out[j++] = 0x80 | ((c >> 6) & 0x3f);
        out[j++] = 0x80 | (c & 0x3f);
      }
    }
    this.length = j;
  }

  /** lavaplayer's `writeNullableText`. */
  nullableUtf(value: string | null, what = 'a string'): void {
    this.bool(value !== null);
    if (value !== null) this.utf(value, what);
  }

  /** The bytes written (a view of the internal buffer). */
  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.length);
  }
}

/** The byte count of `value` in modified UTF-8. */
export function modifiedUtf8Length(value: string): number {
  let size = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    size += c >= 0x0001 && c <= 0x007f ? 1 : c <= 0x07ff ? 2 : 3;
  }
  return size;
}

function unitsToString(units: Uint16Array, count: number): string {
  let out = '';
  // In slices: String.fromCharCode takes its units as arguments.
  for (let i = 0; i < count; i += 8192) out += String.fromCharCode(...units.subarray(i, Math.min(count, i + 8192)));
  return out;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
