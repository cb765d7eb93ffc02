/**
 * Voice links over @discordjs/voice (>= 0.19.2, DAVE): one `VoiceConnection` per guild, joined
 * from the client's voice state with no discord.js client in the server. The connection's
 * gateway adapter is fed what Discord's main gateway would have sent after the bot's own join
 * (which the bot made on its gateway): the VOICE_STATE_UPDATE (session, channel, user) and the
 * VOICE_SERVER_UPDATE (token, endpoint), built from the PATCH's `voice`. A voice state whose
 * channel, endpoint, token or session differs is fed again, and @discordjs/voice moves the
 * connection (a new voice gateway and UDP session).
 *
 * No connection is left stuck silently. @discordjs/voice does not time out a handshake (an IP
 * discovery datagram that is lost leaves it in `connecting` for good), and a voice gateway that
 * closes with any code but 4014 leaves it `signalling`, waiting for the bot's gateway to join
 * again, which only the client can make it do. So the link watches each connection until it is
 * ready: a step of its handshake that takes longer than `stepTimeoutMs`, or a close, makes the
 * connection anew from the same voice state (after 1 s, then 2, 4, ...), `retries` times; then
 * the link gives up, says so (a handshake that timed out is a `WebSocketClosedEvent` with 4009,
 * `byRemote: false`; a close was reported when it came) and the client's next voice state, even
 * the same, joins anew. And at most `concurrentJoins` connections of a worker handshake at once
 * (see join-gate.ts): hundreds of guilds rejoining together otherwise starve both ends.
 *
 * The player is connected to the connection (`player.connect()`, through an output that treats a
 * disconnect as something the client's next voice state mends): spence's scheduler prepares and
 * dispatches its packets, and while the connection cannot send (joining, moving, resuming, or
 * disconnected until the client sends a new voice state) the player holds its place, as a
 * Lavalink node's player does (its frames are taken only while connected).
 *
 * @discordjs/voice is an optional peer dependency: it is loaded with the first link, and without
 * it the links connect nothing (reported once).
 *
 * @module
 */

import { nonNegative, positive } from '../player/arguments.js';
import { RealClock } from '../player/clock.js';
import type { Clock, ClockTimer } from '../player/clock.js';
import { voiceCloseReason } from '../voice/close-codes.js';
import { createDiscordJsOutput } from '../voice/discordjs-output.js';
import type { DiscordJsOutput, DiscordJsVoiceConnection } from '../voice/discordjs-output.js';
import { JoinGate } from './join-gate.js';
import type { VoiceStateJson } from './protocol.js';
import type { VoiceClose, VoiceLink, VoiceLinkContext, VoiceLinkFactory } from './voice-link.js';

/** What a link uses of a @discordjs/voice connection. */
interface Connection extends DiscordJsVoiceConnection {
  readonly ping: { ws: number | undefined };
  /** Leaves the channel: the networking (gateway and UDP) is closed, the connection `disconnected`. */
  disconnect(): boolean;
  destroy(): void;
  on(event: 'stateChange', listener: (oldState: ConnectionState, newState: ConnectionState) => void): unknown;
  on(event: 'stateChange' | 'transitioned' | 'error', listener: (...args: never[]) => void): unknown;
}

/** The parts of a connection state a link reads. */
interface ConnectionState {
  status: string;
  networking?: { state: { code: number }; once(event: 'close', listener: (code: number) => void): unknown };
}

/** @discordjs/voice's networking steps before Ready (`NetworkingStatusCode`), named for the log. */
const STEPS: Readonly<Record<number, string>> = { 0: 'opening the voice WebSocket', 1: 'identifying', 2: 'discovering its UDP address', 3: 'selecting the protocol', 5: 'resuming' };

/** The adapter callbacks @discordjs/voice gives a gateway adapter. */
interface AdapterMethods {
  onVoiceStateUpdate(data: object): void;
  onVoiceServerUpdate(data: object): void;
  destroy(): void;
}

/** What a link uses of the @discordjs/voice module. */
interface VoiceModule {
  joinVoiceChannel(options: {
    guildId: string;
    channelId: string;
    group: string;
    selfDeaf: boolean;
    selfMute: boolean;
    adapterCreator: (methods: AdapterMethods) => { sendPayload(payload: unknown): boolean; destroy(): void };
  }): Connection;
}

/** Options for {@link discordVoiceLinks}. */
export interface DiscordVoiceLinksOptions {
  /** Reports that @discordjs/voice could not be loaded (once), and connections given up. */
  log?(line: string): void;
  /** Connections of these links handshaking at once; the others wait their turn. Default 32. */
  concurrentJoins?: number;
  /**
   * How long one step of a connection's handshake (the WebSocket opening, Identify, IP
   * discovery, Select Protocol, a Resume) may take before the connection is made anew, in ms.
   * Default 15000. (The DAVE group that follows is not timed: it may wait for other members.)
   */
  stepTimeoutMs?: number;
  /** How many times a connection that timed out or closed is made anew before the link gives up. Default 3. */
  retries?: number;
  /** The clock of the step timeouts and of the waits between attempts. Default: the real clock. */
  clock?: Clock;
}

/**
 * 32 handshakes at once: a join costs its worker a few ms of CPU (TLS, the MLS commit), and takes
 * a few round trips, so 500 guilds rejoin in seconds without holding the players' loop.
 */
export const DEFAULT_CONCURRENT_JOINS = 32;

/** What a factory's links share: the gate, the clock, the options. */
interface Shared {
  gate: JoinGate;
  clock: Clock;
  stepTimeoutMs: number;
  retries: number;
  log: ((line: string) => void) | undefined;
}

let groups = 0;

/** A guild's voice connection, joined and moved from Lavalink voice states. */
class DiscordVoiceLink implements VoiceLink {
  state: VoiceStateJson | null = null;
  readonly #context: VoiceLinkContext;
  readonly #module: Promise<VoiceModule | null>;
  readonly #shared: Shared;
  readonly #group = `spence-serve-${++groups}`;
  #voice: VoiceModule | null = null;
  #connection: Connection | null = null;
  #methods: AdapterMethods | null = null;
  #output: DiscordJsOutput | null = null;
  #destroyed = false;
  /** An attempt waiting for the gate (its cancel), or holding a slot of it. */
  #waiting: (() => void) | null = null;
  #holding = false;
  /** The step watchdog, or the wait before the next attempt. */
  #timer: ClockTimer | null = null;
  /** Attempts that failed since the connection was last ready (or the client's last voice state). */
  #failures = 0;
  /** The link gave up: the client's next voice state, even the same, joins anew. */
  #gaveUp = false;

  constructor(context: VoiceLinkContext, module: Promise<VoiceModule | null>, shared: Shared) {
    this.#context = context;
    this.#module = module;
    this.#shared = shared;
  }

  get connected(): boolean {
    return this.#output?.state.status === 'ready';
  }

  get ping(): number {
    const ws = this.connected ? this.#connection?.ping.ws : undefined;
    return ws === undefined ? -1 : Math.round(ws);
  }

  update(state: VoiceStateJson): void {
    const old = this.state;
    this.state = { ...state };
    // The same voice state again changes nothing, unless the connection is gone, was closed (a
    // 4014: the client answers WebSocketClosedEvent with its voice state, as to Lavalink), or the
    // link gave up making it.
    const status = this.#connection?.state.status;
    const live = status !== undefined && status !== 'destroyed' && status !== 'disconnected' && !this.#gaveUp;
    if (live && old !== null && old.token === state.token && old.endpoint === state.endpoint && old.sessionId === state.sessionId && old.channelId === state.channelId) return;
    this.#failures = 0;
    this.#gaveUp = false;
    void this.#apply(this.state);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#stop();
    this.#release();
    this.#connection?.destroy();
    this.#connection = null;
  }

  async #apply(state: VoiceStateJson): Promise<void> {
    const voice = await this.#module;
    if (voice === null || this.#destroyed || this.state !== state) return;
    this.#voice = voice;
    // The connection and its output at once (a player given a track meanwhile holds it); the
    // handshake when the gate lets it.
    if (this.#connection === null || this.#connection.state.status === 'destroyed') this.#join(voice, state);
    this.#attempt();
  }

  /** Makes the connection (again) from the voice state once the gate lets it, and watches it until it is ready. */
  #attempt(): void {
    this.#stop();
    this.#waiting = this.#shared.gate.enter(() => {
      this.#waiting = null;
      this.#holding = true;
      this.#feed();
    });
  }

  /** Gives the connection what Discord's main gateway sends after a join or a move: the voice state, then the voice server. */
  #feed(): void {
    const state = this.state;
    if (this.#destroyed || state === null || this.#voice === null) return this.#stop();
    const { guildId, userId } = this.#context;
    if (this.#connection === null || this.#connection.state.status === 'destroyed') this.#join(this.#voice, state);
    this.#arm();
    this.#methods?.onVoiceStateUpdate({
      guild_id: guildId,
      channel_id: state.channelId,
      user_id: userId,
      session_id: state.sessionId,
      deaf: false,
      mute: false,
      self_deaf: false,
      self_mute: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
    });
    this.#methods?.onVoiceServerUpdate({ guild_id: guildId, token: state.token, endpoint: state.endpoint });
  }

  #join(voice: VoiceModule, state: VoiceStateJson): void {
    const connection = voice.joinVoiceChannel({
      guildId: this.#context.guildId,
      channelId: state.channelId,
      group: this.#group,
      selfDeaf: false,
      selfMute: false,
      // The bot joined on its own gateway; nothing is sent from here.
      adapterCreator: (methods) => {
        this.#methods = methods;
        return { sendPayload: () => true, destroy: () => (this.#methods = null) };
      },
    });
    this.#connection = connection;
    connection.on('error', () => {});
    connection.on('stateChange', (oldState, newState) => {
      // Each voice gateway connection reports its close once; Lavalink's WebSocketClosedEvent.
      if (newState.networking !== undefined && newState.networking !== oldState.networking) {
        newState.networking.once('close', (code) => this.#closed({ code, reason: voiceCloseReason(code), byRemote: true }));
      }
    });
    this.#release();
    // A disconnect (4014) is not the end here: the client answers WebSocketClosedEvent with a new
    // voice state, which reconnects this connection (or a destroyed one is joined again).
    const output = createDiscordJsOutput(connection, { rejoins: true });
    this.#output = output;
    this.#context.player.connect(output);
    connection.on('stateChange', () => this.#changed(connection));
    }

  /**
   * A connection's step: `ready` ends the attempt (it leaves its slot); a step of the handshake
   * re-arms the watchdog; `signalling` (closed, waiting for a join only the bot's gateway could
   * make) is an attempt failed.
   */
  #changed(connection: Connection): void {
    if (this.#destroyed || connection !== this.#connection || this.#waiting !== null || this.#gaveUp) return;
    const status = connection.state.status;
    if (status === 'ready') {
      this.#stop();
      this.#failures = 0;
    } else if (status === 'signalling') this.#failed(null);
    else if (status === 'disconnected' || status === 'destroyed') this.#stop();
    else this.#arm();
  }

  /** Starts (or restarts) the watchdog of the connection's current step. */
  #arm(): void {
    this.#timer?.cancel();
    const { clock, stepTimeoutMs } = this.#shared;
    this.#timer = clock.setTimer(clock.now() + stepTimeoutMs, () => {
      this.#timer = null;
      const code = (this.#connection?.state as ConnectionState | undefined)?.networking?.state.code;
      this.#failed(`timed out ${(code === undefined ? undefined : STEPS[code]) ?? 'connecting'}`);
    });
  }

  /** An attempt timed out (`timedOut` says in which step) or was closed (reported already): the next one after a wait, or the link gives up. */
  #failed(timedOut: string | null): void {
    this.#stop();
    // Closes the stuck gateway and UDP socket; the next attempt makes new ones.
    this.#connection?.disconnect();
    const { clock, retries, log } = this.#shared;
    if (this.#failures >= retries) {
      this.#gaveUp = true;
      log?.(`voice: guild ${this.#context.guildId}: gave up connecting after ${retries + 1} attempts (the last ${timedOut ?? 'closed'}); the client's next voice state joins anew`);
      if (timedOut !== null) this.#closed({ code: SESSION_TIMEOUT, reason: voiceCloseReason(SESSION_TIMEOUT), byRemote: false });
      return;
    }
    const wait = 1000 * 2 ** this.#failures++;
    this.#timer = clock.setTimer(clock.now() + wait, () => {
      this.#timer = null;
      this.#attempt();
    });
  }

  /** Ends the attempt in progress: its wait for the gate, its slot, its timer. */
  #stop(): void {
    this.#waiting?.();
    this.#waiting = null;
    if (this.#holding) this.#shared.gate.leave();
    this.#holding = false;
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** Disconnects the player from the connection's output and closes it. */
  #release(): void {
    if (this.#output === null) return;
    if (this.#context.player.output === this.#output) this.#context.player.disconnect();
    this.#output.close();
    this.#output = null;
  }

  #closed(close: VoiceClose): void {
    if (!this.#destroyed) this.#context.onClose(close);
  }
}

/** Discord's "Session timeout": what a handshake the link gave up on is reported as. */
const SESSION_TIMEOUT = 4009;

/**
 * Voice links over @discordjs/voice. The module is loaded once, with the first link; without it
 * (an optional peer dependency) links connect nothing.
 *
 * @throws SpenceError `INVALID_ARGUMENT` for a `concurrentJoins` or `stepTimeoutMs` that is not a finite number > 0, or `retries` not >= 0.
 */
export function discordVoiceLinks(options: DiscordVoiceLinksOptions = {}): VoiceLinkFactory {
  let module: Promise<VoiceModule | null> | null = null;
  const load = (): Promise<VoiceModule | null> =>
    (module ??= import('@discordjs/voice').then(
      (m) => m as unknown as VoiceModule,
      (error: Error) => {
        options.log?.(`voice: @discordjs/voice could not be loaded (npm install @discordjs/voice); players play without a voice connection: ${error.message}`);
        return null;
      },
    ));
  const shared: Shared = {
    gate: new JoinGate(Math.max(1, Math.floor(positive(options.concurrentJoins ?? DEFAULT_CONCURRENT_JOINS, 'concurrentJoins')))),
    clock: options.clock ?? new RealClock(),
    stepTimeoutMs: positive(options.stepTimeoutMs ?? 15_000, 'stepTimeoutMs'),
    retries: Math.floor(nonNegative(options.retries ?? 3, 'retries')),
    log: options.log,
  };
  return (context) => new DiscordVoiceLink(context, load(), shared);
}
