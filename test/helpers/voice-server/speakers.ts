/**
 * Other members of a call, speaking to the client under test as Discord's voice server forwards
 * them: RTP in the session's transport mode and key (transport-seal.ts) to the address the client
 * gave in Select Protocol, with an RTP header extension as Discord's packets carry; Opus frames
 * DAVE-encrypted with each member's sender key when the session is end-to-end encrypted
 * (dave/frame-encrypt.ts; the members must be in the group: the server's `daveMembers`), the
 * silence frame in the clear; RTCP sender reports; and the gateway side: Speaking (op 5, which
 * tells the client a member's SSRC), Clients Connect (op 11) and Client Disconnect (op 13).
 *
 * The test decides every packet's sequence number, timestamp and order: loss, reordering,
 * duplicates and jumps are the test's to make.
 */
import { createSocket, type Socket } from 'node:dgram';
import { FrameEncryptor } from './dave/frame-encrypt.js';
import { Op } from './protocol.js';
import type { VoiceServer } from './server.js';
import type { TransportMode } from './transport-crypto.js';
import { rtpHeader, sealPacket } from './transport-seal.js';

/** The extension body the simulated packets carry (one word: an RFC 6464 audio level element). */
const EXTENSION_BODY = Buffer.of(0x10, 0x7f, 0x00, 0x00);
const SILENCE = Buffer.of(0xf8, 0xff, 0xfe);

/** The call around one client session. */
export class SimulatedCall {
  readonly #server: VoiceServer;
  readonly #session: string;
  readonly #socket: Socket;
  readonly #address: string;
  readonly #port: number;
  readonly #mode: TransportMode;
  readonly #key: Buffer;
  readonly #dave: boolean;
  #counter = 0;
  #nextSsrc = 50_000;
  /** Datagrams sent to the client so far. */
  sent = 0;

  private constructor(server: VoiceServer, session: string, socket: Socket, address: string, port: number, mode: TransportMode, key: Buffer, dave: boolean) {
    this.#server = server;
    this.#session = session;
    this.#socket = socket;
    this.#address = address;
    this.#port = port;
    this.#mode = mode;
    this.#key = key;
    this.#dave = dave;
  }

  /** The call around `session`, once its transport is described (and its DAVE group set up, when negotiated). */
  static async open(server: VoiceServer, session: string): Promise<SimulatedCall> {
    const keys = server.sessionKeys(session);
    const select = server.messages.find((m) => m.session === session && m.op === Op.SelectProtocol)?.d as { data: { address: string; port: number } } | undefined;
    if (keys === null || select === undefined) throw new Error(`session ${session} has no transport yet`);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new SimulatedCall(server, session, socket, select.data.address, select.data.port, keys.mode, keys.secretKey, keys.dave !== null);
  }

  /** A member who will speak, with their SSRC (one of the call's, unless given). */
  async speaker(userId: string, ssrc = this.#nextSsrc++): Promise<SimulatedSpeaker> {
    let encryptor: FrameEncryptor | null = null;
    if (this.#dave) {
      const secret = await this.#server.sessionKeys(this.#session)!.dave!.senderSecret(userId);
      if (secret === null) throw new Error('the DAVE group is not set up yet');
      encryptor = new FrameEncryptor(secret);
    }
    return new SimulatedSpeaker(this, userId, ssrc, encryptor);
  }

  /** Clients Connect (op 11): members joined. */
  connect(userIds: string[]): void {
    this.#server.notify(this.#session, Op.ClientsConnect, { user_ids: userIds });
  }

  /** Client Disconnect (op 13): a member left. */
  disconnect(userId: string): void {
    this.#server.notify(this.#session, Op.ClientDisconnect, { user_id: userId });
  }

  /** Speaking (op 5) for a member: tells the client their SSRC. */
  speaking(userId: string, ssrc: number, speaking: boolean): void {
    this.#server.notify(this.#session, Op.Speaking, { user_id: userId, ssrc, speaking: speaking ? 1 : 0 });
  }

  /** @internal seals and sends one datagram. */
  transmit(header: Uint8Array, plain: Uint8Array): void {
    const packet = sealPacket(this.#mode, this.#key, header, plain, this.#counter++);
    this.sent++;
    this.#socket.send(packet, this.#port, this.#address);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

/** One simulated member. */
export class SimulatedSpeaker {
  readonly #call: SimulatedCall;
  readonly #encryptor: FrameEncryptor | null;
  readonly userId: string;
  readonly ssrc: number;

  /** @internal use {@link SimulatedCall.speaker} */
  constructor(call: SimulatedCall, userId: string, ssrc: number, encryptor: FrameEncryptor | null) {
    this.#call = call;
    this.userId = userId;
    this.ssrc = ssrc;
    this.#encryptor = encryptor;
  }

  /** Announces this member's SSRC (Speaking, op 5). */
  announce(): void {
    this.#call.speaking(this.userId, this.ssrc, true);
  }

  /** Sends an Opus packet with this sequence number and timestamp (DAVE-encrypted in an end-to-end encrypted call). */
  send(sequence: number, timestamp: number, opus: Uint8Array): void {
    const isSilence = opus.length === 3 && SILENCE.equals(opus);
    const frame = this.#encryptor === null || isSilence ? opus : this.#encryptor.encrypt(opus);
    // rtpsize: the extension's body is encrypted with the payload, ahead of it.
    this.#call.transmit(rtpHeader(sequence, timestamp, this.ssrc, 1), Buffer.concat([EXTENSION_BODY, frame]));
  }

  /** Sends an RTCP sender report (RFC 3550 §6.4.1) with no report blocks. */
  senderReport(rtpTimestamp: number, packetCount: number, octetCount: number): void {
    const report = Buffer.alloc(28);
    report[0] = 0x80;
    report[1] = 200;
    report.writeUInt16BE(6, 2);
    report.writeUInt32BE(this.ssrc, 4);
    report.writeUInt32BE(0x83aa7e80, 8);
    report.writeUInt32BE(0x80000000, 12);
    report.writeUInt32BE(rtpTimestamp >>> 0, 16);
    report.writeUInt32BE(packetCount, 20);
    report.writeUInt32BE(octetCount, 24);
    this.#call.transmit(report.subarray(0, 8), report.subarray(8));
  }
}
