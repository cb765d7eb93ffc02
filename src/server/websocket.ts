/**
 * The WebSocket at `/v4/websocket` (Lavalink's websocket.md): the handshake checks
 * `Authorization` (401) and `User-Id` (400), takes `Client-Name`, resumes the session a
 * `Session-Id` names when it can, and answers `Session-Resumed: true|false`. Clients send nothing
 * in v4, so incoming messages are ignored (and bounded in size).
 *
 * Memory stays bounded whatever a client does: a slow reader's unsent bytes are capped
 * (`maxBufferedBytes`; past it the connection is dropped, and a resumable session waits for it to
 * come back), and a silent one is found by WebSocket pings and dropped.
 *
 * @module
 */

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { API_HEADERS } from './http-io.js';
import type { SessionSocket, Sessions } from './session.js';

/** Options for {@link attachWebSocket}. */
export interface WebSocketOptions {
  sessions: Sessions;
  /** The password check. */
  authorized(given: string | string[] | undefined): boolean;
  /** Bytes queued to one client before it is disconnected as too slow. */
  maxBufferedBytes: number;
  /** Ping period, in ms; a client that has not answered the previous ping is dropped. Default 30 000. */
  pingIntervalMs?: number;
  log?(message: string): void;
}

/** Inbound messages are ignored; this caps what a client can make the server buffer. */
const MAX_INBOUND_BYTES = 64 * 1024;
const SNOWFLAKE = /^\d{1,20}$/;

/** Handshake results handed from the upgrade to the `headers` event of the same request. */
interface Handshake {
  userId: string;
  clientName: string | null;
  resumeId: string | undefined;
  resumed: boolean;
}

function reject(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nLavalink-Api-Version: 4\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A session's view of one WebSocket: bounded sends. */
class BoundedSocket implements SessionSocket {
  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  send(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount + text.length > this.maxBufferedBytes) {
      this.onOverflow();
      this.ws.terminate();
      return;
    }
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }
}

/** Serves the WebSocket on `server`'s upgrades. Returns a function that closes it. */
export function attachWebSocket(server: Server, options: WebSocketOptions): () => Promise<void> {
  const { sessions } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_INBOUND_BYTES, perMessageDeflate: false });
  const handshakes = new WeakMap<IncomingMessage, Handshake>();

  wss.on('headers', (headers, req) => {
    const handshake = handshakes.get(req);
    for (const [name, value] of Object.entries(API_HEADERS)) headers.push(`${name}: ${value}`);
    headers.push(`Session-Resumed: ${handshake?.resumed === true}`);
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/v4/websocket') return reject(socket, 404, 'Not Found');
    if (!options.authorized(req.headers.authorization)) {
      options.log?.(`websocket: authentication failed from ${req.socket.remoteAddress}`);
      return reject(socket, 401, 'Unauthorized');
    }
    const userId = header(req, 'user-id');
    if (userId === undefined || !SNOWFLAKE.test(userId)) return reject(socket, 400, 'Bad Request');
    const resumeId = header(req, 'session-id');
    const handshake: Handshake = { userId, clientName: header(req, 'client-name') ?? null, resumeId, resumed: sessions.canResume(resumeId) };
    handshakes.set(req, handshake);
    wss.handleUpgrade(req, socket, head, (ws) => connected(ws, handshake));
  };

  const connected = (ws: WebSocket, handshake: Handshake): void => {
    let alive = true;
    ws.on('pong', () => (alive = true));
    const pinger = setInterval(() => {
      if (!alive) {
        options.log?.('websocket: a client stopped answering pings; dropping it');
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, options.pingIntervalMs ?? 30_000);
    pinger.unref();
    const socket = new BoundedSocket(ws, options.maxBufferedBytes, () => options.log?.('websocket: a client is not reading its messages; dropping it'));
    const { session } = sessions.open(socket, handshake.userId, handshake.clientName, handshake.resumeId);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearInterval(pinger);
      sessions.closed(session, socket);
    });
  };

  server.on('upgrade', onUpgrade);
  return async () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
