import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { defaultProviders } from '../../src/default-providers.js';

const sample = fileURLToPath(new URL('../../fixtures/media/sample.webm', import.meta.url));

describe('the node’s transcoding pool', () => {
  it('is not started for passthrough, starts on the first volume change, and closes with the node', async () => {
    const node = new Node({ providers: defaultProviders({ local: { roots: [dirname(sample)] } }), transcode: { workers: 1 } });
    const poolOf = () => (node as unknown as { pool: unknown }).pool;
    const result = await node.resolve(sample);
    if (result.type !== 'track') throw new Error('expected a track');

    const plain = node.createPlayer({ mode: 'pull' });
    await plain.load(result.track);
    expect(plain.readFrame()).not.toBeNull();
    expect(poolOf()).toBeNull(); // Opus passthrough costs nothing

    const louder = node.createPlayer({ mode: 'pull' });
    louder.setVolume(0.5);
    await louder.load(result.track);
    let frames = 0;
    for (let i = 0; i < 2000 && frames < 25; i++) {
      if (louder.readFrame()) frames++;
      else await new Promise((r) => setTimeout(r, 2));
    }
    expect(frames).toBe(25);
    expect(louder.transcoding).toBe(true);
    expect(poolOf()).not.toBeNull();
    await node.destroy(); // resolves: the workers are closed, nothing keeps the process alive
  });
});
