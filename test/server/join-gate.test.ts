/**
 * The voice joins' gate: at most `limit` joins hold a slot; the others start in the order they
 * asked as slots are left; a cancelled wait never starts.
 */
import { describe, expect, it } from 'vitest';
import { discordVoiceLinks } from '../../src/server/discord-voice-link.js';
import { JoinGate } from '../../src/server/join-gate.js';

describe('JoinGate', () => {
  it('starts joins at once up to its limit, then each as an earlier one leaves, in order; a cancelled wait never starts', () => {
    const gate = new JoinGate(2);
    const started: string[] = [];
    const enter = (name: string): (() => void) | null => gate.enter(() => started.push(name));
    expect(enter('a')).toBeNull();
    expect(enter('b')).toBeNull();
    const cancelC = enter('c');
    enter('d');
    enter('e');
    expect(started).toEqual(['a', 'b']);
    cancelC!();
    gate.leave();
    expect(started).toEqual(['a', 'b', 'd']);
    gate.leave();
    expect(started).toEqual(['a', 'b', 'd', 'e']);
    // d and e hold the slots; one leaves, and the next starts at once; the one after waits.
    gate.leave();
    expect(enter('f')).toBeNull();
    expect(enter('g')).not.toBeNull();
    expect(started).toEqual(['a', 'b', 'd', 'e', 'f']);
    gate.leave();
    expect(started).toEqual(['a', 'b', 'd', 'e', 'f', 'g']);
  });

  it('discordVoiceLinks refuses a join policy it cannot use with INVALID_ARGUMENT, naming the option', () => {
    for (const [options, name] of [
      [{ concurrentJoins: 0 }, 'concurrentJoins'],
      [{ stepTimeoutMs: Number.NaN }, 'stepTimeoutMs'],
      [{ retries: -1 }, 'retries'],
    ] as const) {
      expect(() => discordVoiceLinks(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(name) }) as Error);
    }
  });
});
