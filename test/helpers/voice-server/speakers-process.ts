/**
 * A test voice server whose simulated members speak, in a process of its own (for the receive
 * bench: the sender must not share the event loop, or the CPU, it measures). The parent trusts the
 * child's CA and issues tokens with the shared secret (as process.ts does); `call()` makes the
 * members of the latest session speak-ready, and `play()` sends every member's packets, paced at
 * 20 ms, for a while. The same packets each time: two phases of a bench get the same traffic.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { grantToken, testPki, type VoiceGrant, type VoiceServerOptions } from './server.js';
import type { VoiceServerLike } from './adapter.js';
import { request } from './process.js';

/** Messages between the parent and the speakers process. */
export type ToSpeakers =
  | { type: 'start'; options: Omit<VoiceServerOptions, 'pki' | 'secret'>; pki: ReturnType<typeof testPki>; secret: string; file: string }
  | { type: 'call'; members: string[] }
  | { type: 'play'; seconds: number }
  | { type: 'stop' };
export type FromSpeakers =
  | { type: 'started'; endpoint: string }
  | { type: 'ready'; ssrcs: Record<string, number> }
  | { type: 'played'; packets: number; late: number }
  | { type: 'stopped' };

/** The speakers process, from the parent. */
export class SpeakersProcess implements VoiceServerLike {
  readonly #child: ChildProcess;
  readonly #secret: Buffer;
  readonly endpoint: string;

  private constructor(child: ChildProcess, secret: Buffer, endpoint: string) {
    this.#child = child;
    this.#secret = secret;
    this.endpoint = endpoint;
  }

  /** Starts the server (`options.daveMembers` should list the members who will speak) and loads `file`'s Opus packets. */
  static async start(options: Omit<VoiceServerOptions, 'pki' | 'secret'>, file: string): Promise<SpeakersProcess> {
    const secret = randomBytes(32);
    const child = fork(fileURLToPath(new URL('./speakers-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = await ask(child, { type: 'start', options: { keepPayloads: false, ...options }, pki: testPki(), secret: secret.toString('hex'), file }, 'started');
    return new SpeakersProcess(child, secret, started.endpoint);
  }

  allow(grant: VoiceGrant): string {
    return grantToken(this.#secret, grant);
  }

  /** Makes `members` speak-ready in the latest session and announces their SSRCs; returns them. */
  async call(members: string[]): Promise<Record<string, number>> {
    return (await ask(this.#child, { type: 'call', members }, 'ready')).ssrcs;
  }

  /** Every member sends a 20 ms packet every 20 ms for `seconds`; resolves with the packets sent. */
  async play(seconds: number): Promise<{ packets: number; late: number }> {
    return ask(this.#child, { type: 'play', seconds }, 'played');
  }

  async stop(): Promise<void> {
    await ask(this.#child, { type: 'stop' }, 'stopped').catch(() => {});
    this.#child.kill();
  }
}

function ask<T extends FromSpeakers['type']>(child: ChildProcess, message: ToSpeakers, answer: T): Promise<Extract<FromSpeakers, { type: T }>> {
  return request<T, FromSpeakers, ToSpeakers>(child, message, answer);
}
