import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Faults a test can inject into the loopback media server. */
export interface Faults {
  /** Destroy the socket after sending this many body bytes of each response. */
  dropEveryBytes?: number;
  /** Answer 403 for requests to a path whose token is older than this many ms. */
  expireAfterMs?: number;
  /** Stall (send headers, then nothing) for this long before the body. */
  stallMs?: number;
  /** Ignore Range headers and always answer 200 with the whole file. */
  ignoreRange?: boolean;
}

export interface MediaServer {
  url(path: string): string;
  close(): Promise<void>;
  /** Requests seen, as `METHOD path range`. */
  requests: string[];
  faults: Faults;
}

/**
 * A real HTTP server on 127.0.0.1 that serves in-memory files with Range support (RFC 9110 §14),
 * and injects faults on request.
 */
export async function startMediaServer(files: Record<string, { body: Uint8Array; type?: string }>, faults: Faults = {}): Promise<MediaServer> {
  const requests: string[] = [];
  const state = { faults };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const range = req.headers.range;
    requests.push(`${req.method} ${req.url} ${range ?? ''}`.trim());
    const file = files[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = file.body;
    let start = 0;
    let end = body.length - 1;
    let status = 200;
    const match = range && !state.faults.ignoreRange ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
    if (match) {
      if (match[1] === '') {
        start = Math.max(0, body.length - Number(match[2]));
      } else {
        start = Number(match[1]);
        if (match[2] !== '') end = Math.min(end, Number(match[2]));
      }
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
    }
    const slice = body.subarray(start, end + 1);
    const headers: Record<string, string | number> = {
      'content-type': file.type ?? 'application/octet-stream',
      'content-length': slice.length,
      'accept-ranges': 'bytes',
    };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    res.writeHead(status, headers);
    const send = () => {
      const drop = state.faults.dropEveryBytes;
      if (drop !== undefined && slice.length > drop) {
        res.write(slice.subarray(0, drop), () => res.socket?.destroy());
        return;
      }
      res.end(slice);
    };
    if (state.faults.stallMs) setTimeout(send, state.faults.stallMs);
    else send();
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
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
