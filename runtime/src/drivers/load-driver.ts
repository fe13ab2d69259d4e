import { createRequire } from 'node:module';
import { DriverNotInstalledError } from '../errors.js';

/**
 * The database and broker clients the adapters drive: optional peer dependencies of @eventsmith/runtime, with
 * the version range each adapter supports (kept equal to package.json's peerDependencies by a test) and the entry
 * that needs it.
 */
export const DRIVERS = {
  'better-sqlite3': { range: '^12.6.0', entry: '@eventsmith/runtime/sqlite' },
  pg: { range: '^8.23.0', entry: '@eventsmith/runtime/postgres' },
  mysql2: { range: '^3.24.0', entry: '@eventsmith/runtime/mysql' },
  ioredis: { range: '^5.9.0', entry: '@eventsmith/runtime/redis' },
  amqplib: { range: '^0.10.9', entry: '@eventsmith/runtime/rabbitmq' },
  nats: { range: '^2.29.0', entry: '@eventsmith/runtime/nats' },
  kafkajs: { range: '^2.2.0', entry: '@eventsmith/runtime/kafka' },
} as const satisfies Record<string, { range: string; entry: string }>;

export type DriverName = keyof typeof DRIVERS;

const requireFromRuntime = createRequire(import.meta.url);

/**
 * Loads a driver package, resolved from the application's node_modules. An adapter module calls it when it is
 * imported, so a missing driver fails the import with {@link DriverNotInstalledError} naming the package to install,
 * instead of `ERR_MODULE_NOT_FOUND`. All drivers are CommonJS packages, so `require` loads them synchronously.
 */
export function loadDriver<T>(name: DriverName, load: (name: string) => unknown = requireFromRuntime): T {
  try {
    return load(name) as T;
  } catch (error) {
    if (isMissingPackage(error, name)) {
      const { range, entry } = DRIVERS[name];
      throw new DriverNotInstalledError(name, range, entry, { cause: error });
    }
    throw error;
  }
}

/** True for "this package is not installed", not for a module missing inside an installed package. */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.split('\n')[0]!.includes(`'${name}'`)
  );
}
