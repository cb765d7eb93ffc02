/**
 * Voice links over @discordjs/voice (>= 0.19.2, DAVE): one `VoiceConnection` per guild, joined
 * from the client's voice state with no discord.js client in the server. The connection's
 * gateway adapter is fed what Discord's main gateway would have sent after the bot's own join
 * (which the bot made on its gateway): the VOICE_STATE_UPDATE (session, channel, user) and the
 * VOICE_SERVER_UPDATE (token, endpoint), built from the PATCH's `voice`. A voice state whose
 * channel, endpoint, token or session differs is fed again, and @discordjs/voice moves the
 * connection (a new voice gateway and UDP session).
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

import { voiceCloseReason } from '../voice/close-codes.js';
import { createDiscordJsOutput } from '../voice/discordjs-output.js';
import type { DiscordJsOutput, DiscordJsVoiceConnection } from '../voice/discordjs-output.js';
import type { VoiceStateJson } from './protocol.js';
import type { VoiceClose, VoiceLink, VoiceLinkContext, VoiceLinkFactory } from './voice-link.js';

/** What a link uses of a @discordjs/voice connection. */
interface Connection extends DiscordJsVoiceConnection {
  readonly ping: { ws: number | undefined };
  destroy(): void;
  on(event: 'stateChange', listener: (oldState: ConnectionState, newState: ConnectionState) => void): unknown;
  on(event: 'stateChange' | 'transitioned' | 'error', listener: (...args: never[]) => void): unknown;
}

/** The parts of a connection state a link reads. */
interface ConnectionState {
  status: string;
  networking?: { once(event: 'close', listener: (code: number) => void): unknown };
}

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
  /** Reports that @discordjs/voice could not be loaded (once), and connection errors. */
  log?(line: string): void;
}

let groups = 0;

/** A guild's voice connection, joined and moved from Lavalink voice states. */
class DiscordVoiceLink implements VoiceLink {
  state: VoiceStateJson | null = null;
  readonly #context: VoiceLinkContext;
  readonly #module: Promise<VoiceModule | null>;
  readonly #group = `spence-serve-${++groups}`;
  #connection: Connection | null = null;
  #methods: AdapterMethods | null = null;
  #output: DiscordJsOutput | null = null;
  #destroyed = false;

  constructor(context: VoiceLinkContext, module: Promise<VoiceModule | null>) {
    this.#context = context;
    this.#module = module;
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
    // The same voice state again changes nothing, unless the connection is gone or was closed
    // (a 4014: the client answers WebSocketClosedEvent with its voice state, as to Lavalink).
    const status = this.#connection?.state.status;
    const live = status !== undefined && status !== 'destroyed' && status !== 'disconnected';
    if (live && old !== null && old.token === state.token && old.endpoint === state.endpoint && old.sessionId === state.sessionId && old.channelId === state.channelId) return;
    void this.#apply(this.state);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#release();
    this.#connection?.destroy();
    this.#connection = null;
  }

  async #apply(state: VoiceStateJson): Promise<void> {
    const voice = await this.#module;
    if (voice === null || this.#destroyed || this.state !== state) return;
    const { guildId, userId } = this.#context;
    if (this.#connection === null || this.#connection.state.status === 'destroyed') this.#join(voice, state);
    // What Discord's main gateway sends after a join or a move: the voice state, then the voice server.
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

/**
 * Voice links over @discordjs/voice. The module is loaded once, with the first link; without it
 * (an optional peer dependency) links connect nothing.
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
  return (context) => new DiscordVoiceLink(context, load());
}
