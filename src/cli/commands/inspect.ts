import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { inspectMedia } from '../../index.js';
import { formatDuration } from '../format.js';

/** `spence inspect <file>`. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('describe a WebM or Ogg Opus file: container, codec parameters, duration, packets, frame sizes, index')
    .argument('<file>', 'a .webm/.mka or .opus/.ogg file')
    .option('--json', 'print the inspection as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const report = await inspectMedia(createReadStream(file, { highWaterMark: 64 * 1024 }));
      if (options.json) {
        const { opusHead: _head, ...info } = report.info;
        process.stdout.write(`${JSON.stringify({ ...report, info }, null, 2)}\n`);
        return;
      }
      const { info } = report;
      const lines = [
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
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
