/**
 * A {@link VoiceOutput} over a @discordjs/voice (>= 0.19.2) `VoiceConnection`, through its public
 * `prepareAudioPacket` / `dispatchAudio` / `setSpeaking`. `player.connect(connection)` makes one
 * itself; nothing is imported from @discordjs/voice (an optional peer): the connection is used
 * through the structural type {@link DiscordJsVoiceConnection}, so spence loads without it.
 *
 * What 0.19.2 does that this relies on (pinned by test/voice/discordjs-contract.test.ts):
 * - `prepareAudioPacket(buffer)` builds the RTP packet with the connection's current sequence
 *   and timestamp, DAVE-encrypts the Opus packet when the DAVE session is ready (passes it in the
 *   clear when not, and always for the silence frame F8 FF FE, which it recognises with
 *   `Buffer#equals`: it must be given a Buffer), transport-encrypts it, and keeps it; it does
 *   nothing unless the connection is `ready`.
 * - `dispatchAudio()` sends the kept packet, then advances the sequence by 1 (wrapping at 65536)
 *   and the timestamp by 960 (20 ms at 48 kHz) whatever the packet's duration, and sets speaking on.
 * - While a DAVE session is negotiated (protocol version > 0) but its MLS group is not ready,
 *   packets would go out unencrypted, which receivers in an end-to-end encrypted call drop: so
 *   this output is `ready` only once the session is (its `voicePrivacyCode` is set).
 *
 * @module
 */

import { OPUS_SILENCE_FRAME } from '../demux/opus.js';
import { ErrorCodes, SpenceError } from '../errors.js';
import type { FrameEvent } from '../player/types.js';
import type { VoiceOutput, VoiceOutputState } from './output.js';

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
 * satisfies it): what `player.connect()` recognises a connection by.
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

/** Options for {@link createDiscordJsOutput}. */
export interface DiscordJsOutputOptions {
  /**
   * The connection's owner gives it a new voice state after a disconnect (close code 4014), as a
   * Lavalink node does when its client sends one: a disconnected connection is then `connecting`
   * (a connected player holds its place) rather than the end of the link. Only `destroyed` ends
   * it. Default false.
   */
  rejoins?: boolean;
}

/** The output {@link createDiscordJsOutput} makes: a {@link VoiceOutput} with all its optional members, and `close()`. */
export interface DiscordJsOutput extends VoiceOutput {
  /** The state, following the connection's (and its DAVE session's). */
  readonly state: VoiceOutputState;
  /** Sets the connection's speaking flag (while it is ready). */
  setSpeaking(speaking: boolean): void;
  /** Calls `listener` on every state change; returns a function that removes it. */
  subscribe(listener: (oldState: VoiceOutputState, newState: VoiceOutputState) => void): () => void;
  /** Stops following the connection, which another output may then wrap; sends nothing after. Idempotent. */
  close(): void;
}

/** The 20 ms @discordjs/voice adds to the RTP timestamp per packet, in 48 kHz samples. */
const DISCORDJS_TIMESTAMP_STEP = 960;
/** RTP timestamps wrap at 2^32 (RFC 3550 §5.1). */
const TIMESTAMP_MODULO = 2 ** 32;
/** @discordjs/voice's `VoiceConnectionDisconnectReason.WebSocketClose` and `.EndpointRemoved`. */
const REASON_WEBSOCKET_CLOSE = 0;
const REASON_ENDPOINT_REMOVED = 2;

const CONNECTING: VoiceOutputState = Object.freeze({ status: 'connecting' });
const READY: VoiceOutputState = Object.freeze({ status: 'ready' });
const DESTROYED: VoiceOutputState = Object.freeze({ status: 'destroyed' });
/** The silence frame as a Buffer: @discordjs/voice's DAVE session tests packets with `Buffer#equals`. */
const SILENCE = Buffer.from(OPUS_SILENCE_FRAME);

/** Connections an open output follows: one output per connection. */
const wrapped = new WeakSet<DiscordJsVoiceConnection>();

/** True when `value` has the methods spence uses of a @discordjs/voice `VoiceConnection`. */
export function isDiscordJsConnection(value: object): value is DiscordJsVoiceConnection {
  const candidate = value as Partial<Record<keyof DiscordJsVoiceConnection, unknown>>;
  return (
    typeof candidate.prepareAudioPacket === 'function' &&
    typeof candidate.dispatchAudio === 'function' &&
    typeof candidate.setSpeaking === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.off === 'function' &&
    typeof candidate.state === 'object'
  );
}

/** The output state a connection's state means. */
function outputState(connection: DiscordJsVoiceConnection, rejoins: boolean): VoiceOutputState {
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
      // An endpoint removed is Discord moving the call: the next voice server update follows.
      if (rejoins || state.reason === REASON_ENDPOINT_REMOVED) return CONNECTING;
      return state.reason === REASON_WEBSOCKET_CLOSE && state.closeCode !== undefined
        ? { status: 'disconnected', closeCode: state.closeCode }
        : { status: 'disconnected' };
    default:
      return CONNECTING;
  }
}

/**
 * Wraps a @discordjs/voice `VoiceConnection` as a {@link VoiceOutput}: ready once the connection
 * and its DAVE group are, RTP timestamps stepped by each packet's own duration. `player.connect()`
 * does this itself when given a connection; wrap one yourself to give the player a decorated
 * output, and `close()` it when done.
 *
 * @throws SpenceError `INVALID_STATE` when another open output already wraps the connection.
 */
export function createDiscordJsOutput(connection: DiscordJsVoiceConnection, options: DiscordJsOutputOptions = {}): DiscordJsOutput {
  if (wrapped.has(connection)) {
    throw new SpenceError(ErrorCodes.INVALID_STATE, 'This voice connection already has an output (one player per connection): disconnect the other player first', { source: 'voice' });
  }
  return new DiscordJsConnectionOutput(connection, options.rejoins === true);
}

class DiscordJsConnectionOutput implements DiscordJsOutput {
  readonly #connection: DiscordJsVoiceConnection;
  readonly #rejoins: boolean;
  #state: VoiceOutputState;
  readonly #listeners = new Set<(oldState: VoiceOutputState, newState: VoiceOutputState) => void>();
  /** The prepared packet's duration in 48 kHz samples (the RTP timestamp step after it). */
  #preparedSamples = DISCORDJS_TIMESTAMP_STEP;
  #closed = false;

  constructor(connection: DiscordJsVoiceConnection, rejoins: boolean) {
    this.#connection = connection;
    this.#rejoins = rejoins;
    this.#state = outputState(connection, rejoins);
    wrapped.add(connection);
    connection.on('stateChange', this.#refresh);
    connection.on('transitioned', this.#refresh);
  }

  get state(): VoiceOutputState {
    return this.#state;
  }

  prepare(frame: FrameEvent): void {
    if (this.#state !== READY) return;
    const packet = frame.packet;
    const data = packet.data;
    // A Buffer view of the player's bytes (no copy): the connection needs Buffer methods.
    const buffer = frame.silence ? SILENCE : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.#connection.prepareAudioPacket(buffer);
    this.#preparedSamples = Math.round(packet.durationMs * 48);
  }

  dispatch(): void {
    if (this.#state !== READY) return;
    const connection = this.#connection;
    const state = connection.state;
    const data = state.status === 'ready' ? state.networking.state.connectionData : undefined;
    const timestamp = data?.timestamp;
    if (connection.dispatchAudio() !== true || data === undefined || timestamp === undefined) return;
    // @discordjs/voice steps the RTP timestamp by 20 ms whatever was sent (and sets it to 0, not
    // to the remainder, when it passes 2^32); RFC 3550 §5.1 wants each packet's own duration (a
    // 60 ms packet: 2880 samples), modulo 2^32.
    data.timestamp = (timestamp + this.#preparedSamples) % TIMESTAMP_MODULO;
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
    wrapped.delete(this.#connection);
  }

  readonly #refresh = (): void => {
    const next = outputState(this.#connection, this.#rejoins);
    const old = this.#state;
    if (next === old || (next.status === old.status && next.closeCode === old.closeCode)) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener(old, next);
  };
}
