/**
 * The test voice server in a process of its own (for the voice bench: the receiver must not share
 * the event loop it measures). {@link startVoiceServerProcess} forks `child.ts` over IPC; the
 * parent trusts the child's CA, issues tokens with the shared secret, and asks for statistics of
 * what the server received.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { grantToken, testPki, type VoiceGrant, type VoiceServerOptions } from './server.js';
import type { VoiceServerLike } from './adapter.js';

/** What the server process measured over the packets it received (since the last reset). */
export interface ReceiveStats {
  packets: number;
  sessions: number;
  /** Sequence numbers missing within each session (gaps), summed. */
  lost: number;
  /** Packets that arrived with a sequence number already seen in their session. */
  duplicates: number;
  /** Packets that did not decrypt or came from no session. */
  rejected: number;
  /** Inter-arrival time between consecutive packets of a session, ms: p50, p99, max. */
  interArrival: { p50: number; p99: number; max: number };
  /** Errors the server noted. */
  errors: string[];
}

/** What the server process's gateway saw since it started, for a bench to tell where connections stop. */
export interface GatewayStats {
  /** Identify (op 0) and Select Protocol (op 1) messages received. */
  identified: number;
  selectedProtocol: number;
  /** Sessions whose DAVE group took the bot's commit (the listener joined). */
  daveReady: number;
  /** Client WebSocket closes and refused Identify/Resume, by close code. */
  closes: Record<string, number>;
  refused: Record<string, number>;
  /** The process's CPU time so far, ms. */
  cpu: number;
  /** Its event loop's delay since the last ask, ms. */
  loopDelay: { p99: number; max: number };
}

/** Messages between the parent and the server process. */
export type ToChild =
  | { type: 'start'; options: Omit<VoiceServerOptions, 'pki' | 'secret'>; pki: ReturnType<typeof testPki>; secret: string }
  | { type: 'stats' }
  | { type: 'gateway' }
  | { type: 'reset' }
  | { type: 'stop' };
export type FromChild = { type: 'started'; endpoint: string } | { type: 'stats'; stats: ReceiveStats } | { type: 'gateway'; stats: GatewayStats } | { type: 'reset' } | { type: 'stopped' };

/** A test voice server running in another process. */
export class RemoteVoiceServer implements VoiceServerLike {
  readonly #child: ChildProcess;
  readonly #secret: Buffer;
  readonly endpoint: string;

  private constructor(child: ChildProcess, secret: Buffer, endpoint: string) {
    this.#child = child;
    this.#secret = secret;
    this.endpoint = endpoint;
  }

  /** @internal */
  static async start(options: Omit<VoiceServerOptions, 'pki' | 'secret'>): Promise<RemoteVoiceServer> {
    const secret = randomBytes(32);
    const child = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const started = await request(child, { type: 'start', options: { keepPayloads: false, ...options }, pki: testPki(), secret: secret.toString('hex') }, 'started');
    return new RemoteVoiceServer(child, secret, started.endpoint);
  }

  allow(grant: VoiceGrant): string {
    return grantToken(this.#secret, grant);
  }

  /** What the server received since it started or was last reset. */
  async stats(): Promise<ReceiveStats> {
    return (await request(this.#child, { type: 'stats' }, 'stats')).stats;
  }

  /** What the gateway saw since the server started, its CPU time, and its event loop's delay since the last ask. */
  async gateway(): Promise<GatewayStats> {
    return (await request(this.#child, { type: 'gateway' }, 'gateway')).stats;
  }

  /** Forgets the packets received so far (sessions stay). */
  async reset(): Promise<void> {
    await request(this.#child, { type: 'reset' }, 'reset');
  }

  /** Stops the server and its process. */
  async stop(): Promise<void> {
    await request(this.#child, { type: 'stop' }, 'stopped').catch(() => {});
    this.#child.kill();
  }
}

/** Sends `message` to a child process and resolves with its first reply of type `answer` (`Reply`: the child's replies). */
export function request<T extends Reply['type'], Reply extends { type: string } = FromChild, Message extends { type: string } = ToChild>(child: ChildProcess, message: Message, answer: T): Promise<Extract<Reply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      if (reply.type !== answer) return;
      cleanup();
      resolve(reply as Extract<Reply, { type: T }>);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the voice server process exited (${code}) before answering ${message.type}`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });
}

/** Starts a test voice server in a child process (the parent's TLS clients trust it). */
export function startVoiceServerProcess(options: Omit<VoiceServerOptions, 'pki' | 'secret'> = {}): Promise<RemoteVoiceServer> {
  return RemoteVoiceServer.start(options);
}
