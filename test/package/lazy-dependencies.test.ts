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

/**
 * What a fresh process resolves while running `body` (ES module code): the packages (node_modules
 * names), and the project's own modules (paths from the repository root).
 */
async function loadedBy(body: string): Promise<{ packages: string[]; modules: string[] }> {
  const rootUrl = pathToFileURL(root).href + '/';
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    const modules = new Set();
    const rootUrl = ${JSON.stringify(rootUrl)};
    registerHooks({
      resolve(specifier, context, next) {
        const result = next(specifier, context);
        const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(result.url);
        if (match) seen.add(match[1]);
        else if (result.url.startsWith(rootUrl)) modules.add(result.url.slice(rootUrl.length));
        return result;
      },
    });
    const src = (path) => rootUrl + path;
    ${body}
    process.stdout.write(JSON.stringify({ packages: [...seen].sort(), modules: [...modules].sort() }));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
  return JSON.parse(stdout) as { packages: string[]; modules: string[] };
}

/** The packages (node_modules names) a fresh process resolves while running `body`. */
async function packagesLoadedBy(body: string): Promise<string[]> {
  return (await loadedBy(body)).packages;
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

  it("importing the root entry and making a node loads only the built-in providers' entries and URL parsing, not their request modules", async () => {
    const { modules } = await loadedBy(`
      const { Node } = await import(src('src/index.ts'));
      const node = new Node();
      node.createPlayer().destroy();
      await node.close();
    `);
    // What canResolve and each entry's exports need; clients, catalogues, streams and track
    // mapping load on a provider's first resolve, search or open.
    expect(modules.filter((path) => path.startsWith('providers/'))).toEqual([
      'providers/applemusic/index.ts', 'providers/applemusic/links.ts',
      'providers/deezer/index.ts', 'providers/deezer/links.ts',
      'providers/http/index.ts',
      'providers/local/index.ts', 'providers/local/roots.ts',
      'providers/soundcloud/formats.ts', 'providers/soundcloud/index.ts', 'providers/soundcloud/urls.ts',
      'providers/spotify/index.ts', 'providers/spotify/links.ts',
      'providers/youtube/index.ts', 'providers/youtube/urls.ts',
    ]);
    // The track opener loads with the first track opened.
    expect(modules).not.toContain('src/open/media-track.ts');
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
