import { sql, type Kysely } from 'kysely';
import { detectDialect } from './sql-dialect.js';

/**
 * MariaDB/MySQL compare text by a column's collation, and their usual default
 * (`utf8mb4_general_ci`) ignores case and trailing spaces: `acme`, `ACME` and `acme ` are one key
 * there. eventsmith's subscription, bus and projection tables use a binary collation that does
 * not pad either, so ids compare exactly, as on SQLite and PostgreSQL: MariaDB's
 * `utf8mb4_nopad_bin`, MySQL 8's `utf8mb4_0900_bin`, else `utf8mb4_bin` (which still pads).
 */
export async function binaryCollation(db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`.execute(db);
  return rows[0]?.name ?? 'utf8mb4_bin';
}

/** The table options that give a new MariaDB/MySQL table `collation` (from {@link binaryCollation}). */
export function binaryTableOptions(collation: string) {
  return sql`default character set utf8mb4 collate ${sql.raw(collation)}`;
}

/**
 * MariaDB/MySQL: converts `table` (its text columns and its default) to the binary collation.
 * Going from a case-insensitive or padding collation to a stricter one never makes two keys
 * equal, so it cannot fail on a duplicate key.
 */
export async function convertToBinaryCollation(db: Kysely<any>, table: string, collation: string): Promise<void> {
  await sql`alter table ${sql.table(table)} convert to character set utf8mb4 collate ${sql.raw(collation)}`.execute(db);
}

/** A MariaDB/MySQL table whose collation compares text more loosely than {@link binaryCollation}. */
export interface LooseCollationTable {
  readonly table: string;
  /** The table's collation, e.g. `utf8mb4_general_ci`. */
  readonly collation: string;
  /** What it should be: the statement that converts it. */
  readonly fix: string;
}

/**
 * MariaDB/MySQL: those of `tables` (that exist) whose collation is not the binary, non-padding
 * one eventsmith gives its tables, such as projection tables created before projection
 * migrations got it. None on SQLite and PostgreSQL, which compare text exactly anyway.
 *
 * @example
 * ```ts
 * for (const { table, collation, fix } of await tablesWithLooseCollation(db, ['account_summary']))
 *   console.warn(`${table} compares text by ${collation}; run: ${fix}`);
 * ```
 */
export async function tablesWithLooseCollation(
  db: Kysely<any>,
  tables: readonly string[],
): Promise<LooseCollationTable[]> {
  if (tables.length === 0 || detectDialect(db) !== 'mysql') return [];
  const collation = await binaryCollation(db);
  const { rows } = await sql<{ name: string; collation: string }>`
    select table_name as name, table_collation as collation from information_schema.tables
    where table_schema = database() and table_name in (${sql.join(tables)})
    order by table_name`.execute(db);
  return rows
    .filter((row) => row.collation !== collation)
    .map((row) => ({
      table: row.name,
      collation: row.collation,
      fix: `alter table \`${row.name}\` convert to character set utf8mb4 collate ${collation};`,
    }));
}
