/**
 * Node options are checked when given (issue 15 item 15, the node's part): a bad value is an
 * INVALID_ARGUMENT at construction that names the option and what it accepts, not a RangeError
 * from the first player, nor a value silently replaced.
 */
import { describe, expect, it } from 'vitest';
import { defaultProviders } from '../../src/default-providers.js';
import { Node } from '../../src/node.js';
import { BaseNode } from '../../src/node/node.js';
import type { NodeOptions } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';

/** The error `make` throws; fails the test when it throws none. */
function thrown(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  throw new Error('expected the construction to throw');
}

const refused: [string, NodeOptions, string][] = [
  ['scheduler.stallThresholdMs', { scheduler: { stallThresholdMs: -1 } }, 'scheduler.stallThresholdMs must be a number >= 0, got -1'],
  ['scheduler.stallThresholdMs NaN', { scheduler: { stallThresholdMs: Number.NaN } }, 'scheduler.stallThresholdMs must be a number >= 0, got NaN'],
  ['transcode.workers', { transcode: { workers: -3 } }, 'transcode.workers must be an integer >= 1, got -3'],
  ['transcode.workers fraction', { transcode: { workers: 1.5 } }, 'transcode.workers must be an integer >= 1, got 1.5'],
  ['transcode.budget', { transcode: { budget: 0 } }, 'transcode.budget must be a number > 0 and <= 1, got 0'],
  ['closeTimeoutMs', { closeTimeoutMs: Infinity }, 'closeTimeoutMs must be a number >= 0, got Infinity'],
  ['cache.max', { cache: { max: -1 } }, 'cache.max must be an integer >= 0, got -1'],
  ['cache.ttlMs', { cache: { ttlMs: '10' as never } }, 'cache.ttlMs must be a number >= 0, got "10"'],
  ['http.allowPrivateAddresses', { http: { allowPrivateAddresses: 'yes' as never } }, 'http.allowPrivateAddresses must be a boolean, got "yes"'],
  ['defaultSearchPrefix', { defaultSearchPrefix: 'yt search' }, 'defaultSearchPrefix must be a search prefix'],
  ['clock', { clock: {} as never }, 'clock must be an object with a now() method'],
  ['mirror.match.minScore', { mirror: { match: { minScore: 2 } } }, 'mirror.match.minScore must be a number >= 0 and <= 1, got 2'],
  ['mirror.search.limit', { mirror: { search: { limit: 0 } } }, 'mirror.search.limit must be an integer >= 1, got 0'],
  ['mirror.store', { mirror: { store: { get: async () => undefined } as never } }, 'mirror.store must be an object with a set() method'],
  ['mirror', { mirror: 'youtube' as never }, 'mirror must be an object, got "youtube"'],
  ['providers', { providers: {} as never }, 'providers must be an array, got an object'],
];

describe('Node options are checked at construction', () => {
  it.each(refused)('%s', (_name, options, message) => {
    for (const make of [() => new Node(options), () => new BaseNode(options)]) {
      expect(thrown(make)).toMatchObject({ name: 'SpenceError', code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) });
    }
  });

  it('an unknown local readWorker mode is refused when the providers are made', () => {
    expect(thrown(() => new Node({ providers: defaultProviders({ local: { roots: [], readWorker: 'sometimes' as never } }) }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('options within their bounds are taken, and the node works', async () => {
    const node = new Node({
      clock: new ManualClock(),
      closeTimeoutMs: 0,
      scheduler: { stallThresholdMs: 0 },
      transcode: { workers: 1, budget: 1 },
      cache: { max: 0, ttlMs: 0 },
      http: { connections: 1, allowPrivateAddresses: false, lookup: async () => [] },
      mirror: { ttlMs: 0, noMatchTtlMs: 0, match: { minScore: 0 }, search: { limit: 1, isrcPrefix: null } },
      defaultSearchPrefix: 'scsearch',
    });
    node.createPlayer().destroy();
    await node.close();
  });
});
