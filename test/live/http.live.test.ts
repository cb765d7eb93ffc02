import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';

// Opt-in: `npm run test:live`. Talks to the real internet.
const url = process.env.SPENCE_LIVE_HTTP_URL ?? 'https://upload.wikimedia.org/wikipedia/commons/c/c8/Example.ogg';

describe.skipIf(process.env.SPENCE_LIVE !== '1')('live: http provider', () => {
  it('resolves and opens a public Ogg file', async () => {
    const node = new Node();
    try {
      const result = await node.resolve(url, { signal: AbortSignal.timeout(30_000) });
      expect(result.type).toBe('track');
    } catch (error) {
      // Example.ogg is Vorbis: a clear UNSUPPORTED_INPUT/DEMUX is the right answer for a non-Opus file.
      expect((error as { code?: string }).code).toMatch(/UNSUPPORTED_INPUT|DEMUX/);
    } finally {
      await node.close();
    }
  });
});
