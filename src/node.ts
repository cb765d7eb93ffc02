/**
 * `Node`: the entry point a bot holds. It is the core {@link BaseNode} with the built-in providers
 * (`defaultProviders()`) when it is given none, plain text searched on YouTube, and metadata-only
 * tracks mirrored to YouTube.
 *
 * @module
 */

import { DEFAULT_MIRROR_SEARCH, defaultProviders } from './default-providers.js';
import { BaseNode, checkNodeOptions } from './node/node.js';
import type { NodeOptions } from './node/node.js';

/**
 * The spence node: resolves inputs through its providers, opens and plays tracks on one scheduler.
 *
 * With no `providers` it has the built-in ones with their default settings; configure them with
 * {@link defaultProviders}, or pass your own list. Plain text is a `ytsearch:`, and metadata-only
 * tracks are mirrored through `ytmsearch:` and `ytsearch:` ({@link DEFAULT_MIRROR_SEARCH}), unless
 * the options say otherwise.
 *
 * @example
 * ```ts
 * const node = new Node({ providers: defaultProviders({ local: { roots: ['/srv/music'] } }) });
 * const result = await node.resolve('/srv/music/song.webm');
 * if (result.type === 'track') console.log(result.track.title);
 * ```
 */
export class Node extends BaseNode {
  /** @throws {SpenceError} `INVALID_ARGUMENT` naming the first option out of bounds. */
  constructor(options: NodeOptions = {}) {
    super(withDefaults(options));
  }
}

/** The options with `Node`'s defaults filled in (checked first: the defaults are merged into them). */
function withDefaults(options: NodeOptions): NodeOptions {
  checkNodeOptions(options);
  return {
    ...options,
    providers: options.providers ?? defaultProviders(),
    defaultSearchPrefix: options.defaultSearchPrefix ?? 'ytsearch',
    mirror: { ...options.mirror, search: { ...DEFAULT_MIRROR_SEARCH, ...options.mirror?.search } },
  };
}
