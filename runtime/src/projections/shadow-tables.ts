import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';

/** Suffixes of the tables a rebuild writes to, and of the tables it retires at the swap. */
export const SHADOW_SUFFIX = '__rebuild';
export const RETIRED_SUFFIX = '__retired';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isPlainIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length + Math.max(SHADOW_SUFFIX.length, RETIRED_SUFFIX.length) <= 63;
}

/** Drops leftovers of an earlier, interrupted rebuild. */
export async function dropShadow(db: Kysely<any>, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await db.schema
      .dropTable(table + SHADOW_SUFFIX)
      .ifExists()
      .execute();
    await db.schema
      .dropTable(table + RETIRED_SUFFIX)
      .ifExists()
      .execute();
  }
}

/** Creates an empty copy of each table (columns, keys, indexes) under its shadow name. */
export async function createShadow(db: Kysely<any>, dialect: SqlDialectName, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    const shadow = table + SHADOW_SUFFIX;
    if (dialect === 'postgres') {
      await sql`create table ${sql.table(shadow)} (like ${sql.table(table)} including all)`.execute(db);
    } else if (dialect === 'mysql') {
      await sql`create table ${sql.table(shadow)} like ${sql.table(table)}`.execute(db);
    } else {
      const objects = await sqliteObjects(db, table);
      const create = objects.find((o) => o.type === 'table');
      if (!create) throw new Error(`Table ${table} does not exist.`);
      await sql.raw(renameInCreate(create.sql, table, shadow)).execute(db);
      for (const index of objects.filter((o) => o.type === 'index')) {
        await sql.raw(renameIndex(index.sql, index.name, index.name + SHADOW_SUFFIX, table, shadow)).execute(db);
      }
    }
  }
}

/**
 * Replaces each table by its shadow atomically (one transaction on PostgreSQL and SQLite; one
 * `RENAME TABLE` on MariaDB/MySQL), then drops the old tables. Index names are restored, so
 * later migrations that name them keep working.
 */
export async function swapShadow(
  db: Kysely<any>,
  dialect: SqlDialectName,
  tables: readonly string[],
  /** Run in the swap's transaction (PostgreSQL, SQLite); on MariaDB, whose DDL commits, after the rename. */
  inSwap: (db: Kysely<any>) => Promise<void> = async () => undefined,
): Promise<void> {
  // A projection without tables of its own (it writes elsewhere) has nothing to swap; MariaDB
  // would refuse an empty `RENAME TABLE`.
  if (tables.length === 0) return inSwap(db);
  if (dialect === 'mysql') {
    const renames = tables.flatMap((t) => [
      sql`${sql.table(t)} to ${sql.table(t + RETIRED_SUFFIX)}`,
      sql`${sql.table(t + SHADOW_SUFFIX)} to ${sql.table(t)}`,
    ]);
    await sql`rename table ${sql.join(renames)}`.execute(db);
    await inSwap(db);
    for (const table of tables) await db.schema.dropTable(table + RETIRED_SUFFIX).execute();
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const table of tables) {
      const shadow = table + SHADOW_SUFFIX;
      const retired = table + RETIRED_SUFFIX;
      if (dialect === 'postgres') {
        const live = await postgresIndexes(trx, table);
        const copies = await postgresIndexes(trx, shadow);
        await sql`alter table ${sql.table(table)} rename to ${sql.table(retired)}`.execute(trx);
        await sql`alter table ${sql.table(shadow)} rename to ${sql.table(table)}`.execute(trx);
        await sql`drop table ${sql.table(retired)}`.execute(trx);
        for (const copy of copies) {
          const original = live.find((l) => l.shape === copy.shape);
          if (original && original.name !== copy.name) {
            await sql`alter index ${sql.id(copy.name)} rename to ${sql.id(original.name)}`.execute(trx);
          }
        }
      } else {
        const indexes = (await sqliteObjects(trx, table)).filter((o) => o.type === 'index');
        await sql`alter table ${sql.table(table)} rename to ${sql.table(retired)}`.execute(trx);
        await sql`alter table ${sql.table(shadow)} rename to ${sql.table(table)}`.execute(trx);
        await sql`drop table ${sql.table(retired)}`.execute(trx);
        for (const index of indexes) {
          await sql`drop index if exists ${sql.id(index.name + SHADOW_SUFFIX)}`.execute(trx);
          await sql.raw(index.sql).execute(trx);
        }
      }
    }
    await inSwap(trx);
  });
}

async function sqliteObjects(db: Kysely<any>, table: string): Promise<{ type: string; name: string; sql: string }[]> {
  const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
    select type, name, sql from sqlite_master where tbl_name = ${table} and sql is not null order by type desc, name`.execute(
    db,
  );
  return rows.map((r) => ({ type: r.type, name: r.name, sql: r.sql! }));
}

/** `CREATE TABLE "x" (...)` → `CREATE TABLE "y" (...)`, whatever quoting the original used. */
function renameInCreate(statement: string, from: string, to: string): string {
  const pattern = new RegExp(
    `^(\\s*create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?)(["\`\\[]?)${from}(["\`\\]]?)`,
    'i',
  );
  if (!pattern.test(statement))
    throw new Error(`Unexpected CREATE TABLE statement for ${from}: ${statement.slice(0, 80)}`);
  return statement.replace(pattern, `$1"${to}"`);
}

function renameIndex(statement: string, index: string, newIndex: string, table: string, newTable: string): string {
  const pattern = new RegExp(
    `^(\\s*create\\s+(?:unique\\s+)?index\\s+(?:if\\s+not\\s+exists\\s+)?)(["\`\\[]?)${index}(["\`\\]]?)(\\s+on\\s+)(["\`\\[]?)${table}(["\`\\]]?)`,
    'i',
  );
  if (!pattern.test(statement))
    throw new Error(`Unexpected CREATE INDEX statement for ${index}: ${statement.slice(0, 80)}`);
  return statement.replace(pattern, `$1"${newIndex}"$4"${newTable}"`);
}

/** Index names of a table with a name-free description of each, to pair an index with its copy. */
async function postgresIndexes(db: Kysely<any>, table: string): Promise<{ name: string; shape: string }[]> {
  const { rows } = await sql<{ indexname: string; indexdef: string }>`
    select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = ${table}`.execute(
    db,
  );
  return rows.map((r) => ({
    name: r.indexname,
    shape: r.indexdef.replace(/INDEX\s+\S+\s+ON/i, 'INDEX ON').replace(/ON\s+(?:ONLY\s+)?\S+\s+USING/i, 'ON t USING'),
  }));
}
