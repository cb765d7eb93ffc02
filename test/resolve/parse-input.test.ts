/**
 * Input that starts with a scheme is an address, never a search (issue 15 item 13): a malformed
 * http(s) URL is refused with the reason, its secrets redacted, and nothing is sent to the search
 * provider.
 */
import { describe, expect, it } from 'vitest';
import { Node } from '../../src/node.js';
import { parseInput } from '../../src/resolve/resolver.js';
import type { SpenceError } from '../../src/errors.js';
import { fakeProvider } from '../helpers/providers.js';

describe('parseInput', () => {
  it.each([
    ['https://cdn.example.com/my song.webm?signature=SECRET1', /contains a space/],
    ['https://[2001:db8::1/a.webm?token=SECRET1', /IPv6 address has no closing bracket/],
    ['https://cdn.example.com:99999/a.webm?signature=SECRET1', /port 99999 is out of range \(0-65535\)/],
    ['https://cdn.example.com:12ab/a.webm', /port is not a number/],
    ['http://user:SECRET1@/a.webm', /no host/],
    ['HTTPS://exa<mple.com/a.webm#SECRET1', /characters a host name cannot have/],
    ['file:///music/my song.opus', /contains a space/],
  ])('refuses %s as UNSUPPORTED_INPUT, saying why', (raw, reason) => {
    let error: SpenceError | undefined;
    try {
      parseInput(raw);
    } catch (e) {
      error = e as SpenceError;
    }
    expect(error).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    expect(error!.message).toMatch(reason);
    expect(error!.message).toMatch(/^Not a valid URL: /);
    expect(error!.message).not.toContain('SECRET1');
    expect(error!.message).not.toContain('?');
  });

  it('still parses URLs, URIs, paths and plain text as before', () => {
    expect(parseInput(' https://example.com/a.webm?x=1 ').url?.href).toBe('https://example.com/a.webm?x=1');
    expect(parseInput('spotify:track:0VjIjW4GlUZAMYd2vXMi3b').url?.protocol).toBe('spotify:');
    expect(parseInput('/srv/music/my song.webm')).toEqual({ raw: '/srv/music/my song.webm', url: null });
    expect(parseInput('never gonna give you up')).toEqual({ raw: 'never gonna give you up', url: null });
    expect(parseInput('note: a title with a colon').url).toBeNull();
    expect(parseInput('ytsearch:never gonna give you up').url).toBeNull();
  });
});

describe('a malformed http(s) URL is never a search', () => {
  it.each([
    'https://cdn.example.com/my song.webm?signature=SECRET1',
    'https://[2001:db8::1/a.webm',
    'https://cdn.example.com:99999/a.webm?signature=SECRET1',
  ])('%s: UNSUPPORTED_INPUT, and the search provider is never asked', async (raw) => {
    const search = fakeProvider('yt', { searchPrefixes: ['ytsearch'] });
    const node = new Node({ providers: [search] });
    const error = (await node.resolve(raw).catch((e: unknown) => e)) as SpenceError;
    expect(error).toMatchObject({ code: 'UNSUPPORTED_INPUT' });
    expect(error.message).not.toContain('SECRET1');
    expect(search.calls).toEqual([]);
    await node.close();
  });
});
