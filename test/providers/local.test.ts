import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpenceError } from '../../src/provider-kit.js';
import { Node } from '../../src/node.js';
import { defaultProviders } from '../../src/default-providers.js';
import { codeOf } from '../helpers/errors.js';

const sample = new URL('../../fixtures/media/sample.webm', import.meta.url);
const oggSample = new URL('../../fixtures/media/opusenc-stereo.opus', import.meta.url);


describe('the local provider', () => {
  let dir: string;
  let root: string;
  let outside: string;
  let node: Node;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spence-local-'));
    root = join(dir, 'music');
    outside = join(dir, 'secret');
    await mkdir(join(root, 'album'), { recursive: true });
    await mkdir(outside);
    await copyFile(sample, join(root, 'album', 'song.webm'));
    await copyFile(oggSample, join(root, 'song.opus'));
    await copyFile(sample, join(outside, 'private.webm'));
    await writeFile(join(root, 'notes.txt'), 'not media');
    await symlink(join(outside, 'private.webm'), join(root, 'escape.webm'));
    await symlink(outside, join(root, 'escape-dir'));
    await symlink(join(root, 'album', 'song.webm'), join(root, 'inside-link.webm'));
    node = new Node({ providers: defaultProviders({ local: { roots: [root] } }) });
  });
  afterAll(async () => {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves a WebM file under a root, with its duration', async () => {
    const result = await node.resolve(join(root, 'album', 'song.webm'));
    expect(result.type).toBe('track');
    if (result.type !== 'track') return;
    expect(result.track).toMatchObject({ source: 'local', title: 'song', isStream: false, isSeekable: true });
    expect(result.track.durationMs).toBeGreaterThan(9000);
    expect(result.track.durationMs).toBeLessThan(11000);
    expect(node.decodeTrack(result.track.encoded)).toEqual(result.track);
  });

  it('resolves an Ogg file and a file: URL, reading the duration from the last page', async () => {
    const result = await node.resolve(pathToFileURL(join(root, 'song.opus')).href);
    expect(result.type === 'track' && result.track.durationMs).toBeGreaterThan(0);
  });

  it('plays a file under a root that is itself a symlink (the track names the real path)', async () => {
    const linkedRoot = join(dir, 'music-link');
    await symlink(root, linkedRoot);
    const linked = new Node({ providers: defaultProviders({ local: { roots: [linkedRoot] } }) });
    try {
      const result = await linked.resolve(join(linkedRoot, 'album', 'song.webm'));
      expect(result.type).toBe('track');
      if (result.type !== 'track') return;
      const opened = await linked.openTrack(result.track, { signal: new AbortController().signal });
      try {
        expect(opened.info.channels).toBeGreaterThan(0);
        expect((await opened.packets.next()).done).toBe(false);
      } finally {
        opened.close();
      }
      // The real root's own escape links are still refused through the linked root.
      await expect(linked.resolve(join(linkedRoot, 'escape.webm'))).rejects.toMatchObject({ code: 'FORBIDDEN_URL' });
    } finally {
      await linked.close();
    }
  });

  it('follows a link that stays inside the roots', async () => {
    const result = await node.resolve(join(root, 'inside-link.webm'));
    expect(result.type).toBe('track');
  });

  it('refuses a path outside the roots', async () => {
    expect(await codeOf(node.resolve(join(outside, 'private.webm')))).toBe('FORBIDDEN_URL');
  });

  it('refuses .. that climbs out of a root', async () => {
    expect(await codeOf(node.resolve(`${root}/album/../../secret/private.webm`))).toBe('FORBIDDEN_URL');
    expect(await codeOf(node.resolve(pathToFileURL(`${root}/../secret/private.webm`).href))).toBe('FORBIDDEN_URL');
  });

  it('refuses symbolic links that escape the roots', async () => {
    expect(await codeOf(node.resolve(join(root, 'escape.webm')))).toBe('FORBIDDEN_URL');
    expect(await codeOf(node.resolve(join(root, 'escape-dir', 'private.webm')))).toBe('FORBIDDEN_URL');
  });

  it('says NOT_FOUND for a missing file and UNSUPPORTED_INPUT for a non-media file', async () => {
    expect(await codeOf(node.resolve(join(root, 'missing.webm')))).toBe('NOT_FOUND');
    expect(await codeOf(node.resolve(join(root, 'notes.txt')))).toBe('UNSUPPORTED_INPUT');
    expect(await codeOf(node.resolve(join(root, 'album')))).toBe('UNSUPPORTED_INPUT');
  });

  it('is off unless roots are configured', async () => {
    const plain = new Node();
    const error = await plain.resolve(join(root, 'album', 'song.webm')).catch((e: unknown) => e as SpenceError);
    expect(error).toMatchObject({ code: 'FORBIDDEN_URL' });
    expect((error as Error).message).toMatch(/local: \{ roots/);
    await plain.close();
  });

  it('checks the roots again when opening, so a forged encoded track cannot read other files', async () => {
    const result = await node.resolve(join(root, 'album', 'song.webm'));
    if (result.type !== 'track') throw new Error('expected a track');
    const { createTrack } = await import('../../src/provider-kit.js');
    const forged = createTrack({ ...result.track, identifier: join(outside, 'private.webm') });
    expect(await codeOf(node.openMedia(forged))).toBe('FORBIDDEN_URL');
    const media = await node.openMedia(result.track);
    let bytes = 0;
    for await (const chunk of media.read(0, { signal: new AbortController().signal })) bytes += chunk.length;
    media.close();
    expect(bytes).toBe((await import('node:fs')).statSync(join(root, 'album', 'song.webm')).size);
  });

  it('reads the file it checked: a directory swapped for a link out of the roots after open() changes nothing (issue 15 item 14)', async () => {
    const inner = join(root, 'swap');
    const elsewhere = join(outside, 'swap');
    await mkdir(inner);
    await mkdir(elsewhere);
    await copyFile(sample, join(inner, 'song.webm'));
    const expected = await readFile(join(inner, 'song.webm'));
    await writeFile(join(elsewhere, 'song.webm'), Buffer.alloc(expected.length, 'SECRET'));
    const result = await node.resolve(join(inner, 'song.webm'));
    if (result.type !== 'track') throw new Error('expected a track');
    const media = await node.openMedia(result.track);
    // The swap, for real: the checked directory is moved away and a link out of the roots takes its name.
    await rename(inner, join(root, 'swap-old'));
    await symlink(elsewhere, inner);
    try {
      const parts: Uint8Array[] = [];
      for await (const chunk of media.read(0, { signal: new AbortController().signal })) parts.push(chunk);
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
      const target = new Uint8Array(4096);
      expect(await media.readAt!(1000, target, { signal: new AbortController().signal })).toBe(4096);
      expect(Buffer.from(target).equals(expected.subarray(1000, 5096))).toBe(true);
    } finally {
      media.close();
    }
    // Opened afresh, the path is what it is now: outside the roots.
    expect(await codeOf(node.resolve(join(inner, 'song.webm')))).toBe('FORBIDDEN_URL');
    expect(await codeOf(node.openMedia(result.track))).toBe('FORBIDDEN_URL');
  });
});
