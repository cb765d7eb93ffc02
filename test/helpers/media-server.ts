/**
 * A real HTTP server on 127.0.0.1 that serves in-memory files with Range support (RFC 9110 §14)
 * and injects the faults media CDNs really produce: connections dropped mid-body, stalls, trickles,
 * 5xx bursts, expiring tokenised URLs, wrong ranges, servers that ignore Range or hide the length.
 *
 * Its timed faults (stalls that end, trickles) run on a clock: the real one, or a test's
 * `ManualClock` (then the test's clock drives the server and the client alike, no real waits).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/player/clock.js';

/** One fault for one request. */
export type FaultAction =
  /** Send this many body bytes, then destroy the socket. */
  | { kind: 'drop'; afterBytes: number }
  /** Send this many body bytes, then nothing: for `ms`, or until the client gives up. */
  | { kind: 'stall'; afterBytes: number; ms?: number }
  /** Send this many body bytes, then `bytes` (default 1) every `everyMs` to the end, or until the client gives up. */
  | { kind: 'trickle'; afterBytes: number; everyMs: number; bytes?: number }
  /** Answer this status (503, 429...) with a small body. */
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  /** Destroy the socket before any response byte. */
  | { kind: 'reset' }
  /** Answer a range starting `shift` bytes later than asked (Content-Range says so truthfully). */
  | { kind: 'wrong-range'; shift: number }
  /** Ignore the Range header: 200 and the whole file. */
  | { kind: 'ignore-range' };

/** What a fault plan is told about each request. */
export interface RequestInfo {
  /** 0 for the server's first request. */
  index: number;
  path: string;
  /** The Range asked for, resolved against the file; `undefined` without a Range header. */
  start: number | undefined;
  end: number | undefined;
}

/** Faults a test can inject into the loopback media server. */
export interface Faults {
  /** Destroy the socket after sending this many body bytes of each response. */
  dropEveryBytes?: number;
  /** Answer 403 for a request whose `?token=` was minted (see {@link MediaServer.mint}) more than this many ms ago. */
  expireAfterMs?: number;
  /** Answer 403 for a request whose `?token=` has already been used for this many requests. */
  expireAfterRequests?: number;
  /** Stall (send headers, then nothing) for this long before the body. */
  stallMs?: number;
  /** Ignore Range headers and always answer 200 with the whole file. */
  ignoreRange?: boolean;
  /** Hide the length: `Content-Range: bytes a-b/*`, and a 200 sent chunked without `Content-Length`. */
  unknownLength?: boolean;
  /** Paths answered with a 302 to the given location. */
  redirects?: Record<string, string>;
  /** Trickle every response: after `afterBytes` (default 0), `bytes` (default 1) every `everyMs`. */
  trickle?: { afterBytes?: number; everyMs: number; bytes?: number };
  /** A fault per request, decided by the test (a seeded random plan, a schedule...). */
  plan?: (request: RequestInfo) => FaultAction | undefined;
}

/** Faults the server actually injected, by kind. */
export type InjectedCounts = Record<FaultAction['kind'] | 'expire' | 'redirect', number>;

export interface MediaServer {
  url(path: string): string;
  /** A fresh tokenised URL for `path` (`?token=N`), as a provider's refresh would hand out. */
  mint(path: string): string;
  close(): Promise<void>;
  /** Requests seen, as `METHOD path range`. */
  requests: string[];
  faults: Faults;
  /** Faults injected so far, by kind (a drop or stall counts only when it cut a body short). */
  readonly injected: InjectedCounts;
  /** Body bytes written to sockets so far (flushed to the kernel, faults included). */
  readonly bytesSent: number;
}

/** Bytes per socket write: the server honours backpressure, so `bytesSent` tracks what the client accepted. */
const PIECE = 64 * 1024;

/** Options for {@link startMediaServer}. */
export interface MediaServerOptions {
  /** The clock timed faults (and `expireAfterMs`) run on. Default: real timers. */
  clock?: Clock;
}

export async function startMediaServer(files: Record<string, { body: Uint8Array; type?: string }>, faults: Faults = {}, options: MediaServerOptions = {}): Promise<MediaServer> {
  const requests: string[] = [];
  const state = { faults, bytesSent: 0, index: 0, nextToken: 1 };
  const injected: InjectedCounts = { drop: 0, stall: 0, trickle: 0, status: 0, reset: 0, 'wrong-range': 0, 'ignore-range': 0, redirect: 0, expire: 0 };
  /** Calls `fn` after `ms` on the server's clock; returns the cancel. */
  const after = (ms: number, fn: () => void): (() => void) => {
    if (options.clock) {
      const timer = options.clock.setTimer(options.clock.now() + ms, fn);
      return () => timer.cancel();
    }
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  };
  const tokens = new Map<string, { mintedAt: number; uses: number }>();
  /** Now, on the server's clock (token expiry is timed on it too). */
  const now = (): number => options.clock?.now() ?? Date.now();
  let base = '';

  /** Writes `body` in pieces, honouring backpressure; stops after `limit` bytes and calls `after`. */
  const pump = (res: ServerResponse, body: Uint8Array, limit: number, after: () => void) => {
    let sent = 0;
    // The headers go out even when no body byte will (a drop or stall at byte 0).
    if (limit === 0) res.flushHeaders();
    const step = () => {
      if (res.destroyed) return;
      if (sent >= limit) {
        // Only once the bytes written are flushed: a drop must not swallow them.
        if (sent === 0) setImmediate(after);
        return;
      }
      const piece = body.subarray(sent, Math.min(limit, sent + PIECE));
      sent += piece.length;
      const last = sent >= limit;
      const ok = res.write(piece, () => {
        state.bytesSent += piece.length;
        if (last && !res.destroyed) after();
      });
      if (last) return;
      if (ok) step();
      else res.once('drain', step);
    };
    step();
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const range = req.headers.range;
    requests.push(`${req.method} ${req.url} ${range ?? ''}`.trim());
    const f = state.faults;
    const location = f.redirects?.[path];
    if (location !== undefined) {
      injected.redirect++;
      res.writeHead(302, { location }).end();
      return;
    }
    const file = files[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (f.expireAfterMs !== undefined || f.expireAfterRequests !== undefined) {
      const token = tokens.get(new URLSearchParams(query).get('token') ?? '');
      const expired =
        token === undefined ||
        (f.expireAfterMs !== undefined && now() - token.mintedAt > f.expireAfterMs) ||
        (f.expireAfterRequests !== undefined && token.uses >= f.expireAfterRequests);
      if (token) token.uses++;
      if (expired) {
        injected.expire++;
        res.writeHead(403, { 'content-type': 'text/plain' }).end('expired');
        return;
      }
    }
    const body = file.body;
    let start = 0;
    let end = body.length - 1;
    let ranged = false;
    const match = range ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
    if (match) {
      if (match[1] === '') {
        start = Math.max(0, body.length - Number(match[2]));
      } else {
        start = Number(match[1]);
        if (match[2] !== '') end = Math.min(end, Number(match[2]));
      }
      ranged = true;
    }
    const action = f.plan?.({ index: state.index++, path, start: ranged ? start : undefined, end: ranged ? end : undefined });
    if (action?.kind === 'reset') {
      injected.reset++;
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'status') {
      injected.status++;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (action.retryAfterSeconds !== undefined) headers['retry-after'] = String(action.retryAfterSeconds);
      res.writeHead(action.status, headers).end(`injected ${action.status}`);
      return;
    }
    if (f.ignoreRange || action?.kind === 'ignore-range') {
      if (action?.kind === 'ignore-range') injected['ignore-range']++;
      ranged = false;
      start = 0;
      end = body.length - 1;
    }
    if (ranged && start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    if (ranged && action?.kind === 'wrong-range') {
      injected['wrong-range']++;
      start = Math.min(start + action.shift, end);
    }
    const slice = body.subarray(start, end + 1);
    const headers: Record<string, string | number> = {
      'content-type': file.type ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
    };
    // Without a length, a 200 goes out chunked, so a drop is still detectable.
    if (ranged || !f.unknownLength) headers['content-length'] = slice.length;
    if (ranged) headers['content-range'] = `bytes ${start}-${end}/${f.unknownLength ? '*' : body.length}`;
    res.writeHead(ranged ? 206 : 200, headers);

    let cut: FaultAction | undefined = action;
    const cuts = cut?.kind === 'drop' || cut?.kind === 'stall' || cut?.kind === 'trickle';
    if (!cuts && f.dropEveryBytes !== undefined) cut = { kind: 'drop', afterBytes: f.dropEveryBytes };
    else if (!cuts && f.trickle !== undefined) cut = { kind: 'trickle', afterBytes: f.trickle.afterBytes ?? 0, everyMs: f.trickle.everyMs, ...(f.trickle.bytes ? { bytes: f.trickle.bytes } : {}) };
    const send = () => {
      if (cut?.kind === 'drop' && cut.afterBytes < slice.length) {
        injected.drop++;
        pump(res, slice, cut.afterBytes, () => res.socket?.destroy());
      } else if (cut?.kind === 'stall' && cut.afterBytes < slice.length) {
        injected.stall++;
        const ms = cut.ms;
        pump(res, slice, cut.afterBytes, () => {
          if (ms === undefined) return; // until the client gives up and closes the socket
          const cancel = after(ms, () => pump(res, slice.subarray(cut.afterBytes), slice.length - cut.afterBytes, () => res.end()));
          res.once('close', cancel);
        });
      } else if (cut?.kind === 'trickle' && cut.afterBytes < slice.length) {
        injected.trickle++;
        const step = cut.bytes ?? 1;
        let at = cut.afterBytes;
        let cancel = () => {};
        res.once('close', () => cancel());
        const drip = () => {
          if (res.destroyed) return;
          const piece = slice.subarray(at, Math.min(slice.length, at + step));
          at += piece.length;
          res.write(piece, () => {
            state.bytesSent += piece.length;
          });
          if (at >= slice.length) res.end();
          else cancel = after(cut.everyMs, drip);
        };
        pump(res, slice, cut.afterBytes, () => {
          cancel = after(cut.everyMs, drip);
        });
      } else {
        pump(res, slice, slice.length, () => res.end());
      }
    };
    if (f.stallMs) {
      res.once('close', after(f.stallMs, send));
    } else {
      send();
    }
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: (path) => `${base}${path}`,
    mint: (path) => {
      const token = String(state.nextToken++);
      tokens.set(token, { mintedAt: now(), uses: 0 });
      return `${base}${path}?token=${token}`;
    },
    requests,
    injected,
    get bytesSent() {
      return state.bytesSent;
    },
    get faults() {
      return state.faults;
    },
    set faults(value) {
      state.faults = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
