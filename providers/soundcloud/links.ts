/**
 * Following `on.soundcloud.com` short links, hop by hop, only through SoundCloud's hosts.
 *
 * @module
 */

import { ErrorCodes, SpenceError, redact } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';
import { send } from './http.js';
import { LINK_HOSTS, parseSoundcloudUrl } from './urls.js';
import type { SoundcloudTarget } from './urls.js';

const MAX_HOPS = 5;

/**
 * Follows a short link (no automatic redirects: each hop's host is checked) to the track or
 * playlist page it names.
 */
export async function followShortLink(start: URL, context: ProviderContext): Promise<Exclude<SoundcloudTarget, { kind: 'short' }>> {
  let url = start;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const target = parseSoundcloudUrl(url);
    if (target !== null && target.kind !== 'short') return target;
    if (!LINK_HOSTS.has(url.hostname.toLowerCase()) || (url.protocol !== 'https:' && url.protocol !== 'http:')) break;
    await context.urlGuard.check(url, { signal: context.signal });
    const response = await send(url, context, `the short link ${redact(start)}`, { redirect: 'manual' });
    await response.body?.cancel().catch(() => {});
    const location = response.headers.get('location');
    if (response.status === 404 || response.status === 410) {
      throw new SpenceError(ErrorCodes.NOT_FOUND, `The SoundCloud short link ${redact(start)} leads nowhere`, { source: 'soundcloud' });
    }
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new SpenceError(ErrorCodes.UPSTREAM, `The SoundCloud short link ${redact(start)} did not redirect (HTTP ${response.status})`, { source: 'soundcloud' });
    }
    url = new URL(location, url);
  }
  throw new SpenceError(
    ErrorCodes.UNSUPPORTED_INPUT,
    `The SoundCloud short link ${redact(start)} does not lead to a SoundCloud track or playlist (it ends at ${redact(url)})`,
    { source: 'soundcloud' },
  );
}
