/**
 * A TCP proxy between the API and a service (MariaDB, Redis) that a test can break the way networks break:
 * - `cut()`: every open connection is reset and new ones are refused, as when the service's host goes down;
 * - `stall()`: connections stay open but nothing passes either way, new ones included, as when a link drops
 *   packets silently (the worst case: nothing fails, everything waits);
 * - `restore()`: traffic flows again; connections broken by a cut stay broken, as they would.
 */
import { createServer, type Server, Socket } from 'node:net';

export type ProxyState = 'open' | 'cut' | 'stalled';

export interface TcpProxy {
  /** The port to connect to instead of the service's. */
  port: number;
  state(): ProxyState;
  cut(): void;
  stall(): void;
  restore(): void;
  /** Connections accepted since the proxy started. */
  accepted(): number;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: ProxyState = 'open';
  let accepted = 0;
  const links = new Set<Link>();

  const setFlowing = (link: Link, flowing: boolean) => {
    for (const socket of [link.client, link.upstream]) {
      if (flowing) socket.resume();
      else socket.pause();
    }
  };

  const server: Server = createServer((client) => {
    accepted++;
    if (state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const link: Link = { client, upstream };
    links.add(link);
    const drop = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Piped by hand rather than with pipe(): a paused socket must hold its data back, not buffer it onwards.
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.connect(target.port, target.host);
    setFlowing(link, state === 'open');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    state: () => state,
    cut() {
      state = 'cut';
      for (const link of links) {
        link.client.resetAndDestroy();
        link.upstream.destroy();
      }
      links.clear();
    },
    stall() {
      state = 'stalled';
      for (const link of links) setFlowing(link, false);
    },
    restore() {
      state = 'open';
      for (const link of links) setFlowing(link, true);
    },
    accepted: () => accepted,
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
