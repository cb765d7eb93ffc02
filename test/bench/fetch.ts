/**
 * Fetch benchmark: the media fetcher (`createHttpMedia`) against plain undici and `fetch()`, and
 * the whole open path (fetch + demux to the first Opus packet) against the play-dl/prism-media way
 * (one GET piped into prism-media's demuxer), in one process, from the loopback media server.
 *
 *   npx tsx test/bench/fetch.ts          (or: npm run bench -- fetch)
 *
 * - Time to first packet: fixtures/media/sample.webm (124 KB), median and p90 over BENCH_TTFP_RUNS
 *   runs (default 100) after warm-up, from the call to the first packet (teardown not timed);
 *   "warm" reuses a keep-alive agent, "cold" makes a new agent (a new TCP connection) each run.
 * - Throughput: a 60-minute Ogg Opus stream (~40 MB) built here from the sample's packets with our
 *   OggOpusWriter; median MB/s over BENCH_RUNS runs (default 5). "bytes" rows read every byte and
 *   demux nothing; "packets" rows demux to Opus packets. Faulted rows serve with a connection drop
 *   every 1 MiB of every response.
 * - "packets" rows through openMediaAsTrack pay one `await` per packet (the players' pull API);
 *   the plain-undici rows count packets synchronously.
 * - The server is in the same process, so all rows share its cost; absolute MB/s are a floor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import prism from 'prism-media';
import { request } from 'undici';
import type { Agent } from 'undici';
import { OggDemuxer } from '../../src/demux/ogg/ogg-demuxer.js';
import { OggOpusWriter } from '../../src/demux/ogg/ogg-writer.js';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { createMediaAgent } from '../../src/http/agent.js';
import { createHttpMedia } from '../../src/http/http-media.js';
import type { HttpMediaOptions, HttpMediaStats } from '../../src/http/http-media.js';
import { openMediaAsTrack } from '../../src/open/media-track.js';
import { startMediaServer } from '../helpers/media-server.js';
import type { Faults } from '../helpers/media-server.js';

const root = join(import.meta.dirname, '..', '..');
const TTFP_RUNS = Number(process.env.BENCH_TTFP_RUNS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MINUTES = 60;
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- media
const sample = new Uint8Array(readFileSync(join(root, 'fixtures/media/sample.webm')));

function buildLongOgg(): Uint8Array {
  const demuxer = new WebmDemuxer();
  const packets = [...demuxer.push(sample), ...demuxer.end()];
  const writer = new OggOpusWriter(demuxer.info!, { serial: 0xbe4c, comments: { TITLE: 'bench' } });
  const pages: Uint8Array[] = [...writer.headers()];
  let ms = 0;
  for (let i = 0; ms < MINUTES * 60_000; i = (i + 1) % packets.length) {
    const packet = packets[i]!;
    for (const page of writer.write(packet.data)) pages.push(page);
    ms += packet.durationMs;
  }
  pages.push(...writer.end());
  return Buffer.concat(pages);
}
const long = buildLongOgg();

// ---------------------------------------------------------------- helpers
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
function p90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
}
const never = new AbortController().signal;

const server = await startMediaServer({ '/sample.webm': { body: sample }, '/long.opus': { body: long } });
const warmAgent = createMediaAgent({ allowPrivateAddresses: true });

// ---------------------------------------------------------------- time to first packet
/** Opens the sample and returns the time to its first packet in ms; the teardown after it is not timed. */
type Ttfp = (agent: Agent) => Promise<number>;

const spenceFirst: Ttfp = async (agent) => {
  const t0 = performance.now();
  const media = createHttpMedia(server.url('/sample.webm'), { dispatcher: agent });
  const track = await openMediaAsTrack(media, { signal: never });
  const first = await track.packets.next();
  const ms = performance.now() - t0;
  track.close();
  if (first.done) throw new Error('no packet');
  return ms;
};

const prismFirst = (get: (url: string) => Promise<NodeJS.ReadableStream>): Ttfp => async () => {
  const t0 = performance.now();
  const body = await get(server.url('/sample.webm'));
  const demuxer = new prism.opus.WebmDemuxer();
  await new Promise<void>((resolve, reject) => {
    demuxer.once('data', () => resolve());
    demuxer.once('error', reject);
    body.pipe(demuxer);
  });
  const ms = performance.now() - t0;
  body.unpipe(demuxer);
  (body as unknown as { destroy(): void }).destroy();
  demuxer.destroy();
  return ms;
};

const undiciGet = (agent: Agent) => async (url: string) => (await request(url, { dispatcher: agent })).body;
const fetchGet = async (url: string) => {
  const { Readable } = await import('node:stream');
  const response = await fetch(url);
  return Readable.fromWeb(response.body! as never);
};

interface TtfpRow { name: string; cold: boolean; run: Ttfp; times: number[] }

/** Runs the rows round-robin, so warm-up, GC and the server's state weigh on each row alike. */
async function timeFirst(rows: TtfpRow[]): Promise<string[][]> {
  for (let i = 0; i < TTFP_RUNS + 5; i++) {
    for (const row of rows) {
      const agent = row.cold ? createMediaAgent({ allowPrivateAddresses: true }) : warmAgent;
      const ms = await row.run(agent);
      if (row.cold) await agent.close();
      if (i >= 5) row.times.push(ms);
    }
  }
  return rows.map((row) => [row.name, row.cold ? 'cold' : 'warm', median(row.times).toFixed(2), p90(row.times).toFixed(2)]);
}

const ttfpRows = await timeFirst([
  { name: 'spence createHttpMedia + openMediaAsTrack', cold: false, run: spenceFirst, times: [] },
  { name: 'spence createHttpMedia + openMediaAsTrack', cold: true, run: spenceFirst, times: [] },
  { name: 'undici request + prism-media WebmDemuxer', cold: false, run: (agent) => prismFirst(undiciGet(agent))(agent), times: [] },
  { name: 'undici request + prism-media WebmDemuxer', cold: true, run: (agent) => prismFirst(undiciGet(agent))(agent), times: [] },
  { name: 'fetch() + prism-media WebmDemuxer', cold: false, run: prismFirst(fetchGet), times: [] },
]);

// ---------------------------------------------------------------- throughput
interface Pass { bytes: number; packets: number; stats?: HttpMediaStats }
type Throughput = () => Promise<Pass>;

const spenceBytes = (options: Partial<HttpMediaOptions>): Throughput => async () => {
  const media = createHttpMedia(server.url('/long.opus'), { dispatcher: warmAgent, backoffMs: 1, ...options });
  let bytes = 0;
  for await (const chunk of media.read(0, { signal: never })) bytes += chunk.length;
  return { bytes, packets: 0, stats: media.stats };
};

const spencePackets: Throughput = async () => {
  const media = createHttpMedia(server.url('/long.opus'), { dispatcher: warmAgent });
  const track = await openMediaAsTrack(media, { signal: never });
  let packets = 0;
  for (;;) {
    const step = await track.packets.next();
    if (step.done) break;
    packets++;
  }
  track.close();
  return { bytes: long.length, packets, stats: media.stats };
};

const undiciBytes: Throughput = async () => {
  const { body } = await request(server.url('/long.opus'), { dispatcher: warmAgent });
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return { bytes, packets: 0 };
};

const fetchBytes: Throughput = async () => {
  const response = await fetch(server.url('/long.opus'));
  const reader = response.body!.getReader();
  let bytes = 0;
  for (let step = await reader.read(); !step.done; step = await reader.read()) bytes += step.value.length;
  return { bytes, packets: 0 };
};

const ourDemuxOverUndici: Throughput = async () => {
  const { body } = await request(server.url('/long.opus'), { dispatcher: warmAgent });
  const demuxer = new OggDemuxer();
  let packets = 0;
  for await (const chunk of body) packets += demuxer.push(chunk as Buffer).length;
  packets += demuxer.end().length;
  return { bytes: long.length, packets };
};

const prismPackets: Throughput = async () => {
  const { body } = await request(server.url('/long.opus'), { dispatcher: warmAgent });
  const demuxer = new prism.opus.OggDemuxer();
  let packets = 0;
  await new Promise<void>((resolve, reject) => {
    demuxer.on('data', () => packets++);
    demuxer.on('end', resolve);
    demuxer.on('error', reject);
    body.pipe(demuxer);
  });
  return { bytes: long.length, packets };
};

interface ThroughputRow { name: string; kind: string; run: Throughput; faults?: Faults; rates: number[]; last?: Pass }

/** Runs the rows round-robin (one warm-up round first), so no row gets a quieter machine. */
async function timeThroughput(rows: ThroughputRow[]): Promise<string[][]> {
  for (let i = 0; i < RUNS + 1; i++) {
    for (const row of rows) {
      server.faults = row.faults ?? {};
      const t0 = performance.now();
      const pass = await row.run();
      const seconds = (performance.now() - t0) / 1000;
      server.faults = {};
      if (pass.packets === 0 && pass.bytes !== long.length) throw new Error(`${row.name}: read ${pass.bytes} of ${long.length} bytes`);
      if (i > 0) row.rates.push(pass.bytes / MiB / seconds);
      row.last = pass;
    }
  }
  return rows.map(({ name, kind, rates, last }) => {
    const stats = last?.stats;
    return [
      name,
      kind,
      median(rates).toFixed(0),
      last?.packets ? String(last.packets) : '',
      stats ? String(stats.requests) : '',
      stats ? String(stats.prefetchHits) : '',
      stats ? String(stats.failures.drop) : '',
    ];
  });
}

const throughputRows = await timeThroughput([
  { name: 'spence createHttpMedia (10 MiB chunks, prefetch)', kind: 'bytes', run: spenceBytes({}), rates: [] },
  { name: 'spence createHttpMedia (10 MiB chunks, no prefetch)', kind: 'bytes', run: spenceBytes({ prefetchAt: false }), rates: [] },
  { name: 'spence createHttpMedia (1 MiB chunks, prefetch)', kind: 'bytes', run: spenceBytes({ chunkSize: MiB }), rates: [] },
  { name: 'spence createHttpMedia, a drop every 1 MiB', kind: 'bytes', run: spenceBytes({}), faults: { dropEveryBytes: MiB }, rates: [] },
  { name: 'undici request (one GET)', kind: 'bytes', run: undiciBytes, rates: [] },
  { name: 'fetch() (one GET)', kind: 'bytes', run: fetchBytes, rates: [] },
  { name: 'spence createHttpMedia + openMediaAsTrack', kind: 'packets', run: spencePackets, rates: [] },
  { name: 'undici request + spence OggDemuxer', kind: 'packets', run: ourDemuxOverUndici, rates: [] },
  { name: 'undici request + prism-media OggDemuxer', kind: 'packets', run: prismPackets, rates: [] },
]);

// ---------------------------------------------------------------- buffering under a slow consumer
/**
 * A consumer far slower than loopback (a 3 ms pause per chunk handed out), reading 30 MiB: the most
 * bytes undici held in response bodies (the process's buffering), and the most bytes the server had
 * sent beyond what the consumer had taken (that plus both kernels' socket buffers, which TCP
 * autotuning grows on loopback; bounded in any case by the two Range requests in flight).
 */
async function buffering(chunkSize: number): Promise<string[]> {
  const media = createHttpMedia(server.url('/long.opus'), { dispatcher: warmAgent, chunkSize });
  const sentBefore = server.bytesSent;
  let delivered = 0;
  let lead = 0;
  for await (const chunk of media.read(0, { signal: never })) {
    delivered += chunk.length;
    await new Promise((resolve) => setTimeout(resolve, 3));
    lead = Math.max(lead, server.bytesSent - sentBefore - delivered);
    if (delivered >= 30 * MiB) break;
  }
  return [`${chunkSize / MiB} MiB`, `${(media.stats.maxBufferedBytes / 1024).toFixed(0)} KiB`, `${(lead / 1024).toFixed(0)} KiB`, String(media.stats.requests)];
}
const bufferRows = [await buffering(MiB), await buffering(10 * MiB)];

await warmAgent.close();
await server.close();

// ---------------------------------------------------------------- report
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

console.log(`\nNode ${process.version}; loopback server in-process.`);
console.log(`\nTime to first Opus packet, sample.webm (${(sample.length / 1024).toFixed(0)} KB), ${TTFP_RUNS} runs:\n`);
console.log(table(['path', 'agent', 'median ms', 'p90 ms'], ttfpRows));
const spenceWarm = Number(ttfpRows[0]![2]);
const prismWarm = Number(ttfpRows[2]![2]);
console.log(`\nspence / (undici + prism-media), warm: ${(spenceWarm / prismWarm).toFixed(2)}x the time`);
console.log(`\nThroughput, ${MINUTES}-minute Ogg Opus (${(long.length / MiB).toFixed(1)} MiB), median of ${RUNS} runs:\n`);
console.log(table(['path', 'reads', 'MB/s', 'packets', 'requests', 'prefetch hits', 'drops'], throughputRows));
console.log(`\nBuffering with a slow consumer (30 MiB read, highWaterMark 64 KiB, prefetch at 75%):\n`);
console.log(table(['chunk size', 'max in undici bodies', 'max server lead', 'requests'], bufferRows));
