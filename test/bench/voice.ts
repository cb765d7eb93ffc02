/**
 * Voice output benchmark: N spence players, each connected to its own @discordjs/voice
 * VoiceConnection with `player.connect(connection)` (prepare in the scheduler's tick, dispatch at
 * its end), against N @discordjs/voice AudioPlayers each subscribed to its own connection; same
 * file, same run, one phase after the other. The voice server (TLS gateway, UDP, DAVE as external
 * sender and listening member) runs in another process (test/helpers/voice-server), so the
 * receiver does not share the event loop it measures.
 *
 *   node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/voice.ts
 *   BENCH_COUNTS=1,5 BENCH_SECONDS=3 node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/voice.ts
 *
 * Environment: BENCH_COUNTS (default "1,100,500,1000"), BENCH_SECONDS (default 20, per phase),
 * BENCH_LIBS (default "spence,discord"), BENCH_DAVE (default 1: end-to-end encryption on, as
 * Discord requires), BENCH_MODE (aead_aes256_gcm_rtpsize (default) or
 * aead_xchacha20_poly1305_rtpsize), BENCH_FILE (default fixtures/media/sample.webm, looped),
 * BENCH_PROFILE=file.cpuprofile (a CPU profile of each spence phase: where the cost per frame
 * goes, encryption, DAVE and send among it; open it in Chrome DevTools).
 *
 * Measured per phase, over the window after every connection is ready and playing:
 * - send lateness p50/p99/max: spence, from each packet's deadline (the frame's) to its
 *   `dispatchAudio()`; @discordjs/voice, each AudioPlayer's dispatch against its own ideal 20 ms
 *   grid, from its first dispatch of the resource it plays (its k-th dispatch is due at the first
 *   plus 20k ms, moved earlier when a dispatch shows the first was late; the grid starts again
 *   with each new resource, as a looped file's gap is no lateness). Both on `performance.now()`.
 *   (The bench used to count the AudioPlayer's cycles from one player's `checkPlayable()`, one
 *   cycle ahead of its dispatch: p50 came out at −20 ms.)
 * - receiver inter-arrival p99 and max (ms between consecutive packets of a connection, at the
 *   server), packets lost (sequence gaps) and rejected (did not decrypt);
 * - CPU per frame (process.cpuUsage over frames sent), and memory per connection (RSS after GC,
 *   players and connections running, minus before they were made, over N).
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { AudioResource, VoiceConnection } from '@discordjs/voice';
import {
  AudioPlayer,
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  VoiceConnectionStatus,
  createAudioPlayer,
  createAudioResource,
  entersState,
} from '@discordjs/voice';
import { Node } from '../../src/node.js';
import type { Player } from '../../src/player/player.js';
import type { Track } from '../../src/resolve/track.js';
import { defaultProviders } from '../../src/default-providers.js';
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

/** N connections to the server, joined in groups (each join is a TLS handshake and, with DAVE, an MLS group). */
async function join(server: RemoteVoiceServer, n: number): Promise<VoiceConnection[]> {
  const connections: VoiceConnection[] = [];
  for (let i = 0; i < n; i += 25) {
    const group = Array.from({ length: Math.min(25, n - i) }, () => {
      const { connection } = joinTestChannel(server, { dave: DAVE });
      connections.push(connection);
      return entersState(connection, VoiceConnectionStatus.Ready, 60_000);
    });
    await Promise.all(group);
  }
  return connections;
}

/** Ready for end-to-end encrypted audio: the connection and (with DAVE) its MLS group. */
function daveReady(connection: VoiceConnection): boolean {
  const state = connection.state;
  if (state.status !== VoiceConnectionStatus.Ready || state.networking.state.code !== 4) return false;
  const dave = state.networking.state.dave;
  return dave === undefined || dave.protocolVersion === 0 || Boolean(dave.voicePrivacyCode);
}

async function phase(lib: string, n: number, server: RemoteVoiceServer, node: Node, track: Track): Promise<PhaseResult> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const connections = await join(server, n);
  await Promise.all(connections.map((connection) => until(() => daveReady(connection), (wake) => (connection.on('transitioned', wake), () => connection.off('transitioned', wake)), 60_000, 'the DAVE group')));
  const lateness = new Samples();
  let measuring = false;
  let frames = 0;
  const stop: (() => void)[] = [];

  if (lib === 'spence') {
    for (let i = 0; i < n; i++) {
      const player: Player = node.createPlayer();
      const connection = connections[i]!;
      // The deadline of the frame being sent, and its dispatch (the connection's own method, which
      // spence's output calls at the end of the scheduler's tick).
      let deadline = 0;
      player.on('frame', (frame) => (deadline = frame.deadline));
      const dispatch = connection.dispatchAudio.bind(connection);
      connection.dispatchAudio = () => {
        if (measuring) {
          lateness.add(player.clock.now() - deadline);
          frames++;
        }
        return dispatch();
      };
      player.connect(connection);
      player.on('trackEnd', (_track, reason) => {
        if (reason === 'finished') void player.load(track).catch(() => {});
      });
      void player.load(track).catch(() => {});
      stop.push(() => player.destroy());
    }
  } else {
    // Each AudioPlayer's ideal grid: its k-th dispatch of a resource is due 20k ms after its first.
    const grids = new WeakMap<AudioPlayer, { resource: AudioResource; origin: number; k: number }>();
    const proto = AudioPlayer.prototype as unknown as { _stepDispatch: () => void };
    const originalDispatch = proto._stepDispatch;
    proto._stepDispatch = function (this: AudioPlayer) {
      const state = this.state;
      if (state.status === AudioPlayerStatus.Playing) {
        const now = performance.now();
        const grid = grids.get(this);
        if (grid === undefined || grid.resource !== state.resource) {
          grids.set(this, { resource: state.resource, origin: now, k: 0 });
        } else {
          grid.k++;
          // A dispatch earlier than the grid says was due shows the grid's first one was late:
          // the grid moves to it (the ideal grid is the earliest the dispatches allow).
          const late = now - (grid.origin + 20 * grid.k);
          if (late < 0) grid.origin += late;
          if (measuring) {
            lateness.add(Math.max(0, late));
            frames++;
          }
        }
      }
      originalDispatch.call(this);
    };
    stop.push(() => {
      proto._stepDispatch = originalDispatch;
    });
    for (let i = 0; i < n; i++) {
      const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
      const play = () => player.play(createAudioResource(createReadStream(FILE), { inputType: StreamType.WebmOpus }));
      player.on(AudioPlayerStatus.Idle, play);
      player.on('error', () => {});
      connections[i]!.subscribe(player);
      play();
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
