/**
 * A tiny local TCP proxy for fault tests. Point a client at `proxy.port` instead of the server,
 * then `cut()` to drop every open connection (and refuse new ones) while messages are in flight,
 * and `restore()` to let the client reconnect. Only the test's own connections go through it,
 * so the shared servers are never restarted.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
 * const redis = new Redis({ port: proxy.port });
 * proxy.cut();            // the client sees ECONNRESET, then ECONNREFUSED-like resets
 * await sleep(500);
 * proxy.restore();        // the client reconnects by itself
 * await proxy.close();
 * ```
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `tcp-host:port` for URL-based clients, e.g. `redis://${proxy.address}`. */
  readonly address: string;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  /** How many connections were accepted (including refused ones while cut). */
  readonly acceptedConnections: number;
  /** Destroys every open connection and resets new ones until {@link restore}. */
  cut(): void;
  /**
   * Keeps open connections up but silently drops everything the server sends on them (a reply
   * lost in the network) until {@link cut}. New connections are not affected.
   */
  blackhole(): void;
  /** Lets connections through again. */
  restore(): void;
  /** Cuts, waits `ms`, restores. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; blackholed: boolean }>();
  let isCut = false;
  let accepted = 0;

  const server: Server = createServer((client) => {
    accepted++;
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target);
    const pair = { client, upstream, blackholed: false };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!pair.blackholed) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  const cut = () => {
    isCut = true;
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    get openConnections() {
      return pairs.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    cut,
    blackhole: () => {
      for (const pair of pairs) pair.blackholed = true;
    },
    restore: () => {
      isCut = false;
    },
    outage: async (ms) => {
      cut();
      await new Promise((resolve) => setTimeout(resolve, ms));
      isCut = false;
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
