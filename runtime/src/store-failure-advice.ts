// What each reason a store cannot be used means and how to fix it, worded once for the store's
// errors and for the app's migration errors. Internal: not re-exported from the package (the
// StoreFailureReason type is, through errors.ts).

/**
 * Why a store could not be used:
 * - `'unreachable'`: the server did not answer, or the connection broke;
 * - `'authentication'`: the server refused the user or the password;
 * - `'missing-database'`: the database named in the connection settings does not exist;
 * - `'permission'`: the user (or, for SQLite, this process) may not read or write it;
 * - `'file'`: the SQLite file cannot be opened (missing folder, a folder, not a database);
 * - `'busy'`: another writer held the lock for longer than the store waits (see {@link EventStoreBusyError});
 * - `'timeout'`: the server cancelled a statement that ran longer than its `statement_timeout`
 *   (or an administrator cancelled it);
 * - `'ssl'`: the SSL connection the settings ask for (`sslmode`) could not be set up, for example
 *   because the server does not accept SSL;
 * - `'not-migrated'`: the store was opened with `migrate: false`, and its tables are missing or
 *   older than this runtime needs (run `eventsmith migrate`).
 */
export type StoreFailureReason =
  | 'unreachable'
  | 'authentication'
  | 'missing-database'
  | 'permission'
  | 'file'
  | 'busy'
  | 'timeout'
  | 'ssl'
  | 'not-migrated';

const FAILURE_ADVICE: Record<StoreFailureReason, string> = {
  unreachable: 'is unavailable. Check that the database is running and reachable.',
  authentication: 'refused the login. Check the user name and password in the connection settings.',
  'missing-database': 'has no such database. Create it, or fix the database name in the connection settings.',
  permission:
    'refused access. Grant the user the rights it needs (connect, create tables, read and write them), or for a file make it and its folder writable by this process.',
  file: 'cannot be opened as a database file. Check that the folder exists and that the path names a SQLite database file, not a folder or another kind of file.',
  busy: 'is busy: another connection held the write lock for longer than this store waits. Retry the operation.',
  timeout:
    'cancelled a statement that ran longer than its statement_timeout (or was cancelled by an administrator). Retry it, or raise the timeout.',
  ssl: 'could not set up the SSL connection the connection settings ask for. If the server does not accept SSL, remove sslmode from the URL (or ssl from the pool options), or enable SSL on the server.',
  'not-migrated':
    'is not migrated to the schema this version of eventsmith needs, and the store was opened with migrate: false. Run `eventsmith migrate --db <url>` against this database, or open the store with migrate: true.',
};

/**
 * What a {@link StoreFailureReason} means and how to fix it, as the rest of a sentence whose
 * subject is the database: `refused the login. Check the user name and password…`.
 */
export function storeFailureAdvice(reason: StoreFailureReason): string {
  return FAILURE_ADVICE[reason];
}
