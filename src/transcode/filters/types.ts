/**
 * The filter settings, named and ranged exactly as Lavalink v4's `filters` object
 * (Lavalink REST API, "Filters"), so a bot's filter commands move over unchanged. Like Lavalink's
 * `PATCH /players` `filters` field, a settings object replaces the previous one whole: a filter
 * that is absent is off.
 *
 * @module
 */

/** One equalizer band: Lavalink's `{ band, gain }`. */
export interface EqualizerBand {
  /** Band index 0..14: 25, 40, 63, 100, 160, 250, 400, 630, 1k, 1.6k, 2.5k, 4k, 6.3k, 10k, 16k Hz. */
  band: number;
  /** Gain multiplier −0.25..1.0: −0.25 mutes the band, 0 leaves it, 0.25 doubles it. */
  gain: number;
}

/** Center cut with a band kept (lavadsp `KaraokeConverter`). */
export interface KaraokeSettings {
  /** 0..1: how much of the center is removed (1 = all). Default 1. */
  level?: number;
  /** 0..1: how much of the band-passed mono signal is kept. Default 1. */
  monoLevel?: number;
  /** Center of the kept band, in Hz. Default 220. */
  filterBand?: number;
  /** Width of the kept band, in Hz. Default 100. */
  filterWidth?: number;
}

/** Speed, pitch and rate (SoundTouch's tempo, pitch and rate, as lavadsp's timescale). */
export interface TimescaleSettings {
  /** Playback speed without changing pitch; > 0, default 1. */
  speed?: number;
  /** Pitch without changing speed; > 0, default 1. */
  pitch?: number;
  /** Speed and pitch together (a resampling); > 0, default 1. */
  rate?: number;
}

/** Amplitude modulation (lavadsp `TremoloConverter`). */
export interface TremoloSettings {
  /** LFO frequency in Hz, > 0. Default 2. */
  frequency?: number;
  /** Modulation depth, 0 < depth ≤ 1. Default 0.5. */
  depth?: number;
}

/** Pitch modulation through a modulated delay (lavadsp `VibratoConverter`). */
export interface VibratoSettings {
  /** LFO frequency in Hz, 0 < frequency ≤ 14. Default 2. */
  frequency?: number;
  /** Modulation depth, 0 < depth ≤ 1. Default 0.5. */
  depth?: number;
}

/** Audio panning around the listener (lavadsp `RotationPcmAudioFilter`, "8D audio"). */
export interface RotationSettings {
  /** Rotation frequency in Hz (0.2 is a slow turn). Default 0 (off). */
  rotationHz?: number;
}

/** Waveshaper `offset + scale · (sinOffset + sin(x·sinScale)) · (cosOffset + cos(x·cosScale)) · (tanOffset + tan(x·tanScale))`. */
export interface DistortionSettings {
  sinOffset?: number;
  sinScale?: number;
  cosOffset?: number;
  cosScale?: number;
  tanOffset?: number;
  tanScale?: number;
  offset?: number;
  scale?: number;
}

/** Channel mixing matrix, each factor 0..1 (defaults: identity). */
export interface ChannelMixSettings {
  leftToLeft?: number;
  leftToRight?: number;
  rightToLeft?: number;
  rightToRight?: number;
}

/** One-pole smoothing low-pass (lavadsp `LowPassConverter`). */
export interface LowPassSettings {
  /** Smoothing factor > 1 (higher cuts more); ≤ 1 disables the filter. Default 20. */
  smoothing?: number;
}

/** The filters, as Lavalink v4's `filters` object. Every field is optional; absent means off. */
export interface FilterSettings {
  /** Filter volume 0..5 (1 = unchanged), applied on top of the transcoder's volume. */
  volume?: number;
  equalizer?: EqualizerBand[];
  karaoke?: KaraokeSettings | null;
  timescale?: TimescaleSettings | null;
  tremolo?: TremoloSettings | null;
  vibrato?: VibratoSettings | null;
  rotation?: RotationSettings | null;
  distortion?: DistortionSettings | null;
  channelMix?: ChannelMixSettings | null;
  lowPass?: LowPassSettings | null;
}

/** The 15 equalizer bands' centers in Hz, from lavaplayer's `Equalizer` coefficient table. */
export const EQUALIZER_BAND_HZ = [25, 40, 63, 100, 160, 250, 400, 630, 1000, 1600, 2500, 4000, 6300, 10000, 16000] as const;
