/**
 * A {@link VoiceOutput} over a @discordjs/voice (>= 0.19.2) `VoiceConnection`, through its public
 * `prepareAudioPacket` / `dispatchAudio` / `setSpeaking`. Nothing is imported from
 * @discordjs/voice (an optional peer): the connection is used through the structural type
 * {@link DiscordJsVoiceConnection}, so spence loads without it.
 *
 * What 0.19.2 does that this relies on (pinned by test/voice/discordjs-contract.test.ts):
 * - `prepareAudioPacket(buffer)` builds the RTP packet with the connection's current sequence
 *   and timestamp, DAVE-encrypts the Opus packet when the DAVE session is ready (passes it in the
 *   clear when not, and always for the silence frame F8 FF FE), transport-encrypts it, and keeps
 *   it; it does nothing unless the connection is `ready`.
 * - `dispatchAudio()` sends the kept packet, then advances the sequence by 1 and the timestamp by
 *   960 (20 ms at 48 kHz) whatever the packet's duration, and sets speaking on.
 * - While a DAVE session is negotiated (protocol version > 0) but its MLS group is not ready,
 *   packets would go out unencrypted, which receivers in an end-to-end encrypted call drop: so
 *   this output is `ready` only once the session is (its `voicePrivacyCode` is set).
 *
 * @module
 */

import type { VoiceOutput, VoiceOutputState } from './output.js';

/** The 20 ms @discordjs/voice adds to the RTP timestamp per packet, in 48 kHz samples. */
const DISCORDJS_TIMESTAMP_STEP = 960;

/** The parts of @discordjs/voice's DAVE session wrapper this output reads. */
interface DaveSessionLike {
  protocolVersion: number;
  readonly voicePrivacyCode: string | null;
}

/** The parts of a @discordjs/voice networking state this output reads. */
interface NetworkingStateLike {
  code: number;
  dave?: DaveSessionLike | undefined;
  connectionData?: { ssrc: number; timestamp?: number };
}

/**
 * The parts of a @discordjs/voice `VoiceConnection` spence uses (0.19.2's `VoiceConnection`
 * satisfies it).
 */
export interface DiscordJsVoiceConnection {
  readonly state:
    | { status: 'ready'; networking: { state: NetworkingStateLike } }
    | { status: 'signalling' | 'connecting' | 'destroyed' }
    | { status: 'disconnected'; reason: number; closeCode?: number };
  /** Builds (and keeps) the RTP packet of one Opus frame; `undefined` when not ready. */
  prepareAudioPacket(buffer: Buffer): Buffer | undefined;
  /** Sends the kept packet; true when it was sent. */
  dispatchAudio(): boolean | undefined;
  /** Sets the speaking flag. */
  setSpeaking(enabled: boolean): boolean | undefined | void;
  /** Listens for the connection's state changes. */
  on(event: 'stateChange' | 'transitioned', listener: () => void): unknown;
  /** Stops listening. */
  off(event: 'stateChange' | 'transitioned', listener: () => void): unknown;
}

/** @discordjs/voice's `VoiceConnectionDisconnectReason.WebSocketClose`. */
const REASON_WEBSOCKET_CLOSE = 0;

const CONNECTING: VoiceOutputState = Object.freeze({ status: 'connecting' });
const READY: VoiceOutputState = Object.freeze({ status: 'ready' });
const DESTROYED: VoiceOutputState = Object.freeze({ status: 'destroyed' });

/** The output state a connection's state means. */
function outputState(connection: DiscordJsVoiceConnection): VoiceOutputState {
  const state = connection.state;
  switch (state.status) {
    case 'ready': {
      const dave = state.networking.state.dave;
      // Ready for end-to-end encrypted audio once the DAVE group is (or when DAVE is off).
      if (dave !== undefined && dave.protocolVersion !== 0 && !dave.voicePrivacyCode) return CONNECTING;
      return READY;
    }
    case 'destroyed':
      return DESTROYED;
    case 'disconnected':
      return state.reason === REASON_WEBSOCKET_CLOSE && state.closeCode !== undefined
        ? { status: 'disconnected', closeCode: state.closeCode }
        : { status: 'disconnected' };
    default:
      return CONNECTING;
  }
}

/** Wraps a @discordjs/voice `VoiceConnection` as a {@link VoiceOutput}. */
export function createDiscordJsOutput(connection: DiscordJsVoiceConnection): VoiceOutput {
  return new DiscordJsOutput(connection);
}

class DiscordJsOutput implements VoiceOutput {
  readonly #connection: DiscordJsVoiceConnection;
  #state: VoiceOutputState;
  readonly #listeners = new Set<(oldState: VoiceOutputState, newState: VoiceOutputState) => void>();
  /** The prepared packet's duration in 48 kHz samples (the RTP timestamp step after it). */
  #preparedSamples = 0;
  #closed = false;

  constructor(connection: DiscordJsVoiceConnection) {
    this.#connection = connection;
    this.#state = outputState(connection);
    connection.on('stateChange', this.#refresh);
    connection.on('transitioned', this.#refresh);
  }

  get state(): VoiceOutputState {
    return this.#state;
  }

  prepare(packet: Uint8Array, durationMs: number): boolean {
    if (this.#state !== READY) return false;
    const buffer = Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (this.#connection.prepareAudioPacket(buffer) === undefined) return false;
    this.#preparedSamples = Math.round(durationMs * 48);
    return true;
  }

  dispatch(): boolean {
    if (this.#state !== READY) return false;
    const connection = this.#connection;
    if (connection.dispatchAudio() !== true) return false;
    const samples = this.#preparedSamples;
    if (samples !== DISCORDJS_TIMESTAMP_STEP) {
      // @discordjs/voice steps the RTP timestamp by 20 ms whatever was sent; RFC 3550 §5.1 wants
      // the packet's own duration (a 60 ms packet: 2880 samples), so the step is corrected here.
      const state = connection.state;
      const data = state.status === 'ready' ? state.networking.state.connectionData : undefined;
      if (data?.timestamp !== undefined) data.timestamp = (data.timestamp + samples - DISCORDJS_TIMESTAMP_STEP + 2 ** 32) % 2 ** 32;
    }
    return true;
  }

  setSpeaking(speaking: boolean): void {
    if (this.#state === READY) this.#connection.setSpeaking(speaking);
  }

  subscribe(listener: (oldState: VoiceOutputState, newState: VoiceOutputState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.off('stateChange', this.#refresh);
    this.#connection.off('transitioned', this.#refresh);
    this.#listeners.clear();
  }

  readonly #refresh = (): void => {
    const next = outputState(this.#connection);
    const old = this.#state;
    if (next === old || (next.status === old.status && next.closeCode === old.closeCode)) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener(old, next);
  };
}
