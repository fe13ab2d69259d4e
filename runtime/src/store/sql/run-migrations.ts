import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';

/**
 * Applies `migrations` with Kysely's `Migrator`, recording them in `table` (and locking on
 * `<table>_lock`). Returns the result set, whose `error` is set when a migration failed: each
 * caller reports that in its own terms (see `migrateOrThrow`). After a failure, `Success` marks
 * only migrations that stay applied (not those a rolled-back transaction held).
 */
export async function runMigrations(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  table: string,
): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
  });
  const result = await migrator.migrateToLatest();
  if (result.error === undefined || !db.getExecutor().adapter.supportsTransactionalDdl) return result;
  // Where DDL is transactional (PostgreSQL), the migrator runs the pending migrations in one
  // transaction, which the failure rolled back: the ones it lists as done before it are not
  // applied, and a report that said they stay applied would mislead whoever reads it.
  return {
    ...result,
    results: result.results?.map((r) => (r.status === 'Success' ? { ...r, status: 'NotExecuted' as const } : r)),
  };
}

/** `runMigrations`, throwing the failed migration's error. */
export async function migrateOrThrow(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  table: string,
): Promise<MigrationResultSet> {
  const result = await runMigrations(db, migrations, table);
  if (result.error !== undefined) throw result.error;
  return result;
}
