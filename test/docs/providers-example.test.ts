import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import type { OpusPacket } from '../../src/demux/types.js';
import { catalogProvider } from '../../docs/examples/catalog-provider.js';

const bytes = new Uint8Array(readFileSync(new URL('../../fixtures/media/sample.webm', import.meta.url)));
const entries = [
  { id: 'a1', title: 'Morning Chords', artist: 'House Band', durationMs: 10_000, bytes },
  { id: 'b2', title: 'Evening Chords', artist: 'House Band', durationMs: 10_000, bytes },
];

describe('docs/providers.md: a custom provider written against the public entry', () => {
  it('is the code the guide shows', () => {
    const guide = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../docs/examples/catalog-provider.ts', import.meta.url), 'utf8');
    expect(guide).toContain(example.trim());
  });

  it('resolves URLs and searches through a Node, beside the built-ins', async () => {
    const node = new Node();
    node.registerProvider(catalogProvider(entries));
    const one = await node.resolve('catalog://a1');
    expect(one.type === 'track' && one.track).toMatchObject({ source: 'catalog', title: 'Morning Chords', author: 'House Band' });
    const found = await node.resolve('catsearch:chords house');
    expect(found.type === 'search' && found.tracks.map((t) => t.identifier)).toEqual(['a1', 'b2']);
    expect(await node.resolve('catsearch:jazz')).toEqual({ type: 'empty' });
    await expect(node.resolve('catalog://zz')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await node.close();
  });

  it('plays a stored track later, from its encoded string alone', async () => {
    const node = new Node({ providers: [catalogProvider(entries)] });
    const result = await node.resolve('catalog://b2');
    if (result.type !== 'track') throw new Error('expected a track');
    const stored = result.track.encoded;
    const track = node.decodeTrack(stored);
    const opened = await node.openTrack(track, { signal: new AbortController().signal });
    expect(opened.info.channels).toBe(2);
    const packets: OpusPacket[] = [];
    for (let r = await opened.packets.next(); !r.done; r = await opened.packets.next()) packets.push(r.value);
    opened.close();
    expect(packets.length).toBe(501);
    await node.close();
  });
});
