/**
 * The serve bench's player-worker setup (LavalinkServerOptions.workerSetup): a voice link that measures what the players hand to the voice
 * connection: the lateness of each frame (from its deadline to the `frame` event that hands it
 * over) and the 20 ms slots a player sent nothing for. The figures go to the bench's server
 * process on a BroadcastChannel.
 *
 * Until the voice output lands this stands in for the connection; with it, the bench measures
 * the real links to the loopback voice server (BENCH_VOICE=voice, see serve.ts).
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { FrameEvent } from '../../src/player/types.js';
import type { VoiceLink, VoiceLinkFactory } from '../../src/server/index.js';

/** Lateness histogram in 10 µs buckets up to 1 s. */
const buckets = new Uint32Array(100_001);
const totals = { frames: 0, late: 0, lost: 0, max: 0 };

/** Lost slots: a deadline more than a slot and a half after the previous one of that player. */
const GAP_MS = 30;

export const CHANNEL = 'spence-serve-bench';

const channel = new BroadcastChannel(CHANNEL);
channel.onmessage = (event: unknown) => {
  const message = (event as { data: { t: string } }).data;
  if (message.t === 'reset') {
    buckets.fill(0);
    totals.frames = totals.late = totals.lost = totals.max = 0;
  } else if (message.t === 'collect') {
    channel.postMessage({ t: 'figures', buckets: buckets.slice(), ...totals });
  }
};
// The channel must not keep a worker alive on its own.
(channel as unknown as { unref?: () => void }).unref?.();

/** A link that connects nothing and measures the frames handed to it. */
function measuringLink(player: { on(event: 'frame', listener: (frame: FrameEvent) => void): unknown }): VoiceLink {
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
  return {
    state: null,
    connected: false,
    ping: -1,
    update(state) {
      (this as { state: unknown }).state = state;
    },
    frames: () => ({ sent: 0, nulled: 0 }),
    destroy() {},
  };
}

export function voiceLinks(): VoiceLinkFactory {
  return ({ player }) => measuringLink(player);
}
