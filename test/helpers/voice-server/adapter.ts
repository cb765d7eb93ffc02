/**
 * A `DiscordGatewayAdapterCreator` for tests: what discord.js's guild adapter does with the main
 * gateway, done against a voice server. When @discordjs/voice sends a voice state update
 * (op 4) to join, it answers as Discord would: a VOICE_STATE_UPDATE (the session ID) and a
 * VOICE_SERVER_UPDATE (a token the server accepts and its endpoint). {@link TestVoiceChannel.moveTo}
 * sends a VOICE_SERVER_UPDATE for another server, as Discord does when it moves a call.
 */
import { randomBytes } from 'node:crypto';
import type { DiscordGatewayAdapterCreator, DiscordGatewayAdapterLibraryMethods } from '@discordjs/voice';
import type { VoiceGrant } from './server.js';

/** What the adapter needs of a voice server: its endpoint and tokens (a `VoiceServer`, or one in another process). */
export interface VoiceServerLike {
  readonly endpoint: string;
  allow(grant: VoiceGrant): string;
}

/** The IDs of a test guild, channel and bot user. */
export interface TestVoiceIds {
  guildId?: string;
  channelId?: string;
  userId?: string;
}

/** A guild voice channel the test controls. */
export interface TestVoiceChannel {
  readonly guildId: string;
  readonly channelId: string;
  readonly userId: string;
  /** Pass to `joinVoiceChannel({ adapterCreator })`. */
  readonly adapterCreator: DiscordGatewayAdapterCreator;
  /** The op 4 payloads @discordjs/voice sent to the "main gateway", in order. */
  readonly payloads: { op: number; d: { guild_id: string; channel_id: string | null; self_deaf: boolean; self_mute: boolean } }[];
  /** The server joins go to. */
  server: VoiceServerLike;
  /** Moves the call to `server`: a VOICE_SERVER_UPDATE with its endpoint and a new token. */
  moveTo(server: VoiceServerLike): void;
}

let counter = 0;
function snowflake(): string {
  return String(100000000000000000n + BigInt(Date.now()) * 1000n + BigInt(counter++ % 1000));
}

/** Creates a test channel whose joins are answered by `server`. */
export function createTestVoiceChannel(server: VoiceServerLike, ids: TestVoiceIds = {}): TestVoiceChannel {
  const guildId = ids.guildId ?? snowflake();
  const channelId = ids.channelId ?? snowflake();
  const userId = ids.userId ?? snowflake();
  let methods: DiscordGatewayAdapterLibraryMethods | null = null;
  const sessionId = randomBytes(16).toString('hex');

  const serverUpdate = (target: VoiceServerLike) => {
    const token = target.allow({ guildId, channelId, userId, sessionId });
    methods?.onVoiceServerUpdate({ token, guild_id: guildId, endpoint: target.endpoint });
  };

  const channel: TestVoiceChannel = {
    guildId,
    channelId,
    userId,
    payloads: [],
    server,
    moveTo(target) {
      channel.server = target;
      serverUpdate(target);
    },
    adapterCreator: (libraryMethods) => {
      methods = libraryMethods;
      return {
        sendPayload(payload: TestVoiceChannel['payloads'][number]) {
          channel.payloads.push(payload);
          if (payload.op !== 4 || payload.d.channel_id === null) return true;
          // Discord answers a join with the voice state, then the voice server (asynchronously).
          setImmediate(() => {
            methods?.onVoiceStateUpdate({
              guild_id: guildId,
              channel_id: channelId,
              user_id: userId,
              session_id: sessionId,
              deaf: false,
              mute: false,
              self_deaf: payload.d.self_deaf,
              self_mute: payload.d.self_mute,
              self_video: false,
              suppress: false,
              request_to_speak_timestamp: null,
            } as Parameters<DiscordGatewayAdapterLibraryMethods['onVoiceStateUpdate']>[0]);
            serverUpdate(channel.server);
          });
          return true;
        },
        destroy() {
          methods = null;
        },
      };
    },
  };
  return channel;
}
