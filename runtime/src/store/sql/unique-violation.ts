import type { SqlDialectName } from './sql-dialect.js';

/**
 * What a driver error says about a unique or primary-key violation, on every dialect:
 * better-sqlite3 (`SQLITE_CONSTRAINT_PRIMARYKEY`, `SQLITE_CONSTRAINT_UNIQUE`), pg (SQLSTATE
 * `23505`) and mysql2 on MySQL or MariaDB (`ER_DUP_ENTRY`, errno 1062).
 */
export interface UniqueViolation {
  /** The database whose driver threw it. */
  readonly dialect: SqlDialectName;
  /** True or false where the driver tells (SQLite, MySQL); undefined where only the columns can (PostgreSQL). */
  readonly primaryKey: boolean | undefined;
  /** The index or constraint the driver names (`items_pkey`, `PRIMARY`), if any. */
  readonly constraint: string | undefined;
  /** The columns of the violated index, where the driver names them (SQLite, PostgreSQL). */
  readonly columns: readonly string[] | undefined;
  /**
   * The duplicate values as the driver prints them, where it does: PostgreSQL joins them with
   * `, `, MySQL with `-` (and may shorten them).
   */
  readonly values: string | undefined;
}

/**
 * The unique or primary-key violation `error` reports, or undefined for any other error.
 *
 * @example
 * ```ts
 * try {
 *   await db.insertInto('items').values(row).execute();
 * } catch (error) {
 *   if (uniqueViolation(error)?.primaryKey === false) console.log('a unique index, not the key');
 *   throw error;
 * }
 * ```
 */
export function uniqueViolation(error: unknown): UniqueViolation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errno, message, constraint, detail } = error as {
    code?: unknown;
    errno?: unknown;
    message?: unknown;
    constraint?: unknown;
    detail?: unknown;
  };
  const text = typeof message === 'string' ? message : '';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    // "UNIQUE constraint failed: items.a, items.b"
    const columns = /constraint failed: (.*)$/
      .exec(text)?.[1]
      ?.split(', ')
      .map((c) => c.slice(c.indexOf('.') + 1));
    return {
      dialect: 'sqlite',
      primaryKey: code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
      constraint: undefined,
      columns,
      values: undefined,
    };
  }
  if (code === '23505') {
    // "Key (a, b)=(x, 1) already exists."
    const key = /^Key \((.*)\)=\((.*)\) already exists/.exec(typeof detail === 'string' ? detail : '');
    return {
      dialect: 'postgres',
      primaryKey: undefined,
      constraint: typeof constraint === 'string' ? constraint : undefined,
      columns: key?.[1]?.split(', '),
      values: key?.[2],
    };
  }
  if (errno === 1062 || code === 'ER_DUP_ENTRY') {
    // "Duplicate entry 'x-1' for key 'PRIMARY'" (MySQL 8: 'items.PRIMARY')
    const entry = /Duplicate entry '(.*)' for key '(.*)'/.exec(text);
    const key = entry?.[2];
    return {
      dialect: 'mysql',
      primaryKey: key === undefined ? undefined : key === 'PRIMARY' || key.endsWith('.PRIMARY'),
      constraint: key,
      columns: undefined,
      values: entry?.[1],
    };
  }
  return undefined;
}
