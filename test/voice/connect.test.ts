/**
 * `player.connect()` on the ManualClock with outputs the test writes: a player due twice in one
 * tick (catching up) dispatches its first frame before preparing its second; one player per
 * connection and one connection per player; a @discordjs/voice connection recognised by its
 * methods and wrapped; an output whose state ends (4014, destroyed) ends the link with
 * `voiceClose`, at once with `subscribe`, at the next slot without; the node sums its players'
 * frame counters.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FrameEvent, VoiceCloseEvent } from '../../src/player/types.js';
import { createDiscordJsOutput, type DiscordJsVoiceConnection, type VoiceOutput, type VoiceOutputState } from '../../src/voice/index.js';
import { makeTrack, packets20, setup } from '../player/helpers.js';
import { play, sourcePackets, voiceNode } from './helpers.js';

/** An output that logs `prepare name:frameIndex` and `dispatch name:frameIndex`. */
function loggingOutput(log: string[], name: string): VoiceOutput {
  let pending: number | null = null;
  return {
    prepare(frame: FrameEvent) {
      expect(pending).toBeNull(); // one prepared frame at a time
      pending = frame.frameIndex;
      log.push(`prepare ${name}:${pending}`);
    },
    dispatch() {
      log.push(`dispatch ${name}:${pending}`);
      pending = null;
    },
  };
}

/** An output whose state the test sets; `subscribe` only when `reports`. */
function statefulOutput(reports: boolean): VoiceOutput & { set(state: VoiceOutputState): void; frames: number[] } {
  let state: VoiceOutputState = { status: 'ready' };
  const listeners = new Set<(old: VoiceOutputState, next: VoiceOutputState) => void>();
  const frames: number[] = [];
  return {
    get state() {
      return state;
    },
    frames,
    set(next) {
      const old = state;
      state = next;
      for (const listener of listeners) listener(old, next);
    },
    prepare: (frame) => void frames.push(frame.frameIndex),
    dispatch() {},
    ...(reports && {
      subscribe(listener: (old: VoiceOutputState, next: VoiceOutputState) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    }),
  };
}

/** Something shaped like a @discordjs/voice `VoiceConnection` (what connect() recognises). */
function fakeConnection(status: 'signalling' | 'destroyed' = 'signalling'): DiscordJsVoiceConnection & EventEmitter {
  return Object.assign(new EventEmitter(), {
    state: { status } as DiscordJsVoiceConnection['state'],
    prepareAudioPacket: () => undefined,
    dispatchAudio: () => false,
    setSpeaking: () => false,
  });
}

describe('player.connect()', () => {
  it('a player due twice in one tick (catching up) dispatches its first frame before preparing its second; every frame once, in order', async () => {
    const { clock, opener, createPlayer } = setup();
    const log: string[] = [];
    const players = ['a', 'b'].map((name) => {
      const player = createPlayer({ silenceFrames: 0 });
      player.connect(loggingOutput(log, name));
      return player;
    });
    const source = packets20(30);
    await Promise.all(players.map((p) => p.load(opener.add(makeTrack(), { packets: source }))));
    await clock.advance(100);
    const before = log.length;
    clock.block(50); // the loop was busy: the next tick is 50 ms late, under the stall threshold
    await clock.advance(0);
    const tick = log.slice(before);
    // Each player caught up in the one tick, its first frame dispatched before its second prepared.
    expect(tick.filter((l) => l.startsWith('prepare a')).length).toBeGreaterThanOrEqual(2);
    expect(tick.join(',')).toMatch(/^prepare a:\d+,prepare b:\d+,dispatch a:\d+,prepare a:/);
    await clock.advance(1000);
    for (const name of ['a', 'b']) {
      const mine = log.filter((l) => l.split(' ')[1]!.startsWith(`${name}:`));
      expect(mine).toEqual(source.flatMap((_, i) => [`prepare ${name}:${i}`, `dispatch ${name}:${i}`]));
    }
  });

  it('one connection per player, one player per connection', () => {
    const { createPlayer } = setup();
    const [a, b] = [createPlayer(), createPlayer()];
    const output = loggingOutput([], 'o');
    a.connect(output);
    expect(() => a.connect(loggingOutput([], 'p'))).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(() => b.connect(output)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(a.disconnect()).toBe(true);
    b.connect(output);
    expect(b.output).toBe(output);
    expect(() => a.connect({ prepare: 1 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('recognises a @discordjs/voice connection by its methods, wraps it, and lets it go on disconnect', () => {
    const { createPlayer } = setup();
    const [a, b] = [createPlayer(), createPlayer()];
    const connection = fakeConnection();
    a.connect(connection);
    expect(a.output).not.toBe(connection);
    expect(a.output!.state).toEqual({ status: 'connecting' });
    expect(connection.listenerCount('stateChange')).toBe(1);
    expect(() => b.connect(connection)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(() => createDiscordJsOutput(connection)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    a.disconnect();
    expect(connection.listenerCount('stateChange')).toBe(0);
    b.connect(connection);
    expect(() => a.connect(fakeConnection('destroyed'))).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    expect(a.output).toBeNull();
  });

  it('an output that reports its end (4014) ends the link at once: voiceClose, disconnected, the output free', async () => {
    const { clock, opener, createPlayer } = setup();
    const player = createPlayer({ silenceFrames: 0 });
    const output = statefulOutput(true);
    player.connect(output);
    const closes: VoiceCloseEvent[] = [];
    player.on('voiceClose', (event) => closes.push(event));
    await player.load(opener.add(makeTrack(), { packets: packets20(50) }));
    await clock.advance(190);
    expect(output.frames).toHaveLength(10);
    output.set({ status: 'connecting' });
    expect(closes).toEqual([]);
    output.set({ status: 'disconnected', closeCode: 4014 });
    expect(closes).toEqual([{ code: 4014, reason: 'Disconnected' }]);
    expect(player.output).toBeNull();
    // The player plays on unconnected (its frame listeners have the frames); the output hears no more.
    const frames: number[] = [];
    player.on('frame', (f) => frames.push(f.frameIndex));
    await clock.advance(100);
    expect(frames).toEqual([10, 11, 12, 13, 14]);
    expect(output.frames).toHaveLength(10);
    // Free for another player once it can send again.
    output.set({ status: 'ready' });
    createPlayer().connect(output);
    expect(closes).toHaveLength(1);
  });

  it('an output that does not report its changes ends the link at the next slot it is due', async () => {
    const { clock, opener, createPlayer } = setup();
    const player = createPlayer({ silenceFrames: 0 });
    const output = statefulOutput(false);
    player.connect(output);
    const closes: VoiceCloseEvent[] = [];
    player.on('voiceClose', (event) => closes.push(event));
    const frames: number[] = [];
    player.on('frame', (f) => frames.push(f.frameIndex));
    await player.load(opener.add(makeTrack(), { packets: packets20(50) }));
    await clock.advance(90);
    output.set({ status: 'destroyed' });
    expect(closes).toEqual([]);
    await clock.advance(20);
    expect(closes).toEqual([{ reason: 'The voice connection was destroyed' }]);
    expect(player.output).toBeNull();
    expect(output.frames).toEqual([0, 1, 2, 3, 4]);
    expect(frames).toEqual([0, 1, 2, 3, 4, 5]); // the slot that found it over went on unconnected
  });

  it('the node sums its players\' frame counters, destroyed players included', async () => {
    const { node, clock, track } = voiceNode();
    const source = await sourcePackets('opusenc-stereo.opus');
    const players = [node.createPlayer(), node.createPlayer()];
    for (const player of players) player.connect({ prepare() {}, dispatch() {} });
    let ended = 0;
    for (const player of players) {
      player.once('trackEnd', () => ended++);
      await player.load(await track('opusenc-stereo.opus'));
    }
    await play(clock, () => ended === 2);
    await clock.advance(200);
    expect(players.map((p) => p.frameStats.sent)).toEqual([source.length + 5, source.length + 5]);
    expect(node.frameStats).toEqual({ sent: 2 * (source.length + 5), nulled: 0, deficit: 0 });
    players[0]!.destroy();
    expect(node.frameStats.sent).toBe(2 * (source.length + 5));
    node.destroy();
  });
});
