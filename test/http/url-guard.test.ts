import { describe, expect, it } from 'vitest';
import { Node, createUrlGuard, isForbiddenAddress } from '../../src/index.js';
import type { HostLookup , SpenceError} from '../../src/index.js';
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
