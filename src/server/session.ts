/**
 * Lavalink sessions: one per WebSocket connection, with its players. A session whose client
 * enabled resuming (`PATCH /v4/sessions/{id}` `resuming: true`) outlives its WebSocket for
 * `timeout` seconds: its players keep playing, the events they send are queued (a bounded queue:
 * past its limit the session is closed rather than let memory grow), and a client that reconnects
 * with `Session-Id` gets `ready` with `resumed: true`, the queued events in order, then a
 * `playerUpdate` per player (Lavalink's `SocketContext.resume`). Without resuming, a closed
 * WebSocket destroys its players.
 *
 * @module
 */

import { randomInt } from 'node:crypto';
import type { Clock, ClockTimer } from '../player/clock.js';
import { stringify } from './json.js';
import type { PlayerHost, PlayerKey } from './player-host.js';
import type { ServerMessage, StatsJson } from './protocol.js';

/** How a session writes to its WebSocket (bounded: see websocket.ts). */
export interface SessionSocket {
  /** Sends one text message. */
  send(text: string): void;
  /** Closes the WebSocket. */
  close(code: number, reason: string): void;
}

/** Lavalink sends `stats` once a minute. */
const STATS_PERIOD_MS = 60_000;
/** Lavalink's default resume timeout, in seconds. */
const DEFAULT_RESUME_TIMEOUT = 60;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A client's session. */
export class Session {
  /** The session id the `ready` op gave (16 characters, as Lavalink's). */
  readonly id: string;
  /** The bot's user id (`User-Id`). */
  readonly userId: string;
  /** `Client-Name`, when sent. */
  readonly clientName: string | null;
  /** Resuming enabled (`PATCH /v4/sessions/{id}`). */
  resuming = false;
  /** Resume timeout, in seconds. */
  timeout = DEFAULT_RESUME_TIMEOUT;
  /** The guilds that have a player, and the host each lives on. */
  readonly players = new Map<string, PlayerHost>();
  /** The WebSocket, or null while the session waits to be resumed. */
  socket: SessionSocket | null;
  /** Serialized events kept while the socket is away. */
  readonly queue: string[] = [];
  resumeTimer: ClockTimer | null = null;
  statsTimer: ClockTimer | null = null;

  constructor(id: string, userId: string, clientName: string | null, socket: SessionSocket) {
    this.id = id;
    this.userId = userId;
    this.clientName = clientName;
    this.socket = socket;
  }

  /** The key of this session's player in a guild. */
  key(guildId: string): PlayerKey {
    return { sessionId: this.id, guildId, userId: this.userId };
  }
}

/** Options for {@link Sessions}. */
export interface SessionsOptions {
  /** The clock the stats period and resume timeouts run on. */
  clock: Clock;
  /** Events kept for a session waiting to resume; one more closes it. */
  maxResumeQueue: number;
  /** The node's stats, for the `stats` op. */
  stats(): Promise<StatsJson>;
  /** Reports what happens to sessions (for the server's log). */
  log?(message: string): void;
}

/** Every session of the server. */
export class Sessions {
  readonly #sessions = new Map<string, Session>();
  readonly #options: SessionsOptions;

  constructor(options: SessionsOptions) {
    this.#options = options;
  }

  /** The session with this id (connected or waiting to resume). */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Every session. */
  all(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** True when a WebSocket naming this `Session-Id` would resume it. */
  canResume(id: string | undefined): boolean {
    if (id === undefined) return false;
    const session = this.#sessions.get(id);
    return session !== undefined && session.socket === null && session.resuming;
  }

  /**
   * A WebSocket opened: resumes the session named by `resumeId` when it can, else starts a new
   * one. Sends `ready`, and for a resume the queued events and a `playerUpdate` per player.
   */
  open(socket: SessionSocket, userId: string, clientName: string | null, resumeId?: string): { session: Session; resumed: boolean } {
    if (resumeId !== undefined && this.canResume(resumeId)) {
      const session = this.#sessions.get(resumeId)!;
      session.resumeTimer?.cancel();
      session.resumeTimer = null;
      session.socket = socket;
      this.#write(session, { op: 'ready', resumed: true, sessionId: session.id });
      const queued = session.queue.splice(0);
      for (const text of queued) socket.send(text);
      this.#options.log?.(`session ${session.id} resumed; ${queued.length} queued events replayed`);
      void this.#sendPlayerUpdates(session);
      this.#startStats(session);
      return { session, resumed: true };
    }
    let id: string;
    do {
      id = Array.from({ length: 16 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
    } while (this.#sessions.has(id));
    const session = new Session(id, userId, clientName, socket);
    this.#sessions.set(id, session);
    // Lavalink takes Client-Name as optional: it names the client in its log, and asks for it when missing.
    this.#options.log?.(clientName !== null
      ? `session ${id} opened by ${JSON.stringify(clientName)}`
      : `session ${id} opened by a client without a Client-Name header (library developers: please send one, NAME/VERSION)`);
    this.#write(session, { op: 'ready', resumed: false, sessionId: id });
    this.#startStats(session);
    return { session, resumed: false };
  }

  /** Sends a message to a session: written when connected; an event is queued while it waits to resume. */
  send(sessionId: string, message: ServerMessage): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    if (session.socket !== null) {
      this.#write(session, message);
      return;
    }
    // Lavalink queues events only; player updates and stats of a paused session are dropped.
    if (message.op !== 'event') return;
    session.queue.push(stringify(message));
    if (session.queue.length > this.#options.maxResumeQueue) {
      this.#options.log?.(`session ${session.id} closed: more than ${this.#options.maxResumeQueue} events queued while waiting to resume`);
      void this.shutdown(session);
    }
  }

  /** The session's WebSocket closed: keep it for resuming, or shut it down. */
  closed(session: Session, socket: SessionSocket): void {
    if (session.socket !== socket) return;
    session.socket = null;
    session.statsTimer?.cancel();
    session.statsTimer = null;
    if (!session.resuming) {
      void this.shutdown(session);
      return;
    }
    const { clock } = this.#options;
    this.#options.log?.(`session ${session.id} can be resumed for ${session.timeout} s`);
    session.resumeTimer = clock.setTimer(clock.now() + session.timeout * 1000, () => {
      session.resumeTimer = null;
      this.#options.log?.(`session ${session.id} was not resumed in time`);
      void this.shutdown(session);
    });
  }

  /** Destroys a session's players and forgets it. */
  async shutdown(session: Session): Promise<void> {
    if (this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    session.resumeTimer?.cancel();
    session.statsTimer?.cancel();
    session.queue.length = 0;
    const players = [...session.players];
    session.players.clear();
    await Promise.allSettled(players.map(([guildId, host]) => host.destroy(session.key(guildId))));
    session.socket?.close(1000, 'Session closed');
    session.socket = null;
  }

  /** Shuts every session down (server close). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#sessions.values()].map((s) => this.shutdown(s)));
  }

  #write(session: Session, message: ServerMessage): void {
    session.socket?.send(stringify(message));
  }

  async #sendPlayerUpdates(session: Session): Promise<void> {
    for (const [guildId, host] of session.players) {
      const player = await host.get(session.key(guildId)).catch(() => null);
      if (player !== null) this.send(session.id, { op: 'playerUpdate', guildId, state: player.state });
    }
  }

  /** `stats` now and every minute while connected (Lavalink's stats task starts at 0). */
  #startStats(session: Session): void {
    const { clock } = this.#options;
    const tick = (): void => {
      if (session.socket === null) return;
      session.statsTimer = clock.setTimer(clock.now() + STATS_PERIOD_MS, tick);
      this.#options.stats().then(
        (stats) => this.send(session.id, { op: 'stats', ...stats }),
        () => {},
      );
    };
    tick();
  }
}
