import { sql, type Kysely } from 'kysely';

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
