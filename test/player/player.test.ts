import { describe, expect, it } from 'vitest';
import { isSpenceError, SpenceError } from '../../src/errors.js';
import type { PlayerStatus, TrackEndReason, UnderrunEvent } from '../../src/player/types.js';
import type { Track } from '../../src/resolve/track.js';
import type { Player } from '../../src/player/player.js';
import { batchMode, hex, makePackets, makeTrack, packets20, recordFrames, setup } from './helpers.js';

const SILENCE = 'f8fffe';

function events(player: Player) {
  const statuses: PlayerStatus[] = [player.status];
  const ends: Array<[string, TrackEndReason]> = [];
  const starts: string[] = [];
  const underruns: UnderrunEvent[] = [];
  player.on('stateChange', (_old, next) => statuses.push(next.status));
  player.on('trackEnd', (t: Track, r) => ends.push([t.encoded, r]));
  player.on('trackStart', (t: Track) => starts.push(t.encoded));
  player.on('underrun', (u) => underruns.push(u));
  return { statuses, ends, starts, underruns };
}

describe('Player: push mode on the manual clock', () => {
  it('loads, prebuffers, plays every packet at its exact deadline, ends with five silence frames', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(50) });
    const player = createPlayer();
    const ev = events(player);
    const frames = recordFrames(player);
    await player.load(track);
    expect(player.status).toBe('playing');
    await clock.advance(2000);
    const audio = frames.filter((f) => !f.silence);
    expect(audio.map((f) => f.frameIndex)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(audio.map((f) => f.deadline)).toEqual(Array.from({ length: 50 }, (_, i) => i * 20));
    for (const f of frames) expect(f.sentAt).toBe(f.deadline);
    const silence = frames.filter((f) => f.silence);
    expect(silence.map((f) => f.deadline)).toEqual([1000, 1020, 1040, 1060, 1080]);
    expect(silence.every((f) => f.bytes === SILENCE && f.frameIndex === -1)).toBe(true);
    expect(ev.statuses).toEqual(['idle', 'loading', 'buffering', 'playing', 'ended']);
    expect(ev.starts).toEqual([track.encoded]);
    expect(ev.ends).toEqual([[track.encoded, 'finished']]);
    expect(opener.opens[0]?.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('deadlines follow packet durations (10, 20, 60, 2.5 ms)', async () => {
    const { clock, opener, createPlayer } = setup();
    const durations = [20, 20, 60, 10, 10, 2.5, 2.5, 2.5, 2.5, 20, 60, 20];
    const track = opener.add(makeTrack(), { packets: makePackets(durations) });
    const player = createPlayer({ silenceFrames: 0 });
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(1000);
    let t = 0;
    const expected = durations.map((d) => {
      const at = t;
      t += d;
      return at;
    });
    expect(frames.map((f) => f.deadline)).toEqual(expected);
  });

  it('pause and resume land on exact frames; silence after pause; no frame while paused', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(200) });
    const player = createPlayer();
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(200); // frames 0..10 at 0..200
    expect(frames.length).toBe(11);
    expect(player.pause()).toBe(true);
    expect(player.status).toBe('paused');
    expect(player.position).toBe(220);
    expect(player.frameIndex).toBe(11);
    await clock.advance(1000);
    expect(frames.slice(11).map((f) => [f.silence, f.deadline])).toEqual([220, 240, 260, 280, 300].map((d) => [true, d]));
    expect(frames.length).toBe(16);
    expect(player.resume()).toBe(true);
    expect(player.status).toBe('playing');
    await clock.advance(40);
    const after = frames.slice(16);
    expect(after.map((f) => [f.frameIndex, f.deadline, f.timestampMs])).toEqual([
      [11, 1200, 220],
      [12, 1220, 240],
      [13, 1240, 260],
    ]);
  });

  it('a resume before the pause silence is over takes the next free slot (no burst)', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(100) });
    const player = createPlayer();
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(100); // 0..100: 6 frames
    player.pause();
    await clock.advance(25); // silence at 120 (now 125); the next slot is 140
    player.resume();
    await clock.advance(80); // to 205
    expect(frames.slice(6).map((f) => [f.silence, f.deadline, f.frameIndex])).toEqual([
      [true, 120, -1],
      [false, 140, 6],
      [false, 160, 7],
      [false, 180, 8],
      [false, 200, 9],
    ]);
  });

  it('seek reopens at the cluster and lands on the packet containing the target, exact to the frame', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(500), clusterMs: 1000 });
    const player = createPlayer({ silenceFrames: 0 });
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(100); // frames 0..5
    await player.seek(4321);
    expect(opener.opens.at(-1)?.startMs).toBe(4321);
    expect(opener.opens[0]?.closed).toBe(true);
    expect(opener.opens[0]?.signal.aborted).toBe(true);
    expect(player.position).toBe(4320);
    const before = frames.length;
    await clock.advance(40);
    const next = frames.slice(before);
    expect(next[0]?.timestampMs).toBe(4320);
    expect(next[0]?.bytes).toBe(hex(makePackets(Array(217).fill(20))[216]!.data));
    // The frame index keeps counting; the first deadline after the seek is the next free slot.
    expect(next.map((f) => [f.frameIndex, f.deadline])).toEqual([[6, 120], [7, 140]]);
  });

  it('seek while paused stays paused at the new position; a target inside a 60 ms packet lands on it', async () => {
    const { clock, opener, createPlayer } = setup();
    const durations = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 60 : 20));
    const track = opener.add(makeTrack(), { packets: makePackets(durations), clusterMs: 500 });
    const player = createPlayer();
    await player.load(track, { paused: true });
    expect(player.status).toBe('paused');
    await player.seek(1030); // packets: 0@0(60) 60(20) 80(20) 100(60) ... period 100 ms; 1000(60) covers 1030
    expect(player.status).toBe('paused');
    expect(player.position).toBe(1000);
    const frames = recordFrames(player);
    player.resume();
    await clock.advance(0);
    expect(frames[0]?.timestampMs).toBe(1000);
    expect(frames[0]?.durationMs).toBe(60);
  });

  it('stop lands on the frame boundary: trackEnd stopped, five silence frames, idle, source closed', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(100) });
    const player = createPlayer();
    const ev = events(player);
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(90); // frames at 0..80: 5
    expect(player.stop()).toBe(true);
    expect(player.status).toBe('idle');
    expect(ev.ends).toEqual([[track.encoded, 'stopped']]);
    expect(opener.opens[0]?.closed).toBe(true);
    await clock.advance(1000);
    expect(frames.slice(5).map((f) => [f.silence, f.deadline])).toEqual([100, 120, 140, 160, 180].map((d) => [true, d]));
    expect(frames.length).toBe(10);
    expect(player.position).toBe(0);
    expect(player.stop()).toBe(false);
  });

  it('an underrun fires `underrun` with its length and frames, and playback resumes when data comes', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 500, prebufferMs: 100, rebufferMs: 0 });
    const track = opener.add(makeTrack(), { packets: packets20(100), gateAt: 50 });
    const player = createPlayer({ silenceFrames: 0 });
    const ev = events(player);
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(1100);
    expect(frames.length).toBe(50); // packets 0..49 at 0..980; packet 50 was due at 1000
    expect(player.status).toBe('buffering');
    expect(ev.underruns).toEqual([]);
    await clock.advance(200); // now 1300
    opener.release();
    await clock.advance(0);
    expect(player.status).toBe('playing');
    expect(ev.underruns).toEqual([
      { track, startedAt: 1000, durationMs: 300, frames: 15, positionMs: 1000 },
    ]);
    await clock.advance(2000);
    const after = frames.slice(50);
    expect(after[0]).toMatchObject({ frameIndex: 50, deadline: 1300, timestampMs: 1000 });
    expect(after.map((f) => f.frameIndex)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
    expect(ev.statuses).toEqual(['idle', 'loading', 'buffering', 'playing', 'buffering', 'playing', 'ended']);
  });

  it('the read-ahead is bounded by duration: the opener is pulled only while under the bound', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 600, prebufferMs: 100 });
    const track = opener.add(makeTrack(), { packets: packets20(100_000) }); // ~33 minutes
    const player = createPlayer();
    let sent = 0;
    let maxAhead = 0;
    player.on('frame', (f) => {
      if (!f.silence) sent++;
      maxAhead = Math.max(maxAhead, opener.totalPulled - sent);
    });
    // With batch pulls the bound is exceeded by at most one batch, less a packet.
    const over = Math.max(0, batchMode() - 1);
    await player.load(track);
    await clock.advance(0);
    expect(sent).toBe(1);
    if (batchMode() === 0) expect(opener.totalPulled).toBe(30); // 600 ms; refilled after it falls a little
    else expect(opener.totalPulled).toBe(Math.ceil(30 / batchMode()) * batchMode());
    await clock.advance(20_000);
    expect(sent).toBe(1001);
    expect(maxAhead).toBeLessThanOrEqual(30 + over);
    expect(opener.totalPulled).toBeLessThanOrEqual(1001 + 30 + over);
    expect(player.bufferedMs).toBeLessThanOrEqual(600 + over * 20);
  });

  it('stalls past the threshold rebase (counted, no burst); shorter ones catch up on the timeline', async () => {
    const { clock, scheduler, opener, createPlayer } = setup({ stallThresholdMs: 60 });
    const track = opener.add(makeTrack(), { packets: packets20(200) });
    const player = createPlayer();
    const frames = recordFrames(player);
    const stalls: unknown[] = [];
    player.on('stall', (s) => stalls.push(s));
    await player.load(track);
    await clock.advance(200); // 0..200: 11 frames
    clock.block(50); // now 250: 220 and 240 are due (late 30, 10): caught up
    await clock.advance(0);
    expect(frames.slice(11).map((f) => [f.deadline, f.sentAt])).toEqual([[220, 250], [240, 250]]);
    await clock.advance(10); // 260 on time
    expect(frames.at(-1)).toMatchObject({ deadline: 260, sentAt: 260 });
    clock.block(100); // now 360; 280 is 80 ms late: rebase, one packet now, the next 20 ms later
    await clock.advance(0);
    expect(frames.slice(14).map((f) => [f.frameIndex, f.deadline, f.sentAt])).toEqual([[14, 360, 360]]);
    expect(stalls).toEqual([{ lateMs: 80, skippedFrames: 4 }]);
    expect(scheduler.stats.stalls).toBe(1);
    await clock.advance(40);
    expect(frames.slice(15).map((f) => [f.frameIndex, f.deadline])).toEqual([[15, 380], [16, 400]]);
    // A stall that is not a whole number of frames: the player keeps its phase (deadlines on its
    // 20 ms grid), so the due packet waits for its own next slot rather than leaving now.
    clock.block(95); // now 495; 420 is 75 ms late: 4 slots skipped, due at 500
    await clock.advance(0);
    expect(frames.length).toBe(17);
    expect(stalls.at(-1)).toEqual({ lateMs: 75, skippedFrames: 4 });
    await clock.advance(5);
    expect(frames.slice(17).map((f) => [f.frameIndex, f.deadline, f.sentAt])).toEqual([[17, 500, 500]]);
    await clock.advance(20);
    expect(frames.at(-1)).toMatchObject({ frameIndex: 18, deadline: 520, sentAt: 520 });
    expect(frames.map((f) => f.timestampMs)).toEqual(Array.from({ length: 19 }, (_, i) => i * 20)); // no packet lost or repeated
  });

  it('players started in the same millisecond are spread over the frame (levelled starts), packets unchanged', async () => {
    // The start gate lets all 300 loads through in the one millisecond: this pins the levelling of
    // the first deadlines alone (the gate's pacing of starts is start-gate.test.ts's).
    const { clock, scheduler, opener, createPlayer } = setup({ startStepsPerMs: 1000 });
    const n = 300;
    const source = packets20(100);
    const players = Array.from({ length: n }, () => createPlayer());
    const firsts: number[] = [];
    const recorded = players.map((p) => {
      const frames = recordFrames(p);
      p.once('frame', (f) => firsts.push(f.deadline));
      return frames;
    });
    const start = clock.now();
    await Promise.all(players.map((p) => p.load(opener.add(makeTrack(), { packets: source }))));
    await clock.advance(1000);
    expect(firsts.length).toBe(n);
    const perMs = new Map<number, number>();
    for (const d of firsts) perMs.set(Math.floor(d), (perMs.get(Math.floor(d)) ?? 0) + 1);
    // Each millisecond took at most its share (the larger of 32 and the queue's size / 20 when
    // that player started), and no start moved more than 19 ms.
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(32);
    expect(perMs.size).toBeGreaterThanOrEqual(Math.ceil(n / 32));
    for (const d of firsts) expect(d - start).toBeLessThan(20);
    // Each player's deadlines keep its phase, and its packets are the source's, in order.
    for (const frames of recorded) {
      const real = frames.filter((f) => !f.silence);
      expect(real.map((f) => f.bytes)).toEqual(source.slice(0, real.length).map((p) => hex(p.data)));
      for (let k = 1; k < real.length; k++) expect(real[k]!.deadline - real[k - 1]!.deadline).toBe(20);
    }
    expect(scheduler.size).toBe(n);
  });
});

describe('Player: trackEnd reasons and errors', () => {
  it('finished, stopped, replaced, cleanup', async () => {
    const { clock, opener, createPlayer } = setup();
    const a = opener.add(makeTrack(), { packets: packets20(5) });
    const b = opener.add(makeTrack(), { packets: packets20(50) });
    const c = opener.add(makeTrack(), { packets: packets20(50) });
    const d = opener.add(makeTrack(), { packets: packets20(50) });
    const player = createPlayer();
    const ev = events(player);
    await player.load(a);
    await clock.advance(200);
    await player.load(b);
    await clock.advance(50);
    await player.load(c); // replaces b
    player.stop();
    await player.load(d);
    player.destroy();
    expect(ev.ends).toEqual([
      [a.encoded, 'finished'],
      [b.encoded, 'replaced'],
      [c.encoded, 'stopped'],
      [d.encoded, 'cleanup'],
    ]);
    expect(opener.opens.every((o) => o.closed)).toBe(true);
    expect(() => player.pause()).toThrow(SpenceError);
  });

  it('loadFailed when the open fails: the promise rejects with the code, `error` is emitted, status errored', async () => {
    const { opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: [], openError: new SpenceError('UNAVAILABLE', 'private video') });
    const player = createPlayer();
    const ev = events(player);
    const errors: SpenceError[] = [];
    player.on('error', (e) => errors.push(e));
    const err = await player.load(track).catch((e: unknown) => e);
    expect(isSpenceError(err, 'UNAVAILABLE')).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['UNAVAILABLE']);
    expect(ev.ends).toEqual([[track.encoded, 'loadFailed']]);
    expect(player.status).toBe('errored');
    expect(player.state.error?.code).toBe('UNAVAILABLE');
  });

  it('loadFailed mid-track: the buffered audio plays out, then the track fails (no listener: no throw)', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 200 });
    const track = opener.add(makeTrack(), { packets: packets20(100), failAt: 30, readError: new SpenceError('NETWORK', 'reset') });
    const player = createPlayer();
    const ev = events(player);
    const frames = recordFrames(player);
    await player.load(track);
    await clock.advance(2000);
    expect(frames.filter((f) => !f.silence).length).toBe(30);
    expect(frames.filter((f) => f.silence).length).toBe(5);
    expect(ev.ends).toEqual([[track.encoded, 'loadFailed']]);
    expect(player.state).toMatchObject({ status: 'errored', error: { code: 'NETWORK' } });
  });

  it('a load aborted by its signal rejects ABORTED and the track ends stopped; a superseded load resolves', async () => {
    const { clock, opener, createPlayer } = setup();
    const slow = opener.add(makeTrack(), { packets: packets20(50), openDelayMs: 100 });
    const other = opener.add(makeTrack(), { packets: packets20(50) });
    const player = createPlayer();
    const ev = events(player);
    const ac = new AbortController();
    const p = player.load(slow, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ev.ends).toEqual([[slow.encoded, 'stopped']]);
    expect(player.status).toBe('idle');
    const p2 = player.load(slow);
    const p3 = player.load(other);
    await clock.advance(200);
    await expect(p2).resolves.toBeUndefined();
    await expect(p3).resolves.toBeUndefined();
    expect(ev.ends.at(-1)).toEqual([slow.encoded, 'replaced']);
  });

  it('seek on an unseekable track or with no track is INVALID_STATE; bad positions are INVALID_ARGUMENT', async () => {
    const { opener, createPlayer } = setup();
    const live = opener.add(makeTrack('live', { isSeekable: false }), { packets: packets20(10) });
    const player = createPlayer();
    await expect(player.seek(10)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await player.load(live);
    await expect(player.seek(10)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(player.load(live, { startMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => player.readFrame()).toThrow(/pull mode/);
  });
});

describe('Player: pull mode', () => {
  it('readFrame() never blocks: packets in order, null while buffering or paused, silence after pause', async () => {
    const { opener, createPlayer } = setup({ mode: 'pull' });
    const track = opener.add(makeTrack(), { packets: packets20(20), openDelayMs: 10 });
    const player = createPlayer();
    expect(player.readFrame()).toBeNull();
    const loading = player.load(track);
    expect(player.readFrame()).toBeNull();
    await Promise.race([loading, opener.clock.advance(10)]);
    await loading;
    const first = [player.readFrame(), player.readFrame(), player.readFrame()];
    expect(first.map((p) => p?.timestampMs)).toEqual([0, 20, 40]);
    player.pause();
    const silence = Array.from({ length: 6 }, () => player.readFrame());
    expect(silence.slice(0, 5).map((p) => p && hex(p.data))).toEqual(Array(5).fill(SILENCE));
    expect(silence[5]).toBeNull();
    player.resume();
    expect(player.readFrame()?.timestampMs).toBe(60);
    expect(player.frameIndex).toBe(4);
  });
});

describe('Player: frame listeners', () => {
  it('calls exactly the frame listeners registered at each frame (on, once, off, prepend, removeAll)', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(40) });
    const player = createPlayer();
    const calls: string[] = [];
    const a = (f: { frameIndex: number }) => calls.push(`a${f.frameIndex}`);
    const b = (f: { frameIndex: number }) => calls.push(`b${f.frameIndex}`);
    player.on('frame', a);
    await player.load(track);
    await clock.advance(20); // frame 0 at 0, frame 1 at 20
    player.once('frame', b);
    await clock.advance(20); // frame 2: a, then b once
    await clock.advance(20); // frame 3: a
    player.prependListener('frame', b);
    await clock.advance(20); // frame 4: b, a
    player.off('frame', a);
    await clock.advance(20); // frame 5: b
    player.removeAllListeners('frame');
    await clock.advance(20); // frame 6: nobody
    player.addListener('frame', a);
    await clock.advance(20); // frame 7: a
    player.removeAllListeners();
    await clock.advance(20); // frame 8: nobody
    expect(calls).toEqual(['a0', 'a1', 'a2', 'b2', 'a3', 'b4', 'a4', 'b5', 'a7']);
  });

  it('gives a frame whose bytes are valid inside the listener, and equal to the source packet', async () => {
    const { clock, opener, createPlayer } = setup();
    const packets = packets20(200);
    const track = opener.add(makeTrack(), { packets });
    const player = createPlayer();
    const seen: string[] = [];
    player.on('frame', (f) => {
      if (!f.silence) seen.push(hex(f.packet.data));
    });
    await player.load(track);
    await clock.advance(5000);
    expect(seen).toEqual(packets.map((p) => hex(p.data)));
  });
});
