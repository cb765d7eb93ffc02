/**
 * Outbound URL policy: only http(s), and never to loopback, private, link-local, unique-local or other
 * special-purpose addresses (the IANA registries, see `special-addresses.ts`) unless the node allows
 * them. Checked on the resolved IP addresses, so a public-looking hostname that resolves to
 * 127.0.0.1 is refused too. Messages name URLs redacted: no query, fragment or credentials.
 *
 * @module
 */

import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ErrorCodes, SpenceError, throwIfAborted, toSpenceError } from '../errors.js';
import type { CallOptions, UrlGuard } from '../resolve/provider.js';
import { redact } from '../redact.js';
import { classifyAddress } from './special-addresses.js';
import { invalidUrlReason } from './url-syntax.js';

/** A resolved address. */
export interface LookupAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to every address it has; defaults to the system resolver (`dns.lookup`). */
export type HostLookup = (hostname: string) => Promise<LookupAddress[]>;

/** True when `address` (an IP literal) is one a media URL may not point at; see `special-addresses.ts`. */
export function isForbiddenAddress(address: string): boolean {
  return classifyAddress(address).forbidden;
}

/** The system resolver, every address. */
export const defaultLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Options for {@link createUrlGuard}. */
export interface UrlGuardOptions {
  /** Allow loopback and private addresses (for a self-hosted media server). Default false. */
  allowPrivateAddresses?: boolean;
  /** The resolver to check hostnames with. Default: the system's. */
  lookup?: HostLookup;
}

function forbidden(url: URL, why: string): SpenceError {
  return new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${redact(url)}: ${why}`);
}

/** Creates the node's {@link UrlGuard}. */
export function createUrlGuard(options: UrlGuardOptions = {}): UrlGuard {
  const allowPrivateAddresses = options.allowPrivateAddresses ?? false;
  const lookup = options.lookup ?? defaultLookup;
  return {
    allowPrivateAddresses,
    async check(input: string | URL, callOptions: CallOptions = {}): Promise<URL> {
      let url: URL;
      try {
        url = typeof input === 'string' ? new URL(input) : input;
      } catch {
        // No cause: the parser's error carries the raw input, secrets and all.
        throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a valid URL: ${redact(String(input))} (${invalidUrlReason(String(input))})`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw forbidden(url, `the ${url.protocol} scheme is not allowed (only http and https)`);
      }
      if (url.username || url.password) throw forbidden(url, 'URLs with credentials are not allowed');
      if (allowPrivateAddresses) return url;
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      if (isIP(host)) {
        const verdict = classifyAddress(host);
        if (verdict.forbidden) throw forbidden(url, verdict.reason);
        return url;
      }
      throwIfAborted(callOptions.signal);
      let addresses: LookupAddress[];
      try {
        addresses = await lookup(host);
      } catch (cause) {
        throw toSpenceError(cause, ErrorCodes.NETWORK, `Could not resolve the host ${host}`, callOptions.signal);
      }
      throwIfAborted(callOptions.signal);
      if (addresses.length === 0) throw new SpenceError(ErrorCodes.NETWORK, `The host ${host} has no addresses`);
      for (const { address } of addresses) {
        const verdict = classifyAddress(address);
        if (verdict.forbidden) throw forbidden(url, `${host} resolves to ${address}: ${verdict.reason}`);
      }
      return url;
    },
  };
}
