/**
 * WAV (RIFF WAVE, 16-bit PCM) headers for files written as they go: the sizes are unknown until
 * the end, so the header is written first with placeholders and its two size fields rewritten at
 * close (the RIFF chunk's at byte 4, the data chunk's at byte 40).
 *
 * @module
 */

/** Bytes before the samples. */
export const WAV_HEADER_BYTES = 44;

/** The 44-byte header of 16-bit PCM at `sampleRate` with `channels`, for `dataBytes` of samples. */
export function wavHeader(channels: number, sampleRate: number, dataBytes: number): Uint8Array {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(riffSize(dataBytes), 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28); // byte rate
  header.writeUInt16LE(channels * 2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(Math.min(dataBytes, 0xffffffff), 40);
  return header;
}

function riffSize(dataBytes: number): number {
  return Math.min(dataBytes + WAV_HEADER_BYTES - 8, 0xffffffff);
}

/** The patches that give a header written for an unknown length its final sizes. */
export function wavSizePatches(dataBytes: number): { offset: number; bytes: Uint8Array }[] {
  const riff = Buffer.alloc(4);
  riff.writeUInt32LE(riffSize(dataBytes));
  const data = Buffer.alloc(4);
  data.writeUInt32LE(Math.min(dataBytes, 0xffffffff));
  return [{ offset: 4, bytes: riff }, { offset: 40, bytes: data }];
}

/** The bytes of a 16-bit PCM frame (a view, no copy). */
export function pcmBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}
