import { describe, expect, it } from 'vitest';
import { hex, makeTrack, packets20, setup } from './helpers.js';

describe('Player: stream mode', () => {
  it('feeds an object-mode stream by backpressure: the source packets as Buffers, then silence, then end; preloads continue in it', async () => {
    const { clock, opener, createPlayer } = setup();
    const a = opener.add(makeTrack('A'), { packets: packets20(30) });
    const b = opener.add(makeTrack('B'), { packets: packets20(20).map((p) => ({ ...p, data: Uint8Array.of(0xf8, 0xbb, p.data[1] as number) })) });
    const player = createPlayer();
    const stream = player.stream();
    expect(player.mode).toBe('stream');
    await player.load(a);
    void player.preload(b);
    await clock.advance(0);
    // The stream holds at most its highWaterMark (1) ahead of the reader.
    expect(stream.readableLength).toBeLessThanOrEqual(1);
    const got: string[] = [];
    let ended = false;
    stream.on('end', () => (ended = true));
    for (let i = 0; i < 200 && !ended; i++) {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) {
        expect(Buffer.isBuffer(chunk)).toBe(true);
        got.push(hex(chunk));
      }
      await clock.advance(20);
    }
    expect(ended).toBe(true);
    const expected = [...packets20(30).map((p) => hex(p.data)), ...packets20(20).map((p) => `f8bb${hex(p.data).slice(2, 4)}`), ...Array(5).fill('f8fffe')];
    expect(got).toEqual(expected);
    expect(player.status).toBe('ended');
  });

  it('pause sends the trailing silence into the stream, then nothing until resume', async () => {
    const { clock, opener, createPlayer } = setup();
    const a = opener.add(makeTrack(), { packets: packets20(30) });
    const player = createPlayer({ silenceFrames: 2 });
    const stream = player.stream();
    await player.load(a);
    const read = (): string | null => {
      const c = stream.read() as Buffer | null;
      return c === null ? null : hex(c);
    };
    await clock.advance(0);
    expect(read()).toBe(hex(packets20(1)[0]!.data));
    await clock.advance(0);
    player.pause();
    await clock.advance(0);
    const seq = [read(), read(), read(), read()];
    // One packet was already in the stream (highWaterMark 1) when the pause came.
    expect(seq).toEqual([hex(packets20(2)[1]!.data), 'f8fffe', 'f8fffe', null]);
    player.resume();
    await clock.advance(0);
    expect(read()).toBe(hex(packets20(3)[2]!.data));
  });
});
