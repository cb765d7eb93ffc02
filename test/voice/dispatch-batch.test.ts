/**
 * DispatchBatch: every output prepared in one tick is dispatched after the tick's last task, in
 * the order prepared, once; a link prepared twice in one tick sends its first packet first; the
 * counters follow what was sent.
 */
import { describe, expect, it } from 'vitest';
import { DispatchBatch, OutputLink } from '../../src/voice/dispatch-batch.js';
import type { VoiceOutput } from '../../src/voice/index.js';

function fakeOutput(log: string[], name: string, ready = true): VoiceOutput {
  let prepared: string | null = null;
  return {
    state: { status: ready ? 'ready' : 'connecting' },
    prepare: (packet) => {
      if (!ready) return false;
      prepared = `${name}:${packet[0]}`;
      log.push(`prepare ${prepared}`);
      return true;
    },
    dispatch: () => {
      if (prepared === null) return false;
      log.push(`dispatch ${prepared}`);
      prepared = null;
      return true;
    },
    setSpeaking: () => {},
    subscribe: () => () => {},
  };
}

describe('DispatchBatch', () => {
  it('dispatches after the synchronous work that prepared, in order, once', async () => {
    const log: string[] = [];
    const batch = new DispatchBatch();
    const a = new OutputLink(fakeOutput(log, 'a'));
    const b = new OutputLink(fakeOutput(log, 'b'));
    expect(batch.send(a, Uint8Array.of(1), 20)).toBe(true);
    expect(batch.send(b, Uint8Array.of(1), 20)).toBe(true);
    expect(log).toEqual(['prepare a:1', 'prepare b:1']);
    await Promise.resolve();
    expect(log).toEqual(['prepare a:1', 'prepare b:1', 'dispatch a:1', 'dispatch b:1']);
    await Promise.resolve();
    expect(log).toHaveLength(4);
    expect(a.stats).toEqual({ sent: 1, nulled: 0, deficit: 0 });
  });

  it('sends a link’s waiting packet before preparing its next one in the same tick', async () => {
    const log: string[] = [];
    const batch = new DispatchBatch();
    const a = new OutputLink(fakeOutput(log, 'a'));
    const b = new OutputLink(fakeOutput(log, 'b'));
    batch.send(a, Uint8Array.of(1), 20);
    batch.send(b, Uint8Array.of(1), 20);
    batch.send(a, Uint8Array.of(2), 20);
    await Promise.resolve();
    expect(log).toEqual(['prepare a:1', 'prepare b:1', 'dispatch a:1', 'prepare a:2', 'dispatch a:2', 'dispatch b:1']);
    expect(a.stats).toEqual({ sent: 2, nulled: 0, deficit: 0 });
  });

  it('counts a frame an output cannot take as deficit, and a throwing output does not stop the others', async () => {
    const log: string[] = [];
    const batch = new DispatchBatch();
    const throwing = new OutputLink({ ...fakeOutput(log, 'x'), dispatch: () => { throw new Error('boom'); } });
    const late = new OutputLink(fakeOutput(log, 'late', false));
    const ok = new OutputLink(fakeOutput(log, 'ok'));
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      batch.send(throwing, Uint8Array.of(1), 20);
      expect(batch.send(late, Uint8Array.of(1), 20)).toBe(false);
      batch.send(ok, Uint8Array.of(1), 20);
      batch.flush();
      expect(log).toEqual(['prepare x:1', 'prepare ok:1', 'dispatch ok:1']);
      expect([throwing.stats.deficit, late.stats.deficit, ok.stats.sent]).toEqual([1, 1, 1]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toHaveLength(1);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});
