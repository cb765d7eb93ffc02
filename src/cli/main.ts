/**
 * The `spence` command.
 *
 * @module
 */

import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { isSpenceError } from '../index.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInspect } from './commands/inspect.js';
import { registerResolve } from './commands/resolve.js';
import { registerStream } from './commands/stream.js';

/** The package version, from the package.json above this file (src/ in development, dist/src/ when built). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spence' && pkg.version) return pkg.version;
    } catch {}
  }
  return 'unknown';
}
const version = packageVersion();

/** Builds the program; exported for tests. */
export function createProgram(): Command {
  const program = new Command('spence')
    .description('Resolve, fetch, demux and pace Opus audio for Discord bots, without ffmpeg.')
    .version(version)
    .showHelpAfterError('(run spence --help for usage)');
  registerResolve(program);
  registerStream(program);
  registerInspect(program);
  registerDoctor(program);
  return program;
}

/** Runs the CLI with `argv`; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram().exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isSpenceError(error)) {
      process.stderr.write(`spence: ${error.message} [${error.code}]\n`);
      if (error.code === 'NETWORK') process.stderr.write('spence: check the network connection (or try a local file: spence stream fixtures/media/sample.webm -o out.opus)\n');
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`spence: ${message}\n`);
    return 1;
  }
}
