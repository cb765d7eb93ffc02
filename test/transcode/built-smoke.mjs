/* global URL, console */
// Runs the built library (dist/, plain JS) through a pool worker: the worker must load its compiled
// entry without tsx. Prints one JSON line. Usage: node test/transcode/built-smoke.mjs (after npm run build).
import { readFileSync } from 'node:fs';
const { Transcoder, TranscodePool, transcodeCapabilities } = await import(new URL('../../dist/src/transcode/index.js', import.meta.url).href);
const caps = await transcodeCapabilities();
const pool = new TranscodePool({ workers: 1 });
const t = await Transcoder.create({ codec: 'mp3' }, { pool, volume: 0.5 });
const bytes = readFileSync(new URL('../../fixtures/media/tone-44k.mp3', import.meta.url));
t.push(bytes);
t.end();
let frames = 0;
for await (const _ of t.frames()) frames++;
await pool.close();
console.log(JSON.stringify({ workerMode: caps.workerMode, backend: t.backend, frames }));
