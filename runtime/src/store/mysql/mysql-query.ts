import type { Pool, PoolConnection, QueryOptions } from 'mysql2';

/** Runs one query (one or several statements) on a connection of the store's pool. */
export type MysqlRun = (sql: string, parameters: readonly unknown[]) => Promise<unknown>;

/**
 * Runs one statement as a server-side prepared statement on the same connection (mysql2's
 * `execute`: prepared once per connection and text, kept in the connection's statement cache, the
 * parameters sent in binary form). Parameters bound as JavaScript numbers travel as DOUBLE.
 */
export type MysqlExecute = (sql: string, parameters: readonly unknown[]) => Promise<unknown>;

/**
 * Lends `fn` one connection of `pool` (the store's, whose connections are set up for it by
 * `createMysqlDatabase`) for as long as it runs. Appends go through mysql2 directly: their SQL is
 * hand-written, and a failed multi-statement query says how far it got (see {@link runOn}).
 */
export function withPoolConnection<T>(
  pool: Pool,
  fn: (run: MysqlRun, execute: MysqlExecute) => Promise<T>,
): Promise<T> {
  return new Promise<PoolConnection>((resolve, reject) =>
    pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection))),
  ).then(async (connection) => {
    try {
      return await fn(
        (sql, parameters) => runOn(connection, sql, parameters),
        (sql, parameters) => executeOn(connection, sql, parameters),
      );
    } finally {
      connection.release();
    }
  });
}

/**
 * Runs `sql` on `connection`: resolves with its result (for several statements, one result per
 * statement, in order). A failed query rejects with the server's error, to which `completed` adds
 * how many statements ran before the one that failed (MariaDB stops a multi-statement query at
 * the first statement that fails).
 */
export function runOn(connection: PoolConnection, sql: string, parameters: readonly unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let completed = 0;
    connection
      .query({ sql, values: parameters as QueryOptions['values'] }, (error, result) => {
        if (error) reject(Object.assign(error, { completed }));
        else resolve(result);
      })
      // One 'fields' event per statement that answered: an OK packet, or a result set's columns.
      .on('fields', () => void completed++);
  });
}

/** Runs `sql`, one statement, on `connection` as a prepared statement (see {@link MysqlExecute}). */
export function executeOn(connection: PoolConnection, sql: string, parameters: readonly unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    connection.execute({ sql, values: parameters as QueryOptions['values'] }, (error, result) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
}

/** How many statements of a multi-statement query ran before the one that failed, if known. */
export function statementsCompleted(error: unknown): number | undefined {
  const completed = (error as { completed?: unknown } | null)?.completed;
  return typeof completed === 'number' ? completed : undefined;
}
