import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';

/** A provider that answers from a function and counts its calls. */
export function fakeProvider(
  name: string,
  options: {
    recognise?: (input: ResolveInput) => boolean;
    answer?: (input: string, context: ProviderContext) => Promise<LoadResult>;
    searchPrefixes?: string[];
    cacheTtlMs?: number;
  } = {},
): Provider & { calls: string[] } {
  const calls: string[] = [];
  const answer =
    options.answer ??
    (async (input: string, context: ProviderContext): Promise<LoadResult> => ({
      type: 'track',
      track: context.createTrack({ source: name, identifier: input, uri: input, title: input, author: name, durationMs: 1000, isStream: false, isSeekable: true }),
    }));
  const provider: Provider & { calls: string[] } = {
    name,
    calls,
    canResolve: options.recognise ?? (() => false),
    resolve: (input, context) => {
      calls.push(input.raw);
      return answer(input.raw, context);
    },
    ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
    ...(options.searchPrefixes
      ? {
          searchPrefixes: options.searchPrefixes,
          search: (query: string, context: ProviderContext & { prefix: string }) => {
            calls.push(`${context.prefix}:${query}`);
            return answer(`${context.prefix}:${query}`, context);
          },
        }
      : {}),
  };
  return provider;
}
