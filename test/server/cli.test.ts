/**
 * `spence serve` as an operator runs it: `--help` names the configuration and its environment
 * variables; the command, spawned as a process with a Lavalink application.yml and an
 * environment override, answers REST with the file's password on the port it prints, refuses a
 * bad configuration with a message naming the key, and closes on SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/main.js';

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const work = mkdtempSync(join(tmpdir(), 'spence-serve-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('spence serve', () => {
  it('--help names the configuration file, its keys and their environment variables', () => {
    const serve = createProgram().commands.find((c) => c.name() === 'serve')!;
    let help = '';
    serve.configureOutput({ writeOut: (text) => (help += text) });
    serve.outputHelp();
    for (const text of ['--config', 'application.yml', 'LAVALINK_SERVER_PASSWORD', 'SERVER_PORT', 'lavalink.server.sources', 'spence.workers', 'docs/server.md']) {
      expect(help).toContain(text);
    }
  });

  it('serves a Lavalink application.yml on the port it prints, with the environment over the file, and stops on SIGTERM', async () => {
    const config = join(work, 'application.yml');
    writeFileSync(config, 'server:\n  port: 1\n  address: 127.0.0.1\nlavalink:\n  server:\n    password: "from-file"\n');
    const child = spawn(process.execPath, ['--import', TSX, BIN, 'serve', '--config', config], {
      // Port 0 from the environment, over the file's port 1.
      env: { ...process.env, SERVER_PORT: '0', LAVALINK_SERVER_PASSWORD: undefined },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', () => {
        const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`spence serve exited (${code}): ${stderr}`)));
    });
    const version = await fetch(`http://127.0.0.1:${port}/version`, { headers: { Authorization: 'from-file' } });
    expect(version.status).toBe(200);
    expect(await version.text()).toMatch(/^4\.2\.0\+spence\./);
    expect((await fetch(`http://127.0.0.1:${port}/version`)).status).toBe(401);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain(`configuration from ${config}`);
  });

  it('refuses a configuration without a password, naming the key', () => {
    const result = spawnSync(process.execPath, ['--import', TSX, BIN, 'serve'], {
      cwd: work,
      env: { ...process.env, LAVALINK_SERVER_PASSWORD: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/lavalink\.server\.password/);
  });
});
