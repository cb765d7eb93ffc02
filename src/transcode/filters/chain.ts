/**
 * The filter chain: timescale (which changes the sample count) on the stream, then the
 * sample-preserving stages per 20 ms frame in Lavalink's order (filter volume, equalizer, karaoke,
 * tremolo, vibrato, rotation, distortion, channel mix, low-pass), then the player volume.
 *
 * Changes never click: a new filter set is crossfaded in over one frame (both chains run for that
 * frame, the old one fading out linearly), and a volume change is a linear ramp over `rampMs`.
 * A chain with no filter on does nothing but the volume (and nothing at all at volume 1).
 *
 * @module
 */

import { FRAME_SAMPLES, SAMPLE_RATE, type StereoBlock } from '../pcm.js';
import { ChannelMix } from './channel-mix.js';
import { Distortion } from './distortion.js';
import { Equalizer } from './equalizer.js';
import { Karaoke } from './karaoke.js';
import { LowPass } from './low-pass.js';
import { Rotation } from './rotation.js';
import type { StereoFilter } from './stereo-filter.js';
import { Timescale } from './timescale.js';
import { Tremolo } from './tremolo.js';
import type { FilterSettings } from './types.js';
import { Vibrato } from './vibrato.js';

/** Filter volume as a stage (a constant gain; changes to it are crossfaded with the chain). */
class Gain implements StereoFilter {
  constructor(private readonly gain: number) {}
  process(left: Float32Array, right: Float32Array, length: number): void {
    for (let i = 0; i < length; i++) {
      left[i]! *= this.gain;
      right[i]! *= this.gain;
    }
  }
}

/** Builds the sample-preserving stages of `settings`, in Lavalink's order; inactive filters are left out. */
export function buildStages(settings: FilterSettings): StereoFilter[] {
  const stages: StereoFilter[] = [];
  if (settings.volume !== undefined && settings.volume !== 1) stages.push(new Gain(settings.volume));
  if (Equalizer.isActive(settings.equalizer)) stages.push(new Equalizer(settings.equalizer!));
  if (settings.karaoke) stages.push(new Karaoke(settings.karaoke));
  if (settings.tremolo) stages.push(new Tremolo(settings.tremolo));
  if (settings.vibrato) stages.push(new Vibrato(settings.vibrato));
  if (settings.rotation && (settings.rotation.rotationHz ?? 0) !== 0) stages.push(new Rotation(settings.rotation));
  if (settings.distortion && Distortion.isActive(settings.distortion)) stages.push(new Distortion(settings.distortion));
  if (settings.channelMix && ChannelMix.isActive(settings.channelMix)) stages.push(new ChannelMix(settings.channelMix));
  if (settings.lowPass && LowPass.isActive(settings.lowPass)) stages.push(new LowPass(settings.lowPass));
  return stages;
}

/** Options for {@link FilterChain}. */
export interface FilterChainOptions {
  /** Initial filters (validated). */
  filters?: FilterSettings;
  /** Initial volume, 1 = unchanged. */
  volume?: number;
}

/** The per-stream filter state. */
export class FilterChain {
  private stages: StereoFilter[];
  /** The chain being faded out during the frame after a change, or null. */
  private fading: StereoFilter[] | null = null;
  private timescale: Timescale | null = null;
  private settings: FilterSettings;
  private gain: number;
  private targetGain: number;
  private gainStep = 0;
  private readonly scratchL = new Float32Array(FRAME_SAMPLES);
  private readonly scratchR = new Float32Array(FRAME_SAMPLES);

  constructor(options: FilterChainOptions = {}) {
    this.settings = options.filters ?? {};
    this.stages = buildStages(this.settings);
    this.gain = this.targetGain = options.volume ?? 1;
    this.updateTimescale();
  }

  /** True when anything but passthrough happens to the audio. */
  get active(): boolean {
    return this.stages.length > 0 || this.timescale !== null || this.gain !== 1 || this.targetGain !== 1;
  }

  /** Source time per output time (speed · rate of the timescale; 1 without). */
  get sourceRatio(): number {
    return this.timescale?.ratio ?? 1;
  }

  /** Replaces the filters (validated): crossfaded over the next frame. */
  setFilters(settings: FilterSettings): void {
    this.settings = settings;
    const next = buildStages(settings);
    if (this.stages.length > 0 || next.length > 0) this.fading = this.stages;
    this.stages = next;
    this.updateTimescale();
  }

  /** The filters in force. */
  get filters(): FilterSettings {
    return this.settings;
  }

  /** Ramps the volume to `volume` over `rampMs` (0: at once). */
  setVolume(volume: number, rampMs = 20): void {
    this.targetGain = volume;
    const samples = Math.round((rampMs * SAMPLE_RATE) / 1000);
    if (samples <= 0) {
      this.gain = volume;
      this.gainStep = 0;
    } else {
      this.gainStep = (volume - this.gain) / samples;
    }
  }

  /** The volume being ramped to. */
  get volume(): number {
    return this.targetGain;
  }

  private updateTimescale(): void {
    const ts = this.settings.timescale;
    // Once on, the stage stays (at 1/1/1 it is an exact identity) so its buffered samples are never lost.
    if (this.timescale) this.timescale.update(ts ?? {});
    else if (ts && Timescale.isActive(ts)) this.timescale = new Timescale(ts);
  }

  /** Runs the timescale stage on decoded 48 kHz audio; without one, returns the input as is. */
  stretch(left: Float32Array, right: Float32Array, length: number): StereoBlock {
    if (!this.timescale) return { left, right, length };
    return this.timescale.process(left, right, length);
  }

  /** Processes one frame (at most {@link FRAME_SAMPLES}) in place: stages, crossfade, volume. */
  processFrame(left: Float32Array, right: Float32Array, length: number): void {
    const fading = this.fading;
    if (fading) {
      this.fading = null;
      this.scratchL.set(left.subarray(0, length));
      this.scratchR.set(right.subarray(0, length));
      for (const stage of fading) stage.process(this.scratchL, this.scratchR, length);
      for (const stage of this.stages) stage.process(left, right, length);
      for (let i = 0; i < length; i++) {
        const w = (i + 1) / length;
        left[i] = left[i]! * w + this.scratchL[i]! * (1 - w);
        right[i] = right[i]! * w + this.scratchR[i]! * (1 - w);
      }
    } else {
      for (const stage of this.stages) stage.process(left, right, length);
    }
    this.applyGain(left, right, length);
  }

  private applyGain(left: Float32Array, right: Float32Array, length: number): void {
    if (this.gainStep === 0) {
      const g = this.gain;
      if (g === 1) return;
      for (let i = 0; i < length; i++) {
        left[i]! *= g;
        right[i]! *= g;
      }
      return;
    }
    let g = this.gain;
    const target = this.targetGain;
    const step = this.gainStep;
    for (let i = 0; i < length; i++) {
      g += step;
      if ((step > 0 && g >= target) || (step < 0 && g <= target)) {
        g = target;
        this.gainStep = 0;
        for (let j = i; j < length; j++) {
          left[j]! *= g;
          right[j]! *= g;
        }
        break;
      }
      left[i]! *= g;
      right[i]! *= g;
    }
    this.gain = this.gainStep === 0 ? target : g;
  }
}
