/**
 * Voice receive benchmark: N members speaking at once to one @discordjs/voice connection (the
 * voice server and its simulated members in another process, sending a file's Opus packets every
 * 20 ms, DAVE-encrypted by default), received two ways in the same run, one phase after the
 * other, on the same traffic:
 * - spence: `node.listen(connection)`, an async iterable of PCM per member (decoding on the worker
 *   pool), read as it comes;
 * - @discordjs/voice: `receiver.subscribe(userId)` per member, piped into a prism-media Opus
 *   decoder (opusscript), read as it comes.
 *
 *   node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/receive.ts
 *   BENCH_SPEAKERS=5 BENCH_SECONDS=3 node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/receive.ts
 *
 * Environment: BENCH_SPEAKERS (default 50), BENCH_SECONDS (default 20, per phase), BENCH_LIBS
 * (default "spence,discord"), BENCH_DAVE (default 1), BENCH_MODE (aead_aes256_gcm_rtpsize
 * (default) or aead_xchacha20_poly1305_rtpsize), BENCH_FILE (default fixtures/media/sample.webm,
 * looped), BENCH_DEPTH_MS (spence's playout depth, default 100).
 *
 * Measured per phase, over the window the members speak (the first second left out of the
 * latency, while streams start):
 * - CPU per speaker-second: process.cpuUsage (every thread: spence's decoding worker included)
 *   over the window, divided by the seconds of audio decoded (PCM frames read x 20 ms: a decoder
 *   that died does no work, see below); and the main thread's alone (process.threadCpuUsage);
 * - memory: RSS and heap after GC at the end of the window, less before the phase;
 * - latency: from a packet's arrival on the socket to its PCM frame reaching the reader, p50/p99/max
 *   (spence: the frame's `arrivedAt`, read from the same clock; @discordjs/voice: each member's
 *   packets' arrival times, taken on the UDP socket in order, against its decoded chunks in order);
 * - frames: PCM frames read, against packets sent.
 *
 * The @discordjs/voice side decodes with opusscript 0.1.1 (through prism-media: @discordjs/opus
 * is native and not installed here). opusscript keeps views of its WebAssembly memory made when an
 * instance is created; an instance made after the memory grew decodes from stale views and aborts
 * (libopus' assertion, then "Aborted()"), so with several speakers some of its decoders die on
 * their first packet: the frames column shows it.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import prism from 'prism-media';
import { EndBehaviorType, type VoiceConnection } from '@discordjs/voice';
import { BaseNode } from '../../src/node/node.js';
import { createDiscordJsOutput } from '../../src/voice/index.js';
import type { TransportMode } from '../helpers/voice-server/index.js';
import { SpeakersProcess } from '../helpers/voice-server/speakers-process.js';
import { eventually, joinTestChannel, until } from '../voice/helpers.js';

const SPEAKERS = Number(process.env.BENCH_SPEAKERS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LIBS = (process.env.BENCH_LIBS ?? 'spence,discord').split(',');
const DAVE = (process.env.BENCH_DAVE ?? '1') !== '0';
const MODE = (process.env.BENCH_MODE ?? 'aead_aes256_gcm_rtpsize') as TransportMode;
const FILE = path.resolve(process.env.BENCH_FILE ?? 'fixtures/media/sample.webm');
const DEPTH_MS = Number(process.env.BENCH_DEPTH_MS ?? 100);
const WARMUP_MS = 1000;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Latency samples (ms). */
class Samples {
  #values: number[] = [];
  add(value: number): void {
    this.#values.push(value);
  }
  summary(): { p50: number; p99: number; max: number } {
    const sorted = Float64Array.from(this.#values).sort();
    const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
    return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
  }
}

interface PhaseResult {
  lib: string;
  cpuUsPerSpeakerSecond: number;
  mainUsPerSpeakerSecond: number | null;
  rssMiB: number;
  heapMiB: number;
  latency: { p50: number; p99: number; max: number };
  frames: number;
  packets: number;
}

interface UdpLike {
  prependListener(event: 'message', listener: (message: Buffer) => void): void;
  off(event: 'message', listener: (message: Buffer) => void): void;
}

function udpOf(connection: VoiceConnection): UdpLike {
  const state = connection.state as unknown as { networking: { state: { udp: UdpLike } } };
  return state.networking.state.udp;
}

/** Runs `receive` (which starts reading and returns how to stop) while the members speak; measures. */
async function measure(lib: string, server: SpeakersProcess, receive: (latency: Samples, measuring: () => boolean) => { frames: () => number; stop: () => Promise<void> }): Promise<PhaseResult> {
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const latency = new Samples();
  let start = Infinity;
  const measuring = () => performance.now() - start > WARMUP_MS;
  const receiving = receive(latency, measuring);
  await sleep(2000); // the receiver settles (spence's decoding worker starts) before the members speak
  const threadCpu = (process as { threadCpuUsage?: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage }).threadCpuUsage?.bind(process);
  const cpu0 = process.cpuUsage();
  const main0 = threadCpu?.();
  start = performance.now();
  const played = await server.play(SECONDS);
  await sleep(300); // the last packets' frames
  const cpu = process.cpuUsage(cpu0);
  const main = main0 === undefined ? undefined : threadCpu!(main0);
  gc();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed;
  const frames = receiving.frames();
  await receiving.stop();
  const decodedSeconds = Math.max(1, frames) * 0.02;
  return {
    lib,
    cpuUsPerSpeakerSecond: (cpu.user + cpu.system) / decodedSeconds,
    mainUsPerSpeakerSecond: main === undefined ? null : (main.user + main.system) / decodedSeconds,
    rssMiB: (rss1 - rss0) / 2 ** 20,
    heapMiB: (heap1 - heap0) / 2 ** 20,
    latency: latency.summary(),
    frames,
    packets: played.packets,
  };
}

function spence(connection: VoiceConnection, members: string[], node: BaseNode) {
  return (latency: Samples, measuring: () => boolean) => {
    const listener = node.listen(connection, { depthMs: DEPTH_MS });
    let frames = 0;
    const reading = members.map(async (userId) => {
      for await (const frame of listener.audio(userId, { silence: false })) {
        frames++;
        if (frame.arrivedAt !== undefined && measuring()) latency.add(performance.now() - frame.arrivedAt);
      }
    });
    return {
      frames: () => frames,
      stop: async () => {
        await listener.stop();
        await Promise.all(reading);
      },
    };
  };
}

function discord(connection: VoiceConnection, members: string[], ssrcs: Record<string, number>) {
  return (latency: Samples, measuring: () => boolean) => {
    // Arrival times per SSRC, in order: the receiver pushes each member's packets in arrival
    // order and the decoder makes one chunk per packet, so the k-th chunk is the k-th packet.
    const arrivals = new Map<number, number[]>(members.map((m) => [ssrcs[m]!, []]));
    const udp = udpOf(connection);
    const onMessage = (message: Buffer) => {
      if (message.length < 12) return;
      arrivals.get(message.readUInt32BE(8))?.push(performance.now());
    };
    // Before the receiver's own listener: it decodes in the same call, so this is the arrival.
    udp.prependListener('message', onMessage);
    let frames = 0;
    const streams = members.map((userId) => {
      const queue = arrivals.get(ssrcs[userId]!)!;
      const opus = connection.receiver.subscribe(userId, { end: { behavior: EndBehaviorType.Manual } });
      const decoder = new prism.opus.Decoder({ rate: 48_000, channels: 2, frameSize: 960 });
      decoder.on('data', () => {
        frames++;
        const arrivedAt = queue.shift();
        if (arrivedAt !== undefined && measuring()) latency.add(performance.now() - arrivedAt);
      });
      decoder.on('error', () => {});
      opus.pipe(decoder);
      return { opus, decoder };
    });
    return {
      frames: () => frames,
      stop: async () => {
        udp.off('message', onMessage);
        for (const { opus, decoder } of streams) {
          opus.unpipe(decoder);
          opus.destroy();
          decoder.destroy();
        }
      },
    };
  };
}

async function main(): Promise<void> {
  const members = Array.from({ length: SPEAKERS }, (_, i) => String(750_000_000_000_000_000n + BigInt(i)));
  const server = await SpeakersProcess.start({ modes: [MODE], dave: DAVE, daveMembers: members }, FILE);
  const { connection } = joinTestChannel(server, { dave: DAVE });
  const output = createDiscordJsOutput(connection);
  await until(() => output.state.status === 'ready', (wake) => output.subscribe(wake), 60_000, 'the connection');
  output.close?.();
  const ssrcs = await server.call(members);
  await eventually(() => members.every((m) => connection.receiver.ssrcMap.get(ssrcs[m]!)?.userId === m), 10_000, 'every SSRC');
  const node = new BaseNode();
  const results: PhaseResult[] = [];
  for (const lib of LIBS) {
    results.push(await measure(lib, server, lib === 'spence' ? spence(connection, members, node) : discord(connection, members, ssrcs)));
  }
  await node.destroy();
  connection.destroy();
  await server.stop();

  console.log(`\nvoice receive: ${SPEAKERS} speakers for ${SECONDS} s, ${MODE}, DAVE ${DAVE ? 'on' : 'off'}, spence depth ${DEPTH_MS} ms (node ${process.version})\n`);
  console.log('| receiver | CPU µs per speaker-second (all threads / main) | RSS MiB | heap MiB | arrival → PCM p50 / p99 / max (ms) | frames / packets |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const lib = r.lib === 'spence' ? 'spence listen() + audio()' : '@discordjs/voice subscribe() + prism-media';
    const l = r.latency;
    console.log(`| ${lib} | ${r.cpuUsPerSpeakerSecond.toFixed(0)} / ${r.mainUsPerSpeakerSecond?.toFixed(0) ?? '-'} | ${r.rssMiB.toFixed(1)} | ${r.heapMiB.toFixed(1)} | ${l.p50.toFixed(2)} / ${l.p99.toFixed(2)} / ${l.max.toFixed(1)} | ${r.frames} / ${r.packets} |`);
  }
}

await main();
