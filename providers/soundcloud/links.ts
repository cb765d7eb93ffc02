/**
 * Following `on.soundcloud.com` short links, hop by hop, only through SoundCloud's hosts.
 *
 * @module
 */

import { followLinks } from '../../src/provider-kit.js';
import type { ProviderContext } from '../../src/provider-kit.js';
import { LINK_HOSTS, parseSoundcloudUrl } from './urls.js';
import type { SoundcloudTarget } from './urls.js';

const MAX_HOPS = 5;

/**
 * Follows a short link (no automatic redirects: each hop's host is checked) to the track or
 * playlist page it names.
 */
export function followShortLink(start: URL, context: ProviderContext): Promise<Exclude<SoundcloudTarget, { kind: 'short' }>> {
  return followLinks(start, context, {
    service: 'SoundCloud',
    source: 'soundcloud',
    target: 'a SoundCloud track or playlist',
    parse: (url) => {
      const target = parseSoundcloudUrl(url);
      return target !== null && target.kind !== 'short' ? target : null;
    },
    isLink: (url) => LINK_HOSTS.has(url.hostname.toLowerCase()),
    maxHops: MAX_HOPS,
  });
}
