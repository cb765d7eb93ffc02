/**
 * The RTP tap: a {@link VoiceReceiveSource} over a @discordjs/voice (0.19) `VoiceConnection`.
 * @discordjs/voice's own receiver hands out Opus payloads without their RTP header (no sequence
 * number, no timestamp), which a playout buffer cannot do without; so the tap reads the
 * connection's UDP socket itself, as the receiver does, and decrypts each packet with the
 * connection's negotiated mode and secret key (transport-crypto.ts), and its DAVE session.
 *
 * This module is the only place spence touches @discordjs/voice's receiving internals. What it
 * relies on (pinned by test/voice/discordjs-receive-contract.test.ts, which fails loudly if an
 * upgrade changes it):
 * - `connection.state.networking` (a `Networking`, an EventEmitter with `stateChange`) while the
 *   connection has one, replaced on reconnects (the connection's `stateChange` says so);
 * - its `state.udp` (a `VoiceUDPSocket`, emitting `message` with each datagram as a Buffer) and
 *   `state.ws` (a `VoiceWebSocket`, emitting `packet` with each JSON message), rebound on every
 *   networking state change as the connection does for its own receiver;
 * - `state.connectionData.encryptionMode` and `.secretKey` (32 bytes) once the session is
 *   described, and `state.dave` (a `DAVESession` whose `decrypt(frame, userId)` returns the frame
 *   or null) in states Ready (4) and Resuming (5), as the library's own receiver uses it;
 * - `connection.receiver.ssrcMap`: `get(ssrc)` and its `update` event (`{ userId, audioSSRC }`),
 *   the public SSRC-to-user map the receiver fills from Speaking ops.
 *
 * Nothing is imported from @discordjs/voice (an optional peer): the connection is typed by the
 * shapes below.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../../errors.js';
import { emptyRtpHeader, isRtcp, OPUS_PAYLOAD_TYPE, parseRtcp, readRtpHeader, rtpPayload } from './rtp.js';
import { createTransportDecryptor, RTCP_AAD_LENGTH, type TransportDecryptor } from './transport-crypto.js';
import type { VoiceReceiveHandler, VoiceReceiveSource } from './source.js';

type Listener = (...args: never[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** The parts of a `DAVESession` the tap uses. */
interface DaveSessionLike {
  decrypt(packet: Buffer, userId: string): Buffer | null;
}

/** The parts of a `Networking` state the tap reads. */
interface NetworkingStateLike {
  code: number;
  ws?: Emitter;
  udp?: Emitter;
  connectionData?: { encryptionMode?: string; secretKey?: Uint8Array };
  dave?: DaveSessionLike | undefined;
}

interface NetworkingLike extends Emitter {
  readonly state: NetworkingStateLike;
}

/** The parts of a `VoiceConnection` state the tap reads. */
interface ConnectionStateLike {
  status: string;
  networking?: unknown;
}

/** The SSRC data @discordjs/voice's `SSRCMap` holds. */
interface VoiceUserDataLike {
  userId: string;
  audioSSRC: number;
}

/**
 * The parts of a @discordjs/voice `VoiceConnection` the tap uses (0.19's `VoiceConnection`
 * satisfies it).
 */
export interface DiscordJsReceivingConnection {
  readonly state: ConnectionStateLike;
  /** Follows the connection's state (to find its networking and DAVE session). */
  on(event: 'stateChange', listener: (oldState: ConnectionStateLike, newState: ConnectionStateLike) => void): unknown;
  /** Stops following the connection's state. */
  off(event: 'stateChange', listener: (oldState: ConnectionStateLike, newState: ConnectionStateLike) => void): unknown;
  readonly receiver: {
    readonly ssrcMap: {
      /** The user data for an SSRC or user id. */
      get(target: number | string): VoiceUserDataLike | undefined;
      /** Follows SSRC announcements (a speaker's SSRC becomes known). */
      on(event: 'update', listener: (oldData: VoiceUserDataLike | undefined, newData: VoiceUserDataLike) => void): unknown;
      /** Stops following SSRC announcements. */
      off(event: 'update', listener: (oldData: VoiceUserDataLike | undefined, newData: VoiceUserDataLike) => void): unknown;
    };
  };
}

/** Networking states in which the session's DAVE decryptor is used (Ready, Resuming). */
const NETWORKING_READY = 4;
const NETWORKING_RESUMING = 5;
/** Voice gateway opcodes the tap reads (Discord's "Voice Opcodes"). */
const OP_CLIENTS_CONNECT = 11;
const OP_CLIENT_DISCONNECT = 13;

/** True when `value` looks like a @discordjs/voice `VoiceConnection`. */
function isDiscordJsReceivingConnection(value: unknown): value is DiscordJsReceivingConnection {
  const v = value as Partial<DiscordJsReceivingConnection> | null;
  return (
    typeof v === 'object' && v !== null &&
    typeof v.on === 'function' && typeof v.off === 'function' &&
    typeof v.state === 'object' && typeof v.receiver?.ssrcMap?.get === 'function'
  );
}

/** A receive source over a @discordjs/voice `VoiceConnection`. */
export function createRtpTap(connection: DiscordJsReceivingConnection): VoiceReceiveSource {
  if (!isDiscordJsReceivingConnection(connection)) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'listen() takes a @discordjs/voice VoiceConnection (0.19) or a VoiceReceiveSource', { source: 'voice' });
  }
  return new RtpTap(connection);
}

class RtpTap implements VoiceReceiveSource {
  readonly #connection: DiscordJsReceivingConnection;
  #handler: VoiceReceiveHandler | null = null;
  #networking: NetworkingLike | null = null;
  #ws: Emitter | null = null;
  #udp: Emitter | null = null;
  #decryptor: TransportDecryptor | null = null;
  #key: Uint8Array | null = null;
  readonly #header = emptyRtpHeader();

  constructor(connection: DiscordJsReceivingConnection) {
    this.#connection = connection;
  }

  open(handler: VoiceReceiveHandler): void {
    this.#handler = handler;
    this.#connection.on('stateChange', this.#onConnectionState);
    this.#connection.receiver.ssrcMap.on('update', this.#onSsrc);
    this.#follow(this.#networkingOf(this.#connection.state));
    if (this.#connection.state.status === 'destroyed') handler.end();
  }

  close(): void {
    this.#connection.off('stateChange', this.#onConnectionState);
    this.#connection.receiver.ssrcMap.off('update', this.#onSsrc);
    this.#follow(null);
    this.#handler = null;
  }

  userOf(ssrc: number): string | undefined {
    return this.#connection.receiver.ssrcMap.get(ssrc)?.userId;
  }

  openFrame(payload: Uint8Array, userId: string): Uint8Array | null {
    const state = this.#networking?.state;
    const dave = state !== undefined && (state.code === NETWORKING_READY || state.code === NETWORKING_RESUMING) ? state.dave : undefined;
    if (dave === undefined) return payload;
    const buffer = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return dave.decrypt(buffer, userId);
  }

  #networkingOf(state: ConnectionStateLike): NetworkingLike | null {
    const networking = state.networking as NetworkingLike | undefined;
    return networking !== undefined && typeof networking.on === 'function' ? networking : null;
  }

  /** Follows `networking` (null: none), rebinding to its current socket and WebSocket. */
  #follow(networking: NetworkingLike | null): void {
    if (networking !== this.#networking) {
      this.#networking?.off('stateChange', this.#onNetworkingState);
      networking?.on('stateChange', this.#onNetworkingState);
      this.#networking = networking;
    }
    this.#bind(networking?.state ?? null);
  }

  /** What the connection does for its own receiver (updateReceiveBindings), for the tap. */
  #bind(state: NetworkingStateLike | null): void {
    const ws = state?.ws ?? null;
    const udp = state?.udp ?? null;
    if (ws !== this.#ws) {
      this.#ws?.off('packet', this.#onWsPacket);
      ws?.on('packet', this.#onWsPacket);
      this.#ws = ws;
    }
    if (udp !== this.#udp) {
      this.#udp?.off('message', this.#onUdp);
      udp?.on('message', this.#onUdp);
      this.#udp = udp;
    }
    const data = state?.connectionData;
    const key = data?.secretKey ?? null;
    if (key !== this.#key) {
      this.#key = key;
      this.#decryptor = key !== null && data?.encryptionMode !== undefined ? createTransportDecryptor(data.encryptionMode, key) : null;
    }
  }

  readonly #onConnectionState = (_old: ConnectionStateLike, state: ConnectionStateLike): void => {
    this.#follow(this.#networkingOf(state));
    if (state.status === 'destroyed') this.#handler?.end();
  };

  readonly #onNetworkingState = (_old: unknown, state: NetworkingStateLike): void => {
    this.#bind(state);
  };

  readonly #onSsrc = (_old: VoiceUserDataLike | undefined, data: VoiceUserDataLike): void => {
    this.#handler?.ssrc(data.audioSSRC, data.userId);
  };

  readonly #onWsPacket = (packet: { op: number; d?: { user_ids?: unknown; user_id?: unknown } }): void => {
    const handler = this.#handler;
    if (handler === null) return;
    if (packet.op === OP_CLIENTS_CONNECT && Array.isArray(packet.d?.user_ids)) handler.connect(packet.d.user_ids.map(String));
    else if (packet.op === OP_CLIENT_DISCONNECT && packet.d?.user_id !== undefined) handler.disconnect(String(packet.d.user_id));
  };

  readonly #onUdp = (message: Buffer): void => {
    const handler = this.#handler;
    const decryptor = this.#decryptor;
    if (handler === null || decryptor === null) return;
    if (isRtcp(message)) {
      const plain = decryptor.open(message, RTCP_AAD_LENGTH);
      if (plain === null) return handler.rejected();
      const whole = Buffer.concat([message.subarray(0, RTCP_AAD_LENGTH), plain]);
      handler.rtcp(whole.readUInt32BE(4), parseRtcp(whole));
      return;
    }
    const header = this.#header;
    if (!readRtpHeader(message, header) || header.payloadType !== OPUS_PAYLOAD_TYPE) return;
    const plain = decryptor.open(message, header.headerLength);
    const payload = plain === null ? null : rtpPayload(message, header, plain);
    if (payload === null) return handler.rejected();
    handler.rtp(header.ssrc, header.sequence, header.timestamp, payload);
  };
}
