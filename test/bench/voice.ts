/**
 * Voice output benchmark: N spence players, each playing into its own @discordjs/voice
 * VoiceConnection through spence's voice output (prepare-then-dispatch at the end of each
 * scheduler tick), against N @discordjs/voice AudioPlayers each subscribed to its own connection;
 * same file, same run, one phase after the other. The voice server (TLS gateway, UDP, DAVE as
 * external sender and listening member) runs in another process (test/helpers/voice-server), so
 * the receiver does not share the event loop it measures.
 *
 *   node --expose-gc --import tsx test/bench/voice.ts
 *   BENCH_COUNTS=1,10 BENCH_SECONDS=5 node --expose-gc --import tsx test/bench/voice.ts
 *
 * Environment: BENCH_COUNTS (default "1,100,500,1000"), BENCH_SECONDS (default 20, per phase),
 * BENCH_LIBS (default "spence,discord"), BENCH_DAVE (default 1: end-to-end encryption on, as
 * Discord requires), BENCH_MODE (aead_aes256_gcm_rtpsize (default) or
 * aead_xchacha20_poly1305_rtpsize), BENCH_FILE (default fixtures/media/sample.webm, looped),
 * BENCH_PROFILE=file.cpuprofile (a CPU profile of each spence phase: where the cost per frame
 * goes, encryption, DAVE and send among it; open it in Chrome DevTools).
 *
 * Measured per phase, over the window after every connection is ready and playing:
 * - send lateness p50/p99/max: spence, from each packet's deadline to its `dispatchAudio()`;
 *   @discordjs/voice, from its cycle's slot (t0 + 20k, Date.now() grid) to the player's dispatch;
 * - receiver inter-arrival p99 and max (ms between consecutive packets of a connection, at the
 *   server), packets lost (sequence gaps) and rejected (did not decrypt);
 * - CPU per frame (process.cpuUsage over frames sent), and memory per connection (RSS after GC,
 *   players and connections running, minus before they were made, over N).
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import type {
  VoiceConnection} from '@discordjs/voice';
import {
  AudioPlayer,
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  createAudioPlayer,
  createAudioResource,
} from '@discordjs/voice';
import { Node } from '../../src/node.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';
import { defaultProviders } from '../../src/default-providers.js';
import { createDiscordJsOutput, type VoiceOutput } from '../../src/voice/index.js';
import { DispatchBatch, OutputLink } from '../../src/voice/dispatch-batch.js';
import { startVoiceServerProcess, type RemoteVoiceServer, type TransportMode } from '../helpers/voice-server/index.js';
import { joinTestChannel, until } from '../voice/helpers.js';

const COUNTS = (process.env.BENCH_COUNTS ?? '1,100,500,1000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LIBS = (process.env.BENCH_LIBS ?? 'spence,discord').split(',');
const DAVE = (process.env.BENCH_DAVE ?? '1') !== '0';
const MODE = (process.env.BENCH_MODE ?? 'aead_aes256_gcm_rtpsize') as TransportMode;
const FILE = path.resolve(process.env.BENCH_FILE ?? 'fixtures/media/sample.webm');
const PROFILE = process.env.BENCH_PROFILE;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Lateness samples (ms), kept in a preallocated array. */
class Samples {
  #values = new Float64Array(1 << 16);
  #n = 0;
  add(value: number): void {
    if (this.#n === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#n++] = value;
  }
  get count(): number {
    return this.#n;
  }
  summary(): { p50: number; p99: number; max: number } {
    const sorted = this.#values.slice(0, this.#n).sort();
    const at = (p: number) => (this.#n === 0 ? 0 : sorted[Math.min(this.#n - 1, Math.floor(p * this.#n))]!);
    return { p50: at(0.5), p99: at(0.99), max: this.#n === 0 ? 0 : sorted[this.#n - 1]! };
  }
}

interface PhaseResult {
  lib: string;
  n: number;
  lateness: { p50: number; p99: number; max: number };
  frames: number;
  interArrivalP99: number;
  interArrivalMax: number;
  lost: number;
  rejected: number;
  cpuUsPerFrame: number;
  rssPerConnectionKiB: number;
}

async function connect(server: RemoteVoiceServer, n: number): Promise<{ connections: VoiceConnection[]; outputs: VoiceOutput[] }> {
  const connections: VoiceConnection[] = [];
  const outputs: VoiceOutput[] = [];
  for (let i = 0; i < n; i += 25) {
    // Joined in groups: each join is a TLS handshake and (with DAVE) an MLS group on the server.
    const group = Array.from({ length: Math.min(25, n - i) }, () => {
      const { connection } = joinTestChannel(server, { dave: DAVE });
      const output = createDiscordJsOutput(connection);
      connections.push(connection);
      outputs.push(output);
      return until(() => output.state.status === 'ready', (wake) => output.subscribe(wake), 60_000, 'a connection');
    });
    await Promise.all(group);
  }
  return { connections, outputs };
}

async function phase(lib: string, n: number, server: RemoteVoiceServer, node: Node, track: Track): Promise<PhaseResult> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const { connections, outputs } = await connect(server, n);
  const lateness = new Samples();
  let measuring = false;
  let frames = 0;
  const stop: (() => void)[] = [];

  if (lib === 'spence') {
    const batch = new DispatchBatch();
    for (let i = 0; i < n; i++) {
      const player: Player = node.createPlayer();
      const output = outputs[i]!;
      const link = new OutputLink(output);
      let deadline = 0;
      const dispatch = output.dispatch.bind(output);
      output.dispatch = () => {
        if (measuring) {
          lateness.add(player.clock.now() - deadline);
          frames++;
        }
        return dispatch();
      };
      player.on('frame', (frame) => {
        deadline = frame.deadline;
        batch.send(link, frame.packet.data, frame.packet.durationMs);
      });
      player.on('trackEnd', (_track, reason) => {
        if (reason === 'finished') void player.load(track).catch(() => {});
      });
      void player.load(track).catch(() => {});
      stop.push(() => player.destroy());
    }
  } else {
    const state = { t0: 0, cycle: 0, first: null as AudioPlayer | null };
    const proto = AudioPlayer.prototype as unknown as { _stepDispatch: () => void; checkPlayable: () => boolean };
    const originalDispatch = proto._stepDispatch;
    const originalCheck = proto.checkPlayable;
    proto.checkPlayable = function (this: AudioPlayer) {
      if (this === state.first) state.cycle++;
      return originalCheck.call(this);
    };
    proto._stepDispatch = function (this: AudioPlayer) {
      if (measuring && this.state.status === AudioPlayerStatus.Playing) {
        lateness.add(Date.now() - (state.t0 + 20 * state.cycle));
        frames++;
      }
      originalDispatch.call(this);
    };
    stop.push(() => {
      proto._stepDispatch = originalDispatch;
      proto.checkPlayable = originalCheck;
    });
    for (let i = 0; i < n; i++) {
      const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
      const play = () => player.play(createAudioResource(createReadStream(FILE), { inputType: StreamType.WebmOpus }));
      player.on(AudioPlayerStatus.Idle, play);
      player.on('error', () => {});
      connections[i]!.subscribe(player);
      play();
      if (i === 0) {
        state.t0 = Date.now();
        state.cycle = 0;
        state.first = player;
      }
      stop.push(() => player.stop(true));
    }
  }

  await sleep(1500);
  gc();
  const rss1 = process.memoryUsage().rss;
  await server.reset();
  const profiler = PROFILE !== undefined && lib === 'spence' ? new Session() : null;
  if (profiler !== null) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  measuring = true;
  await sleep(SECONDS * 1000);
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  if (profiler !== null) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(`${PROFILE!.replace(/\.cpuprofile$/, '')}-${n}.cpuprofile`, JSON.stringify(profile));
    profiler.disconnect();
  }
  const received = await server.stats();
  for (const end of stop) end();
  for (const output of outputs) output.close?.();
  for (const connection of connections) connection.destroy();
  await sleep(500);
  return {
    lib,
    n,
    lateness: lateness.summary(),
    frames,
    interArrivalP99: received.interArrival.p99,
    interArrivalMax: received.interArrival.max,
    lost: received.lost,
    rejected: received.rejected,
    cpuUsPerFrame: frames === 0 ? 0 : (cpu.user + cpu.system) / frames,
    rssPerConnectionKiB: (rss1 - rss0) / 1024 / n,
  };
}

const f = (x: number, digits = 2) => x.toFixed(digits);

async function main(): Promise<void> {
  const server = await startVoiceServerProcess({ dave: DAVE, modes: [MODE] });
  const node = new Node({ providers: defaultProviders({ local: { roots: [path.dirname(FILE)] } }) });
  const result = await node.resolve(FILE, { signal: AbortSignal.timeout(10_000) });
  if (result.type !== 'track') throw new Error(`${FILE}: ${result.type}`);
  console.log(`voice bench: ${SECONDS} s per phase, DAVE ${DAVE ? 'on' : 'off'}, ${MODE}, ${path.relative(process.cwd(), FILE)}, Node ${process.version}`);
  console.log('| lib | N | send late p50 / p99 / max (ms) | frames | recv inter-arrival p99 / max (ms) | lost | rejected | CPU µs/frame | RSS KiB/conn |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  try {
    for (const n of COUNTS) {
      for (const lib of LIBS) {
        const r = await phase(lib, n, server, node, result.track);
        console.log(`| ${r.lib} | ${r.n} | ${f(r.lateness.p50)} / ${f(r.lateness.p99)} / ${f(r.lateness.max)} | ${r.frames} | ${f(r.interArrivalP99)} / ${f(r.interArrivalMax)} | ${r.lost} | ${r.rejected} | ${f(r.cpuUsPerFrame, 1)} | ${f(r.rssPerConnectionKiB, 0)} |`);
      }
    }
  } finally {
    node.destroy();
    await server.stop();
  }
}

await main();
process.exit(0);
