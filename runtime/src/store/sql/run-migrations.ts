import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';

/**
 * Applies `migrations` with Kysely's `Migrator`, recording them in `table` (and locking on
 * `<table>_lock`). Returns the result set, whose `error` is set when a migration failed: each
 * caller reports that in its own terms (see `migrateOrThrow`).
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
  return migrator.migrateToLatest();
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
