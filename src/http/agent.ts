/**
 * The undici agent media bytes travel through: pooled keep-alive connections, connect and idle
 * timeouts, and the address policy enforced again at connect time, so a hostname that passed the
 * check and then re-resolves to a private address (DNS rebinding) is still refused.
 *
 * @module
 */

import type { LookupAddress as DnsLookupAddress, LookupOptions } from 'node:dns';
import { createRequire } from 'node:module';
import type { Agent } from 'undici';
import type * as Undici from 'undici';
import { checkInteger, checkNumber } from './options.js';
import { defaultLookup, isForbiddenAddress } from './url-guard.js';
import type { HostLookup } from './url-guard.js';

/** Options for `createMediaAgent`. */
export interface MediaAgentOptions {
  /** Allow loopback and private addresses. Default false. */
  allowPrivateAddresses?: boolean;
  /** Connect timeout in ms. Default 10 s. */
  connectTimeoutMs?: number;
  /** How long an idle keep-alive socket stays pooled, in ms. Default 30 s. */
  keepAliveTimeoutMs?: number;
  /**
   * Time without body bytes on a socket that is not paused by backpressure before undici fails the
   * response, in ms. Default 15 s. A backstop: `createHttpMedia` times stalls itself, more finely
   * (undici's timers tick at about 0.5 s), and resumes them.
   */
  bodyTimeoutMs?: number;
  /** Time to wait for response headers, in ms. Default 15 s. */
  headersTimeoutMs?: number;
  /** Connections per origin. Default 16. */
  connections?: number;
  /** The resolver; default the system's. */
  lookup?: HostLookup;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | DnsLookupAddress[], family?: number) => void;

/** A `net.connect` lookup that refuses forbidden addresses after resolving. */
function guardedLookup(lookup: HostLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname).then(
      (list) => {
        const bad = list.find((a) => isForbiddenAddress(a.address));
        if (bad) {
          const error = new Error(`Refused to connect to ${hostname}: it resolves to ${bad.address}, a private or reserved address`) as NodeJS.ErrnoException;
          error.code = 'ERR_SPENCE_FORBIDDEN_ADDRESS';
          return callback(error, '');
        }
        const wanted = options.family === 4 || options.family === 6 ? list.filter((a) => a.family === options.family) : list;
        if (options.all) return callback(null, wanted as DnsLookupAddress[]);
        const first = wanted[0];
        if (!first) return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * Checks the agent's options (a node does when it is made; its agent comes with its first request).
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` for an option out of its bounds (the message names it).
 */
export function checkMediaAgentOptions(options: MediaAgentOptions): void {
  const owner = 'http';
  checkInteger(owner, 'connections', options.connections, 1);
  checkNumber(owner, 'connectTimeoutMs', options.connectTimeoutMs, 1);
  checkNumber(owner, 'keepAliveTimeoutMs', options.keepAliveTimeoutMs, 1);
  checkNumber(owner, 'bodyTimeoutMs', options.bodyTimeoutMs, 0);
  checkNumber(owner, 'headersTimeoutMs', options.headersTimeoutMs, 0);
}

/**
 * Creates the pooled agent for media requests. Call `close()` on it when done.
 *
 * @throws {SpenceError} `INVALID_ARGUMENT` for an option out of its bounds (the message names it).
 */
export function createMediaAgent(options: MediaAgentOptions = {}): Agent {
  checkMediaAgentOptions(options);
  // undici (CommonJS) is loaded here, by the first agent, not when this module is: importing it
  // is most of the package's import time, and a node makes its agent on its first request.
  const { Agent } = createRequire(import.meta.url)('undici') as typeof Undici;
  return new Agent({
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 15_000,
    headersTimeout: options.headersTimeoutMs ?? 15_000,
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      ...(options.allowPrivateAddresses ? {} : { lookup: guardedLookup(options.lookup ?? defaultLookup) as never }),
    },
  });
}
