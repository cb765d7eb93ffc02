/**
 * `spence doctor`: what the running install can do: Node, the Opus encoder backends found and the
 * one chosen, the decoders, the worker pool's size and how its workers load.
 *
 * @module
 */

import type { Command } from 'commander';
import { transcodeCapabilities } from '../../transcode/index.js';

/** Registers `spence doctor` on `program`. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('print what this install can do: Opus encoders and decoders available and chosen, Node version, transcoding workers')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const caps = await transcodeCapabilities();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(caps, null, 2)}\n`);
        return;
      }
      const mark = (ok: boolean): string => (ok ? 'yes' : 'no ');
      const lines = [
        `node:          ${caps.node} (${process.platform}-${process.arch})`,
        `cores:         ${caps.cores}; transcoding workers: ${caps.workers} (worker entry: ${caps.workerMode === 'built' ? 'compiled .js' : 'TypeScript source via tsx'})`,
        `opus encoder:  ${caps.chosenEncoder ?? 'none available: transcoding (non-Opus sources, volume, filters) will fail'}`,
        ...caps.encoders.map((e) => `  ${mark(e.available)} ${e.name.padEnd(16)} ${e.kind.padEnd(6)} ${e.detail}`),
        'decoders:',
        ...caps.decoders.map((d) => `  ${mark(d.available)} ${d.codec.padEnd(5)} ${d.package.padEnd(18)} ${d.detail}`),
        'passthrough:   Opus in WebM and Ogg needs none of the above',
      ];
      if (!caps.encoders.find((e) => e.name === '@discordjs/opus')?.available) {
        lines.push('hint:          npm install @discordjs/opus for the native encoder (native libopus, faster than WebAssembly; needs a native build)');
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
