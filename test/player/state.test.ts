/**
 * The player's state machine as a bot sees it (issue 14 item 5): the union-typed states and what
 * each carries, the output seam's prepare-then-dispatch per tick, and destroy as the owner sees it.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SpenceError } from '../../src/errors.js';
import { BaseNode } from '../../src/node/node.js';
import { ManualClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import type { FrameEvent, PlayerState } from '../../src/player/types.js';
import type { VoiceOutput, VoiceOutputState } from '../../src/voice/output.js';
import { hex, makeTrack, packets20, setup } from './helpers.js';

describe('Player state: a union tagged by status', () => {
  it('each status carries its data: the track, why it buffers, the failure', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 500, prebufferMs: 100, rebufferMs: 0 });
    const track = opener.add(makeTrack(), { packets: packets20(100), gateAt: 50 });
    const bad = opener.add(makeTrack(), { packets: [], openError: new SpenceError('UNAVAILABLE', 'private') });
    const player = createPlayer({ silenceFrames: 0 });
    const states: PlayerState[] = [player.state];
    player.on('stateChange', (old, next) => {
      expect(old).toBe(states.at(-1));
      states.push(next);
    });
    await player.load(track);
    await clock.advance(1100); // ran dry at packet 50
    opener.release();
    await clock.advance(2000);
    await player.load(bad).catch(() => {});
    const summary = states.map((s) => {
      switch (s.status) {
        case 'idle':
          return `idle ${s.track}`;
        case 'buffering':
          return `buffering ${s.reason}`;
        case 'errored':
          return `errored ${s.error.code} ${s.track.encoded === bad.encoded}`;
        default:
          return `${s.status} ${s.track.encoded === track.encoded}`;
      }
    });
    expect(summary).toEqual([
      'idle null',
      'loading true',
      'buffering start',
      'playing true',
      'buffering underrun',
      'playing true',
      'ended true',
      'loading false',
      'errored UNAVAILABLE true',
    ]);
    expect(player.state).toBe(states.at(-1));
  });

  it('a pause before the prebuffer is reached stays paused, and resume plays once it is', async () => {
    const { clock, opener, createPlayer } = setup({ prebufferMs: 200 });
    const track = opener.add(makeTrack(), { packets: packets20(100), gateAt: 3 });
    const player = createPlayer();
    const loading = player.load(track);
    await clock.advance(0);
    expect(player.state).toMatchObject({ status: 'buffering', reason: 'start' });
    expect(player.pause()).toBe(true);
    expect(player.status).toBe('paused');
    expect(player.resume()).toBe(true);
    expect(player.status).toBe('buffering');
    opener.release();
    await loading;
    expect(player.status).toBe('playing');
  });
});

describe('Player output: prepare for every due player, then dispatch', () => {
  it('in each tick, every due frame is prepared before any output is dispatched; each output once per tick', async () => {
    const { clock, opener, createPlayer } = setup();
    const log: string[] = [];
    const outputs: { frames: string[]; sent: string[][]; pending: string[] }[] = [];
    const players = Array.from({ length: 3 }, (_, i) => {
      const player = createPlayer({ silenceFrames: 2 });
      const record = { frames: [] as string[], sent: [] as string[][], pending: [] as string[] };
      outputs.push(record);
      const output: VoiceOutput = {
        prepare(frame: FrameEvent) {
          log.push(`prepare ${i}`);
          record.pending.push(frame.silence ? 'silence' : hex(frame.packet.data));
        },
        dispatch() {
          log.push(`dispatch ${i}`);
          record.sent.push(record.pending);
          record.pending = [];
        },
      };
      player.connect(output);
      player.on('frame', (f) => record.frames.push(f.silence ? 'silence' : hex(f.packet.data)));
      return player;
    });
    const source = packets20(10);
    // Loaded in the same millisecond: their deadlines fall in the same ticks.
    await Promise.all(players.map((p) => p.load(opener.add(makeTrack(), { packets: source }))));
    await clock.advance(400);
    const ticks = log.join(',').split(/(?<=dispatch 2),/);
    expect(ticks.length).toBe(12); // 10 packets, 2 silence frames
    for (const tick of ticks) expect(tick).toBe('prepare 0,prepare 1,prepare 2,dispatch 0,dispatch 1,dispatch 2');
    for (const out of outputs) {
      expect(out.sent.flat()).toEqual(out.frames);
      expect(out.sent.every((batch) => batch.length === 1)).toBe(true);
      expect(out.frames).toEqual([...source.map((p) => hex(p.data)), 'silence', 'silence']);
    }
    expect(players[0]!.disconnect()).toBe(true);
    expect(players[0]!.output).toBeNull();
  });

  it('holds its position while the output is not ready: nothing lost or repeated, the slots counted as deficit', async () => {
    const { clock, opener, createPlayer } = setup();
    const source = packets20(40);
    const player = createPlayer({ silenceFrames: 0 });
    const sent: string[] = [];
    let ready = true;
    player.connect({
      get state(): VoiceOutputState {
        return { status: ready ? 'ready' : 'connecting' };
      },
      prepare: (f) => sent.push(hex(f.packet.data)),
      dispatch() {},
    });
    await player.load(opener.add(makeTrack(), { packets: source }));
    await clock.advance(190); // frames 0..9
    ready = false;
    await clock.advance(100); // 5 slots held
    expect(sent.length).toBe(10);
    ready = true;
    await clock.advance(1000);
    expect(sent).toEqual(source.map((p) => hex(p.data)));
    expect(player.frameStats).toEqual({ sent: 40, nulled: 0, deficit: 5 });
  });

  it('with realtime, drops the frames that fall due while the output is not ready', async () => {
    const { clock, opener, createPlayer } = setup();
    const source = packets20(40);
    const player = createPlayer({ silenceFrames: 0 });
    const sent: number[] = [];
    let ready = true;
    player.connect({ get state(): VoiceOutputState { return { status: ready ? 'ready' : 'connecting' }; }, prepare: (f) => sent.push(f.frameIndex), dispatch() {} }, { realtime: true });
    await player.load(opener.add(makeTrack(), { packets: source }));
    await clock.advance(190);
    ready = false;
    await clock.advance(100);
    ready = true;
    await clock.advance(1000);
    expect(sent).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 25 }, (_, i) => 15 + i)]);
    expect(player.frameStats).toEqual({ sent: 35, nulled: 0, deficit: 5 });
  });

  it('speaks from before a run’s first frame to after its trailing silence is dispatched; underrun slots are nulled', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 300, prebufferMs: 100, rebufferMs: 0 });
    const log: string[] = [];
    const player = createPlayer({ silenceFrames: 2 });
    const underruns: number[] = [];
    player.on('underrun', (u) => underruns.push(u.frames));
    player.connect({
      prepare: (f) => log.push(f.silence ? 'silence' : 'audio'),
      dispatch: () => log.push('dispatch'),
      setSpeaking: (on) => log.push(`speaking ${on}`),
    });
    await player.load(opener.add(makeTrack(), { packets: packets20(100), gateAt: 6 }));
    await clock.advance(100); // 6 packets, then dry at 120
    await clock.advance(100); // 4 slots with nothing (120 to 180)
    opener.release();
    await clock.advance(20);
    player.pause();
    await clock.advance(200);
    player.resume();
    await clock.advance(0);
    player.disconnect();
    const runs = log.join(',').replace(/audio,dispatch(,audio,dispatch)*/g, 'audio…');
    expect(runs).toBe('speaking true,audio…,silence,dispatch,silence,dispatch,speaking false,speaking true,audio…,speaking false');
    expect(underruns).toEqual([4]);
    expect(player.frameStats.nulled).toBe(4);
  });

  it('connect() refuses what is not an output, and a player not in push mode', () => {
    const { createPlayer } = setup();
    const player = createPlayer();
    expect(() => player.connect({} as VoiceOutput)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const pull = createPlayer({ mode: 'pull' });
    expect(() => pull.connect({ prepare() {}, dispatch() {} })).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });
});

describe('Player: listener methods are the class’s own, not patched onto EventEmitter', () => {
  it('EventEmitter.prototype is untouched and frame listeners still follow every change', async () => {
    for (const name of ['on', 'off', 'once', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener', 'prependOnceListener'] as const) {
      expect(Object.hasOwn(EventEmitter.prototype, name)).toBe(true);
      expect(Player.prototype[name]).not.toBe(EventEmitter.prototype[name]);
    }
    const { clock, opener, createPlayer } = setup();
    const player = createPlayer();
    const calls: number[] = [];
    const a = (f: FrameEvent): void => void calls.push(f.frameIndex);
    player.on('frame', a);
    await player.load(opener.add(makeTrack(), { packets: packets20(10) }));
    await clock.advance(20);
    player.removeAllListeners();
    await clock.advance(20);
    player.addListener('frame', a);
    await clock.advance(20);
    expect(calls).toEqual([0, 1, 3]);
  });
});

describe('Player destroy, as its owner sees it', () => {
  it('calls onDestroy once; destroyed says so; the node does not replace destroy on the instance', async () => {
    const node = new BaseNode({ providers: [], clock: new ManualClock() });
    const seen: Player[] = [];
    const player = node.createPlayer({ onDestroy: (p) => seen.push(p) });
    expect(Object.hasOwn(player, 'destroy')).toBe(false);
    expect(player.destroyed).toBe(false);
    player.destroy();
    player.destroy();
    expect(player.destroyed).toBe(true);
    expect(seen).toEqual([player]);
    await node.destroy();
    expect(seen).toEqual([player]);
  });

  it('the node destroys the players still alive when it closes', async () => {
    const node = new BaseNode({ providers: [], clock: new ManualClock() });
    const a = node.createPlayer();
    const b = node.createPlayer();
    a.destroy();
    await node.close();
    expect([a.destroyed, b.destroyed]).toEqual([true, true]);
  });
});
