/**
 * The `local` provider: WebM and Ogg Opus files on disk, by path or `file:` URL.
 *
 * Off unless the node is given `local.roots`; a file must lie under a root both as written and after
 * following symbolic links, so `..` and links that point out of the roots are refused.
 *
 * Like every provider, it imports only the provider kit (`spence/provider`).
 *
 * @module
 */

import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, extname, isAbsolute, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, SpenceError, abortError, probeMedia, throwIfAborted } from '../../src/provider-kit.js';
import { PositionalFile } from './positional-file.js';
import type { ReadWorkerMode } from './read-service.js';

export type { ReadWorkerMode } from './read-service.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';

/** Options for {@link localProvider}. */
export interface LocalProviderOptions {
  /** Directories files may be played from. Empty: local files are off. */
  roots: readonly string[];
  /**
   * How playing tracks read their files. `'auto'` (default): through `fs.read`, or, while the
   * process makes at least 200 local reads a second (about 200 players), through one read worker
   * thread that takes them with no system call on the event loop per read (~16 µs of loop time
   * saved per read on a VM; a read takes 1–2 ms longer, against seconds of read-ahead).
   * `'always'`: the worker from the first read. `'never'`: `fs.read` only, no thread started.
   */
  readWorker?: ReadWorkerMode;
}

const HEAD_BYTES = 256 * 1024;
/**
 * The fs read size while playing. A player holds about one read (being fed to its demuxer) beside
 * its 3 s read-ahead; 16 KiB is about 1.3 s of 96 kbit/s Opus, so reads stay rare while thousands
 * of players do not each pin 64 KiB or more of fs buffers (64 KiB reads did).
 */
const READ_BYTES = 16 * 1024;
const TAIL_BYTES = 64 * 1024;

/** True when `child` is `parent` or lies inside it (both absolute and normalised). */
function isInside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

function looksLikePath(raw: string): boolean {
  return raw.startsWith('/') || raw.startsWith('./') || raw.startsWith('../') || /^[a-zA-Z]:[\\/]/.test(raw) || raw.startsWith('\\\\');
}

/** Creates the `local` provider. */
export function localProvider(options: LocalProviderOptions): Provider {
  const roots = options.roots.map((r) => resolvePath(r));
  const readWorker = options.readWorker ?? 'auto';
  if (readWorker !== 'auto' && readWorker !== 'always' && readWorker !== 'never') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `local.readWorker must be 'auto', 'always' or 'never', not ${String(readWorker)}`);
  }
  let realRoots: Promise<string[]> | undefined;
  const getRealRoots = () =>
    (realRoots ??= Promise.all(roots.map((r) => realpath(r).catch(() => r))));

  /** Resolves the input to a real path inside the roots, or throws; also gives the file's size. */
  async function checkPath(input: string): Promise<{ path: string; size: number }> {
    if (roots.length === 0) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, 'Local files are off: give the local provider roots (`defaultProviders({ local: { roots: [...] } })`) to allow playing files under those directories');
    }
    const lexical = resolvePath(input);
    // Inside a root as given, or as its real path: a track's identifier is the file's real path,
    // which lies under the real root when a root is itself a symlink (/srv/music -> /mnt/music).
    if (!roots.some((root) => isInside(root, lexical)) && !(await getRealRoots()).some((root) => isInside(root, lexical))) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${input}: it is outside the allowed local roots`);
    }
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new SpenceError(ErrorCodes.NOT_FOUND, `No such file: ${input}`, { cause });
      throw new SpenceError(ErrorCodes.UNAVAILABLE, `Cannot read ${input}: ${code ?? 'error'}`, { cause });
    }
    const allowed = await getRealRoots();
    if (!allowed.some((root) => isInside(root, real))) {
      throw new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${input}: it links to a file outside the allowed local roots`);
    }
    const info = await stat(real);
    if (!info.isFile()) throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `${input} is not a file`);
    return { path: real, size: info.size };
  }

  function toPath(input: ResolveInput): string {
    if (input.url?.protocol === 'file:') {
      try {
        return fileURLToPath(input.url);
      } catch (cause) {
        throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a usable file URL: ${input.raw}`, { cause });
      }
    }
    return input.raw;
  }

  return {
    name: 'local',
    fallback: true,
    cacheTtlMs: 0, // files change; a stat is cheap

    canResolve(input: ResolveInput): boolean {
      if (input.url?.protocol === 'file:') return true;
      return (input.url === null || /^[a-zA-Z]:$/.test(input.url.protocol)) && looksLikePath(input.raw);
    },

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const { path } = await checkPath(toPath(input));
      throwIfAborted(context.signal, 'resolve');
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        let head = new Uint8Array(Math.min(HEAD_BYTES, size));
        await handle.read(head, 0, head.length, 0);
        const tailLength = Math.min(TAIL_BYTES, size);
        const tail = new Uint8Array(tailLength);
        await handle.read(tail, 0, tailLength, size - tailLength);
        // An MP3's ID3v2 tag (cover art) can outgrow the head: probe the audio after it instead.
        const tag = id3v2TagSize(head);
        let skipped = 0;
        if (tag > 0 && tag + 1024 > head.length && tag < size) {
          head = new Uint8Array(Math.min(HEAD_BYTES, size - tag));
          await handle.read(head, 0, head.length, tag);
          skipped = tag;
        }
        const probe = probeMedia(head, tail, size - skipped);
        const name = basename(path, extname(path));
        const track: Track = context.createTrack({
          source: 'local',
          identifier: path,
          uri: pathToFileURL(path).href,
          title: name,
          author: 'Local file',
          durationMs: probe.durationMs === null ? null : Math.round(probe.durationMs),
          isStream: false,
          isSeekable: true,
        });
        return { type: 'track', track };
      } finally {
        await handle.close();
      }
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // Checked again: an encoded track is user data and could name any path.
      if (!isAbsolute(track.identifier)) throw new SpenceError(ErrorCodes.FORBIDDEN_URL, 'A local track must name an absolute path');
      // The check's own stat gives the size: one stat per open, not two.
      const { path, size } = await checkPath(track.identifier);
      throwIfAborted(context.signal, 'open');
      const handles = new Set<FileHandle>();
      /** The positional reads' file, opened at the first one. */
      const positional = new PositionalFile(path, readWorker);
      return {
        contentLength: size,
        read(start: number, { signal }: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
          return readChunks(path, start, signal, handles);
        },
        readAt(position: number, target: Uint8Array, { signal }: { signal: AbortSignal }): Promise<number> {
          // Not async: one promise per read (the opener checks the signal again when it resolves).
          if (signal.aborted) return Promise.reject(abortError(signal, 'read'));
          return positional.read(position, target);
        },
        close(): void {
          positional.close();
          // A close waits for the handle's read in flight; the reader then stops on its next turn.
          for (const handle of handles) void handle.close().catch(() => {});
          handles.clear();
        },
      };
    },
  };
}

/**
 * Reads `path` from `start`, {@link READ_BYTES} at a time, each read only when the consumer asks
 * for the next chunk. The player's read-ahead is the buffer: an fs stream would hold one more
 * chunk ahead of it per player (its highWaterMark), with its own machinery per chunk.
 */
async function* readChunks(path: string, start: number, signal: AbortSignal, handles: Set<FileHandle>): AsyncGenerator<Uint8Array> {
  signal.throwIfAborted();
  const handle = await open(path, 'r');
  handles.add(handle);
  try {
    let position = start;
    for (;;) {
      signal.throwIfAborted();
      // A fresh buffer per read: the demuxer may keep a chunk's bytes past the next read.
      const buffer = Buffer.allocUnsafeSlow(READ_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === READ_BYTES ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    if (handles.delete(handle)) await handle.close().catch(() => {});
  }
}

/** The size of an ID3v2 tag at the start of `bytes` (header, syncsafe size, footer), or 0 (id3.org v2.4 §3.1). */
function id3v2TagSize(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  let size = 0;
  for (let i = 6; i < 10; i++) size = size * 128 + (bytes[i]! & 0x7f);
  return 10 + size + ((bytes[5]! & 0x10) !== 0 ? 10 : 0);
}
