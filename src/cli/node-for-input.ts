/**
 * The node the CLI uses. A path typed on the command line is the user's own choice, so its
 * directory becomes a local root; nothing else on disk is reachable.
 *
 * @module
 */

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultProviders } from '../default-providers.js';
import { Node } from '../node.js';

/** Options shared by the commands. */
export interface CliNodeOptions {
  localRoot?: string[];
  allowPrivate?: boolean;
}

/** The directory of `input` when it is a path or a `file:` URL, else undefined. */
export function localDirectoryOf(input: string): string | undefined {
  if (input.startsWith('file:')) {
    try {
      return dirname(fileURLToPath(input));
    } catch {
      return undefined;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(input) && !/^[a-zA-Z]:[\\/]/.test(input)) return undefined;
  if (input.includes('/') || input.includes('\\') || /\.(webm|mka|mkv|opus|ogg|oga|mp3)$/i.test(input)) return dirname(resolve(input));
  return undefined;
}

/** Builds a node for one CLI command. */
export function nodeForInput(input: string, options: CliNodeOptions): { node: Node; input: string } {
  const roots = [...(options.localRoot ?? [])];
  const dir = localDirectoryOf(input);
  let normalised = input;
  if (dir !== undefined) {
    roots.push(dir);
    // A bare relative name ("song.webm") is a path for the CLI, not a search.
    if (!input.startsWith('file:') && !input.startsWith('/') && !input.startsWith('.')) normalised = resolve(input);
  }
  const node = new Node({ providers: defaultProviders({ local: { roots } }), http: { allowPrivateAddresses: options.allowPrivate ?? false } });
  return { node, input: normalised };
}
