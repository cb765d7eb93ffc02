/**
 * The serve bench's player-worker setup (LavalinkServerOptions.workerSetup): the players' voice
 * links (the real @discordjs/voice ones to the loopback voice server, trusting its test CA; or,
 * with BENCH_VOICE=none, none), each with a tap that measures what its player hands over: the
 * lateness of each frame (from its deadline to the `frame` event that hands it to the voice
 * output, whose prepare-then-dispatch follows at the end of the tick) and the 20 ms slots a
 * player sent nothing for. The figures go to the bench's server process on a BroadcastChannel.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { FrameEvent } from '../../src/player/types.js';
import { detachedVoiceLinks, discordVoiceLinks } from '../../src/server/index.js';
import type { VoiceLinkFactory } from '../../src/server/index.js';
import { trustTestCa } from '../helpers/voice-server/certificate.js';
import { VoiceCensusTaker } from './_serve-census.js';

/** Lateness histogram in 10 µs buckets up to 1 s. */
const buckets = new Uint32Array(100_001);
const totals = { frames: 0, late: 0, lost: 0, max: 0 };

/** Lost slots: a deadline more than a slot and a half after the previous one of that player. */
const GAP_MS = 30;

export const CHANNEL = 'spence-serve-bench';

const census = new VoiceCensusTaker();

const channel = new BroadcastChannel(CHANNEL);
channel.onmessage = (event: unknown) => {
  const message = (event as { data: { t: string } }).data;
  if (message.t === 'reset') {
    buckets.fill(0);
    totals.frames = totals.late = totals.lost = totals.max = 0;
  } else if (message.t === 'collect') {
    channel.postMessage({ t: 'figures', buckets: buckets.slice(), ...totals });
  } else if (message.t === 'take-census') {
    void census.take().then((c) => channel.postMessage({ t: 'census', census: c }));
  }
};
// The channel must not keep a worker alive on its own.
(channel as unknown as { unref?: () => void }).unref?.();

/** Measures the frames `player` hands over. */
function tap(player: { on(event: 'frame', listener: (frame: FrameEvent) => void): unknown }): void {
  let last = Number.NaN;
  player.on('frame', (frame) => {
    if (frame.silence) return;
    const late = frame.sentAt - frame.deadline;
    const v = late < 0 ? 0 : late;
    buckets[Math.min(100_000, Math.floor(v * 100))]!++;
    totals.frames++;
    if (v > 2) totals.late++;
    if (v > totals.max) totals.max = v;
    if (frame.deadline - last > GAP_MS) totals.lost += Math.round((frame.deadline - last) / 20) - 1;
    last = frame.deadline;
  });
}

/** The voice links: @discordjs/voice's to the test voice server when `data.voiceCa` is given, else none; tapped. */
export function voiceLinks(_config: unknown, data: { voiceCa?: string }): VoiceLinkFactory {
  if (data.voiceCa !== undefined) trustTestCa(data.voiceCa);
  const links = data.voiceCa !== undefined ? discordVoiceLinks() : detachedVoiceLinks;
  return (context) => {
    tap(context.player);
    census.created(context.guildId);
    return links(context);
  };
}
