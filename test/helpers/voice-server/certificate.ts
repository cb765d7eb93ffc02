/**
 * A test certificate authority and a server certificate for 127.0.0.1, made at test time (no
 * openssl, no files), and a way for this process to trust the CA without turning verification
 * off: @discordjs/voice's `ws` connects to `wss://<endpoint>` with the default CA store, so the
 * test CA is added to that store (`tls.setDefaultCACertificates`, Node >= 22.19 / 24.5).
 *
 * The DER encoding follows RFC 5280 §4.1 (Certificate, TBSCertificate) and X.690 (DER); the keys
 * are P-256 and the signatures ECDSA with SHA-256 (RFC 5758 §3.2).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import tls from 'node:tls';

/** A certificate and its private key, both PEM. */
export interface TestCertificate {
  cert: string;
  key: string;
}

/** The CA and the server certificate it signed. */
export interface TestPki {
  ca: TestCertificate;
  server: TestCertificate;
}

// X.690 tags.
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const UTF8_STRING = 0x0c;
const SEQUENCE = 0x30;
const SET = 0x31;
const UTC_TIME = 0x17;
const BOOLEAN = 0x01;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), length(body.length), body]);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const groups: number[] = [];
    let v = part;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i]! |= 0x80;
    bytes.push(...groups);
  }
  return tlv(OID, Buffer.from(bytes));
}

/** A positive INTEGER from unsigned big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  return tlv(INTEGER, bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes);
}

function name(commonName: string): Buffer {
  return tlv(SEQUENCE, tlv(SET, tlv(SEQUENCE, oid('2.5.4.3'), tlv(UTF8_STRING, Buffer.from(commonName)))));
}

function time(date: Date): Buffer {
  // UTCTime YYMMDDHHMMSSZ, as RFC 5280 §4.1.2.5 requires for dates through 2049.
  const text = date.toISOString().slice(2).replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  return tlv(UTC_TIME, Buffer.from(text));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return tlv(SEQUENCE, oid(id), ...(critical ? [tlv(BOOLEAN, Buffer.of(0xff))] : []), tlv(OCTET_STRING, value));
}

/** A random positive serial whose DER is minimal (no leading zero byte; RFC 5280 §4.1.2.2). */
function serialNumber(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

const ECDSA_WITH_SHA256 = tlv(SEQUENCE, oid('1.2.840.10045.4.3.2'));

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function certificate(options: {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signer: KeyObject;
  issuerKeyId: Buffer;
  isCa: boolean;
}): string {
  const now = Date.now();
  const extensions = [
    extension('2.5.29.19', true, tlv(SEQUENCE, ...(options.isCa ? [tlv(BOOLEAN, Buffer.of(0xff))] : []))),
    // keyUsage: keyCertSign (bit 5) for the CA, digitalSignature (bit 0) for the server.
    extension('2.5.29.15', true, options.isCa ? tlv(BIT_STRING, Buffer.of(1, 0x04)) : tlv(BIT_STRING, Buffer.of(7, 0x80))),
    extension('2.5.29.14', false, tlv(OCTET_STRING, keyId(options.publicKey))),
    extension('2.5.29.35', false, tlv(SEQUENCE, tlv(0x80, options.issuerKeyId))),
  ];
  if (!options.isCa) {
    // subjectAltName: iPAddress 127.0.0.1 ([7]) and dNSName localhost ([2]).
    extensions.push(extension('2.5.29.17', false, tlv(SEQUENCE, tlv(0x87, Buffer.of(127, 0, 0, 1)), tlv(0x82, Buffer.from('localhost')))));
  }
  const tbs = tlv(
    SEQUENCE,
    tlv(0xa0, integer(Buffer.of(2))),
    integer(serialNumber()),
    ECDSA_WITH_SHA256,
    name(options.issuer),
    tlv(SEQUENCE, time(new Date(now - 3600_000)), time(new Date(now + 7 * 86400_000))),
    name(options.subject),
    options.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, tlv(SEQUENCE, ...extensions)),
  );
  const signature = sign('sha256', tbs, options.signer);
  const der = tlv(SEQUENCE, tbs, ECDSA_WITH_SHA256, tlv(BIT_STRING, Buffer.of(0), signature));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`.replace('\n\n', '\n');
}

/** Makes a fresh CA and a server certificate for 127.0.0.1 / localhost signed by it. */
export function makeTestPki(): TestPki {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caId = keyId(ca.publicKey);
  const caCert = certificate({ subject: 'spence test voice CA', issuer: 'spence test voice CA', publicKey: ca.publicKey, signer: ca.privateKey, issuerKeyId: caId, isCa: true });
  const serverCert = certificate({ subject: '127.0.0.1', issuer: 'spence test voice CA', publicKey: server.publicKey, signer: ca.privateKey, issuerKeyId: caId, isCa: false });
  const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ca: { cert: caCert, key: pem(ca.privateKey) }, server: { cert: serverCert, key: pem(server.privateKey) } };
}

const trusted = new Set<string>();

/**
 * Adds `caCert` to the CAs this process's TLS clients trust by default (the system and bundled
 * ones stay trusted; verification stays on). Idempotent per certificate.
 */
export function trustTestCa(caCert: string): void {
  if (trusted.has(caCert)) return;
  const api = tls as typeof tls & { setDefaultCACertificates?: (certs: string[]) => void; getCACertificates?: (type?: string) => string[] };
  if (typeof api.setDefaultCACertificates !== 'function' || typeof api.getCACertificates !== 'function') {
    throw new Error('This Node has no tls.setDefaultCACertificates (added in 22.19 and 24.5): the test voice server needs it to be trusted');
  }
  trusted.add(caCert);
  api.setDefaultCACertificates([...api.getCACertificates('default'), caCert]);
}
