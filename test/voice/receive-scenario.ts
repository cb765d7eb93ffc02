/**
 * Speaker scripts for the voice receive tests: each simulated speaker's talkspurts encoded from a
 * tone (so a decoded track's level can be compared with its source), the five silence frames
 * Discord's clients send after speech, and the network's doings planned per packet with a seeded
 * PRNG: loss, reordering (a packet sent up to 3 frames = 60 ms late), duplicates. The first packet
 * of a talkspurt and the silence frames are left alone, so where each talkspurt starts and ends is
 * exact.
 */
import { createEncoder } from '../../src/transcode/encode/backends.js';
import { mulberry32 } from '../helpers/prng.js';

export const FRAME_SAMPLES = 960;
export const SILENCE = Uint8Array.of(0xf8, 0xff, 0xfe);

/** One talkspurt: `length` frames of audio from frame `start`. */
export interface Spurt {
  start: number;
  length: number;
  /**
   * The RTP timestamp of its first packet: by default the one the clock gives (the first spurt's
   * timestamp plus 960 per frame since), as Discord's clients do; a number sets it (a jump).
   */
  timestamp?: number;
}

export interface SpeakerScript {
  userId: string;
  /** The first packet's sequence number (65500: the sequence wraps during the test). */
  sequence: number;
  timestamp: number;
  spurts: Spurt[];
  tone: { hz: number; dbfs: number };
}

export interface Impairments {
  loss: number;
  reorder: number;
  duplicate: number;
  seed: number;
}

/** A packet the speaker sends. */
export interface PlannedPacket {
  userId: string;
  /** The timeline frame it stands for. */
  frame: number;
  /** The frame in which it is sent (later than `frame` when reordered). */
  sendAt: number;
  sequence: number;
  timestamp: number;
  opus: Uint8Array;
  /** The PCM it was encoded from (zeros for a silence frame). */
  pcm: Int16Array;
  /** Never sent (lost on the way). */
  dropped: boolean;
  /** Frames in which a copy is sent again. */
  copies: number[];
}

/** 20 ms of a stereo sine at `dbfs` peak, frame `frame` of a continuous tone. */
export function tone(hz: number, dbfs: number, frame: number): Int16Array {
  const amplitude = 32767 * 10 ** (dbfs / 20);
  const pcm = new Int16Array(FRAME_SAMPLES * 2);
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (frame * FRAME_SAMPLES + i)) / 48_000));
    pcm[2 * i] = v;
    pcm[2 * i + 1] = v;
  }
  return pcm;
}

/** Plans every packet of `script`, encoded with the project's Opus encoder at `bitrate`. */
export function planSpeaker(script: SpeakerScript, impairments: Impairments, bitrate = 96_000): PlannedPacket[] {
  const random = mulberry32(impairments.seed);
  const encoder = createEncoder({ backend: '@evan/opus', bitrate });
  const packets: PlannedPacket[] = [];
  let sequence = script.sequence;
  const base = script.timestamp - FRAME_SAMPLES * (script.spurts[0]?.start ?? 0);
  let offset = 0;
  try {
    for (const spurt of script.spurts) {
      if (spurt.timestamp !== undefined) offset = spurt.timestamp - (base + FRAME_SAMPLES * spurt.start);
      const at = (frame: number) => (base + offset + FRAME_SAMPLES * frame) % 2 ** 32;
      for (let f = spurt.start; f < spurt.start + spurt.length; f++) {
        const pcm = tone(script.tone.hz, script.tone.dbfs, f);
        const packet: PlannedPacket = { userId: script.userId, frame: f, sendAt: f, sequence: sequence++ % 65536, timestamp: at(f), opus: encoder.encode(pcm), pcm, dropped: false, copies: [] };
        if (f > spurt.start) {
          const r = random();
          if (r < impairments.loss) packet.dropped = true;
          else if (r < impairments.loss + impairments.reorder) packet.sendAt = f + 1 + Math.floor(random() * 3);
          else if (r < impairments.loss + impairments.reorder + impairments.duplicate) packet.copies.push(packet.sendAt + Math.floor(random() * 3));
        }
        packets.push(packet);
      }
      const end = spurt.start + spurt.length;
      for (let f = end; f < end + 5; f++) {
        packets.push({ userId: script.userId, frame: f, sendAt: f, sequence: sequence++ % 65536, timestamp: at(f), opus: SILENCE, pcm: new Int16Array(FRAME_SAMPLES * 2), dropped: false, copies: [] });
      }
    }
  } finally {
    encoder.free();
  }
  return packets;
}

/** What a speaker's Ogg file must hold: per timeline frame, the packet sent for it, else the silence frame. */
export function expectedOgg(packets: PlannedPacket[], frames: number): string[] {
  const out = Array.from({ length: frames }, () => Buffer.from(SILENCE).toString('hex'));
  for (const p of packets) if (!p.dropped && p.frame < frames) out[p.frame] = Buffer.from(p.opus).toString('hex');
  return out;
}

/** The source a speaker's decoded track stands for: every packet's PCM (lost ones too) at its frame, zeros elsewhere. */
export function expectedSource(packets: PlannedPacket[], frames: number): Int16Array {
  const out = new Int16Array(frames * FRAME_SAMPLES * 2);
  for (const p of packets) if (p.frame < frames) out.set(p.pcm, p.frame * FRAME_SAMPLES * 2);
  return out;
}

/** The mean power of 16-bit PCM in dB relative to full scale (what ffmpeg's volumedetect calls mean_volume). */
export function meanVolume(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += (pcm[i]! / 32768) ** 2;
  return 10 * Math.log10(sum / pcm.length);
}
