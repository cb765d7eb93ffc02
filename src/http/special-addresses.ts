/**
 * Which IP addresses a media URL may point at, from the IANA registries: the IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890, updated by RFC 8190: an entry whose "Globally
 * Reachable" is false or N/A is not on the public internet) and the IPv6 Address Space registry
 * (global unicast is 2000::/3; everything else is reserved, local or multicast).
 *
 * One table per family; the most specific entry that contains an address decides. Some IPv6 forms
 * carry an IPv4 address inside them (IPv4-mapped and -translated, 6to4); for those the embedded
 * IPv4 address is checked against the IPv4 table, so `[::ffff:127.0.0.1]` and `[2002:7f00:1::]`
 * are loopback as surely as `127.0.0.1` is.
 *
 * Registries: https://www.iana.org/assignments/iana-ipv4-special-registry,
 * https://www.iana.org/assignments/iana-ipv6-special-registry,
 * https://www.iana.org/assignments/ipv6-address-space.
 *
 * @module
 */

import { isIP } from 'node:net';

/** What an entry says about the addresses it holds. */
type Verdict =
  /** Public: may be connected to. */
  | { allow: true }
  /** Not globally reachable (or reserved): refused. */
  | { allow: false }
  /** An IPv6 form with an IPv4 address at this bit offset: the IPv4 address decides. */
  | { embedsIPv4At: number };

interface Entry {
  /** The block, as the registry writes it. */
  block: string;
  /** What the block is, for messages. */
  name: string;
  /** The reference the registry gives. */
  rfc: string;
  verdict: Verdict;
}

const ALLOW: Verdict = { allow: true };
const REFUSE: Verdict = { allow: false };

/**
 * IPv4. Addresses in no entry are public. Entries whose "Globally Reachable" is true (anycast
 * services, AS112) are public too and appear only where they sit inside a refused block.
 */
const IPV4: readonly Entry[] = [
  { block: '0.0.0.0/8', name: 'a "this network" address', rfc: 'RFC 791 §3.2', verdict: REFUSE },
  { block: '10.0.0.0/8', name: 'a private address', rfc: 'RFC 1918', verdict: REFUSE },
  { block: '100.64.0.0/10', name: 'a shared (carrier-grade NAT) address', rfc: 'RFC 6598', verdict: REFUSE },
  { block: '127.0.0.0/8', name: 'a loopback address', rfc: 'RFC 1122 §3.2.1.3', verdict: REFUSE },
  { block: '169.254.0.0/16', name: 'a link-local address (cloud metadata lives here)', rfc: 'RFC 3927', verdict: REFUSE },
  { block: '172.16.0.0/12', name: 'a private address', rfc: 'RFC 1918', verdict: REFUSE },
  { block: '192.0.0.0/24', name: 'an IETF protocol assignment', rfc: 'RFC 6890 §2.1', verdict: REFUSE },
  { block: '192.0.0.9/32', name: 'the Port Control Protocol anycast address', rfc: 'RFC 7723', verdict: ALLOW },
  { block: '192.0.0.10/32', name: 'the TURN anycast address', rfc: 'RFC 8155', verdict: ALLOW },
  { block: '192.0.2.0/24', name: 'a documentation address (TEST-NET-1)', rfc: 'RFC 5737', verdict: REFUSE },
  { block: '192.88.99.0/24', name: 'a deprecated 6to4 relay anycast address', rfc: 'RFC 7526', verdict: REFUSE },
  { block: '192.168.0.0/16', name: 'a private address', rfc: 'RFC 1918', verdict: REFUSE },
  { block: '198.18.0.0/15', name: 'a benchmarking address', rfc: 'RFC 2544', verdict: REFUSE },
  { block: '198.51.100.0/24', name: 'a documentation address (TEST-NET-2)', rfc: 'RFC 5737', verdict: REFUSE },
  { block: '203.0.113.0/24', name: 'a documentation address (TEST-NET-3)', rfc: 'RFC 5737', verdict: REFUSE },
  // Not in the special-purpose registry but in the multicast one: never a media server.
  { block: '224.0.0.0/4', name: 'a multicast address', rfc: 'RFC 5771', verdict: REFUSE },
  { block: '240.0.0.0/4', name: 'a reserved address', rfc: 'RFC 1112 §4', verdict: REFUSE },
  { block: '255.255.255.255/32', name: 'the limited broadcast address', rfc: 'RFC 919 §7, RFC 8190', verdict: REFUSE },
];

/**
 * IPv6. Addresses in no entry are refused: only global unicast (2000::/3) is public, minus the
 * special-purpose blocks inside it that are not globally reachable. The blocks outside 2000::/3 are
 * listed where they matter (the forms that embed IPv4) or for the message they give.
 */
const IPV6: readonly Entry[] = [
  { block: '2000::/3', name: 'a global unicast address', rfc: 'RFC 4291 §2.4', verdict: ALLOW },
  { block: '::/128', name: 'the unspecified address', rfc: 'RFC 4291 §2.5.2', verdict: REFUSE },
  { block: '::1/128', name: 'the loopback address', rfc: 'RFC 4291 §2.5.3', verdict: REFUSE },
  // Written `[::127.0.0.1]`, which WHATWG URL parsing turns into `[::7f00:1]`. Deprecated: refused
  // whatever it embeds.
  { block: '::/96', name: 'an IPv4-compatible IPv6 address (deprecated)', rfc: 'RFC 4291 §2.5.5.1', verdict: REFUSE },
  { block: '::ffff:0:0/96', name: 'an IPv4-mapped IPv6 address', rfc: 'RFC 4291 §2.5.5.2', verdict: { embedsIPv4At: 96 } },
  { block: '64:ff9b::/96', name: 'an IPv4/IPv6 translation address', rfc: 'RFC 6052 §2.1', verdict: { embedsIPv4At: 96 } },
  { block: '64:ff9b:1::/48', name: 'a local-use IPv4/IPv6 translation address', rfc: 'RFC 8215', verdict: REFUSE },
  { block: '100::/64', name: 'a discard-only address', rfc: 'RFC 6666', verdict: REFUSE },
  { block: '100:0:0:1::/64', name: 'a dummy IPv6 prefix address', rfc: 'RFC 9780', verdict: REFUSE },
  { block: '2001::/23', name: 'an IETF protocol assignment', rfc: 'RFC 2928', verdict: REFUSE },
  // Teredo embeds its server's IPv4 address and its client's, obscured; "Globally Reachable: N/A".
  { block: '2001::/32', name: 'a Teredo address', rfc: 'RFC 4380, RFC 8190', verdict: REFUSE },
  { block: '2001:1::1/128', name: 'the Port Control Protocol anycast address', rfc: 'RFC 7723', verdict: ALLOW },
  { block: '2001:1::2/128', name: 'the TURN anycast address', rfc: 'RFC 8155', verdict: ALLOW },
  { block: '2001:1::3/128', name: 'the DNS-SD service registration anycast address', rfc: 'RFC 9665', verdict: ALLOW },
  { block: '2001:2::/48', name: 'a benchmarking address', rfc: 'RFC 5180', verdict: REFUSE },
  { block: '2001:3::/32', name: 'an AMT address', rfc: 'RFC 7450', verdict: ALLOW },
  { block: '2001:4:112::/48', name: 'an AS112-v6 address', rfc: 'RFC 7535', verdict: ALLOW },
  { block: '2001:10::/28', name: 'a deprecated ORCHID address', rfc: 'RFC 4843', verdict: REFUSE },
  { block: '2001:20::/28', name: 'an ORCHIDv2 address', rfc: 'RFC 7343', verdict: ALLOW },
  { block: '2001:30::/28', name: 'a DRIP entity tag', rfc: 'RFC 9374', verdict: ALLOW },
  { block: '2001:db8::/32', name: 'a documentation address', rfc: 'RFC 3849', verdict: REFUSE },
  { block: '2002::/16', name: 'a 6to4 address', rfc: 'RFC 3056 §2', verdict: { embedsIPv4At: 16 } },
  { block: '3fff::/20', name: 'a documentation address', rfc: 'RFC 9637', verdict: REFUSE },
  { block: '5f00::/16', name: 'a segment routing (SRv6) SID', rfc: 'RFC 9602', verdict: REFUSE },
  { block: 'fc00::/7', name: 'a unique-local address', rfc: 'RFC 4193', verdict: REFUSE },
  { block: 'fe80::/10', name: 'a link-local address', rfc: 'RFC 4291 §2.5.6', verdict: REFUSE },
  { block: 'fec0::/10', name: 'a site-local address (deprecated)', rfc: 'RFC 3879', verdict: REFUSE },
  { block: 'ff00::/8', name: 'a multicast address', rfc: 'RFC 4291 §2.7', verdict: REFUSE },
];

/** An entry with its block parsed into bytes and a prefix length. */
interface Block extends Entry {
  bytes: Uint8Array;
  bits: number;
}

function compile(entries: readonly Entry[], parse: (address: string) => Uint8Array): Block[] {
  return entries
    .map((entry) => {
      const [address, bits] = entry.block.split('/') as [string, string];
      return { ...entry, bytes: parse(address), bits: Number(bits) };
    })
    // Most specific first: the first block that contains an address is the one that decides.
    .sort((a, b) => b.bits - a.bits);
}

/** The 4 bytes of a dotted-quad IPv4 address (already validated by `net.isIP`). */
function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.'), Number);
}

/** The 16 bytes of an IPv6 address (already validated by `net.isIP`), zone id dropped. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.replace(/%.*$/, '').toLowerCase();
  // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups (RFC 4291 §2.2, form 3).
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** True when the first `bits` bits of `address` equal those of `block`. */
function within(address: Uint8Array, block: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== block[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === (block[whole]! & mask);
}

const V4 = compile(IPV4, ipv4Bytes);
const V6 = compile(IPV6, ipv6Bytes);

/** What {@link classifyAddress} found. */
export interface AddressVerdict {
  /** True when a media URL may not point at the address. */
  forbidden: boolean;
  /** Why, for a message: "127.0.0.1 is a loopback address (RFC 1122 §3.2.1.3)". */
  reason: string;
}

function classifyV4(bytes: Uint8Array, shown: string): AddressVerdict {
  const entry = V4.find((block) => within(bytes, block.bytes, block.bits));
  if (entry === undefined || 'embedsIPv4At' in entry.verdict) return { forbidden: false, reason: `${shown} is a public address` };
  return { forbidden: !entry.verdict.allow, reason: `${shown} is ${entry.name} (${entry.rfc})` };
}

/** Classifies an IP literal (IPv4, or IPv6 with or without brackets and zone). Anything else is forbidden. */
export function classifyAddress(address: string): AddressVerdict {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return classifyV4(ipv4Bytes(bare), bare);
  if (family !== 6) return { forbidden: true, reason: `${bare} is not an IP address` };
  const bytes = ipv6Bytes(bare);
  const entry = V6.find((block) => within(bytes, block.bytes, block.bits));
  if (entry === undefined) return { forbidden: true, reason: `${bare} is outside IPv6 global unicast (2000::/3, RFC 4291 §2.4)` };
  const verdict = entry.verdict;
  if ('embedsIPv4At' in verdict) {
    const start = verdict.embedsIPv4At >> 3;
    const v4 = bytes.subarray(start, start + 4);
    const inner = classifyV4(v4, v4.join('.'));
    return { forbidden: inner.forbidden, reason: `${bare} is ${entry.name} (${entry.rfc}) of ${inner.reason}` };
  }
  return { forbidden: !verdict.allow, reason: `${bare} is ${entry.name} (${entry.rfc})` };
}
