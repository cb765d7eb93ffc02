/**
 * The local roots, and opening a file under them so that what is checked is what is read.
 *
 * A path is checked as written (no `..` out of a root) and after following links (`realpath`: no
 * link out of a root). Checking a path and then opening it is a race: a directory along it can be
 * swapped for a link to elsewhere in between (time of check, time of use). So the file is opened
 * once, here, and the descriptor itself is checked: opened with `O_NOFOLLOW` (its last component
 * may not be a link), then the path is resolved again and must still be the same real path with no
 * link along it, naming the same file (`dev`/`ino`) as the descriptor. Every read then goes to that
 * descriptor, never to the path: a swap after the open cannot move a read out of the roots.
 *
 * What remains is a swap and a swap back between two consecutive system calls of the open; closing
 * that needs `openat2(RESOLVE_BENEATH)`, which Node does not offer.
 *
 * @module
 */

import { close, constants, fstat, open } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve as resolvePath, sep } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';

const openFile = promisify(open);
const fstatFile = promisify(fstat);

/** `O_NOFOLLOW` where the platform has it (not on Windows, whose links `realpath` still resolves). */
const FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** A file opened under the roots. */
export interface CheckedFile {
  /** The open descriptor: read this, never the path. The caller closes it. */
  fd: number;
  /** The file's real path (no links), under a root. */
  path: string;
  /** Its size in bytes, from the descriptor. */
  size: number;
}

/** True when `child` is `parent` or lies inside it (both absolute and normalised). */
function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** The roots files may be played from. */
export class LocalRoots {
  readonly #roots: string[];
  #realRoots: Promise<string[]> | undefined;

  constructor(roots: readonly string[]) {
    this.#roots = roots.map((r) => resolvePath(r));
  }

  #real(): Promise<string[]> {
    return (this.#realRoots ??= Promise.all(this.#roots.map((r) => realpath(r).catch(() => r))));
  }

  /**
   * Opens `input` for reading if it lies under a root, as written and after following links, and
   * checks that the descriptor is that file.
   *
   * @throws {SpenceError} `FORBIDDEN_URL` (off, outside the roots, a link out, or a file swapped
   * while being opened), `NOT_FOUND`, `UNSUPPORTED_INPUT` (not a file), `UNAVAILABLE` (unreadable).
   */
  async open(input: string): Promise<CheckedFile> {
    if (this.#roots.length === 0) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, 'Local files are off: give the local provider roots (`defaultProviders({ local: { roots: [...] } })`) to allow playing files under those directories');
    }
    const lexical = resolvePath(input);
    const realRoots = await this.#real();
    // Inside a root as given, or as its real path: a track's identifier is the file's real path,
    // which lies under the real root when a root is itself a symlink (/srv/music -> /mnt/music).
    if (!this.#roots.some((root) => isInside(root, lexical)) && !realRoots.some((root) => isInside(root, lexical))) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${input}: it is outside the allowed local roots`);
    }
    const path = await realpath(lexical).catch((cause: NodeJS.ErrnoException) => {
      throw fsError(cause, input);
    });
    if (!realRoots.some((root) => isInside(root, path))) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${input}: it links to a file outside the allowed local roots`);
    }
    const fd = await openFile(path, FLAGS).catch((cause: NodeJS.ErrnoException) => {
      // ELOOP: the last component became a link since realpath saw it.
      if (cause.code === 'ELOOP') throw swapped(input, cause);
      throw fsError(cause, input);
    });
    try {
      const info = await fstatFile(fd);
      if (!info.isFile()) throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${input} is not a file`);
      // The open resolved `path` again. Had a directory along it become a link, the descriptor
      // would be another file: it must still be the real path, naming this very file.
      const [again, now] = await Promise.all([realpath(path), stat(path)]).catch((cause: unknown) => {
        throw swapped(input, cause);
      });
      if (again !== path || now.dev !== info.dev || now.ino !== info.ino) throw swapped(input);
      return { fd, path, size: info.size };
    } catch (error) {
      close(fd, () => {});
      throw error;
    }
  }
}

function swapped(input: string, cause?: unknown): SpenceError {
  return new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${input}: the path changed while it was being opened (a link swapped in?)`, cause === undefined ? {} : { cause });
}

function fsError(cause: NodeJS.ErrnoException, input: string): SpenceError {
  const code = cause.code;
  if (code === 'EISDIR') return new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${input} is not a file`, { cause });
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SpenceError(ErrorCodes.NOT_FOUND, `No such file: ${input}`, { cause });
  return new SpenceError(ErrorCodes.UNAVAILABLE, `Cannot read ${input}: ${code ?? 'error'}`, { cause });
}
