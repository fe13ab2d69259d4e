import {
  ConcurrencyError,
  EventStoreUnavailableError,
  EventsmithError,
  InvalidArgumentError,
  type ExpectedVersionDescription,
  type StoreFailureReason,
} from '../../errors.js';

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

/**
 * Why `error` keeps the store from being used at all, or undefined for a statement that failed.
 * `opening` adds the failures that only mean that while a store opens (a permission refused, a
 * file that cannot be opened); later they belong to one statement.
 */
export function storeFailureReason(error: unknown, opening = false): StoreFailureReason | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, errno } = error as Error & { code?: unknown; errno?: unknown };
  const message = error.message;
  // PostgreSQL 28P01/28000, MariaDB 1045/1698 (access denied), and pg's own password checks.
  if (
    code === '28P01' ||
    code === '28000' ||
    errno === 1045 ||
    errno === 1698 ||
    /^SASL: |client password must be a string/.test(message)
  ) {
    return 'authentication';
  }
  if (code === '3D000' || errno === 1049) return 'missing-database';
  // pg, when the URL asks for SSL (sslmode=require, verify-full…) and the server answers that it has none.
  if (message === 'The server does not support SSL connections') return 'ssl';
  // PostgreSQL query_canceled: statement_timeout, or pg_cancel_backend.
  if (code === '57014') return 'timeout';
  // Where the check at open did not run (checkMigrated: false, or a role that may not read the
  // migration table), a statement on a database never migrated names the missing table.
  if (isMissingStoreTable(error)) return 'not-migrated';
  if (opening) {
    if (
      code === '42501' ||
      errno === 1044 ||
      errno === 1142 ||
      code === 'EACCES' ||
      code === 'SQLITE_PERM' ||
      code === 'SQLITE_AUTH'
    )
      return 'permission';
    if (typeof code === 'string' && code.startsWith('SQLITE_READONLY')) return 'permission';
    if (
      code === 'SQLITE_CANTOPEN' ||
      code === 'SQLITE_NOTADB' ||
      /Cannot open database because the directory does not exist/.test(message)
    )
      return 'file';
  }
  return isUnavailableError(error) ? 'unreachable' : undefined;
}

/**
 * Whether a statement failed because one of eventsmith's own tables does not exist (PostgreSQL
 * 42P01, MariaDB 1146, SQLite "no such table"): its migrations never ran on this database. A
 * missing table of the user's own is a failed statement like any other.
 */
export function isMissingStoreTable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errno } = error as Error & { code?: unknown; errno?: unknown };
  return (
    (code === '42P01' || errno === 1146 || error.message.startsWith('no such table: ')) &&
    /\beventsmith_[a-z_]+/.test(error.message)
  );
}

/**
 * `error` as an {@link EventStoreUnavailableError} naming `target` when it says the store cannot be
 * used (the connection broke, the database or eventsmith's tables are gone: see
 * {@link StoreFailureReason}); any other error as it is. For code that queries a store's tables
 * with its own SQL, so that such a failure reads as the store's own do.
 *
 * @example
 * ```ts
 * try {
 *   await db.selectFrom('eventsmith_streams').selectAll().execute();
 * } catch (error) {
 *   throw unavailableOr(error, 'postgres://app:***@db/app');
 * }
 * ```
 */
export function unavailableOr(error: unknown, target: string): unknown {
  if (error instanceof EventsmithError) return error;
  const reason = storeFailureReason(error);
  return reason === undefined
    ? error
    : new EventStoreUnavailableError(target, { reason, cause: redactedError(error, []) });
}

/**
 * The error a store's `open` throws for `error`: a connection failure becomes an
 * {@link EventStoreUnavailableError} saying why (see {@link storeFailureReason}), naming `target`,
 * quoting the driver's message and carrying a copy of the driver's error as `cause`, with every
 * one of `secrets` (passwords) removed from both.
 */
export function openFailure(error: unknown, target: string, secrets: readonly string[]): unknown {
  if (error instanceof EventsmithError) return error;
  const reason = storeFailureReason(error, true);
  if (reason === undefined) return error;
  const cause = redactedError(error, secrets);
  return new EventStoreUnavailableError(target, { reason, cause, detail: cause.message });
}

/**
 * A copy of a driver error that keeps only what explains it (name, message, stack and the codes
 * drivers set) with `secrets` replaced by `***`, so that logging it, its properties or its cause
 * cannot print a password (a URL's `input`, a client's `config`…). Causes are copied the same way.
 */
export function redactedError(error: unknown, secrets: readonly string[], depth = 0): Error {
  const redact = (text: string) =>
    secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text);
  const source = (error instanceof Error ? error : new Error(String(error))) as Error & Record<string, unknown>;
  const cause =
    depth < 4 && source.cause !== undefined ? { cause: redactedError(source.cause, secrets, depth + 1) } : undefined;
  const copy = new Error(redact(source.message), cause) as Error & Record<string, unknown>;
  copy.name = source.name;
  copy.stack = redact(source.stack ?? '');
  for (const key of ['code', 'errno', 'sqlState', 'sqlMessage', 'severity', 'syscall', 'address', 'port'] as const) {
    const value = source[key];
    if (typeof value === 'string') copy[key] = redact(value);
    else if (typeof value === 'number') copy[key] = value;
  }
  return copy;
}

/**
 * Parses a connection URL without ever putting it into an error: Node's URL parser throws a
 * `TypeError` whose `input` is the whole URL, password included. A URL that does not parse (often
 * a password with `#`, `/`, `?` or `@` left as it is) is an {@link InvalidArgumentError} that
 * shows only the scheme and the host part.
 */
export function parseConnectionUrl(url: string, what: string): URL {
  try {
    return new URL(url);
  } catch {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0] ?? '';
    const at = url.lastIndexOf('@');
    const host = at === -1 ? '' : url.slice(at + 1).split(/[/?#]/)[0];
    throw new InvalidArgumentError(
      `The ${what} connection URL (${scheme}//${host ? `…@${host}` : '…'}) is not a valid URL. If the password contains characters ` +
        'such as "#", "/", "?", "@" or ":", percent-encode it (encodeURIComponent(password)), or pass the settings as pool options.',
    );
  }
}

/** `decodeURIComponent` for a part of a connection URL, leaving a malformed escape as it is. */
export function decodeUrlPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
