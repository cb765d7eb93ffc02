/**
 * JSON over HTTP for the Apple Music provider, through the provider kit's `requestJson` (the
 * node's agent and budgets, the one status map, `Retry-After` in both its forms). Apple's own part
 * is where its error bodies keep the reason.
 *
 * @module
 */

import { requestJson } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';

/** Which service answered, for messages. */
export type Service = 'Apple Music' | 'the iTunes Lookup API';

/** Apple Music API error bodies: `{ "errors": [{ "status": "404", "title": "...", "detail": "..." }] }`. */
interface AppleErrors {
  errors?: { status?: string; code?: string; title?: string; detail?: string }[];
}

/**
 * GETs `url` and returns its JSON, mapping statuses through the one map. `headers` (the developer
 * token) are never logged; with an `authorization` header a 401 is the token refused (`UPSTREAM`,
 * naming the option).
 */
export function getJson<T>(url: URL, context: ProviderContext, what: string, service: Service, headers: Record<string, string> = {}): Promise<T> {
  const token = headers.authorization !== undefined;
  return requestJson<T>(url, context, {
    service,
    what,
    source: 'applemusic',
    headers,
    unauthorized: token ? 'credentials' : 'item',
    ...(token ? { credentialsHint: 'appleMusic.developerToken' } : {}),
    reason: (body) => {
      const first = (body as AppleErrors | undefined)?.errors?.[0];
      return first ? [first.title, first.detail].filter(Boolean).join(': ') || undefined : undefined;
    },
  });
}
