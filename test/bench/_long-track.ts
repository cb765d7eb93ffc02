/**
 * The benches' default track: a WebM file of about `seconds` made of fixtures/media/sample.webm's
 * packets repeated, one cluster per second, with the sample's Tracks (a real song is 3 to 4
 * minutes; looping the 10 s sample would make every player reopen its file every 10 s, 500 opens
 * per second at 5000 players, which no bot sees).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WebmDemuxer } from '../../src/demux/webm/webm-demuxer.js';
import { ebmlElement, remuxWebm } from '../helpers/webm-remux.js';

/** The sample the track is built from. */
export const SAMPLE = path.resolve('fixtures/media/sample.webm');

/** Writes the track into `dir` and returns its path. */
export function buildTrackFile(dir: string, seconds: number): string {
  const sample = new Uint8Array(readFileSync(SAMPLE));
  const demuxer = new WebmDemuxer();
  const packets = [...demuxer.push(sample), ...demuxer.end()];
  if (packets.length === 0) throw new Error(`${SAMPLE}: no Opus packets`);
  let totalMs = 0;
  while (totalMs < seconds * 1000) for (const p of packets) totalMs += p.durationMs;
  const duration = new Uint8Array(8);
  new DataView(duration.buffer).setFloat64(0, totalMs);
  // Info: TimestampScale 1 ms (2AD7B1), Duration in ms (4489).
  const info = ebmlElement([0x15, 0x49, 0xa9, 0x66], new Uint8Array([0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40, 0x44, 0x89, 0x88, ...duration]));
  // The sample's packets again and again, timed one after another, up to totalMs.
  function* looped(): Generator<{ data: Uint8Array; timestampMs: number }> {
    let ms = 0;
    while (ms < totalMs) {
      for (const packet of packets) {
        yield { data: packet.data, timestampMs: ms };
        ms += packet.durationMs;
      }
    }
  }
  const file = path.join(dir, `bench-${seconds}s.webm`);
  writeFileSync(file, remuxWebm(sample, looped(), info));
  return file;
}
