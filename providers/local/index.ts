/**
 * The `local` provider: WebM and Ogg Opus files on disk, by path or `file:` URL.
 *
 * Off unless the node is given `local.roots`; a file must lie under a root both as written and after
 * following symbolic links, so `..` and links that point out of the roots are refused. The file is
 * opened once, its descriptor checked, and read through that descriptor (`roots.ts`), so a link
 * swapped in after the check cannot lead a read out of the roots.
 *
 * Like every provider, it imports only the provider kit (`spence/provider`).
 *
 * @module spence/providers/local
 */

import { close, read } from 'node:fs';
import { basename, extname, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, SpenceError, abortError, probeMedia, redact, throwIfAborted } from '../../src/provider-kit.js';
import type * as PositionalFileModule from './positional-file.js';
import type { PositionalFile } from './positional-file.js';
import type * as ReadServiceModule from './read-service.js';
import type { ReadWorkerMode } from './read-service.js';
import { LocalRoots } from './roots.js';

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

type ReaderModules = typeof PositionalFileModule & typeof ReadServiceModule;
let reader: Promise<ReaderModules> | null = null;

/**
 * The file reader and the read service, loaded with the first open: importing spence does not
 * compile them. The promise is kept: an `import()` per open is a few promises and objects of the
 * module loader's, which thousands of opens at once kept through their I/O.
 */
function loadReader(): Promise<ReaderModules> {
  return (reader ??= Promise.all([import('./positional-file.js'), import('./read-service.js')]).then(([file, service]) => ({ ...file, ...service })));
}

function looksLikePath(raw: string): boolean {
  return raw.startsWith('/') || raw.startsWith('./') || raw.startsWith('../') || /^[a-zA-Z]:[\\/]/.test(raw) || raw.startsWith('\\\\');
}

/** Creates the `local` provider. */
export function localProvider(options: LocalProviderOptions): Provider {
  const readWorker = options.readWorker ?? 'auto';
  if (readWorker !== 'auto' && readWorker !== 'always' && readWorker !== 'never') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `local.readWorker must be 'auto', 'always' or 'never', not ${String(readWorker)}`);
  }
  const roots = new LocalRoots(options.roots);
  /** This provider's hold on the process's read service, from its first open to destroy(). */
  let releaseReads: (() => Promise<void>) | null = null;

  function toPath(input: ResolveInput): string {
    if (input.url?.protocol === 'file:') {
      try {
        return fileURLToPath(input.url);
      } catch (cause) {
        throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a usable file URL: ${redact(input.raw)}`, { cause });
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
      const { fd, path, size } = await roots.open(toPath(input));
      try {
        throwIfAborted(context.signal, 'resolve');
        let head = await readBytesAt(fd, 0, Math.min(HEAD_BYTES, size));
        const tail = await readBytesAt(fd, Math.max(0, size - TAIL_BYTES), Math.min(TAIL_BYTES, size));
        // An MP3's ID3v2 tag (cover art) can outgrow the head: probe the audio after it instead.
        const tag = id3v2TagSize(head);
        let skipped = 0;
        if (tag > 0 && tag + 1024 > head.length && tag < size) {
          head = await readBytesAt(fd, tag, Math.min(HEAD_BYTES, size - tag));
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
        close(fd, () => {});
      }
    },

    async open(track: Track, context: ProviderContext): Promise<TrackMedia> {
      // Checked again: an encoded track is user data and could name any path.
      if (!isAbsolute(track.identifier)) throw new SpenceError(ErrorCodes.FORBIDDEN_URL, 'A local track must name an absolute path');
      const { PositionalFile, holdReadService } = await loadReader();
      // Opened and checked once; every read below goes to this descriptor, never to the path.
      const { fd, size } = await roots.open(track.identifier);
      const file = new PositionalFile(fd, readWorker);
      if (readWorker !== 'never') releaseReads ??= holdReadService();
      if (context.signal.aborted) {
        file.close();
        throw abortError(context.signal, 'open');
      }
      return new LocalFileMedia(file, size);
    },

    /** Lets go of the read service: the last node's local provider to do so stops the read worker. */
    async destroy(): Promise<void> {
      const release = releaseReads;
      releaseReads = null;
      await release?.();
    },
  };
}

/**
 * An opened local file, as the players read it. A class, not an object of closures: a player keeps
 * its media for the track, and three closures and their context were ~200 bytes more per player
 * for the young generation to copy when thousands start at once.
 */
class LocalFileMedia implements TrackMedia {
  readonly #file: PositionalFile;
  readonly contentLength: number;

  constructor(file: PositionalFile, size: number) {
    this.#file = file;
    this.contentLength = size;
  }

  read(start: number, { signal }: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
    return readChunks(this.#file, start, signal);
  }

  readAt(position: number, target: Uint8Array, { signal }: { signal: AbortSignal }): Promise<number> {
    // Not async: one promise per read (the opener checks the signal again when it resolves).
    if (signal.aborted) return Promise.reject(abortError(signal, 'read'));
    return this.#file.read(position, target);
  }

  close(): void {
    // Closed once the reads in flight are done; a reader then stops at its next read.
    this.#file.close();
  }
}

/**
 * Reads the file from `start`, {@link READ_BYTES} at a time, each read only when the consumer asks
 * for the next chunk. The player's read-ahead is the buffer: an fs stream would hold one more
 * chunk ahead of it per player (its highWaterMark), with its own machinery per chunk.
 */
async function* readChunks(file: PositionalFile, start: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let position = start;
  for (;;) {
    if (signal.aborted) throw abortError(signal, 'read');
    // A fresh buffer per read: the demuxer may keep a chunk's bytes past the next read.
    const buffer = Buffer.allocUnsafeSlow(READ_BYTES);
    const bytesRead = await file.read(position, buffer);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === READ_BYTES ? buffer : buffer.subarray(0, bytesRead);
  }
}

/** Reads `length` bytes of `fd` at `position` (fewer at the end). */
function readBytesAt(fd: number, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  return new Promise((resolve, reject) => {
    read(fd, bytes, 0, length, position, (error, bytesRead) => {
      if (error !== null) reject(error);
      else resolve(bytesRead === length ? bytes : bytes.subarray(0, bytesRead));
    });
  });
}

/** The size of an ID3v2 tag at the start of `bytes` (header, syncsafe size, footer), or 0 (id3.org v2.4 §3.1). */
function id3v2TagSize(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  let size = 0;
  for (let i = 6; i < 10; i++) size = size * 128 + (bytes[i]! & 0x7f);
  return 10 + size + ((bytes[5]! & 0x10) !== 0 ? 10 : 0);
}
