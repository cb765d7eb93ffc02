import { describe, expect, it } from 'vitest';
import type { OpusPacket } from '../../src/demux/types.js';
import type { Player } from '../../src/player/player.js';
import { hex, makePackets, makeTrack, packets20, recordFrames, setup } from './helpers.js';

describe('timeline: drift, snapshot/restore, preload, replay', () => {
  it('deadlines over a simulated hour show zero drift (2.5, 10, 20 and 60 ms packets)', async () => {
    const pattern = [20, 20, 60, 10, 2.5, 2.5, 5, 20, 40, 20]; // 200 ms per cycle
    const durations: number[] = [];
    for (let i = 0; i < 18_000; i++) durations.push(...pattern); // 3600 s exactly
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: makePackets(durations) });
    const player = createPlayer({ silenceFrames: 0 });
    let k = 0;
    let expectedUs = 0;
    let mismatches = 0;
    let maxLate = 0;
    player.on('frame', (f) => {
      // Exact: the deadline is the start (0) plus the integer-µs sum of the durations before it.
      if (f.deadline !== expectedUs / 1000 || f.frameIndex !== k) mismatches++;
      maxLate = Math.max(maxLate, f.sentAt - f.deadline);
      expectedUs += Math.round((durations[k] as number) * 1000);
      k++;
    });
    await player.load(track);
    await clock.advance(3_600_000);
    expect(k).toBe(durations.length);
    expect(mismatches).toBe(0);
    expect(maxLate).toBe(0);
    expect(expectedUs).toBe(3_600_000_000);
    expect(player.status).toBe('ended');
  }, 120_000);

  it('snapshot and restore continue with the identical next packet and frame index', async () => {
    const packets = makePackets(Array.from({ length: 600 }, (_, i) => (i % 7 === 3 ? 60 : i % 5 === 1 ? 10 : 20)));
    for (const round of [false, true]) {
      const pk = round ? makePackets(packets.map((p) => p.durationMs), { roundTimestamps: true }) : packets;
      const { clock, opener, createPlayer } = setup();
      const track = opener.add(makeTrack(), { packets: pk, clusterMs: 1000 });
      const original = createPlayer();
      const frames = recordFrames(original);
      await original.load(track);
      await clock.advance(3_333);
      const snap = JSON.parse(JSON.stringify(original.snapshot())) as ReturnType<Player['snapshot']>;
      expect(snap).toMatchObject({ version: 1, track: track.encoded, status: 'playing' });
      const sentBefore = frames.length;
      await clock.advance(200);
      const continued = frames.slice(sentBefore);

      const restored = createPlayer();
      const rframes = recordFrames(restored);
      await restored.restore(track, snap);
      expect(restored.position).toBe(snap.positionMs);
      expect(restored.frameIndex).toBe(snap.frameIndex);
      await clock.advance(200);
      expect(opener.opens.at(-1)?.startMs).toBe(snap.positionMs);
      const n = Math.min(continued.length, rframes.length);
      expect(n).toBeGreaterThan(5);
      expect(rframes.slice(0, n).map((f) => [f.bytes, f.frameIndex])).toEqual(continued.slice(0, n).map((f) => [f.bytes, f.frameIndex]));
    }
  });

  it('a snapshot taken during an underrun (nothing buffered) restores after the last packet delivered', async () => {
    const { clock, opener, createPlayer } = setup({ readAheadMs: 300, prebufferMs: 100 });
    const track = opener.add(makeTrack(), { packets: makePackets(Array(200).fill(20), { roundTimestamps: true }), gateAt: 40 });
    const player = createPlayer();
    await player.load(track);
    await clock.advance(1000);
    expect(player.status).toBe('buffering');
    const snap = player.snapshot();
    expect(snap).toMatchObject({ frameIndex: 40, positionMs: 800, lastTimestampMs: 780 });
    opener.release();
    const other = createPlayer({ silenceFrames: 0 });
    const frames = recordFrames(other);
    await other.restore(track, snap);
    await clock.advance(0);
    expect(frames[0]).toMatchObject({ frameIndex: 40, timestampMs: 800 });
  });

  it('restore of a paused snapshot stays paused; restore refuses a snapshot of another track', async () => {
    const { clock, opener, createPlayer } = setup();
    const track = opener.add(makeTrack(), { packets: packets20(100) });
    const other = opener.add(makeTrack(), { packets: packets20(100) });
    const a = createPlayer();
    await a.load(track);
    await clock.advance(100);
    a.pause();
    const snap = a.snapshot();
    const b = createPlayer();
    await b.restore(track, snap);
    expect(b.status).toBe('paused');
    expect(b.position).toBe(120);
    await expect(b.restore(other, snap)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('preload is gapless: the next track’s first packet is due right after the last packet of the current one', async () => {
    const { clock, opener, createPlayer } = setup();
    const a = opener.add(makeTrack('A'), { packets: makePackets([20, 20, 60, 20, 10]) }); // ends at 130 ms
    const b = opener.add(makeTrack('B'), { packets: packets20(10), openDelayMs: 5 });
    const player = createPlayer();
    const frames = recordFrames(player);
    const order: string[] = [];
    player.on('trackEnd', (t, r) => order.push(`end ${t.title} ${r}`));
    player.on('trackStart', (t) => order.push(`start ${t.title}`));
    player.on('frame', (f) => {
      if (f.frameIndex === 0) order.push(`frame0 ${f.track?.title}`);
    });
    await player.load(a);
    const preloaded = player.preload(b); // opens in 5 ms of clock time, while A plays
    await clock.advance(1000);
    await preloaded;
    const audio = frames.filter((f) => !f.silence);
    expect(audio.map((f) => [f.track, f.frameIndex, f.deadline])).toEqual([
      ['enc:A', 0, 0], ['enc:A', 1, 20], ['enc:A', 2, 40], ['enc:A', 3, 100], ['enc:A', 4, 120],
      ...Array.from({ length: 10 }, (_, i) => ['enc:B', i, 130 + 20 * i]),
    ]);
    expect(order).toEqual(['start A', 'frame0 A', 'end A finished', 'start B', 'frame0 B', 'end B finished']);
    expect(frames.filter((f) => f.silence).map((f) => f.deadline)).toEqual([330, 350, 370, 390, 410]);
  });

  it('a preloaded track that fails ends loadFailed when it becomes current; a preload aborted by its signal rejects ABORTED', async () => {
    const { clock, opener, createPlayer } = setup();
    const a = opener.add(makeTrack('A'), { packets: packets20(5) });
    const bad = opener.add(makeTrack('bad'), { packets: [], openError: new Error('gone') });
    const c = opener.add(makeTrack('C'), { packets: packets20(5) });
    const player = createPlayer();
    const ends: string[] = [];
    player.on('trackEnd', (t, r) => ends.push(`${t.title} ${r}`));
    await player.load(a);
    await expect(player.preload(bad)).rejects.toMatchObject({ code: 'UPSTREAM' });
    await clock.advance(500);
    expect(ends).toEqual(['A finished', 'bad loadFailed']);
    expect(player.status).toBe('errored');
    await player.load(c);
    const ac = new AbortController();
    const p = player.preload(a, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    await clock.advance(500);
    expect(ends.at(-1)).toBe('C finished');
    expect(player.status).toBe('ended');
  });

  it('replay: the same bytes and calls give the same packets at the same frame indices', async () => {
    const run = async (): Promise<string[]> => {
      const { clock, opener, createPlayer } = setup();
      const pk: OpusPacket[] = makePackets(Array.from({ length: 400 }, (_, i) => (i % 3 ? 20 : 10)));
      const track = opener.add(makeTrack('same'), { packets: pk });
      const player = createPlayer();
      const frames = recordFrames(player);
      await player.load(track);
      await clock.advance(1234);
      player.pause();
      await clock.advance(500);
      player.resume();
      await player.seek(3000);
      await clock.advance(1000);
      return frames.map((f) => `${f.frameIndex}:${f.bytes}:${f.deadline}`);
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(100);
    expect(await run()).toEqual(first);
    expect(hex(new Uint8Array([0xf8, 0xff, 0xfe]))).toBe('f8fffe');
  });
});
