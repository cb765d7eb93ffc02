/**
 * One lifecycle (issue 14 item 8): `close()` refuses new calls, lets running ones finish or aborts
 * them after `closeTimeoutMs` (on the node's clock), then releases players, providers and the
 * agent; `destroy()` aborts now; `closed`/`destroyed` say where a node is; the local read worker
 * is released by the last node that used it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultProviders } from '../../src/default-providers.js';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';
import type { LoadResult, Provider, ProviderContext, ResolveInput } from '../../src/provider-kit.js';
import { readWorkerStatus } from '../../providers/local/read-service.js';

const fixtures = fileURLToPath(new URL('../../fixtures/media/', import.meta.url));

interface HeldCall {
  input: string;
  settle(): void;
  signal: AbortSignal;
}

/** A provider whose resolves wait until the test settles them (or their signal fires, if `honour`). */
function heldProvider(honour = true): Provider & { calls: HeldCall[]; called(): Promise<HeldCall>; destroyed: number } {
  let onCall: ((call: HeldCall) => void) | null = null;
  const provider = {
    name: 'held',
    calls: [] as HeldCall[],
    destroyed: 0,
    /** The next call to resolve (the node makes its agent first, which takes a moment). */
    called: () => new Promise<HeldCall>((resolve) => (onCall = resolve)),
    canResolve: () => true,
    resolve(input: ResolveInput, context: ProviderContext): Promise<LoadResult> {
      return new Promise<LoadResult>((resolve, reject) => {
        const settle = () =>
          resolve({
            type: 'track',
            track: context.createTrack({ source: 'held', identifier: input.raw, uri: input.raw, title: input.raw, author: 'a', durationMs: 1000, isStream: false, isSeekable: true }),
          });
        const call = { input: input.raw, settle, signal: context.signal };
        provider.calls.push(call);
        onCall?.(call);
        if (honour) context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
      });
    },
    destroy() {
      provider.destroyed++;
    },
  };
  return provider;
}

/** Lets the promise jobs queued so far run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Starts a resolve on `node` and waits until it reaches the provider (wrapped: awaiting it would wait for the resolve). */
async function started(node: BaseNode, provider: ReturnType<typeof heldProvider>, input: string): Promise<{ running: Promise<LoadResult> }> {
  const called = provider.called();
  const running = node.resolve(input);
  running.catch(() => {});
  await called;
  return { running };
}

describe('node lifecycle', () => {
  it('close() refuses new calls at once, lets running ones finish, then releases the providers once', async () => {
    const provider = heldProvider();
    const node = new BaseNode({ providers: [provider], clock: new ManualClock() });
    expect([node.closed, node.destroyed]).toEqual([false, false]);
    const { running } = await started(node, provider, 'one');
    expect(provider.calls).toHaveLength(1);

    const closing = node.close();
    expect([node.closed, node.destroyed]).toEqual([true, false]);
    await expect(node.resolve('two')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('closing') });
    expect(() => node.createPlayer()).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(() => node.registerProvider(heldProvider())).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(provider.destroyed).toBe(0); // still running: nothing released yet

    provider.calls[0]!.settle();
    expect(await running).toMatchObject({ type: 'track', track: { identifier: 'one' } });
    await closing;
    expect(provider.destroyed).toBe(1);
    await expect(node.resolve('three')).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'This node has been closed' });
    await node.close();
    await node.destroy();
    expect(provider.destroyed).toBe(1);
    expect([node.closed, node.destroyed]).toEqual([true, true]);
  });

  it('close() is bounded: after closeTimeoutMs the running calls are aborted', async () => {
    const clock = new ManualClock();
    const provider = heldProvider();
    const node = new BaseNode({ providers: [provider], clock, closeTimeoutMs: 5_000 });
    const { running } = await started(node, provider, 'slow');
    let closed = false;
    const closing = node.close().then(() => (closed = true));
    await clock.advance(4_999);
    await turn();
    expect(closed).toBe(false);
    expect(provider.calls[0]!.signal.aborted).toBe(false);
    await clock.advance(1);
    await closing;
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    expect(provider.calls[0]!.signal.aborted).toBe(true);
    expect(provider.destroyed).toBe(1);
  });

  it('close() does not wait beyond the bound for a provider that ignores its signal', async () => {
    const clock = new ManualClock();
    const provider = heldProvider(false);
    const node = new BaseNode({ providers: [provider], clock, closeTimeoutMs: 1_000 });
    const { running } = await started(node, provider, 'deaf');
    const closing = node.close();
    await clock.advance(1_000);
    await closing;
    expect(provider.destroyed).toBe(1);
    // The call still ends, as ABORTED: the resolver stops waiting when its signal fires.
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('destroy() aborts running calls now, and cuts a close() short', async () => {
    const provider = heldProvider();
    const node = new BaseNode({ providers: [provider], clock: new ManualClock() });
    const { running } = await started(node, provider, 'x');
    const closing = node.close();
    const destroying = node.destroy();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED', cause: { message: 'The node was destroyed' } });
    await Promise.all([closing, destroying]);
    expect([node.closed, node.destroyed]).toEqual([true, true]);
    expect(provider.destroyed).toBe(1);
    await expect(node.openMedia({ source: 'held' } as never)).rejects.toMatchObject({ code: 'INVALID_STATE', message: 'This node has been destroyed' });
  });

  it('close() destroys the players: a playing player ends its track with cleanup', async () => {
    const node = new BaseNode({ providers: defaultProviders({ local: { roots: [fixtures] }, youtube: false, soundcloud: false }), clock: new ManualClock() });
    const result = await node.resolve(`${fixtures}sample.webm`);
    if (result.type !== 'track') throw new Error(result.type);
    const player = node.createPlayer({ mode: 'pull' });
    const ends: string[] = [];
    player.on('trackEnd', (_track, reason) => ends.push(reason));
    await player.load(result.track);
    await node.close();
    expect(ends).toEqual(['cleanup']);
  });
});

describe('the local read worker', () => {
  it('is released by the last node that used it', async () => {
    const made = () => new BaseNode({ providers: defaultProviders({ local: { roots: [fixtures], readWorker: 'always' } }), clock: new ManualClock() });
    const readOnce = async (node: BaseNode) => {
      const result = await node.resolve(`${fixtures}sample.webm`);
      if (result.type !== 'track') throw new Error(result.type);
      const media = await node.openMedia(result.track);
      const n = await media.readAt!(0, new Uint8Array(4096), { signal: new AbortController().signal });
      media.close();
      return n;
    };
    const first = made();
    const second = made();
    expect(await readOnce(first)).toBe(4096);
    expect(await readOnce(second)).toBe(4096);
    expect(readWorkerStatus()).toBe('running');
    await first.close();
    expect(readWorkerStatus()).toBe('running');
    await second.destroy();
    expect(readWorkerStatus()).toBe('none');
    // A node made later starts one again when it reads.
    const third = made();
    expect(await readOnce(third)).toBe(4096);
    expect(readWorkerStatus()).toBe('running');
    await third.close();
    expect(readWorkerStatus()).toBe('none');
  });
});
