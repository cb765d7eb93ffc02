/**
 * Why a URL does not parse. The WHATWG parser (`new URL`) only says "Invalid URL"; a person who
 * pasted `https://cdn.example.com/my song.webm` deserves to hear that the space is the problem.
 * The reasons never quote the URL itself (it may carry secrets); callers name it through `redact`.
 *
 * @module
 */

import { isIP } from 'node:net';

/** The largest TCP port (RFC 793 §3.1: 16 bits). */
const MAX_PORT = 65_535;

/** An input that starts with `scheme://` (RFC 3986 §3.1, §3.2): an address, never a search. */
export function hasAuthorityScheme(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input);
}

/**
 * For a string that `new URL` refuses (or accepts only by rewriting it), why: "it contains a
 * space", "the IPv6 address has no closing bracket", "the port 99999 is out of range (0-65535)"...
 * Falls back to a general reason when none of the usual faults is found.
 */
export function invalidUrlReason(input: string): string {
  if (/\s/.test(input)) return 'it contains a space or other whitespace, which a URL cannot hold (write %20)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) return 'it contains a control character';
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(input)?.[1];
  if (authority === undefined) return 'it is not a URL the WHATWG URL parser accepts';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort === '') return 'it has no host';
  let port: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return 'the IPv6 address has no closing bracket';
    const literal = hostPort.slice(1, close);
    if (isIP(literal) !== 6) return `the bracketed host is not an IPv6 address`;
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return 'the IPv6 address is followed by something other than a port';
    port = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    port = colon === -1 ? undefined : hostPort.slice(colon + 1);
    if (host === '') return 'it has no host';
    if (host.includes(']')) return 'the host has a closing bracket without an opening one';
    if (/[<>^|%"`{}\\]/.test(host)) return 'the host has characters a host name cannot have';
  }
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port)) return 'the port is not a number';
    if (Number(port) > MAX_PORT) return `the port ${port.length > 10 ? `${port.slice(0, 10)}...` : port} is out of range (0-${MAX_PORT})`;
  }
  return 'it is not a URL the WHATWG URL parser accepts';
}
