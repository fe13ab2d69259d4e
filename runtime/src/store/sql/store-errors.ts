import { ConcurrencyError, EventStoreUnavailableError, EventsmithError, type ExpectedVersionDescription } from '../../errors.js';

/** Migrating the event store schema failed; nothing after the failing migration ran. */
export class EventStoreMigrationError extends EventsmithError {
  constructor(
    readonly migrationName: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'STORE.MIGRATION',
      `Event store migration ${migrationName ? `"${migrationName}" ` : ''}failed: ${reason}`,
      options,
    );
  }
}

/**
 * An append lost a race it could not retry: it ran inside `store.transaction()`, and a concurrent
 * transaction changed the stream in a way that forces this one to start again. It is a
 * {@link ConcurrencyError}, so `repository.update()` and other retry loops treat it as one.
 */
export class AppendConflictError extends ConcurrencyError {
  constructor(
    streamId: string,
    expected: ExpectedVersionDescription,
    actual: number,
    readonly reason: string,
  ) {
    super(streamId, expected, actual);
    this.message = `Concurrency conflict on stream "${streamId}": ${reason} Run the whole transaction again.`;
  }
}

/**
 * Describes where a database lives for error messages: scheme, user, host, port and database,
 * with any password replaced by `***`.
 *
 * @example
 * ```ts
 * describeTarget('postgres://app:s3cret@db.internal:5432/app'); // 'postgres://app:***@db.internal:5432/app'
 * ```
 */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    // Not a URL: strip anything that looks like `password=…` or `:secret@`.
    return url.replace(/(password=)[^&\s;]*/gi, '$1***').replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  // mysql2
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  // better-sqlite3
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection lost',
  "Can't add new command when connection is in closed state",
  'driver has already been destroyed',
  'Postgres connection has been discarded',
  'The database connection is not open',
];

/** Whether `error` means the database cannot be reached (as opposed to a failed statement). */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errno, fatal } = error as Error & { code?: unknown; errno?: unknown; fatal?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE: class 08 connection exception, 57P01-03 shutdown/terminated, 53300 too many connections.
    if (/^08...$/.test(code) || /^57P0[123]$/.test(code) || code === '53300') return true;
  }
  if (errno === 2013 || errno === 2006 || errno === 1927) return true;
  if (fatal === true) return true;
  return CONNECTION_MESSAGES.some((m) => error.message.includes(m));
}

/** Rethrows `error` as {@link EventStoreUnavailableError} when it is a connection problem. */
export function unavailableOr(error: unknown, target: string): unknown {
  if (error instanceof EventsmithError) return error;
  return isUnavailableError(error) ? new EventStoreUnavailableError(target, { cause: error }) : error;
}
