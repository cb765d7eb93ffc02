import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { createUrlGuard, isForbiddenAddress } from '../../src/http/url-guard.js';
import type { HostLookup } from '../../src/http/url-guard.js';
import type { SpenceError } from '../../src/errors.js';
import { codeOf } from '../helpers/errors.js';


/** A resolver that answers from a table, as a DNS server under an attacker's control might. */
const fakeDns = (table: Record<string, string[]>): HostLookup => async (host) => {
  const addresses = table[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('the http provider refuses private and non-http URLs', () => {
  const lookup = fakeDns({
    'evil.example': ['127.0.0.1'],
    'sneaky.example': ['93.184.215.14', '10.1.2.3'],
    'v6.example': ['::1'],
    'mapped.example': ['::ffff:127.0.0.1'],
  });
  const node = new Node({ http: { lookup } });

  it.each([
    'http://127.0.0.1/a.webm',
    'http://127.8.9.10:8080/a.webm',
    'http://10.0.0.1/a.webm',
    'http://172.16.5.4/a.webm',
    'http://192.168.1.1/a.webm',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/a.webm',
    'http://[fe80::1]/a.webm',
    'http://[fd12:3456::1]/a.webm',
    'http://[::ffff:127.0.0.1]/a.webm',
    'http://[::ffff:a9fe:a9fe]/a.webm',
    'http://0.0.0.0/a.webm',
    'http://100.64.0.1/a.webm',
    'http://evil.example/a.webm',
    'http://sneaky.example/a.webm',
    'http://v6.example/a.webm',
    'http://mapped.example/a.webm',
  ])('refuses %s with FORBIDDEN_URL', async (url) => {
    expect(await codeOf(node.resolve(url))).toBe('FORBIDDEN_URL');
  });

  it.each(['ftp://example.com/a.webm', 'ws://example.com/a', 'sftp://example.com/a.webm'])('refuses the scheme of %s', async (url) => {
    const error = await node.resolve(url).catch((e: unknown) => e as SpenceError);
    expect(error).toMatchObject({ code: 'FORBIDDEN_URL' });
    expect((error as Error).message).toMatch(/scheme is not allowed/);
  });

  it('refuses URLs with credentials', async () => {
    expect(await codeOf(node.resolve('https://user:pass@example.com/a.webm'))).toBe('FORBIDDEN_URL');
  });

  it('reports an unresolvable host as NETWORK', async () => {
    expect(await codeOf(node.resolve('https://nowhere.example/a.webm'))).toBe('NETWORK');
  });
});

describe('isForbiddenAddress', () => {
  it('tells public from special-purpose addresses', () => {
    for (const a of ['8.8.8.8', '93.184.215.14', '2606:4700::1111', '1.1.1.1']) expect(isForbiddenAddress(a)).toBe(false);
    for (const a of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '::1', '::', 'fc00::1', 'fe80::abcd', '::ffff:10.0.0.1', '224.0.0.1', '255.255.255.255', 'not-an-ip']) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
  });

  it('lets everything through when private addresses are allowed', async () => {
    const guard = createUrlGuard({ allowPrivateAddresses: true });
    await expect(guard.check('http://127.0.0.1/x')).resolves.toBeInstanceOf(URL);
    expect(await codeOf(guard.check('ftp://127.0.0.1/x'))).toBe('FORBIDDEN_URL');
  });
});

describe('IPv6 forms that embed IPv4, and the rest of the IANA registries (issue 15 item 12)', () => {
  // The forms as typed; WHATWG URL parsing rewrites some ([::127.0.0.1] becomes [::7f00:1]).
  it.each([
    'http://[::127.0.0.1]/',
    'http://[::7f00:1]/',
    'http://[::169.254.169.254]/latest/meta-data/',
    'http://[::a9fe:a9fe]/latest/meta-data/',
    'http://[::8.8.8.8]/a.webm', // IPv4-compatible is deprecated: refused whatever it embeds
    'http://[::ffff:0:7f00:1]/a.webm',
    'http://[64:ff9b::127.0.0.1]/a.webm',
    'http://[64:ff9b::a9fe:a9fe]/a.webm',
    'http://[64:ff9b:1::8.8.8.8]/a.webm',
    'http://[2002:7f00:1::]/a.webm',
    'http://[2002:a9fe:a9fe::1]/a.webm',
    'http://[2002:c0a8:101::1]/a.webm',
    'http://[2001::1]/a.webm',
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.webm',
    'http://[2001:2::1]/a.webm',
    'http://[2001:10::1]/a.webm',
    'http://[2001:db8::1]/a.webm',
    'http://[3fff::1]/a.webm',
    'http://[5f00::1]/a.webm',
    'http://[100::1]/a.webm',
    'http://[fec0::1]/a.webm',
    'http://[ff02::1]/a.webm',
    'http://192.0.0.8/a.webm',
    'http://192.88.99.1/a.webm',
    'http://198.18.0.1/a.webm',
  ])('refuses %s with FORBIDDEN_URL', async (url) => {
    const guard = createUrlGuard({ lookup: fakeDns({}) });
    expect(await codeOf(guard.check(url))).toBe('FORBIDDEN_URL');
  });

  it('refuses a host that resolves to an IPv4-compatible or 6to4 form of a private address', async () => {
    const guard = createUrlGuard({ lookup: fakeDns({ 'compat.example': ['::7f00:1'], 'sixtofour.example': ['2002:a00:1::1'] }) });
    expect(await codeOf(guard.check('http://compat.example/a.webm'))).toBe('FORBIDDEN_URL');
    expect(await codeOf(guard.check('http://sixtofour.example/a.webm'))).toBe('FORBIDDEN_URL');
  });

  it('lets public addresses through, embedded ones included', () => {
    for (const a of ['2606:4700::1111', '2001:4860:4860::8888', '2002:808:808::1', '64:ff9b::808:808', '::ffff:8.8.8.8', '192.0.0.9', '2001:1::1', '2001:20::1']) {
      expect(isForbiddenAddress(a), a).toBe(false);
    }
  });

  it('says which registry entry refused the address', async () => {
    const guard = createUrlGuard({ lookup: fakeDns({}) });
    const error = (await guard.check('http://[::127.0.0.1]/').catch((e: unknown) => e)) as SpenceError;
    expect(error.message).toMatch(/IPv4-compatible IPv6 address \(deprecated\) \(RFC 4291 §2\.5\.5\.1\)/);
    const sixToFour = (await guard.check('http://[2002:7f00:1::]/').catch((e: unknown) => e)) as SpenceError;
    expect(sixToFour.message).toMatch(/6to4 address .* of 127\.0\.0\.1 is a loopback address/);
  });
});

describe('messages that name a URL are redacted (issue 15 item 11)', () => {
  const guard = createUrlGuard({ lookup: fakeDns({ 'rebind.example': ['10.0.0.1'] }) });
  const secrets = /SIG123|TOK456|hunter2/;

  it.each([
    'http://169.254.169.254/a.webm?signature=SIG123&token=TOK456',
    'http://rebind.example/a.webm?signature=SIG123#TOK456',
    'ftp://example.com/a.webm?signature=SIG123',
    'https://user:hunter2@example.com/a.webm?token=TOK456',
    'http://exa mple.com/a.webm?signature=SIG123&token=TOK456',
    'http://user:hunter2@[::1/a.webm?token=TOK456',
  ])('%s', async (url) => {
    const error = (await guard.check(url).catch((e: unknown) => e)) as SpenceError;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).not.toMatch(secrets);
    expect(JSON.stringify(error)).not.toMatch(secrets);
    expect(error.cause === undefined || !String((error.cause as Error).message ?? '').match(secrets)).toBe(true);
  });

  it('"Not a valid URL" says why, without the query', async () => {
    const error = (await guard.check('http://exa mple.com/a.webm?signature=SIG123').catch((e: unknown) => e)) as SpenceError;
    expect(error).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    expect(error.message).toBe('Not a valid URL: http://exa mple.com/a.webm (it contains a space or other whitespace, which a URL cannot hold (write %20))');
  });
});
