/**
 * Import cost (issue 14 item 3): the heavy libraries load on first use, not when the package is
 * imported or a node is made. Each case runs in a fresh process that records every package a
 * module resolution reaches (module.registerHooks), so what an earlier test loaded cannot hide it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const HEAVY = ['youtubei.js', 'spotify-web-api-node', 'hls-parser', 'undici', 'opus-decoder', 'mpg123-decoder', '@evan/opus', 'fuse.js'];

/** The packages (node_modules names) a fresh process resolves while running `body` (ES module code). */
async function packagesLoadedBy(body: string): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
        if (match) seen.add(match[1]);
        return result;
      },
    });
    const src = (path) => ${JSON.stringify(pathToFileURL(root).href)} + '/' + path;
    ${body}
    process.stdout.write(JSON.stringify([...seen].sort()));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
  return JSON.parse(stdout) as string[];
}

describe('heavy dependencies load on first use', () => {
  it('importing the root entry and making a node with the default providers loads none of them', async () => {
    const loaded = await packagesLoadedBy(`
      const { Node } = await import(src('src/index.ts'));
      const node = new Node();
      node.createPlayer().destroy();
      await node.close();
    `);
    expect(loaded.filter((name) => HEAVY.includes(name))).toEqual([]);
  });

  it('the demux and provider kit entries load no package at all', async () => {
    expect(await packagesLoadedBy(`await import(src('src/demux/index.ts'));`)).toEqual([]);
    expect(await packagesLoadedBy(`await import(src('src/provider-kit.ts'));`)).toEqual([]);
  });

  it('the voice entry loads no package, and a player connects to a VoiceConnection without loading @discordjs/voice (an optional peer)', async () => {
    expect(await packagesLoadedBy(`await import(src('src/voice/index.ts'));`)).toEqual([]);
    const loaded = await packagesLoadedBy(`
      const { EventEmitter } = await import('node:events');
      const { BaseNode } = await import(src('src/node/node.ts'));
      const node = new BaseNode();
      const connection = Object.assign(new EventEmitter(), { state: { status: 'signalling' }, prepareAudioPacket() {}, dispatchAudio() {}, setSpeaking() {} });
      node.createPlayer().connect(connection);
      await node.close();
    `);
    expect(loaded).not.toContain('@discordjs/voice');
  });
});
