/**
 * The serve bench's player-worker setup (LavalinkServerOptions.workerSetup): the players' voice
 * links (the real @discordjs/voice ones to the loopback voice server, trusting its test CA; or,
 * with BENCH_VOICE=none, none), each with a tap that measures what its player hands over: the
 * lateness of each frame (from its deadline to the `frame` event that hands it to the voice
 * output, whose prepare-then-dispatch follows at the end of the tick) and the 20 ms slots a
 * player sent nothing for. The figures go to the bench's server process on a BroadcastChannel.
 */
import { performance } from 'node:perf_hooks';
import { BroadcastChannel } from 'node:worker_threads';
import type { Player } from '../../src/player/player.js';
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
let lastElu = performance.eventLoopUtilization();

const channel = new BroadcastChannel(CHANNEL);
channel.onmessage = (event: unknown) => {
  const message = (event as { data: { t: string } }).data;
  if (message.t === 'reset') {
    buckets.fill(0);
    totals.frames = totals.late = totals.lost = totals.max = 0;
  } else if (message.t === 'collect') {
    channel.postMessage({ t: 'figures', buckets: buckets.slice(), ...totals });
  } else if (message.t === 'take-census') {
    void census.take().then((c) => {
      const now = performance.eventLoopUtilization();
      channel.postMessage({ t: 'census', census: c, elu: performance.eventLoopUtilization(now, lastElu).utilization });
      lastElu = now;
    });
  } else if (message.t === 'take-timelines') {
    channel.postMessage({ t: 'timelines', timelines: [...timelines.values()] });
  }
};
// The channel must not keep a worker alive on its own.
(channel as unknown as { unref?: () => void }).unref?.();

/** Absolute ms (comparable across the bench's processes and threads). */
const wall = (): number => performance.timeOrigin + performance.now();

/** One player's start, absolute ms: see {@link PlayerTimeline}. */
const timelines = new Map<string, PlayerTimeline>();

/**
 * When a player's steps happened (absolute ms, NaN until they do): its output ready (connection
 * and DAVE group), its track's load begun (`loading`), opened (`buffering`), prebuffered
 * (`playing`), its first frame handed over, and the track's first state after load other than
 * those (an end or an error: `other`).
 */
export interface PlayerTimeline {
  guildId: string;
  outputReady: number;
  loading: number;
  opened: number;
  playing: number;
  firstFrame: number;
  other: string | null;
}

/** Players whose output is not ready yet, looked at every 10 ms by one timer. */
const unready = new Map<PlayerTimeline, Player>();
let outputPoll: ReturnType<typeof setInterval> | null = null;

/** Records the steps of `player`'s start. */
function watchStart(guildId: string, player: Player): void {
  const t: PlayerTimeline = { guildId, outputReady: Number.NaN, loading: Number.NaN, opened: Number.NaN, playing: Number.NaN, firstFrame: Number.NaN, other: null };
  timelines.set(guildId, t);
  unready.set(t, player);
  outputPoll ??= setInterval(() => {
    for (const [timeline, p] of unready) {
      if (p.output?.state?.status !== 'ready') continue;
      timeline.outputReady = wall();
      unready.delete(timeline);
    }
    if (unready.size === 0) {
      clearInterval(outputPoll!);
      outputPoll = null;
    }
  }, 10);
  player.on('stateChange', (_old, state) => {
    const s = state.status;
    if (s === 'loading' && Number.isNaN(t.loading)) t.loading = wall();
    else if (s === 'buffering' && Number.isNaN(t.opened)) t.opened = wall();
    else if (s === 'playing' && Number.isNaN(t.playing)) t.playing = wall();
    else if (s !== 'loading' && s !== 'buffering' && s !== 'playing' && t.other === null && !Number.isNaN(t.loading)) t.other = s;
  });
  player.on('frame', (frame) => {
    if (!frame.silence && Number.isNaN(t.firstFrame)) t.firstFrame = wall();
  });
}

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
    watchStart(context.guildId, context.player);
    census.created(context.guildId);
    return links(context);
  };
}
