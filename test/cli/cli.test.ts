// The `spence` CLI as a user meets it (issue 15 items 21-24): run in-process through runCli() with
// its standard output and error captured, and, where the process itself matters (exit status,
// Ctrl-C, a real pipe), spawned as a process on the project's Node with tsx.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { OggOutput } from '../../src/cli/ogg-output.js';
import { demux } from '../../src/demux/index.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/media/sample.webm', import.meta.url));
const MP3 = fileURLToPath(new URL('../../fixtures/media/tone-44k.mp3', import.meta.url));
const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** ffprobe's packet list of the sample: 501 packets of 20 ms. */
const SAMPLE_PACKETS = 501;
const hasFfprobe = spawnSync('ffprobe', ['-version'], { stdio: 'ignore' }).status === 0;

const work = mkdtempSync(join(tmpdir(), 'spence-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI in this process, capturing what it writes (bytes on stdout, text on stderr). */
function cli(...argv: string[]): Promise<Run> {
  return cliWatching(argv, () => {});
}

/** {@link cli}, with `onStderr` shown each piece of text the CLI writes to standard error. */
async function cliWatching(argv: string[], onStderr: (text: string) => void): Promise<Run> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (into: (chunk: Buffer) => void) =>
    function (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean {
      into(Buffer.from(chunk as Uint8Array));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    } as typeof process.stdout.write;
  process.stdout.write = capture((chunk) => out.push(chunk));
  process.stderr.write = capture((chunk) => {
    err.push(chunk.toString('utf8'));
    onStderr(chunk.toString('utf8'));
  });
  try {
    const code = await runCli(argv);
    return { code, stdout: Buffer.concat(out), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

/** Every packet the project's own Ogg reader finds in `bytes` (a DEMUX error fails the test). */
async function oggPackets(bytes: Uint8Array): Promise<number> {
  let count = 0;
  for await (const _packet of demux((async function* () { yield bytes; })())) count++;
  return count;
}

/** ffprobe's packet count of an Ogg Opus file; it must read the file without complaint. */
function ffprobePackets(path: string): number {
  const result = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets', '-of', 'json', path], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  const stream = JSON.parse(result.stdout).streams[0];
  expect(stream.codec_name).toBe('opus');
  return Number(stream.nb_read_packets);
}

/**
 * Walks an Ogg file page by page (RFC 3533 §6: 27 header bytes, the segment table, its lacing
 * values' sum of body bytes) and returns the last page's header type; fails unless the pages end
 * exactly at the end of the file (a file cut short ends inside a page).
 */
function lastOggPageType(bytes: Uint8Array): number {
  let offset = 0;
  let type = -1;
  while (offset < bytes.length) {
    expect(Buffer.from(bytes.subarray(offset, offset + 4)).toString('latin1'), `a page at ${offset}`).toBe('OggS');
    expect(offset + 27, `page header at ${offset} whole`).toBeLessThanOrEqual(bytes.length);
    const segments = bytes[offset + 26]!;
    let body = 0;
    for (let i = 0; i < segments; i++) body += bytes[offset + 27 + i] ?? 0;
    type = bytes[offset + 5]!;
    offset += 27 + segments + body;
  }
  expect(offset, 'the last page ends at the end of the file').toBe(bytes.length);
  return type;
}

/** RFC 3533 §6: header type flag 0x04, the last page of a logical bitstream. */
const END_OF_STREAM = 0x04;

/** One line, the code in brackets, no stack trace. */
function oneLine(stderr: string, code: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^spence: .+ \\[${code}\\]$`));
  expect(stderr).not.toMatch(/\n\s+at |Unhandled|node:events/);
}

describe('spence stream', () => {
  it('15.21: -o in a folder that does not exist: one line with a code, exit 1', async () => {
    const run = await cli('stream', SAMPLE, '-o', join(work, 'nonexistent', 'dir', 'x.opus'));
    expect(run.code).toBe(1);
    oneLine(run.stderr, 'INVALID_ARGUMENT');
    expect(run.stderr).toMatch(/does not exist/);
  });

  it('15.21: -o a directory: one line with a code, exit 1', async () => {
    const run = await cli('stream', SAMPLE, '-o', work);
    expect(run.code).toBe(1);
    oneLine(run.stderr, 'INVALID_ARGUMENT');
    expect(run.stderr).toMatch(/is a directory/);
  });

  it('15.21: as a process, -o /nonexistent/dir/x.opus exits 1 with one line and no unhandled error event', () => {
    const result = spawnSync(process.execPath, ['--import', TSX, BIN, 'stream', SAMPLE, '-o', '/nonexistent/dir/x.opus'], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(1);
    oneLine(result.stderr, 'INVALID_ARGUMENT');
  });

  it('15.24: -o - writes the Ogg Opus stream to standard output, and no file named "-"', async () => {
    const before = existsSync('-');
    const run = await cli('stream', SAMPLE, '-o', '-');
    expect(run.code).toBe(0);
    expect(existsSync('-')).toBe(before);
    expect(run.stdout.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(await oggPackets(run.stdout)).toBe(SAMPLE_PACKETS);
    expect(run.stderr).toMatch(/wrote standard output: 501 packets/);
  });

  it('15.24: --start past the end: a clear error, and no file (not a 0-byte one)', async () => {
    const out = join(work, 'past-end.opus');
    const run = await cli('stream', SAMPLE, '-o', out, '--start', '99999999');
    expect(run.code).toBe(1);
    oneLine(run.stderr, 'INVALID_ARGUMENT');
    expect(run.stderr).toMatch(/--start 99999999 is past the end of the track \(0:10/);
    expect(existsSync(out)).toBe(false);
  });

  it('a failure before any audio leaves an existing output file as it was', async () => {
    const out = join(work, 'kept.opus');
    writeFileSync(out, 'before');
    const run = await cli('stream', join(work, 'missing.webm'), '-o', out);
    expect(run.code).toBe(1);
    oneLine(run.stderr, 'NOT_FOUND');
    expect(readFileSync(out, 'utf8')).toBe('before');
  });

  it('plays MP3 into a valid Ogg Opus file', async () => {
    const out = join(work, 'tone.opus');
    const run = await cli('stream', MP3, '-o', out);
    expect(run.code).toBe(0);
    expect(await oggPackets(readFileSync(out))).toBe(150);
  });

  it('15.22: Ctrl-C during --realtime stops at once, leaves a valid Ogg Opus file of what was sent, exits 130', async () => {
    const out = join(work, 'interrupted.opus');
    const child = spawn(process.execPath, ['--import', TSX, BIN, 'stream', SAMPLE, '-o', out, '--realtime'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once playback is under way: the file exists and holds audio past its two header pages.
    let poll: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (poll !== undefined || !stderr.includes('spence: streaming')) return;
        poll = setInterval(() => {
          if (existsSync(out) && readFileSync(out).length > 4096) resolve();
        }, 20);
      });
      child.on('exit', () => reject(new Error(`the CLI exited before playback: ${stderr}`)));
    }).finally(() => clearInterval(poll));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const reported = /interrupted; wrote .+: (\d+) packets/.exec(stderr);
    expect(reported, stderr).not.toBeNull();
    const sent = Number(reported![1]);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(SAMPLE_PACKETS); // it stopped, rather than playing on to the end
    expect(await oggPackets(readFileSync(out))).toBe(sent);
    if (hasFfprobe) expect(ffprobePackets(out)).toBe(sent);
    expect(stderr).not.toMatch(/\n\s+at |Unhandled/);
  });

  it('15.22: as a process, Ctrl-C twice in a row during --realtime: a whole Ogg Opus file of what was sent, exit 130', async () => {
    const out = join(work, 'interrupted-twice.opus');
    const child = spawn(process.execPath, ['--import', TSX, BIN, 'stream', SAMPLE, '-o', out, '--realtime'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let poll: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (poll !== undefined || !stderr.includes('spence: streaming')) return;
        poll = setInterval(() => {
          if (existsSync(out) && readFileSync(out).length > 4096) resolve();
        }, 20);
      });
      child.on('exit', () => reject(new Error(`the CLI exited before playback: ${stderr}`)));
    }).finally(() => clearInterval(poll));
    child.kill('SIGINT');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const reported = /interrupted; wrote .+: (\d+) packets/.exec(stderr);
    expect(reported, stderr).not.toBeNull();
    const sent = Number(reported![1]);
    const bytes = readFileSync(out);
    expect(lastOggPageType(bytes) & END_OF_STREAM).toBe(END_OF_STREAM);
    expect(await oggPackets(bytes)).toBe(sent);
    if (hasFfprobe) expect(ffprobePackets(out)).toBe(sent);
    expect(stderr).not.toMatch(/\n\s+at |Unhandled/);
  });
});

describe('spence stream: Ctrl-C, in process (SIGINT emitted at a known point; process.exit recorded, not run)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Records each process.exit call with the output file as it is at that moment. */
  function recordExits(out: string): { code: number | string | null | undefined; bytes: Buffer | null }[] {
    const exits: { code: number | string | null | undefined; bytes: Buffer | null }[] = [];
    vi.spyOn(process, 'exit').mockImplementation(((code?: number | string | null) => {
      exits.push({ code, bytes: existsSync(out) ? readFileSync(out) : null });
    }) as typeof process.exit);
    return exits;
  }

  const ctrlC = (): void => void process.emit('SIGINT' as never);

  it('15.22: a second Ctrl-C while the first is finishing the file: the file is whole before the process exits 130', async () => {
    const out = join(work, 'twice.opus');
    const exits = recordExits(out);
    // After the 10th packet is written, two Ctrl-Cs in one turn: the second comes before the
    // first has finished the file (it has not even started to).
    const write = OggOutput.prototype.write;
    let writes = 0;
    vi.spyOn(OggOutput.prototype, 'write').mockImplementation(function (this: OggOutput, packet: Uint8Array) {
      write.call(this, packet);
      if (++writes === 10) {
        setImmediate(() => {
          ctrlC();
          ctrlC();
        });
      }
    });
    const run = await cli('stream', SAMPLE, '-o', out, '--realtime');
    expect(run.code).toBe(130);
    const reported = /interrupted; wrote .+: (\d+) packets/.exec(run.stderr);
    expect(reported, run.stderr).not.toBeNull();
    const sent = Number(reported![1]);
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThan(SAMPLE_PACKETS);
    // The second Ctrl-C exits 130, and only once the file holds every packet and its end page.
    expect(exits.map((e) => e.code)).toEqual([130]);
    const atExit = exits[0]!.bytes;
    expect(atExit, 'the file exists when the process exits').not.toBeNull();
    expect(lastOggPageType(atExit!) & END_OF_STREAM, 'the last page is flagged end-of-stream').toBe(END_OF_STREAM);
    expect(await oggPackets(atExit!)).toBe(sent);
    expect(readFileSync(out).equals(atExit!), 'nothing was written after the exit').toBe(true);
    if (hasFfprobe) expect(ffprobePackets(out)).toBe(sent);
    expect(run.stderr.match(/interrupted;/g)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at |Unhandled/);
  });

  it('15.22: Ctrl-C before any audio was sent: no file, exit 130', async () => {
    const out = join(work, 'before-audio.opus');
    const exits = recordExits(out);
    const writes = vi.spyOn(OggOutput.prototype, 'write');
    // The player is made and its load begun when "streaming" is written; no frame before the
    // next turn of the event loop (the load reads the file first).
    let sent = false;
    const run = await cliWatching(['stream', SAMPLE, '-o', out, '--realtime'], (text) => {
      if (sent || !text.includes('spence: streaming')) return;
      sent = true;
      setImmediate(ctrlC);
    });
    expect(sent).toBe(true);
    expect(writes).not.toHaveBeenCalled();
    expect(run.code).toBe(130);
    expect(exits).toEqual([]);
    expect(existsSync(out)).toBe(false);
    expect(run.stderr).toMatch(/interrupted; nothing was sent, no file written/);
    expect(run.stderr).not.toMatch(/\n\s+at |Unhandled/);
  });

  it('15.22: two Ctrl-Cs before any audio was sent: no file, exit 130 at once', async () => {
    const out = join(work, 'twice-before-audio.opus');
    const exits = recordExits(out);
    let sent = false;
    const run = await cliWatching(['stream', SAMPLE, '-o', out, '--realtime'], (text) => {
      if (sent || !text.includes('spence: streaming')) return;
      sent = true;
      setImmediate(() => {
        ctrlC();
        ctrlC();
      });
    });
    expect(run.code).toBe(130);
    expect(exits).toEqual([{ code: 130, bytes: null }]);
    expect(existsSync(out)).toBe(false);
    expect(run.stderr).toMatch(/interrupted; nothing was sent, no file written/);
  });
});

describe('spence inspect', () => {
  it.each([
    ['a missing file', () => join(work, 'missing.webm'), 'NOT_FOUND', /No such file/],
    ['a directory', () => work, 'INVALID_ARGUMENT', /is a directory/],
    ['a URL', () => 'https://cdn.example.com/a.webm?signature=SECRET', 'UNSUPPORTED_INPUT', /is a URL/],
  ])('15.23: %s says what is wrong, not NETWORK', async (_what, path, code, message) => {
    const run = await cli('inspect', path());
    expect(run.code).toBe(1);
    oneLine(run.stderr, code);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/NETWORK|network|SECRET/);
  });

  it('15.23: accepts the MP3 that stream and resolve play', async () => {
    const run = await cli('inspect', MP3, '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout.toString('utf8'));
    expect(report).toMatchObject({ container: 'mp3', info: { codec: 'mp3', sampleRate: 44_100, channels: 2 }, frameCount: 116 });
    expect(report.durationMs).toBeCloseTo(3030.2, 0);
    const text = await cli('inspect', MP3);
    expect(text.stdout.toString('utf8')).toMatch(/container:\s+MP3/);
  });

  it('still inspects WebM', async () => {
    const run = await cli('inspect', SAMPLE, '--json');
    expect(JSON.parse(run.stdout.toString('utf8'))).toMatchObject({ container: 'webm', packetCount: SAMPLE_PACKETS });
  });
});

describe('errors', () => {
  it('15.24: --json prints an error as a JSON object on standard output, nothing on standard error', async () => {
    for (const argv of [['resolve', join(work, 'missing.webm'), '--json'], ['inspect', join(work, 'missing.webm'), '--json']]) {
      const run = await cli(...argv);
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout.toString('utf8'))).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('No such file') } });
      expect(run.stderr).toBe('');
    }
  });

  it('15.24: the NETWORK hint names the packaged sample by its real path, never one relative to the current folder', async () => {
    const run = await cli('resolve', 'http://127.0.0.1:9/a.webm', '--allow-private');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[NETWORK\]/);
    const hint = /packaged sample: spence stream (\S+) -o/.exec(run.stderr);
    expect(hint, run.stderr).not.toBeNull();
    expect(isAbsolute(hint![1]!)).toBe(true);
    expect(existsSync(hint![1]!)).toBe(true);
    expect(run.stderr).not.toMatch(/stream fixtures\/media\/sample\.webm/);
  });
});
