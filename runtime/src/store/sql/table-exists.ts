import { sql, type Kysely } from 'kysely';
import { detectDialect, type SqlDialectName } from './sql-dialect.js';

/**
 * Whether `table` exists, asked without an error (which would abort a PostgreSQL transaction).
 *
 * @example
 * ```ts
 * if (await tableExists(db, 'eventsmith_leases')) console.log('the subscription tables are migrated');
 * ```
 */
export async function tableExists(
  db: Kysely<any>,
  table: string,
  dialect: SqlDialectName = detectDialect(db),
): Promise<boolean> {
  const query =
    dialect === 'sqlite'
      ? sql`select 1 as found from sqlite_master where type = 'table' and name = ${table}`
      : dialect === 'postgres'
        ? sql`select 1 as found where to_regclass(${table}) is not null`
        : sql`select 1 as found from information_schema.tables where table_schema = database() and table_name = ${table}`;
  return (await query.execute(db)).rows.length > 0;
}
