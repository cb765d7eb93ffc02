/**
 * The request layer providers make their API calls with: the one status map, `requestJson`'s
 * hooks (credentials refreshed once on a 401, a short 429 waited on the node's clock, Retry-After in
 * both forms), and the budgets (idle and total) against real loopback servers that answer slowly
 * or not at all, on a manual clock. Issue 14 item 6; issue 15 items 10 and 15.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaAgent } from '../../src/http/agent.js';
import { httpSettings } from '../../src/http/budgets.js';
import { requestJson } from '../../src/http/request-json.js';
import { parseRetryAfter } from '../../src/http/retry-policy.js';
import { codeForStatus, statusError } from '../../src/http/status.js';
import { Node } from '../../src/node.js';
import { ManualClock } from '../../src/player/clock.js';
import type { SpenceError } from '../../src/errors.js';
import { drive, until } from '../helpers/drive.js';

describe('the one status map', () => {
  it.each([
    [404, {}, 'NOT_FOUND'],
    [410, {}, 'NOT_FOUND'],
    [401, {}, 'UNAVAILABLE'],
    [401, { unauthorized: 'credentials' }, 'UPSTREAM'],
    [403, {}, 'UNAVAILABLE'],
    [403, { unauthorized: 'credentials' }, 'UNAVAILABLE'],
    [403, { signed: true }, 'NETWORK'],
    [410, { signed: true }, 'NETWORK'],
    [429, {}, 'RATE_LIMITED'],
    [408, {}, 'UPSTREAM'],
    [500, {}, 'UPSTREAM'],
    [503, {}, 'UPSTREAM'],
    [400, {}, 'UPSTREAM'],
  ] as const)('%i %o is %s', (status, policy, code) => {
    expect(codeForStatus(status, policy)).toBe(code);
  });

  it('messages: the reason, the credentials option (never the credentials), the wait', () => {
    expect(statusError(404, { service: 'Apple Music', what: 'song 1', reason: 'Resource Not Found' }).message).toBe('Apple Music has no song 1 (HTTP 404: Resource Not Found)');
    expect(statusError(401, { service: 'Spotify', what: 'track x', unauthorized: 'credentials', credentialsHint: 'spotify.clientId' }).message).toBe(
      'Spotify refused the credentials for track x (HTTP 401); check spotify.clientId',
    );
    expect(statusError(429, { service: 'Deezer', what: 'track 1', retryAfterMs: 1500 })).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1500, message: 'Deezer is rate limiting requests (track 1); retry in 2 s' });
  });

  it('Retry-After in both forms (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed Oct 21 07:28:30 2015', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('requestJson against a loopback server, on the clock', () => {
  let server: Server;
  let base: string;
  let agent: Agent;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');
  const open = new Set<ServerResponse>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      open.add(res);
      res.once('close', () => open.delete(res));
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = createMediaAgent({ allowPrivateAddresses: true });
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await agent.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const context = (clock: ManualClock, budgets = {}) => ({ signal: new AbortController().signal, dispatcher: agent, http: httpSettings(budgets, clock) });
  const options = { service: 'Example', what: 'item 1', source: 'example' };

  it('a server that never answers: NETWORK once the idle budget of waiting has passed', async () => {
    handler = () => {}; // accepts, never answers
    const clock = new ManualClock();
    const driven = await drive(clock, requestJson(`${base}/silent`, context(clock), options), { limitMs: 60_000 });
    expect(driven.settled).toBe(true);
    expect((driven as { error: SpenceError }).error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/^Example stalled answering item 1: no bytes for 10000 ms/) });
    expect(driven.at).toBeGreaterThanOrEqual(10_000);
    expect(driven.at).toBeLessThanOrEqual(10_100);
  });

  it('a body that trickles under the floor rate: NETWORK at the end of the window', async () => {
    const clock = new ManualClock();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      const drip = () => {
        if (res.destroyed) return;
        res.write(' ');
        clock.setTimer(clock.now() + 1000, drip);
      };
      clock.setTimer(clock.now() + 1000, drip);
    };
    const driven = await drive(clock, requestJson(`${base}/trickle`, context(clock), options), { limitMs: 60_000 });
    expect((driven as { error: SpenceError }).error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/under 1024 bytes\/s/) });
    expect(driven.at).toBeLessThanOrEqual(10_100 + 1000);
  });

  it('a body that keeps coming, slowly but above the floor: NETWORK at the request budget', async () => {
    const clock = new ManualClock();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const drip = () => {
        if (res.destroyed) return;
        res.write(`${'0,'.repeat(1024)}`);
        clock.setTimer(clock.now() + 500, drip);
      };
      drip();
    };
    const driven = await drive(clock, requestJson(`${base}/endless`, context(clock, { requestTimeoutMs: 20_000 }), options), { limitMs: 60_000 });
    expect((driven as { error: SpenceError }).error).toMatchObject({ code: 'NETWORK', message: expect.stringMatching(/^Example did not answer item 1 within 20000 ms/) });
    expect(driven.at).toBeGreaterThanOrEqual(20_000);
    expect(driven.at).toBeLessThanOrEqual(20_100);
  });

  it('a 429 with an HTTP-date Retry-After is waited out once, on the clock', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    handler = (_req, res) => {
      seen.push(clock.now());
      if (seen.length === 1) res.writeHead(429, { 'retry-after': new Date(Date.now() + 3000).toUTCString() }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    const answer = requestJson<{ ok: boolean }>(`${base}/limited`, context(clock), { ...options, maxRetryWaitMs: 5000 });
    const driven = await drive(clock, answer, { limitMs: 60_000, stepMs: 50 });
    expect(driven).toMatchObject({ settled: true, value: { ok: true } });
    expect(seen).toHaveLength(2);
    // An HTTP-date has whole seconds: between 2 and 3 s from now.
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(2000);
    expect(seen[1]! - seen[0]!).toBeLessThanOrEqual(3050);
  });

  it('a 401 drops the credentials and tries once more with fresh ones; a second 401 names the option', async () => {
    const clock = new ManualClock();
    const tokens: string[] = [];
    handler = (req, res) => {
      tokens.push(String(req.headers.authorization));
      res.writeHead(req.headers.authorization === 'Bearer fresh' ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    let current = 'stale';
    const authorize = async (request: { headers: Record<string, string> }) => {
      request.headers.authorization = `Bearer ${current}`;
      return () => {
        current = current === 'stale' ? 'fresh' : 'revoked';
      };
    };
    expect(await requestJson(`${base}/auth`, context(clock), { ...options, authorize })).toEqual({ ok: true });
    expect(tokens).toEqual(['Bearer stale', 'Bearer fresh']);
    current = 'revoked';
    const refused = (await requestJson(`${base}/auth`, context(clock), { ...options, authorize, credentialsHint: 'example.token' }).catch((e: unknown) => e)) as SpenceError;
    expect(refused).toMatchObject({ code: 'UPSTREAM', message: expect.stringMatching(/refused the credentials .* check example\.token$/) });
    expect(refused.message).not.toMatch(/revoked/);
  });

  it('an abort while waiting for the server is ABORTED at once', async () => {
    handler = () => {};
    const clock = new ManualClock();
    const controller = new AbortController();
    const pending = requestJson(`${base}/silent`, { ...context(clock), signal: controller.signal }, options).catch((e: unknown) => e);
    await until(() => open.size > 0);
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
    expect(clock.now()).toBe(0);
  });

  it('a malformed URL (a mistyped base option) is INVALID_ARGUMENT before any request, redacted, without the parser\'s error (issue 15 item 11)', async () => {
    const clock = new ManualClock();
    for (const url of ['https://api.exa mple.com/v1/x?token=SECRET', 'not a url?token=SECRET']) {
      const error = (await requestJson(url, context(clock), options).catch((e: unknown) => e)) as SpenceError;
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^The URL for Example \(item 1\) is not valid: /) });
      expect(error.message).not.toContain('SECRET');
      expect(error.cause).toBeUndefined();
    }
  });
});

describe('the node\'s http options are checked when given (issue 15 item 15)', () => {
  it.each([
    [{ requestTimeoutMs: 0 }, 'http: requestTimeoutMs must be a finite number of at least 1, got 0'],
    [{ idleTimeoutMs: -1 }, 'http: idleTimeoutMs must be a finite number of at least 1, got -1'],
    [{ minBytesPerSecond: 0.5 }, 'http: minBytesPerSecond must be an integer of at least 1, got 0.5'],
    [{ connections: 0 }, 'http: connections must be an integer of at least 1, got 0'],
    [{ connectTimeoutMs: Number.POSITIVE_INFINITY }, 'http: connectTimeoutMs must be a finite number of at least 1, got Infinity'],
    [{ requestTimeoutMs: '30' }, 'http: requestTimeoutMs must be a finite number of at least 1, got "30" (a string)'],
  ])('%o', (http, message) => {
    let error: unknown;
    try {
      new Node({ http: http as never });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message });
  });
});
