/**
 * What the running install can transcode: what `spence doctor` prints.
 *
 * @module
 */

import { availableParallelism } from 'node:os';
import { AAC_PACKAGE, loadAacModule } from './decode/aac.js';
import { chooseEncoderBackend, detectEncoders, type EncoderBackendInfo, type EncoderBackendName } from './encode/backends.js';
import { workerEntry } from './pool/worker-pool.js';

/** A decoder and whether it loads. */
export interface DecoderInfo {
  codec: 'mp3' | 'opus' | 'aac';
  package: string;
  available: boolean;
  detail: string;
}

/** The transcoding capabilities of this install. */
export interface TranscodeCapabilities {
  node: string;
  encoders: EncoderBackendInfo[];
  /** The backend `'auto'` picks, or null when none loads. */
  chosenEncoder: EncoderBackendName | null;
  decoders: DecoderInfo[];
  /** Cores Node may use, and the default pool's worker count. */
  cores: number;
  workers: number;
  /** How pool workers start here: the compiled `.js` (built) or the `.ts` source through tsx. */
  workerMode: 'built' | 'source';
}

async function probe(codec: DecoderInfo['codec'], pkg: string, load: () => Promise<unknown>): Promise<DecoderInfo> {
  try {
    const ok = await load();
    return { codec, package: pkg, available: ok !== null, detail: ok === null ? 'not installed (optional)' : 'WebAssembly' };
  } catch (error) {
    return { codec, package: pkg, available: false, detail: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

/** Detects encoders and decoders (loading each once) and the pool's shape. */
export async function transcodeCapabilities(): Promise<TranscodeCapabilities> {
  const encoders = detectEncoders();
  let chosen: EncoderBackendName | null = null;
  try {
    chosen = chooseEncoderBackend('auto');
  } catch {}
  const decoders = await Promise.all([
    probe('mp3', 'mpg123-decoder', async () => {
      const { MPEGDecoder } = await import('mpg123-decoder');
      const d = new MPEGDecoder();
      await d.ready;
      d.free();
      return true;
    }),
    probe('opus', 'opus-decoder', async () => {
      const { OpusDecoder } = await import('opus-decoder');
      const d = new OpusDecoder();
      await d.ready;
      d.free();
      return true;
    }),
    probe('aac', AAC_PACKAGE, () => loadAacModule()),
  ]);
  const cores = availableParallelism();
  return {
    node: process.version,
    encoders,
    chosenEncoder: chosen,
    decoders,
    cores,
    workers: Math.max(1, cores - 1),
    workerMode: workerEntry().mode,
  };
}
