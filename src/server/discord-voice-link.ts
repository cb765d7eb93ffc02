/**
 * Voice links over @discordjs/voice (>= 0.19.2, DAVE): one `VoiceConnection` per guild, joined
 * from the client's voice state with no discord.js client in the server. The connection's
 * gateway adapter is fed what Discord's main gateway would have sent after the bot's own join
 * (which the bot made on its gateway): the VOICE_STATE_UPDATE (session, channel, user) and the
 * VOICE_SERVER_UPDATE (token, endpoint), built from the PATCH's `voice`. A voice state whose
 * channel, endpoint, token or session differs is fed again, and @discordjs/voice moves the
 * connection (a new voice gateway and UDP session).
 *
 * The player's packets go to the connection through spence's voice output
 * (`createDiscordJsOutput`) and the scheduler tick's prepare-then-dispatch batch, from the
 * player's `frame` events; while the connection cannot send, the player is held (paused) so the
 * track keeps its place, as a Lavalink node's player does (its frames are taken only while
 * connected).
 *
 * @discordjs/voice is an optional peer dependency: it is loaded with the first link, and without
 * it the links connect nothing (reported once).
 *
 * @module
 */

import type { FrameScheduler } from '../player/scheduler.js';
import type { FrameEvent, UnderrunEvent } from '../player/types.js';
import { createDiscordJsOutput } from '../voice/discordjs-output.js';
import type { DiscordJsVoiceConnection } from '../voice/discordjs-output.js';
import { DispatchBatch, OutputLink } from '../voice/dispatch-batch.js';
import type { VoiceOutput } from '../voice/output.js';
import type { VoiceStateJson } from './protocol.js';
import type { VoiceClose, VoiceFrames, VoiceLink, VoiceLinkContext, VoiceLinkFactory } from './voice-link.js';

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

/** Discord's voice close codes, with the reasons its documentation gives. */
const CLOSE_REASONS: Record<number, string> = {
  4001: 'Unknown opcode',
  4002: 'Failed to decode payload',
  4003: 'Not authenticated',
  4004: 'Authentication failed',
  4005: 'Already authenticated',
  4006: 'Session no longer valid',
  4009: 'Session timeout',
  4011: 'Server not found',
  4012: 'Unknown protocol',
  4014: 'Disconnected',
  4015: 'Voice server crashed',
  4016: 'Unknown encryption mode',
  4017: 'E2EE/DAVE protocol required',
  4020: 'Bad request',
  4021: 'Disconnected: rate limited',
  4022: 'Disconnected: call terminated',
};

/** The trailing silence frames a player sends (its default): speaking stops after them. */
const TRAILING_SILENCE = 5;

/** One prepare-then-dispatch batch per scheduler: its players' packets go out together at the end of each tick. */
const batches = new WeakMap<FrameScheduler, DispatchBatch>();

let groups = 0;

/** A guild's voice connection, joined and moved from Lavalink voice states. */
class DiscordVoiceLink implements VoiceLink {
  state: VoiceStateJson | null = null;
  readonly #context: VoiceLinkContext;
  readonly #module: Promise<VoiceModule | null>;
  readonly #group = `spence-serve-${++groups}`;
  readonly #batch: DispatchBatch;
  #connection: Connection | null = null;
  #methods: AdapterMethods | null = null;
  #output: VoiceOutput | null = null;
  #link: OutputLink | null = null;
  #silence = 0;
  #destroyed = false;

  constructor(context: VoiceLinkContext, module: Promise<VoiceModule | null>) {
    this.#context = context;
    this.#module = module;
    const scheduler = context.player.scheduler;
    let batch = batches.get(scheduler);
    if (batch === undefined) batches.set(scheduler, (batch = new DispatchBatch()));
    this.#batch = batch;
    context.player.on('frame', this.#onFrame);
    context.player.on('underrun', this.#onUnderrun);
  }

  get connected(): boolean {
    return this.#output?.state.status === 'ready';
  }

  get ping(): number {
    const ws = this.connected ? this.#connection?.ping.ws : undefined;
    return ws === undefined ? -1 : Math.round(ws);
  }

  frames(): VoiceFrames {
    const stats = this.#link?.stats;
    return { sent: stats?.sent ?? 0, nulled: stats?.nulled ?? 0 };
  }

  update(state: VoiceStateJson): void {
    const old = this.state;
    this.state = { ...state };
    const live = this.#connection !== null && this.#connection.state.status !== 'destroyed';
    if (live && old !== null && old.token === state.token && old.endpoint === state.endpoint && old.sessionId === state.sessionId && old.channelId === state.channelId) return;
    void this.#apply(this.state);
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#context.player.off('frame', this.#onFrame);
    this.#context.player.off('underrun', this.#onUnderrun);
    this.#output?.close?.();
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
        newState.networking.once('close', (code) => this.#closed({ code, reason: CLOSE_REASONS[code] ?? '', byRemote: true }));
      }
    });
    this.#output?.close?.();
    const output = createDiscordJsOutput(connection);
    this.#output = output;
    this.#link = new OutputLink(output);
    // The player holds its place while the connection cannot send (joining, moving, resuming).
    this.#context.hold(true);
    output.subscribe((_old, next) => this.#context.hold(next.status !== 'ready'));
  }

  #closed(close: VoiceClose): void {
    if (!this.#destroyed) this.#context.onClose(close);
  }

  /** Slots the player had nothing for while it played into a ready connection: Lavalink's `nulled`. */
  readonly #onUnderrun = (event: UnderrunEvent): void => {
    if (this.#link !== null && this.connected) this.#link.stats.nulled += event.frames;
  };

  readonly #onFrame = (frame: FrameEvent): void => {
    const link = this.#link;
    if (link === null) return;
    const { packet } = frame;
    this.#batch.send(link, packet.data, packet.durationMs);
    if (!frame.silence) this.#silence = 0;
    else if (++this.#silence === TRAILING_SILENCE) link.output.setSpeaking(false);
  };
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
