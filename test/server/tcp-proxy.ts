/**
 * A loopback TCP proxy whose link can be cut: `cut()` drops every connection through it, and new
 * ones wait (accepted, but not forwarded) until `restore()` joins them to the server, as a network
 * outage between a bot and its node would look: the server sees its sockets close, the client
 * sees its connection drop and its reconnect hang until the link is back.
 */
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const held = new Set<Socket>();
  let down = false;
  const join = (client: Socket): void => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };
  const server = createServer((client) => {
    if (!down) return join(client);
    // Accepted but not forwarded: its bytes wait in the socket until the link is back.
    client.pause();
    held.add(client);
    client.on('close', () => held.delete(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = (): void => {
    down = true;
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    restore() {
      down = false;
      for (const client of held) join(client);
      held.clear();
    },
    async close() {
      cut();
      for (const client of held) client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
