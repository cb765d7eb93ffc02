/**
 * The entry of the voice server process (see process.ts): starts a server with the parent's PKI
 * and secret, and answers its requests for statistics over IPC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Op } from './protocol.js';
import { startVoiceServer, type ReceivedPacket, type VoiceServer } from './server.js';
import type { FromChild, GatewayStats, ReceiveStats, ToChild } from './process.js';

let server: VoiceServer | null = null;
const gateway: Omit<GatewayStats, 'cpu' | 'loopDelay'> = { identified: 0, selectedProtocol: 0, daveReady: 0, closes: {}, refused: {} };
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/** Counts what the gateway sees (for a bench to tell where connections stop). */
function count(voice: VoiceServer): void {
  voice.on('message', (m) => {
    if (m.op === Op.Identify) gateway.identified++;
    else if (m.op === Op.SelectProtocol) gateway.selectedProtocol++;
  });
  voice.on('daveReady', () => void gateway.daveReady++);
  voice.on('wsClose', (_session, code) => void (gateway.closes[code] = (gateway.closes[code] ?? 0) + 1));
  voice.on('refused', (code) => void (gateway.refused[code] = (gateway.refused[code] ?? 0) + 1));
}

function send(message: FromChild): void {
  process.send?.(message);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(packets: readonly ReceivedPacket[], rejected: number, errors: string[]): ReceiveStats {
  const bySession = new Map<string, ReceivedPacket[]>();
  for (const packet of packets) {
    let list = bySession.get(packet.session);
    if (list === undefined) bySession.set(packet.session, (list = []));
    list.push(packet);
  }
  let lost = 0;
  let duplicates = 0;
  const gaps: number[] = [];
  for (const list of bySession.values()) {
    const seen = new Set<number>();
    const first = list[0]!.sequence;
    let span = 0;
    for (let i = 0; i < list.length; i++) {
      const packet = list[i]!;
      if (seen.has(packet.sequence)) duplicates++;
      seen.add(packet.sequence);
      span = Math.max(span, (packet.sequence - first + 65536) % 65536);
      if (i > 0) gaps.push(packet.arrivedAt - list[i - 1]!.arrivedAt);
    }
    lost += span + 1 - seen.size;
  }
  gaps.sort((a, b) => a - b);
  return {
    packets: packets.length,
    sessions: bySession.size,
    lost,
    duplicates,
    rejected,
    interArrival: { p50: percentile(gaps, 50), p99: percentile(gaps, 99), max: gaps.at(-1) ?? 0 },
    errors: errors.slice(0, 20),
  };
}

process.on('message', (message: ToChild) => {
  void (async () => {
    if (message.type === 'start') {
      server = await startVoiceServer({ ...message.options, pki: message.pki, secret: Buffer.from(message.secret, 'hex') });
      count(server);
      send({ type: 'started', endpoint: server.endpoint });
    } else if (message.type === 'gateway') {
      const cpu = process.cpuUsage();
      send({ type: 'gateway', stats: { ...gateway, cpu: (cpu.user + cpu.system) / 1000, loopDelay: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } } });
      loopDelay.reset();
    } else if (message.type === 'stats') {
      send({ type: 'stats', stats: stats(server?.packets ?? [], server?.rejected ?? 0, server?.errors ?? []) });
    } else if (message.type === 'reset') {
      server?.packets.splice(0);
      if (server) server.rejected = 0;
      send({ type: 'reset' });
    } else if (message.type === 'stop') {
      await server?.stop();
      send({ type: 'stopped' });
      process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
