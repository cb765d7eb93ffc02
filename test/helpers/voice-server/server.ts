/**
 * A Discord voice server on loopback for tests, written from Discord's documentation ("Voice
 * Connections", voice gateway v8) and the DAVE protocol text: a TLS WebSocket gateway (Hello,
 * Identify, Ready, Select Protocol, Session Description, heartbeats with `seq_ack`, Speaking,
 * Resume with the v8 buffered re-delivery, close codes on demand) and a UDP socket (IP discovery,
 * RTP decrypted in both `rtpsize` modes, DAVE frames decrypted by a second call member), which
 * records every packet with its arrival time. See README.md beside this file.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { makeTestPki, trustTestCa, type TestPki } from './certificate.js';
import { decryptRtp, type TransportMode } from './transport-crypto.js';
import { DaveCall } from './dave/call.js';
import { CloseCode, IP_DISCOVERY_LENGTH, Op } from './protocol.js';

/** Options for {@link startVoiceServer}. */
export interface VoiceServerOptions {
  /** The encryption modes offered in Ready, preferred first. Default: both, AES-GCM first. */
  modes?: TransportMode[];
  /** Negotiate DAVE (protocol version 1) with clients that support it. Default true. */
  dave?: boolean;
  /** The listening member's user ID (DAVE). Default '900000000000000001'. */
  listenerUserId?: string;
  /** More members of every call, added to the DAVE group with the listener: the simulated speakers' user IDs (speakers.ts). */
  daveMembers?: string[];
  /** The heartbeat interval sent in Hello, ms. Default 5000. */
  heartbeatIntervalMs?: number;
  /** The certificate authority and server certificate; default: the process's shared test PKI. */
  pki?: TestPki;
  /** Keep each packet's decrypted payload (default true; the bench turns it off). */
  keepPayloads?: boolean;
  /** The secret tokens are derived from (see {@link grantToken}); default: random. */
  secret?: Buffer;
}

/** One RTP packet the server received from a client, decrypted. */
export interface ReceivedPacket {
  /** The gateway session (the Identify's `session_id` and a connection number: `sid#n`). */
  session: string;
  ssrc: number;
  sequence: number;
  timestamp: number;
  /** The Opus packet: transport-decrypted, and DAVE-decrypted when it was a protocol frame. */
  payload: Buffer;
  /** True when the payload arrived as a DAVE protocol frame and decrypted; false when in the clear. */
  e2ee: boolean;
  /** `performance.now()` when it arrived. */
  arrivedAt: number;
}

/** A gateway message a client sent (JSON ops; binary DAVE ops as `{ op, bytes }`). */
export interface ClientMessage {
  session: string;
  op: number;
  d: unknown;
  arrivedAt: number;
}

/** A gateway session's state. */
interface Session {
  id: string;
  voiceSessionId: string;
  userId: string;
  guildId: string;
  channelId: string;
  token: string;
  ws: WebSocket | null;
  ssrc: number;
  mode: TransportMode | null;
  secretKey: Buffer | null;
  /** The DAVE protocol version negotiated (0: none). */
  daveVersion: number;
  dave: DaveCall | null;
  /** The last sequence number sent, and the messages sent (for v8 buffered resume). */
  seq: number;
  sent: { seq: number; data: string | Buffer }[];
  lastSeqAck: number;
  transitionId: number;
  valid: boolean;
  failures: string[];
}

/** What a client may connect with (see {@link VoiceServer.allow}). */
export interface VoiceGrant {
  guildId: string;
  channelId: string;
  userId: string;
  sessionId: string;
}

/**
 * The token a server with `secret` accepts for `grant`: the channel ID (Identify does not carry
 * it, and the DAVE group ID is made from it), a dot, and an HMAC of the grant. Derived rather than
 * stored, so that a process other than the server's can issue tokens (the bench).
 */
export function grantToken(secret: Buffer, grant: VoiceGrant): string {
  const mac = createHmac('sha256', secret).update(`${grant.guildId}:${grant.userId}:${grant.sessionId}:${grant.channelId}`).digest('hex');
  return `${grant.channelId}.${mac}`;
}

function checkToken(secret: Buffer, token: string, guildId: string, userId: string, sessionId: string): VoiceGrant | null {
  const channelId = token.split('.')[0] ?? '';
  const grant = { guildId, userId, sessionId, channelId };
  const expected = Buffer.from(grantToken(secret, grant));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given) ? grant : null;
}

let sharedPki: TestPki | undefined;
/** The process's test PKI, made once and trusted by this process's TLS clients. */
export function testPki(): TestPki {
  if (sharedPki === undefined) {
    sharedPki = makeTestPki();
    trustTestCa(sharedPki.ca.cert);
  }
  return sharedPki;
}

/** Events a {@link VoiceServer} emits. */
export interface VoiceServerEvents {
  packet: [packet: ReceivedPacket];
  message: [message: ClientMessage];
  /** A session's DAVE group now includes the listener (the bot's frames can be decrypted). */
  daveReady: [session: string];
  /** A client's WebSocket closed (code as the server saw it). */
  wsClose: [session: string, code: number];
  /** An Identify or Resume was refused with this close code. */
  refused: [code: number];
  /** An IP discovery request went unanswered, as if lost (see {@link VoiceServer.loseIpDiscoveries}). */
  ipDiscoveryLost: [ssrc: number];
}

/** A running test voice server. */
export class VoiceServer extends EventEmitter<VoiceServerEvents> {
  /** Every RTP packet received, in arrival order. */
  readonly packets: ReceivedPacket[] = [];
  /** Every gateway message from clients, in arrival order. */
  readonly messages: ClientMessage[] = [];
  /** Undecryptable or unexpected things, for a test to assert empty. */
  readonly errors: string[] = [];
  /** Packets that did not transport-decrypt or DAVE-decrypt, or came from no known session. */
  rejected = 0;

  readonly #https: HttpsServer;
  readonly #wss: WebSocketServer;
  readonly #udp: UdpSocket;
  readonly #options: Required<Omit<VoiceServerOptions, 'pki'>>;
  readonly #sessions = new Map<string, Session>();
  readonly #bySsrc = new Map<number, Session>();
  readonly #httpsPort: number;
  readonly #udpPort: number;
  #connections = 0;
  #ipDiscoveriesToLose = 0;
  #identifiesToRefuse: number[] = [];
  #nextSsrc = 1000 + Math.floor(Math.random() * 1000) * 1000;

  /** @internal use {@link startVoiceServer} */
  constructor(https: HttpsServer, udp: UdpSocket, options: Required<Omit<VoiceServerOptions, 'pki'>>) {
    super();
    this.#https = https;
    this.#udp = udp;
    this.#httpsPort = (https.address() as AddressInfo).port;
    this.#udpPort = udp.address().port;
    this.#options = options;
    this.#wss = new WebSocketServer({ server: https });
    this.#wss.on('connection', (ws) => this.#onConnection(ws));
    udp.on('message', (message, remote) => this.#onUdp(message, remote));
  }

  /** The endpoint a VOICE_SERVER_UPDATE carries: `127.0.0.1:<port>`. */
  get endpoint(): string {
    return `127.0.0.1:${this.#httpsPort}`;
  }

  /** The UDP port RTP goes to. */
  get udpPort(): number {
    return this.#udpPort;
  }

  /**
   * Issues a token for a client to connect with (what Discord's main gateway hands out in
   * VOICE_SERVER_UPDATE). Identify and Resume with any other token are closed with 4004.
   */
  allow(grant: VoiceGrant): string {
    return grantToken(this.#options.secret, grant);
  }

  /**
   * Leaves the next `count` IP discovery requests unanswered (Infinity: all, 0: none again), as a
   * datagram lost on the way would (a loaded server's UDP socket drops what overflows its buffer).
   */
  loseIpDiscoveries(count: number): void {
    this.#ipDiscoveriesToLose = count;
  }

  /** Closes the WebSocket of the next Identify with `code` (before Ready), once per call. */
  refuseNextIdentify(code: number): void {
    this.#identifiesToRefuse.push(code);
  }

  /** The session names (`sid#n`) seen so far, in order. */
  get sessions(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Packets of one session, or of every session. */
  packetsOf(session?: string): ReceivedPacket[] {
    return session === undefined ? this.packets : this.packets.filter((p) => p.session === session);
  }

  /**
   * Closes the WebSocket of every open session (or of `session`) with `code`: 4015 (the client
   * resumes), 4006 (the session is forgotten: the client must identify again), 4014 (kicked).
   */
  close(code: number, session?: string): void {
    for (const s of this.#sessions.values()) {
      if (session !== undefined && s.id !== session) continue;
      if (s.ws === null) continue;
      if (code !== CloseCode.VoiceServerCrashed) s.valid = false;
      s.ws.close(code, 'closed by the test');
      s.ws = null;
    }
  }

  /**
   * Sends a JSON message to a session (numbered and buffered like every server message: a session
   * whose WebSocket is away gets it on resume).
   */
  notify(session: string, op: number, d: unknown): void {
    const target = this.#sessions.get(session);
    if (target === undefined) throw new Error(`no session ${session}`);
    this.#send(target, { op, d });
  }

  /** A session's transport once described (its SSRC, mode and key) and its DAVE call: what a test needs to send to the client. */
  sessionKeys(session: string): { userId: string; ssrc: number; mode: TransportMode; secretKey: Buffer; dave: DaveCall | null } | null {
    const s = this.#sessions.get(session);
    return s === undefined || s.mode === null || s.secretKey === null ? null : { userId: s.userId, ssrc: s.ssrc, mode: s.mode, secretKey: s.secretKey, dave: s.dave };
  }

  /** Resolves when `predicate` holds for a packet (checked against those already received too). */
  waitForPackets(predicate: (packets: ReceivedPacket[]) => boolean, timeoutMs = 10_000): Promise<void> {
    return this.#waitFor('packet', () => predicate(this.packets), timeoutMs);
  }

  /** Resolves when `predicate` holds for the client messages received so far. */
  waitForMessages(predicate: (messages: ClientMessage[]) => boolean, timeoutMs = 10_000): Promise<void> {
    return this.#waitFor('message', () => predicate(this.messages), timeoutMs);
  }

  #waitFor(event: 'packet' | 'message', check: () => boolean, timeoutMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(event, listener);
        reject(new Error(`test voice server: timed out after ${timeoutMs} ms waiting for ${event}s (${this.packets.length} packets, ${this.rejected} rejected; errors: ${this.errors.join('; ') || 'none'})`));
      }, timeoutMs);
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.off(event, listener);
        resolve();
      };
      this.on(event, listener);
    });
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#https.close(() => resolve()));
    this.#https.closeAllConnections();
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
  }

  // ---------------------------------------------------------------- gateway

  #onConnection(ws: WebSocket): void {
    let session: Session | null = null;
    const connection = ++this.#connections;
    this.#sendRaw(ws, { op: Op.Hello, d: { heartbeat_interval: this.#options.heartbeatIntervalMs } });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const arrivedAt = performance.now();
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        if (session === null) return ws.close(4003, 'Not authenticated');
        const op = bytes[0]!;
        this.#record({ session: session.id, op, d: { bytes: bytes.subarray(1) }, arrivedAt });
        void this.#onBinary(session, op, bytes.subarray(1)).catch((error: unknown) => this.#fail(session!, `DAVE op ${op}: ${String(error)}`));
        return;
      }
      let packet: { op: number; d: any };
      try {
        packet = JSON.parse(bytes.toString('utf8'));
      } catch {
        return ws.close(4002, 'Failed to decode payload');
      }
      if (packet.op === Op.Identify) {
        session = this.#identify(ws, packet.d, connection);
      } else if (packet.op === Op.Resume) {
        session = this.#resume(ws, packet.d);
      } else if (packet.op === Op.Heartbeat) {
        if (session !== null && typeof packet.d?.seq_ack === 'number') session.lastSeqAck = packet.d.seq_ack;
        this.#sendRaw(ws, { op: Op.HeartbeatAck, d: { t: packet.d?.t } });
        return;
      } else if (session === null) {
        return ws.close(4003, 'Not authenticated');
      }
      if (session === null) return;
      this.#record({ session: session.id, op: packet.op, d: packet.d, arrivedAt });
      if (packet.op === Op.SelectProtocol) this.#selectProtocol(session, packet.d);
      else if (packet.op === Op.DaveTransitionReady) this.#send(session, { op: Op.DaveExecuteTransition, d: { transition_id: packet.d.transition_id } });
      else if (packet.op === Op.DaveMlsInvalidCommitWelcome) this.#fail(session, `the client reported an invalid commit/welcome (transition ${packet.d?.transition_id})`);
    });
    ws.on('close', (code) => {
      if (session === null) return;
      if (session.ws === ws) session.ws = null;
      this.emit('wsClose', session.id, code);
    });
    ws.on('error', () => {});
  }

  #identify(ws: WebSocket, d: { server_id: string; user_id: string; session_id: string; token: string; max_dave_protocol_version?: number }, connection: number): Session | null {
    const refuse = this.#identifiesToRefuse.shift();
    if (refuse !== undefined) {
      ws.close(refuse, 'refused by the test');
      this.emit('refused', refuse);
      return null;
    }
    const grant = checkToken(this.#options.secret, String(d.token), d.server_id, d.user_id, d.session_id);
    if (grant === null) {
      ws.close(CloseCode.AuthenticationFailed, 'Authentication failed');
      this.emit('refused', CloseCode.AuthenticationFailed);
      return null;
    }
    const ssrc = this.#nextSsrc++;
    const session: Session = {
      id: `${d.session_id}#${connection}`,
      voiceSessionId: d.session_id,
      userId: d.user_id,
      guildId: d.server_id,
      channelId: grant.channelId,
      token: d.token,
      ws,
      ssrc,
      mode: null,
      secretKey: null,
      daveVersion: this.#options.dave && (d.max_dave_protocol_version ?? 0) >= 1 ? 1 : 0,
      dave: null,
      seq: 0,
      sent: [],
      lastSeqAck: -1,
      transitionId: 0,
      valid: true,
      failures: [],
    };
    this.#sessions.set(session.id, session);
    this.#bySsrc.set(ssrc, session);
    this.#send(session, { op: Op.Ready, d: { ssrc, ip: '127.0.0.1', port: this.udpPort, modes: this.#options.modes, heartbeat_interval: this.#options.heartbeatIntervalMs } });
    return session;
  }

  #resume(ws: WebSocket, d: { server_id: string; session_id: string; token: string; seq_ack?: number }): Session | null {
    const session = [...this.#sessions.values()].reverse().find((s) => s.voiceSessionId === d.session_id && s.token === d.token);
    if (session === undefined || !session.valid || session.guildId !== d.server_id) {
      ws.close(CloseCode.SessionNoLongerValid, 'Session is no longer valid');
      this.emit('refused', CloseCode.SessionNoLongerValid);
      return null;
    }
    session.ws = ws;
    this.#send(session, { op: Op.Resumed, d: null });
    // v8 buffered resume: re-deliver what the client has not acknowledged.
    const ack = d.seq_ack ?? -1;
    for (const message of session.sent) if (message.seq > ack && message.seq < session.seq) ws.send(message.data);
    return session;
  }

  #selectProtocol(session: Session, d: { protocol: string; data: { address: string; port: number; mode: TransportMode } }): void {
    if (!this.#options.modes.includes(d.data.mode)) {
      session.ws?.close(4016, 'Unknown encryption mode');
      return;
    }
    session.mode = d.data.mode;
    session.secretKey = randomBytes(32);
    const daveVersion = session.daveVersion;
    this.#send(session, { op: Op.SessionDescription, d: { mode: d.data.mode, secret_key: [...session.secretKey], dave_protocol_version: daveVersion } });
    if (daveVersion > 0) void this.#startDave(session).catch((error: unknown) => this.#fail(session, `DAVE setup: ${String(error)}`));
  }

  async #startDave(session: Session): Promise<void> {
    const members = this.#options.daveMembers;
    const call = await DaveCall.create({ channelId: session.channelId, botUserId: session.userId, listenerUserId: this.#options.listenerUserId, memberUserIds: members });
    session.dave = call;
    // The listener is in the call: the bot checks add proposals against these user IDs.
    this.#send(session, { op: Op.ClientsConnect, d: { user_ids: [this.#options.listenerUserId, ...members] } });
    this.#sendBinary(session, Op.DaveMlsExternalSender, call.externalSenderPackage());
    this.#sendBinary(session, Op.DaveMlsProposals, await call.proposals());
  }

  async #onBinary(session: Session, op: number, payload: Buffer): Promise<void> {
    // The bot's key package: kept, though the bot creates the group here and is not added by anyone.
    if (op === Op.DaveMlsKeyPackage) return;
    const call = session.dave;
    if (call === null) return this.#fail(session, `binary op ${op} before the DAVE group was set up`);
    if (op !== Op.DaveMlsCommitWelcome) return this.#fail(session, `unexpected binary op ${op}`);
    const commit = await call.acceptCommitWelcome(payload);
    const transition = ++session.transitionId;
    const header = Buffer.alloc(2);
    header.writeUInt16BE(transition);
    this.#sendBinary(session, Op.DaveMlsAnnounceCommitTransition, Buffer.concat([header, commit]));
    this.emit('daveReady', session.id);
  }

  #record(message: ClientMessage): void {
    this.messages.push(message);
    this.emit('message', message);
  }

  #fail(session: Session, what: string): void {
    session.failures.push(what);
    this.errors.push(`${session.id}: ${what}`);
  }

  /** Sends a JSON message with the session's next sequence number (kept for resume). */
  #send(session: Session, packet: { op: number; d: unknown }): void {
    const seq = ++session.seq;
    const data = JSON.stringify({ ...packet, seq });
    session.sent.push({ seq, data });
    session.ws?.send(data);
  }

  /** Sends a binary DAVE message: sequence (u16), opcode (u8), payload. */
  #sendBinary(session: Session, op: number, payload: Buffer): void {
    const seq = ++session.seq;
    const data = Buffer.concat([Buffer.of((seq >> 8) & 0xff, seq & 0xff, op), payload]);
    session.sent.push({ seq, data });
    session.ws?.send(data);
  }

  #sendRaw(ws: WebSocket, packet: { op: number; d: unknown }): void {
    ws.send(JSON.stringify(packet));
  }

  // ---------------------------------------------------------------- UDP

  #onUdp(message: Buffer, remote: RemoteInfo): void {
    const arrivedAt = performance.now();
    if (message.length === IP_DISCOVERY_LENGTH && message.readUInt16BE(0) === 1) {
      const ssrc = message.readUInt32BE(4);
      if (this.#ipDiscoveriesToLose > 0) {
        this.#ipDiscoveriesToLose--;
        this.emit('ipDiscoveryLost', ssrc);
        return;
      }
      const response = Buffer.alloc(IP_DISCOVERY_LENGTH);
      response.writeUInt16BE(2, 0);
      response.writeUInt16BE(70, 2);
      response.writeUInt32BE(ssrc, 4);
      response.write(remote.address, 8, 'utf8');
      response.writeUInt16BE(remote.port, IP_DISCOVERY_LENGTH - 2);
      this.#udp.send(response, remote.port, remote.address);
      return;
    }
    if (message.length < 12 || message[0]! >> 6 !== 2) return; // keep-alives and the like
    const session = this.#bySsrc.get(message.readUInt32BE(8));
    if (session === undefined || session.mode === null || session.secretKey === null) {
      this.rejected++;
      return;
    }
    const rtp = decryptRtp(message, session.mode, session.secretKey);
    if (rtp === null) {
      this.rejected++;
      this.#fail(session, 'a packet did not transport-decrypt');
      return;
    }
    let payload = rtp.payload;
    let e2ee = false;
    const isSilence = payload.length === 3 && payload[0] === 0xf8 && payload[1] === 0xff && payload[2] === 0xfe;
    if (session.dave !== null && !isSilence) {
      const result = session.dave.decrypt(payload);
      if (typeof result === 'string') {
        if (result !== 'not-a-protocol-frame') {
          this.rejected++;
          this.#fail(session, `a DAVE frame did not decrypt: ${result}`);
          return;
        }
      } else {
        payload = result;
        e2ee = true;
      }
    }
    const packet: ReceivedPacket = {
      session: session.id,
      ssrc: rtp.ssrc,
      sequence: rtp.sequence,
      timestamp: rtp.timestamp,
      payload: this.#options.keepPayloads ? payload : Buffer.alloc(0),
      e2ee,
      arrivedAt,
    };
    this.packets.push(packet);
    this.emit('packet', packet);
  }
}

/** Starts a test voice server on 127.0.0.1 (TLS gateway and UDP, both on free ports). */
export async function startVoiceServer(options: VoiceServerOptions = {}): Promise<VoiceServer> {
  const pki = options.pki ?? testPki();
  const https = createHttpsServer({ cert: pki.server.cert, key: pki.server.key });
  // A receive buffer of 4 MiB (Linux caps it at net.core.rmem_max): at the default ~208 KiB, a
  // loop held for a second by hundreds of handshakes dropped the datagrams that came meanwhile
  // (IP discoveries, then the bench's audio): what the bench should measure is spence, not this.
  const udp = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return new VoiceServer(https, udp, {
    modes: options.modes ?? ['aead_aes256_gcm_rtpsize', 'aead_xchacha20_poly1305_rtpsize'],
    dave: options.dave ?? true,
    listenerUserId: options.listenerUserId ?? '900000000000000001',
    daveMembers: options.daveMembers ?? [],
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    keepPayloads: options.keepPayloads ?? true,
    secret: options.secret ?? randomBytes(32),
  });
}
