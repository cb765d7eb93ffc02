/**
 * How the CLI reports a failure: one line on standard error, `spence: <message> [<code>]`, or with
 * `--json` one JSON object on standard output, `{ "error": { "code", "message" } }`, so a script
 * that reads the command's JSON reads one document whether it worked or not (the exit status
 * says which). Never a stack trace.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, isSpenceError } from '../errors.js';

/** Ends a command with `exitCode` once it has said what it had to (Ctrl-C: 130). */
export class CliExit extends Error {
  /** The process exit status. */
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** A failure as the CLI shows it. */
export interface CliFailure {
  /** A `SpenceError` code, or the system's (`ENOENT`, `EPIPE`...) for an error from outside spence. */
  code: string;
  message: string;
}

/** The code and message of anything thrown. */
export function describeFailure(error: unknown): CliFailure {
  if (isSpenceError(error)) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'UNEXPECTED', message };
}

/** Writes `error` as one line on standard error, or as a JSON object on standard output. */
export function reportFailure(error: unknown, options: { json?: boolean } = {}): void {
  const failure = describeFailure(error);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ error: failure })}\n`);
    return;
  }
  process.stderr.write(`spence: ${failure.message.replace(/\s*\n\s*/g, ' ')} [${failure.code}]\n`);
  if (failure.code === ErrorCodes.NETWORK) {
    const sample = packagedSample();
    process.stderr.write(`spence: check the network connection${sample ? ` (or try the packaged sample: spence stream ${/\s/.test(sample) ? JSON.stringify(sample) : sample} -o out.opus)` : ''}\n`);
  }
}

/**
 * The sample WebM the package ships (`fixtures/media/sample.webm`), by its real path, found from
 * this file (src/cli in development, dist/src/cli when installed); undefined when it is not there.
 */
export function packagedSample(): string | undefined {
  for (const up of ['../../fixtures/media/sample.webm', '../../../fixtures/media/sample.webm']) {
    const path = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}
