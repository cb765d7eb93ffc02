/**
 * The `spence` command.
 *
 * @module
 */

import { Command, CommanderError } from 'commander';
import { packageVersion } from '../package-version.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInspect } from './commands/inspect.js';
import { registerResolve } from './commands/resolve.js';
import { registerServe } from './commands/serve.js';
import { registerStream } from './commands/stream.js';
import { CliExit, reportFailure } from './errors.js';

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
  registerServe(program);
  return program;
}

/**
 * Runs the CLI with `argv`; returns the exit code: 0, 1 for a failure (one line with its code, or
 * a JSON error object with `--json`), 130 for Ctrl-C, commander's own for usage errors.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram().exitOverride();
  let json = false;
  program.hook('preAction', (_program, command) => {
    json = command.opts<{ json?: boolean }>().json === true;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliExit) return error.exitCode;
    reportFailure(error, { json });
    return 1;
  }
}
