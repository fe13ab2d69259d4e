// Migration 0003: snapshots carry the aggregate's schema fingerprint. SHIPPED once released: never
// edit it; add a new migration. The frozen copies of the schema it produces live in
// ../schema-snapshots/v3.*.sql.
//
// `fingerprint` is the aggregate class's `snapshotFingerprint` when the snapshot was taken: a hash
// of the state schema and the event versions and upcast steps in the YAML. The repository ignores
// a snapshot whose fingerprint is not its class's. Snapshots saved before have none (NULL): a
// generated aggregate, which has one, replays them in full once and its next snapshot replaces them.
import { sql, type Kysely } from 'kysely';

/** PostgreSQL, both layouts. */
export async function up0003Postgres(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots add column fingerprint text`.execute(db);
}

/** SQLite (a nullable column without a default can be added in place). */
export async function up0003Sqlite(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots add column fingerprint text`.execute(db);
}

/** MariaDB/MySQL. */
export async function up0003Mysql(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots add column fingerprint varchar(64)`.execute(db);
}
