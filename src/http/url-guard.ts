/**
 * Outbound URL policy: only http(s), and never to loopback, private, link-local, unique-local or other
 * special-purpose addresses unless the node allows them. Checked on the resolved IP addresses, so a
 * public-looking hostname that resolves to 127.0.0.1 is refused too.
 *
 * @module
 */

import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ErrorCodes, SpenceError, throwIfAborted, toSpenceError } from '../errors.js';
import type { CallOptions, UrlGuard } from '../resolve/provider.js';

/** A resolved address. */
export interface LookupAddress {
  address: string;
  family: number;
}

/** Resolves a hostname to every address it has; defaults to the system resolver (`dns.lookup`). */
export type HostLookup = (hostname: string) => Promise<LookupAddress[]>;

/**
 * Addresses refused by default: special-purpose ranges from the IANA registries
 * (RFC 6890 and its updates) that a public media URL never legitimately points at.
 */
function createBlockList(): BlockList {
  const list = new BlockList();
  const v4: [string, number][] = [
    ['0.0.0.0', 8], // "this network" (RFC 791)
    ['10.0.0.0', 8], // private (RFC 1918)
    ['100.64.0.0', 10], // shared address space / CGNAT (RFC 6598)
    ['127.0.0.0', 8], // loopback (RFC 1122)
    ['169.254.0.0', 16], // link-local, cloud metadata lives here (RFC 3927)
    ['172.16.0.0', 12], // private (RFC 1918)
    ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
    ['192.0.2.0', 24], // documentation (RFC 5737)
    ['192.168.0.0', 16], // private (RFC 1918)
    ['198.18.0.0', 15], // benchmarking (RFC 2544)
    ['198.51.100.0', 24], // documentation
    ['203.0.113.0', 24], // documentation
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
  ];
  for (const [address, prefix] of v4) list.addSubnet(address, prefix, 'ipv4');
  const v6: [string, number][] = [
    ['::', 128], // unspecified
    ['::1', 128], // loopback (RFC 4291)
    ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
    ['100::', 64], // discard-only (RFC 6666)
    ['2001:db8::', 32], // documentation (RFC 3849)
    ['fc00::', 7], // unique-local (RFC 4193)
    ['fe80::', 10], // link-local (RFC 4291)
    ['ff00::', 8], // multicast
  ];
  for (const [address, prefix] of v6) list.addSubnet(address, prefix, 'ipv6');
  return list;
}

const blockList = createBlockList();

/** Extracts the IPv4 address embedded in an IPv4-mapped, -compatible or NAT64 IPv6 address, if any. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

/** True when `address` (an IP literal) is in a refused range. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return blockList.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIPv4(bare);
    if (v4 !== null) return blockList.check(v4, 'ipv4');
    return blockList.check(bare.replace(/%.*$/, ''), 'ipv6');
  }
  return true; // not an IP at all: refuse rather than guess
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

function forbidden(url: URL | string, why: string): SpenceError {
  return new SpenceError(ErrorCodes.FORBIDDEN_URL, `Refused ${String(url)}: ${why}`);
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
      } catch (cause) {
        throw new SpenceError(ErrorCodes.UNSUPPORTED_INPUT, `Not a valid URL: ${String(input)}`, { cause });
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw forbidden(url, `the ${url.protocol} scheme is not allowed (only http and https)`);
      }
      if (url.username || url.password) throw forbidden(url.origin, 'URLs with credentials are not allowed');
      if (allowPrivateAddresses) return url;
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      if (isIP(host)) {
        if (isForbiddenAddress(host)) throw forbidden(url, `${host} is a loopback, private or reserved address`);
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
        if (isForbiddenAddress(address)) {
          throw forbidden(url, `${host} resolves to ${address}, a loopback, private or reserved address`);
        }
      }
      return url;
    },
  };
}
