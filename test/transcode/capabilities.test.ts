/**
 * What `spence doctor` prints about the encoder comes from here: the backend chosen, and for the
 * WebAssembly one what it is and its limits, as the running install measures them.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { transcodeCapabilities } from '../../src/transcode/capabilities.js';
import { libopusWasm } from '../../src/transcode/encode/libopus-wasm.js';

const require = createRequire(import.meta.url);

describe('transcode capabilities: the encoder', () => {
  it('names the WebAssembly libopus backend, its version, build, per-encoder memory and bound', async () => {
    const caps = await transcodeCapabilities();
    const wasm = caps.encoders.find((e) => e.name === '@evan/opus');
    const version = (require('@evan/opus/package.json') as { version: string }).version;
    const kib = Math.round(libopusWasm().encoderBytes(2) / 1024);
    expect(wasm).toMatchObject({ kind: 'wasm', available: true });
    expect(wasm!.detail).toContain(`${version}, libopus in WebAssembly (${libopusWasm().build === 'simd' ? 'SIMD build' : 'plain build'}`);
    expect(wasm!.detail).toContain(`one instance per thread, ${kib} KiB per encoder, up to 2 GiB per thread`);
    // 'auto' takes native libopus when it is installed, else this one.
    const native = caps.encoders.find((e) => e.name === '@discordjs/opus')!;
    expect(caps.chosenEncoder).toBe(native.available ? '@discordjs/opus' : '@evan/opus');
  });
});
