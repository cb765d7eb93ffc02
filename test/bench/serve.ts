/**
 * `spence serve` under load: N players started over the REST API and WebSocket, as a bot's
 * Lavalink client would, in a server process of their own; then, over a window, each frame's
 * send lateness (deadline to hand-over) and lost frame slots, the server's CPU, memory per
 * player, and REST latency under that load (GET and PATCH on the players, as a bot polls and
 * changes volume).
 *
 *   node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/serve.ts
 *   BENCH_COUNTS=100,500,1000 BENCH_WORKERS=1 BENCH_SECONDS=20 node --expose-gc --import ./test/bench/_ts-register.mjs test/bench/serve.ts
 *
 * Environment: BENCH_COUNTS (default "10,100,500"), BENCH_WORKERS (player worker threads, default
 * 1: "players per core" is the largest N with p99 ≤ 2 ms and nothing lost on one worker; 0 puts
 * the players on the server's main thread with the REST front), BENCH_SECONDS (measured window,
 * default 20), BENCH_WARMUP_SECONDS (default 5), BENCH_TRACK_SECONDS (the looped track's length,
 * default 180), BENCH_REST_PER_SECOND (REST probes during the window, default 20),
 * BENCH_CONNECT_SECONDS (how long to wait for every player's voice connection, default 120: the
 * window then measures those that connected), BENCH_VOICE
 * ("voice", the default: every player joins the loopback test voice server, in a process of its
 * own, through @discordjs/voice with DAVE; "none": no voice connection), BENCH_TIMELINES ("1":
 * once the players started, each step of their starts, from the track PATCH: answered, output
 * ready, load begun, opened, prebuffered, first frame, TrackStartEvent; how many got there and when),
 * BENCH_START_SECONDS (how long to wait for the players' starts, default 30), BENCH_STUCK_MS (the
 * server's trackStuckThresholdMs, default Lavalink's 10000: a larger one lets starved starts go on).
 *
 * While it waits for the voice connections, and then for the players' starts, it says every 5 s
 * where they are (a census of the connections' states and networking steps, DAVE transitions,
 * close codes and errors; what the voice server's gateway saw; each process's CPU; each player
 * thread's event loop utilisation; the server's busiest threads' share of a core on a CPU and
 * waiting for one, from /proc; the load average). A player thread that waits for a CPU as long as
 * it runs is starved by the machine; one on a CPU all the time (loop utilisation 1) is saturated
 * by its players. A start either begins (TrackStartEvent) or, starved for trackStuckThresholdMs,
 * is ended by the stuck watchdog (TrackStuckEvent, TrackEndEvent `loadFailed`); the bench waits for
 * one or the other (30 s at most). Each row says how many players were connected and how many
 * started their track (the window measures those), how long the connections took (link made to
 * Ready: p50/p99/max), and the load average (the figures are noise when it is above the cores).
 *
 * The players' frames are measured where they are handed to the voice output (send lateness:
 * deadline to hand-over, lost slots); the voice server measures what it receives (packets,
 * sequence gaps, duplicates, inter-arrival p99).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { RemoteVoiceServer } from '../helpers/voice-server/index.js';
import { startVoiceServerProcess, testPki } from '../helpers/voice-server/index.js';
import type { VoiceCensus } from './_serve-census.js';
import type { PlayerTimeline } from './_serve-setup.js';
import { buildTrackFile } from './_long-track.js';
import { BENCH_NODE_ARGS } from './_node-args.js';

const COUNTS = (process.env.BENCH_COUNTS ?? '10,100,500').split(',').map(Number);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CONNECT_SECONDS = Number(process.env.BENCH_CONNECT_SECONDS ?? 120);
const TRACK_SECONDS = Number(process.env.BENCH_TRACK_SECONDS ?? 180);
const REST_PER_SECOND = Number(process.env.BENCH_REST_PER_SECOND ?? 20);
const VOICE = (process.env.BENCH_VOICE ?? 'voice') === 'voice';
const PASSWORD = 'bench';
const USER_ID = '170939974227541168';

const TIMELINES = process.env.BENCH_TIMELINES === '1';

/** Absolute ms, comparable with the server process's and its worker threads'. */
const wall = (): number => performance.timeOrigin + performance.now();

/**
 * Where the players' starts went (BENCH_TIMELINES=1): per step, how many got there and when,
 * from their track PATCH being sent (p10/p50/p90/max s), and the steps' order.
 */
function startTimelines(patches: Map<string, { sent: number; answered: number; startEvent: number }>, timelines: PlayerTimeline[], events: Record<string, number>): string {
  const lines = [`  start timelines of ${patches.size} players (s from the track PATCH sent; n got there: p10/p50/p90/max); events ${show(events)}`];
  const step = (name: string, at: (g: string, t: PlayerTimeline) => number): void => {
    const ds: number[] = [];
    let before = 0;
    for (const t of timelines) {
      const p = patches.get(t.guildId);
      if (p === undefined) continue;
      // NaN (never got there) comes over the IPC channel as null (JSON).
      const v = at(t.guildId, t) ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      if (v < p.sent) before++;
      ds.push((v - p.sent) / 1000);
    }
    ds.sort((a, b) => a - b);
    const f = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(2));
    lines.push(`    ${name.padEnd(22)} n ${String(ds.length).padStart(4)} (${before} before the PATCH): ${f(percentile(ds, 0.1))}/${f(percentile(ds, 0.5))}/${f(percentile(ds, 0.9))}/${f(ds.at(-1) ?? Number.NaN)}`);
  };
  step('PATCH answered', (g) => patches.get(g)!.answered);
  step('output ready', (_g, t) => t.outputReady);
  step('load begun (loading)', (_g, t) => t.loading);
  step('opened (buffering)', (_g, t) => t.opened);
  step('prebuffered (playing)', (_g, t) => t.playing);
  step('first frame handed', (_g, t) => t.firstFrame);
  step('TrackStartEvent', (g) => patches.get(g)!.startEvent);
  const other: Record<string, number> = {};
  for (const t of timelines) if (t.other !== null) other[t.other] = (other[t.other] ?? 0) + 1;
  lines.push(`    other states after load: ${show(other)}`);
  return lines.join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}

function histogramPercentile(buckets: readonly number[], count: number, p: number): number {
  const target = Math.ceil(count * p);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= target) return i / 100;
  }
  return Number.NaN;
}

/** The server process and its IPC. */
class ServerProcess {
  readonly child: ChildProcess;
  constructor(root: string) {
    this.child = fork(new URL('./_serve-node.ts', import.meta.url), [], {
      execArgv: [...BENCH_NODE_ARGS],
      env: { ...process.env, BENCH_ROOT: root, BENCH_WORKERS: String(WORKERS), ...(VOICE ? { BENCH_VOICE_CA: testPki().ca.cert } : {}) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  ask<T>(t: string, answer = t): Promise<T> {
    return new Promise((resolve) => {
      const listener = (message: { t: string }): void => {
        if (message.t !== answer) return;
        this.child.off('message', listener);
        resolve(message as T);
      };
      this.child.on('message', listener);
      this.child.send({ t });
    });
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ t: 'close' });
    });
  }
  listening(): Promise<{ port: number }> {
    return new Promise((resolve) => this.child.once('message', (m) => resolve(m as { port: number })));
  }
}

async function rest(base: string, method: string, pathName: string, body?: unknown): Promise<{ status: number; json: unknown; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}${pathName}`, {
    method,
    headers: { Authorization: PASSWORD, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
}

interface Row {
  players: number;
  /** Players connected to voice when the window began, and the time each took (link made to ready), ms. */
  connected: number;
  /** Players whose track started (TrackStartEvent) before the window. */
  started: number;
  connectMs: { p50: number; p99: number; max: number };
  /** The 1-minute load average at the end of the window (2 cores shared: figures are noisy above 2). */
  load: number;
  frames: number;
  p50: number;
  p99: number;
  max: number;
  late: number;
  lost: number;
  cpu: number;
  rssPerPlayer: number;
  restP50: number;
  restP99: number;
  restMax: number;
  /** The voice server's figures, with BENCH_VOICE=voice. */
  received?: { packets: number; lost: number; duplicates: number; rejected: number; p99: number };
}

/** Sums counts by key. */
function add(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

const show = (counts: Record<string, number>): string => Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

let lastCpu: { at: number; server: number; voice: number } | null = null;

/** Per thread of a process (Linux): its name, ns on a CPU and ns runnable but waiting for one (`/proc/<pid>/task/<tid>/schedstat`). */
function threadTimes(pid: number): Map<string, { name: string; run: number; wait: number }> {
  const out = new Map<string, { name: string; run: number; wait: number }>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        out.set(tid, { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), run: run!, wait: wait! });
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

let lastThreads: { at: number; times: Map<string, { name: string; run: number; wait: number }> } | null = null;

/** The server's busiest threads since the last call: share of a core on a CPU, and share spent runnable but waiting for a CPU. */
function threadShares(pid: number): string {
  const now = { at: performance.now(), times: threadTimes(pid) };
  const last = lastThreads;
  lastThreads = now;
  if (last === null) return '';
  const wallNs = (now.at - last.at) * 1e6;
  const rows = [...now.times].map(([tid, t]) => {
    const before = last.times.get(tid);
    return { name: t.name, run: (t.run - (before?.run ?? 0)) / wallNs, wait: (t.wait - (before?.wait ?? 0)) / wallNs };
  });
  rows.sort((a, b) => b.run + b.wait - (a.run + a.wait));
  return `; server threads (on CPU/waiting for one): ${rows.slice(0, 4).map((r) => `${r.name} ${r.run.toFixed(2)}/${r.wait.toFixed(2)}`).join(', ')}`;
}

/** Where the players' connections are: their census, the voice server's gateway, CPU per process since the last call, load average. */
async function describe(server: ServerProcess, voice: RemoteVoiceServer | null): Promise<string> {
  const { censuses, cpu, elu } = await server.ask<{ censuses: VoiceCensus[]; cpu: NodeJS.CpuUsage; elu: number[] }>('census');
  const gateway = await voice?.gateway();
  const status: Record<string, number> = {};
  const networking: Record<string, number> = {};
  const closes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let dave = 0;
  for (const c of censuses) {
    add(status, c.status);
    add(networking, c.networking);
    add(closes, c.closes);
    add(errors, c.errors);
    dave += c.daveTransitioned;
  }
  const now = { at: performance.now(), server: (cpu.user + cpu.system) / 1000, voice: gateway?.cpu ?? 0 };
  const share = (k: 'server' | 'voice'): string => (lastCpu === null ? '-' : ((now[k] - lastCpu[k]) / (now.at - lastCpu.at)).toFixed(2));
  const cpuText = `CPU (cores) server ${share('server')}, voice server ${share('voice')}`;
  lastCpu = now;
  const gw = gateway ? `; voice server: identified ${gateway.identified}, selected protocol ${gateway.selectedProtocol}, DAVE ready ${gateway.daveReady}, closes {${show(gateway.closes)}}, refused {${show(gateway.refused)}}, loop delay p99 ${gateway.loopDelay.p99.toFixed(0)} ms max ${gateway.loopDelay.max.toFixed(0)} ms` : '';
  return `connections {${show(status)}}, networking {${show(networking)}}, DAVE transitioned ${dave}, voice closes {${show(closes)}}, errors {${show(errors)}}${gw}; ${cpuText}; player thread loop utilisation ${elu.map((u) => u.toFixed(2)).join(', ')}${threadShares(server.child.pid!)}; load ${os.loadavg()[0]!.toFixed(2)}`;
}

async function run(count: number, file: string, root: string, voice: RemoteVoiceServer | null): Promise<Row> {
  const server = new ServerProcess(root);
  const { port } = await server.listening();
  const base = `http://127.0.0.1:${port}`;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v4/websocket`, { headers: { Authorization: PASSWORD, 'User-Id': USER_ID, 'Client-Name': 'spence-bench/1' } });
  let sessionId = '';
  let started = 0;
  /** Players whose track ended (TrackStuckEvent, TrackEndEvent) before it started: never to start. */
  const failed = new Set<string>();
  let connected = count;
  let connectMs: number[] = [];
  /** Per guild: the track PATCH sent and answered, its TrackStartEvent received (absolute ms). */
  const trackPatch = new Map<string, { sent: number; answered: number; startEvent: number }>();
  const events: Record<string, number> = {};
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { op: string; type?: string; sessionId?: string; guildId?: string };
    if (m.op === 'ready') sessionId = m.sessionId!;
    if (m.op === 'event') events[m.type!] = (events[m.type!] ?? 0) + 1;
    const t = m.op === 'event' ? trackPatch.get(m.guildId!) : undefined;
    if (t === undefined) return;
    if (m.type === 'TrackStartEvent') {
      started++;
      if (Number.isNaN(t.startEvent)) t.startEvent = wall();
    } else if ((m.type === 'TrackStuckEvent' || m.type === 'TrackEndEvent') && Number.isNaN(t.startEvent)) failed.add(m.guildId!);
  });
  while (sessionId === '') await sleep(10);
  const before = (await server.ask<{ rss: number }>('rss')).rss;
  const loaded = await rest(base, 'GET', `/v4/loadtracks?identifier=${encodeURIComponent(file)}`);
  const encoded = (loaded.json as { data: { encoded: string } }).data.encoded;
  const guild = (i: number): string => String(100_000_000_000_000_000n + BigInt(i));
  const batches = async (patch: (i: number) => unknown, sent?: (i: number) => void, answered?: (i: number) => void): Promise<void> => {
    // 16 at a time, as a bot's queue would.
    for (let i = 0; i < count; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, count - i) }, async (_, k) => {
          sent?.(i + k);
          await rest(base, 'PATCH', `/v4/sessions/${sessionId}/players/${guild(i + k)}`, patch(i + k));
          answered?.(i + k);
        }),
      );
    }
  };
  if (voice !== null) {
    // Each player joins its own voice channel (what Discord's gateway would give the bot), then plays once connected.
    await batches((i) => {
      const grant = { guildId: guild(i), channelId: String(200_000_000_000_000_000n + BigInt(i)), userId: USER_ID, sessionId: `bench-${i}` };
      return { voice: { token: voice.allow(grant), endpoint: voice.endpoint, sessionId: grant.sessionId, channelId: grant.channelId } };
    });
    // Waits for every player's voice connection, saying every 5 s how many are in and where the
    // others are (the census of their connections, the voice server's gateway, each process's
    // CPU and the load average), and goes on with those that connected after BENCH_CONNECT_SECONDS.
    const giveUpAt = performance.now() + CONNECT_SECONDS * 1000;
    let said = performance.now();
    for (;;) {
      const players = (await rest(base, 'GET', `/v4/sessions/${sessionId}/players`)).json as { state: { connected: boolean } }[];
      connected = players.filter((p) => p.state.connected).length;
      if (connected === count || performance.now() > giveUpAt) break;
      if (performance.now() - said > 5000) {
        console.error(`  ${connected} of ${count} players connected to voice; ${await describe(server, voice)}`);
        said = performance.now();
      }
      await sleep(200);
    }
    const census = await server.ask<{ censuses: VoiceCensus[] }>('census');
    connectMs = census.censuses.flatMap((c) => c.connectMs).sort((a, b) => a - b);
    if (connected < count) console.error(`  ${count - connected} of ${count} players not connected to voice after ${CONNECT_SECONDS} s; ${await describe(server, voice)}`);
  }
  await batches(() => ({ track: { encoded } }), (i) => trackPatch.set(guild(i), { sent: wall(), answered: Number.NaN, startEvent: Number.NaN }), (i) => (trackPatch.get(guild(i))!.answered = wall()));
  // A player without a connection holds its track and sends nothing (no TrackStartEvent). One whose
  // start is starved (a player thread whose core is taken by the players already sending) is
  // ended by the stuck watchdog after trackStuckThresholdMs (TrackStuckEvent, then TrackEndEvent
  // loadFailed): it will not start, and the window measures the others.
  const startBy = performance.now() + Number(process.env.BENCH_START_SECONDS ?? 30) * 1000;
  let saidStart = performance.now();
  const startText = (): string => `${started} of ${connected} connected players started their track, ${failed.size} ended before they started (events {${show(events)}})`;
  while (started + failed.size < connected && performance.now() < startBy) {
    await sleep(20);
    if (performance.now() - saidStart > 5000) {
      console.error(`  ${startText()}; ${await describe(server, voice)}`);
      saidStart = performance.now();
    }
  }
  if (started < connected) console.error(`  ${startText()}${started + failed.size < connected ? ' after 30 s' : ''}; ${await describe(server, voice)}`);
  if (TIMELINES) console.error(startTimelines(trackPatch, (await server.ask<{ timelines: PlayerTimeline[] }>('timelines')).timelines, events));
  await sleep(WARMUP * 1000);
  await server.ask('reset');
  await voice?.reset();
  const restMs: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    const g = guild(n % count);
    const probe = n % 2 === 0 ? await rest(base, 'GET', `/v4/sessions/${sessionId}/players/${g}`) : await rest(base, 'PATCH', `/v4/sessions/${sessionId}/players/${g}`, { volume: 100 });
    restMs.push(probe.ms);
    n++;
    await sleep(Math.max(0, 1000 / REST_PER_SECOND - probe.ms));
  }
  const report = await server.ask<{ buckets: number[]; frames: number; late: number; lost: number; max: number; cpuShare: number; rss: number }>('report');
  const received = await voice?.stats();
  ws.close();
  await server.close();
  restMs.sort((a, b) => a - b);
  return {
    players: count,
    connected,
    started,
    connectMs: { p50: percentile(connectMs, 0.5), p99: percentile(connectMs, 0.99), max: connectMs.at(-1) ?? Number.NaN },
    load: os.loadavg()[0]!,
    frames: report.frames,
    p50: histogramPercentile(report.buckets, report.frames, 0.5),
    p99: histogramPercentile(report.buckets, report.frames, 0.99),
    max: report.max,
    late: report.late,
    lost: report.lost,
    cpu: report.cpuShare,
    rssPerPlayer: (report.rss - before) / count,
    restP50: percentile(restMs, 0.5),
    restP99: percentile(restMs, 0.99),
    restMax: restMs.at(-1) ?? Number.NaN,
    ...(received ? { received: { packets: received.packets, lost: received.lost, duplicates: received.duplicates, rejected: received.rejected, p99: received.interArrival.p99 } } : {}),
  };
}

const seconds = (ms: number): string => (Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(1));

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'spence-serve-bench-'));
  // The receiver in a process of its own, so it does not share the event loops it measures.
  const voice = VOICE ? await startVoiceServerProcess({}) : null;
  try {
    const file = buildTrackFile(tmp, TRACK_SECONDS);
    process.stdout.write(`serve bench: ${WORKERS === 0 ? 'players on the main thread' : `${WORKERS} player worker(s)`}, ${VOICE ? 'voice to the loopback voice server (DAVE)' : 'no voice'}, ${SECONDS} s windows after ${WARMUP} s, ${os.availableParallelism()} cores, Node ${process.version}\n`);
    process.stdout.write('| players | connected | started | connect p50/p99/max s | load | frames | p50 ms | p99 ms | max ms | late>2ms | lost | received | rx lost | rx dup | rx inter-arrival p99 ms | server CPU (cores) | RSS/player | REST p50 ms | REST p99 ms | REST max ms |\n');
    process.stdout.write('|---------|-----------|---------|-----------------------|------|--------|--------|--------|--------|----------|------|----------|---------|--------|-------------------------|--------------------|------------|-------------|-------------|-------------|\n');
    for (const count of COUNTS) {
      const r = await run(count, file, tmp, voice);
      const pct = r.frames > 0 ? ` (${((100 * r.late) / r.frames).toFixed(2)}%)` : '';
      const rx = r.received ? `${r.received.packets} | ${r.received.lost} | ${r.received.duplicates} | ${r.received.p99.toFixed(2)}` : '- | - | - | -';
      process.stdout.write(
        `| ${r.players} | ${r.connected} | ${r.started} | ${seconds(r.connectMs.p50)}/${seconds(r.connectMs.p99)}/${seconds(r.connectMs.max)} | ${r.load.toFixed(2)} | ${r.frames} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${r.late}${pct} | ${r.lost} | ${rx} | ${r.cpu.toFixed(2)} | ${(r.rssPerPlayer / 1024).toFixed(1)} KB | ${r.restP50.toFixed(2)} | ${r.restP99.toFixed(2)} | ${r.restMax.toFixed(2)} |\n`,
      );
    }
  } finally {
    await voice?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
