/**
 * The package as its users get it (issue 14 item 11): the tarball `npm pack` makes, installed in
 * a project of its own, loads from a CommonJS consumer (`require`, Node >= 22.12 loading ES modules)
 * and from an ES module consumer, every entry, with the same exports both ways; its `spence`
 * command runs. The dependencies are this checkout's (linked, no registry: the suite stays offline).
 *
 * Needs the build (dist/); CI builds before it tests.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const built = existsSync(join(root, 'dist', 'src', 'index.js'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };

/** Every entry a user can name: the fixed ones, and `spence/providers/<name>` for each built-in provider. */
const entries = [
  ...Object.keys(pkg.exports).filter((key) => !key.includes('*') && key !== './package.json').map((key) => (key === '.' ? 'spence' : `spence/${key.slice(2)}`)),
  ...readdirSync(join(root, 'providers')).filter((name) => existsSync(join(root, 'providers', name, 'index.ts'))).map((name) => `spence/providers/${name}`),
];

describe.skipIf(!built)('the packed package (skipped: run npm run build first; CI builds before testing)', () => {
  let app: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'spence-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root });
    const tarball = join(scratch, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    await run('tar', ['-xzf', tarball, '-C', scratch]);
    app = join(scratch, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    renameSync(join(scratch, 'package'), join(app, 'node_modules', 'spence'));
    // "Installed": the package under node_modules/spence, its dependencies beside it.
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name.startsWith('.') || name === 'spence') continue;
      symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name), 'dir');
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  }, 120_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs `source` as the consumer's `file`; resolves with what it printed (JSON). */
  async function consumer(file: string, source: string): Promise<Record<string, string[]>> {
    writeFileSync(join(app, file), source);
    const { stdout } = await run(process.execPath, [file], { cwd: app });
    return JSON.parse(stdout) as Record<string, string[]>;
  }

  it('require() and import load every entry, with the same exports', async () => {
    const required = await consumer('consumer.cjs', `
      const out = {};
      for (const entry of ${JSON.stringify(entries)}) out[entry] = Object.keys(require(entry)).filter((k) => k !== 'module.exports' && k !== 'default').sort();
      process.stdout.write(JSON.stringify(out));
    `);
    const imported = await consumer('consumer.mjs', `
      const out = {};
      for (const entry of ${JSON.stringify(entries)}) out[entry] = Object.keys(await import(entry)).sort();
      process.stdout.write(JSON.stringify(out));
    `);
    expect(Object.keys(required)).toEqual(entries);
    expect(required).toEqual(imported);
    expect(required['spence']).toEqual(expect.arrayContaining(['Node', 'BaseNode', 'defaultProviders', 'SpenceError', 'ErrorCodes', 'ManualClock', 'decodeTrack']));
    expect(required['spence/provider']).toEqual(expect.arrayContaining(['SpenceError', 'createHttpMedia', 'redact', 'mapLimit', 'probeMedia']));
    expect(required['spence/demux']).toEqual(expect.arrayContaining(['demux', 'WebmDemuxer', 'OggDemuxer', 'OggOpusWriter', 'inspectMedia']));
    expect(required['spence/transcode']).toEqual(expect.arrayContaining(['Transcoder', 'TranscodePool']));
    expect(required['spence/mirror']).toEqual(expect.arrayContaining(['Mirror', 'pickMatch']));
    expect(required['spence/providers/youtube']).toContain('youtubeProvider');
  });

  it('a CommonJS bot makes a node, resolves a local file and closes it', async () => {
    const out = await consumer('bot.cjs', `
      const { Node, defaultProviders, isSpenceError } = require('spence');
      const dir = require('node:path').dirname(require.resolve('spence/package.json'));
      (async () => {
        const node = new Node({ providers: defaultProviders({ local: { roots: [dir] } }) });
        const result = await node.resolve(dir + '/fixtures/media/sample.webm');
        const refused = await node.resolve('/etc/passwd').catch((e) => isSpenceError(e) && e.code);
        await node.close();
        process.stdout.write(JSON.stringify({ type: [result.type], durationMs: [String(result.track.durationMs)], refused: [refused], closed: [String(node.closed)] }));
      })();
    `);
    expect(out).toEqual({ type: ['track'], durationMs: ['10008'], refused: ['FORBIDDEN_URL'], closed: ['true'] });
  });

  it('the spence command runs', async () => {
    const { stdout } = await run(process.execPath, [join(app, 'node_modules', 'spence', 'dist', 'src', 'cli', 'bin.js'), '--version'], { cwd: app });
    expect(stdout.trim()).toBe(pkg.version);
  });
});
