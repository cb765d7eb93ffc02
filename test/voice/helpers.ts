/**
 * Joining the test voice server with the real @discordjs/voice, for the voice tests.
 */
import { joinVoiceChannel, type VoiceConnection } from '@discordjs/voice';
import { createTestVoiceChannel, type TestVoiceChannel, type VoiceServerLike } from '../helpers/voice-server/index.js';

/** A @discordjs/voice connection to a test server, and the channel it joined. */
export interface TestJoin {
  connection: VoiceConnection;
  channel: TestVoiceChannel;
  errors: Error[];
}

/** Joins a fresh test channel on `server` (DAVE on unless `dave: false`). */
export function joinTestChannel(server: VoiceServerLike, options: { dave?: boolean } = {}): TestJoin {
  const channel = createTestVoiceChannel(server);
  const connection = joinVoiceChannel({
    guildId: channel.guildId,
    channelId: channel.channelId,
    adapterCreator: channel.adapterCreator,
    daveEncryption: options.dave ?? true,
    // A unique group per join: @discordjs/voice keeps one connection per guild and group.
    group: `${channel.guildId}-${channel.channelId}`,
  });
  const errors: Error[] = [];
  connection.on('error', (error) => errors.push(error));
  return { connection, channel, errors };
}

/** Resolves when `predicate` holds, checking after each of `emitter`'s `event`s (and now). */
export function until(check: () => boolean, subscribe: (wake: () => void) => () => void, timeoutMs = 10_000, what = 'a condition'): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    unsubscribe = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

/** The hex of a byte array (for readable comparisons). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Resolves once `check()` holds, looking every few ms (for state another socket's message changes). */
export async function eventually(check: () => boolean, timeoutMs = 5_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
