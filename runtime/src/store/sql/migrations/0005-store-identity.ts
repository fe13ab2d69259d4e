// Migration 0005: the database keeps its store id. SHIPPED once released: never edit it; add a new
// migration. The frozen copies of the schema it produces live in ../schema-snapshots/v5.*.sql.
//
// Until 0005 a store's id (the `<storeId>` of every position token, which checkpoints and dead
// letters keep) came from the file or database name, so a database copied, renamed or restored
// under another name refused its own checkpoints (`PositionForeignError`). The id is now a row of
// `eventsmith_store_identity`, which travels with the database; a store reads it when it opens.
//
// The row is seeded once, here, with the id the database's positions already carry: the store's
// explicit `storeId` option if it was opened with one; else the one id its checkpoints name, if
// they all name the same (a database restored under a new name before this migration ran keeps
// the id its checkpoints were written under); else the id derived from the name, as before.
import { basename } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from '../sql-dialect.js';
import { SqlTable } from '../sql-tables.js';

/** What seeds the id of a database that has none yet (see the file comment). */
export interface StoreIdentitySeed {
  /** The store's `storeId` option: kept whatever the checkpoints carry. */
  readonly storeId?: string | undefined;
  /** The id derived from the name as the store derives it; default: derived here from the database's name. */
  readonly derivedStoreId?: string | undefined;
}

const TABLE = SqlTable.storeIdentity;
const CHECKPOINTS = SqlTable.checkpoints;

export async function up0005(db: Kysely<any>, dialect: SqlDialectName, seed: StoreIdentitySeed): Promise<void> {
  await db.schema
    .createTable(TABLE)
    .ifNotExists()
    // One row: its key can only be 1.
    .addColumn('id', 'integer', (c) =>
      c
        .primaryKey()
        .defaultTo(1)
        .check(sql`id = 1`),
    )
    .addColumn('store_id', dialect === 'mysql' ? 'varchar(255)' : 'text', (c) => c.notNull())
    .execute();
  // The id is in every position token anyway; any role that can read the events may read it, so
  // a read-only role (eventsmith studio's, say) opens the store under its real id.
  if (dialect === 'postgres') await sql`grant select on ${sql.table(TABLE)} to public`.execute(db);
  const storeId =
    seed.storeId ??
    (await checkpointsStoreId(db, dialect)) ??
    seed.derivedStoreId ??
    (await derivedStoreId(db, dialect));
  const insert = db.insertInto(TABLE).values({ id: 1, store_id: storeId });
  await (dialect === 'mysql' ? insert.ignore() : insert.onConflict((oc) => oc.column('id').doNothing())).execute();
}

/** The one store id every checkpoint's position names, if there are checkpoints and they agree. */
async function checkpointsStoreId(db: Kysely<any>, dialect: SqlDialectName): Promise<string | undefined> {
  // Checked first: on PostgreSQL a failed statement would abort the migration's transaction.
  const present =
    dialect === 'postgres'
      ? sql`select 1 as present where to_regclass(${CHECKPOINTS}) is not null`
      : dialect === 'mysql'
        ? sql`select 1 as present from information_schema.tables where table_schema = database() and table_name = ${CHECKPOINTS}`
        : sql`select 1 as present from sqlite_master where type = 'table' and name = ${CHECKPOINTS}`;
  if ((await present.execute(db)).rows.length === 0) return undefined;
  // A position token is `<storeId>@<digits>`: the id is what precedes the last '@'.
  const id =
    dialect === 'postgres'
      ? sql`regexp_replace(position, '@[0-9]+$', '')`
      : dialect === 'mysql'
        ? sql`substring(position, 1, char_length(position) - char_length(substring_index(position, '@', -1)) - 1)`
        : sql`substr(rtrim(position, '0123456789'), 1, length(rtrim(position, '0123456789')) - 1)`;
  const { rows } = await sql<{ first: string | null; last: string | null }>`
    select min(${id}) as first, max(${id}) as last from ${sql.table(CHECKPOINTS)}`.execute(db);
  const { first, last } = rows[0] ?? { first: null, last: null };
  return first !== null && first !== '' && first === last ? first : undefined;
}

/** The id a store derives from the database's name: `pg:<database>`, `mysql:<database>`, `sqlite:<file name>`. */
async function derivedStoreId(db: Kysely<any>, dialect: SqlDialectName): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
    const file = rows.find((row) => row.name === 'main')?.file ?? '';
    return `sqlite:${file === '' ? 'memory' : basename(file)}`;
  }
  const { rows } = await (
    dialect === 'postgres'
      ? sql<{ name: string }>`select current_database() as name`
      : sql<{ name: string }>`select database() as name`
  ).execute(db);
  return `${dialect === 'postgres' ? 'pg' : 'mysql'}:${rows[0]!.name}`;
}
