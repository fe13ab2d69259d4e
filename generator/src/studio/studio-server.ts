import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { OpsFailure } from '../ops/ops-failure.js';
import { createStudioApp, type StudioAppOptions } from './studio-app.js';

export interface StudioServerOptions extends Omit<StudioAppOptions, 'allowedHosts'> {
  /** Default 127.0.0.1. Any other address needs a `token`. */
  readonly host?: string;
  /** Default 5555; 0 picks a free port. */
  readonly port?: number;
}

/** A running studio. */
export interface StudioServer {
  /** Where to open it (with `?token=` when it has one). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1', '[::1]'];

/** Whether binding to `host` needs an access token: every address but this machine's loopback does. */
export function needsToken(host: string | undefined): boolean {
  return host !== undefined && !LOOPBACK.includes(host);
}

/**
 * Serves the studio on `host:port`. On a loopback address it answers only requests addressed to
 * a loopback host name (so a web page cannot reach it through DNS rebinding); elsewhere it
 * refuses to start without a token.
 *
 * @example
 * ```ts
 * const studio = await startStudio({ inspector, allowWrites: false, domain: async () => [] });
 * console.log(studio.url);
 * ```
 */
export async function startStudio(options: StudioServerOptions): Promise<StudioServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = !needsToken(host);
  if (!loopback && options.token === undefined)
    throw new OpsFailure([
      {
        code: 'STUDIO.TOKEN_REQUIRED',
        message: `Studio binds to ${host} only with an access token: anyone who can reach that address could read the store.`,
        fix: 'Pass --token <secret> (or set EVENTSMITH_STUDIO_TOKEN), or leave out --host to bind to 127.0.0.1.',
      },
    ]);
  const app = createStudioApp({ ...options, ...(loopback ? { allowedHosts: LOOPBACK } : {}) });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 5555 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${options.token !== undefined ? `?token=${encodeURIComponent(options.token)}` : ''}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
