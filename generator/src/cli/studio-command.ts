import type { EventsmithConfig } from '../config/config.js';
import { parseDatabaseUrl, redact } from '../ops/database-url.js';
import { OpsFailure } from '../ops/ops-failure.js';
import { loadProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { loadDomainDiagrams } from '../studio/domain-diagram.js';
import { needsToken, startStudio } from '../studio/studio-server.js';
import { CliFailure, cliFailureOf, usageFailure } from './cli-error.js';
import type { CliIo } from './io.js';
import { styleFor } from './terminal.js';
import type { OutputFormat } from './report.js';

export interface StudioCommandOptions {
  /** `--db`: the store's URL. */
  readonly db: string;
  readonly host?: string;
  readonly port?: string;
  /** `--token`, else `EVENTSMITH_STUDIO_TOKEN`. */
  readonly token?: string;
  readonly tenant?: string;
  readonly allowWrites: boolean;
}

/**
 * `eventsmith studio --db <url>`: loads the project's generated code, opens the store and serves
 * the studio until Ctrl-C.
 */
export async function runStudio(
  io: CliIo,
  config: EventsmithConfig,
  options: StudioCommandOptions,
  format: OutputFormat,
  stopped: Promise<void> = signal(),
): Promise<number> {
  try {
    return await serveStudio(io, config, options, format, stopped);
  } catch (error) {
    if (error instanceof OpsFailure) throw cliFailureOf(error);
    throw error;
  }
}

async function serveStudio(
  io: CliIo,
  config: EventsmithConfig,
  options: StudioCommandOptions,
  format: OutputFormat,
  stopped: Promise<void>,
): Promise<number> {
  const port = Number(options.port ?? 5555);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageFailure({
      code: 'STUDIO.PORT',
      message: `--port must be a port number, not "${options.port}".`,
      fix: 'For example --port 5555.',
    });
  const token = options.token ?? (process.env['EVENTSMITH_STUDIO_TOKEN'] || undefined);
  if (needsToken(options.host) && token === undefined)
    throw usageFailure({
      code: 'STUDIO.TOKEN_REQUIRED',
      message: `Studio binds to ${options.host} only with an access token: anyone who can reach that address could read the store.`,
      fix: 'Pass --token <secret> (or set EVENTSMITH_STUDIO_TOKEN), or leave out --host to bind to 127.0.0.1.',
    });
  // A --db of no known database is a usage error (exit 2), before the project's code is loaded.
  parseDatabaseUrl(options.db, io.cwd);
  const code = await loadProjectCode(config);
  const inspector = await StoreInspector.open({
    url: options.db,
    cwd: io.cwd,
    code,
    ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
  });
  try {
    const studio = await startStudio({
      inspector,
      allowWrites: options.allowWrites,
      ...(options.host !== undefined ? { host: options.host } : {}),
      port,
      ...(token !== undefined ? { token } : {}),
      domain: () => loadDomainDiagrams(config),
      log: (line) => io.err(line),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new CliFailure([
          {
            code: 'STUDIO.PORT_IN_USE',
            message: `Port ${port} is in use.`,
            fix: 'Pass another --port (0 picks a free one), or stop the other studio.',
          },
        ]);
      throw error;
    });
    if (format === 'json') {
      io.out(
        `${JSON.stringify({ url: studio.url, tenant: options.tenant ?? null, allowWrites: options.allowWrites })}\n`,
      );
    } else {
      const s = styleFor(io.color?.out);
      io.out(
        [
          `${s.bold('eventsmith studio')}: ${s.cyan(studio.url)}`,
          `  ${s.dim('store ')}  ${redact(options.db)}`,
          ...(options.tenant !== undefined
            ? [`  ${s.dim('tenant')}  ${options.tenant} (only its streams, events and dead letters)`]
            : []),
          `  ${s.dim('mode  ')}  ${
            options.allowWrites
              ? s.yellow('writes allowed: dead letters can be retried and resolved')
              : 'read-only (--allow-writes to retry and resolve dead letters)'
          }`,
          s.dim('Press Ctrl-C to stop.'),
          '',
        ].join('\n'),
      );
    }
    await stopped;
    await studio.close();
  } finally {
    await inspector.close();
  }
  return 0;
}

function signal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
