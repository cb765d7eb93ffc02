/**
 * Opening a file named on the command line, with an error that says what is wrong with it (no such
 * file, a directory, not readable, a URL where a file is needed) rather than a read failure.
 *
 * @module
 */

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ErrorCodes, SpenceError } from '../errors.js';
import { redact } from '../redact.js';

/** A scheme (`https:`, `file:`...), not a Windows drive letter. */
const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/** Opens `path` for reading; `what` names the command for messages. */
export async function openInputFile(path: string, what: string): Promise<FileHandle> {
  if (SCHEME.test(path) && !path.startsWith('file:')) {
    throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${what} reads a local file; ${redact(path)} is a URL (download it first, or play it with spence stream)`);
  }
  let handle: FileHandle;
  try {
    handle = await open(path.startsWith('file:') ? new URL(path) : path, 'r');
  } catch (error) {
    throw fileError(path, error);
  }
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    await handle.close();
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${path} is a directory; ${what} needs a file`);
  }
  return handle;
}

/** A file system error as a SpenceError naming the path and what went wrong. */
export function fileError(path: string, error: unknown): SpenceError {
  const code = (error as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return new SpenceError(ErrorCodes.NOT_FOUND, `No such file: ${path}`, { cause: error });
    case 'EISDIR':
      return new SpenceError(ErrorCodes.INVALID_ARGUMENT, `${path} is a directory, not a file`, { cause: error });
    case 'ENOTDIR':
      return new SpenceError(ErrorCodes.NOT_FOUND, `No such file: ${path} (a part of the path is not a directory)`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Permission denied: ${path}`, { cause: error });
    default:
      return new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Cannot use ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
