import type { Command } from 'commander';
import { formatLoadResult } from '../format.js';
import { nodeForInput } from '../node-for-input.js';
import type { CliNodeOptions } from '../node-for-input.js';

/** `spence resolve <input> [--json]`. */
export function registerResolve(program: Command): void {
  program
    .command('resolve')
    .description('resolve a URL, a path or a search to tracks and print them')
    .argument('<input>', 'a URL, a file path, "ytsearch:...", or plain text to search')
    .option('--json', 'print the LoadResult as JSON')
    .option('--local-root <dir...>', 'also allow local files under these directories')
    .option('--allow-private', 'allow URLs on loopback and private networks')
    .action(async (raw: string, options: CliNodeOptions & { json?: boolean }) => {
      const { node, input } = nodeForInput(raw, options);
      try {
        const result = await node.resolve(input, { signal: AbortSignal.timeout(60_000) });
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatLoadResult(result)}\n`);
      } finally {
        await node.close();
      }
    });
}
