import { describe, expect, it } from 'vitest';
import {
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  createAudioPlayer,
  createAudioResource,
  entersState,
} from '@discordjs/voice';
import { FrameScheduler } from '../../src/player/scheduler.js';
import { RealClock } from '../../src/player/clock.js';
import { Player } from '../../src/player/player.js';
import type { OpenedTrack, TrackOpener } from '../../src/player/types.js';
import { INFO, hex, makeTrack, packets20 } from './helpers.js';

describe('stream mode through the real @discordjs/voice 0.19 AudioPlayer', () => {
  it('plays our stream to the end, and the packets it took equal the source’s', async () => {
    const source = packets20(120).map((p, i) => ({ ...p, data: Uint8Array.of(0xfc, i & 0xff, 0x55, (i * 7) & 0xff) }));
    const open: TrackOpener = async () => {
      let i = 0;
      const opened: OpenedTrack = {
        info: INFO,
        // A byte source that answers asynchronously, like a demuxer over a socket.
        packets: { next: async () => (i < source.length ? { done: false, value: source[i++]! } : { done: true, value: undefined }) },
        close: () => {},
      };
      return opened;
    };
    const scheduler = new FrameScheduler({ clock: new RealClock() });
    const player = new Player({ scheduler, openTrack: open });
    const track = makeTrack('discord');

    const audioPlayer = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
    const resource = createAudioResource(player.stream(), { inputType: StreamType.Opus });
    // Observe exactly what the AudioPlayer takes: its _stepPrepare calls resource.read() once per 20 ms cycle.
    const taken: string[] = [];
    const read = resource.read.bind(resource);
    resource.read = () => {
      const packet = read();
      if (packet !== null) taken.push(hex(packet));
      return packet;
    };
    const errors: unknown[] = [];
    audioPlayer.on('error', (e) => errors.push(e));

    await player.load(track);
    audioPlayer.play(resource);
    await entersState(audioPlayer, AudioPlayerStatus.Playing, 5_000);
    await entersState(audioPlayer, AudioPlayerStatus.Idle, 20_000);

    expect(errors).toEqual([]);
    expect(taken.slice(0, source.length)).toEqual(source.map((p) => hex(p.data)));
    // Then our five trailing silence frames, then @discordjs/voice's own five (silencePaddingFrames).
    expect(taken.slice(source.length)).toEqual(Array(10).fill('f8fffe'));
    expect(player.status).toBe('ended');
    scheduler.destroy();
  }, 30_000);
});
