// A provider for an in-house catalogue: `catalog://<id>` URLs and `catsearch:` searches.
// In your project, import from 'spence/provider' instead of the relative path.
import { ErrorCodes, SpenceError } from '../../src/provider-kit.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput, Track, TrackMedia } from '../../src/provider-kit.js';

/** One entry of the catalogue: metadata and the Ogg Opus or WebM bytes. */
export interface CatalogEntry {
  id: string;
  title: string;
  artist: string;
  durationMs: number;
  bytes: Uint8Array;
}

export function catalogProvider(entries: CatalogEntry[]): Provider {
  const byId = new Map(entries.map((e) => [e.id, e]));

  const toTrack = (entry: CatalogEntry, context: ProviderContext): Track =>
    context.createTrack({
      source: 'catalog',
      identifier: entry.id,
      uri: `catalog://${entry.id}`,
      title: entry.title,
      author: entry.artist,
      durationMs: entry.durationMs,
      isStream: false,
      isSeekable: true,
    });

  return {
    name: 'catalog',
    searchPrefixes: ['catsearch'],

    // Cheap and synchronous: no I/O here.
    canResolve: (input: ResolveInput) => input.url?.protocol === 'catalog:',

    async resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      const entry = byId.get(input.url!.hostname);
      if (!entry) throw new SpenceError(ErrorCodes.NOT_FOUND, `No catalogue entry ${input.url!.hostname}`);
      return { type: 'track', track: toTrack(entry, context) };
    },

    async search(query: string, context: ProviderContext): Promise<LoadResult> {
      const words = query.toLowerCase().split(/\s+/);
      const hits = entries.filter((e) => words.every((w) => `${e.title} ${e.artist}`.toLowerCase().includes(w)));
      return hits.length === 0 ? { type: 'empty' } : { type: 'search', tracks: hits.map((e) => toTrack(e, context)) };
    },

    // Opening is separate from resolving: a stored track opens later, by its identifier.
    async open(track: Track): Promise<TrackMedia> {
      const entry = byId.get(track.identifier);
      if (!entry) throw new SpenceError(ErrorCodes.NOT_FOUND, `No catalogue entry ${track.identifier}`);
      return {
        contentLength: entry.bytes.length,
        async *read(start: number) {
          for (let offset = start; offset < entry.bytes.length; offset += 64 * 1024) {
            yield entry.bytes.subarray(offset, offset + 64 * 1024);
          }
        },
        close() {},
      };
    },
  };
}
