import type { ReadStream } from 'node:fs';
import type { Command } from 'commander';
import { inspectMedia, sniffContainer } from '../../demux/index.js';
import type { MediaInspection } from '../../demux/index.js';
import { sniffMp3 } from '../../demux/mp3/probe-mp3.js';
import { ErrorCodes, SpenceError } from '../../errors.js';
import { formatDuration } from '../format.js';
import { openInputFile } from '../input-file.js';
import { inspectMp3 } from '../inspect-mp3.js';
import type { Mp3Inspection } from '../inspect-mp3.js';

/** Bytes read to tell the container, as the opener does: WebM/Ogg magic, else MP3 frames or ID3. */
const SNIFF_BYTES = 64 * 1024;

/** `spence inspect <file>`. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('describe a WebM, Ogg Opus or MP3 file: container, codec parameters, duration, packets or frames, frame sizes, index')
    .argument('<file>', 'a .webm/.mka, .opus/.ogg or .mp3 file')
    .option('--json', 'print the inspection (or the error) as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const handle = await openInputFile(file, 'spence inspect');
      let report: MediaInspection | Mp3Inspection;
      let bytes: ReadStream | undefined;
      try {
        const { buffer, bytesRead } = await handle.read(new Uint8Array(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
        const head = buffer.subarray(0, bytesRead);
        bytes = handle.createReadStream({ start: 0, highWaterMark: SNIFF_BYTES, autoClose: false });
        const container = sniffContainer(head) ?? (sniffMp3(head) ? 'mp3' : null);
        if (container === null) throw new SpenceError(ErrorCodes.DEMUX, `${file} is neither WebM/Matroska, Ogg Opus nor MP3`);
        report = container === 'mp3' ? await inspectMp3(bytes) : await inspectMedia(bytes);
      } finally {
        bytes?.destroy();
        await handle.close();
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(withoutOpusHead(report), null, 2)}\n`);
        return;
      }
      process.stdout.write(`${(report.container === 'mp3' ? mp3Lines(file, report) : opusLines(file, report)).join('\n')}\n`);
    });
}

function withoutOpusHead(report: MediaInspection | Mp3Inspection): unknown {
  if (report.container === 'mp3') return report;
  const { opusHead: _head, ...info } = report.info;
  return { ...report, info };
}

function opusLines(file: string, report: MediaInspection): string[] {
  const { info } = report;
  return [
    `file:        ${file}`,
    `container:   ${report.container === 'webm' ? 'WebM/Matroska' : 'Ogg'}`,
    `codec:       Opus, ${info.channels} channel${info.channels === 1 ? '' : 's'}, mapping family ${info.channelMappingFamily}`,
    `pre-skip:    ${info.preSkip} samples (${(info.preSkip / 48).toFixed(2)} ms)`,
    `input rate:  ${info.inputSampleRate} Hz`,
    `output gain: ${(info.outputGain / 256).toFixed(2)} dB`,
    `duration:    ${formatDuration(report.durationMs)} (${report.durationMs.toFixed(1)} ms)`,
    `packets:     ${report.packetCount} (${report.packetBytes} bytes, ${(report.averageBitrate / 1000).toFixed(1)} kbit/s)`,
    `frame sizes: ${report.frameSizes.map((f) => `${f.durationMs} ms x ${f.count}`).join(', ') || 'none'}`,
    `seek index:  ${report.hasCues ? `yes, Cues with ${report.cuePointCount} points` : 'no'}`,
  ];
}

function mp3Lines(file: string, report: Mp3Inspection): string[] {
  const { info } = report;
  return [
    `file:        ${file}`,
    'container:   MP3 (MPEG audio; plays through the transcoding path)',
    `codec:       MP3, ${info.channels} channel${info.channels === 1 ? '' : 's'}, ${info.sampleRate} Hz`,
    `duration:    ${formatDuration(report.durationMs)} (${report.durationMs.toFixed(1)} ms)`,
    `frames:      ${report.frameCount} (${report.frameBytes} bytes, ${(report.averageBitrate / 1000).toFixed(1)} kbit/s)`,
    `frame sizes: ${report.frameSizes.map((f) => `${f.durationMs.toFixed(2)} ms x ${f.count}`).join(', ') || 'none'}`,
    `vbr header:  ${info.durationMs !== undefined ? 'Xing/Info/VBRI, with the frame count' : 'none (duration from the frames)'}`,
  ];
}
