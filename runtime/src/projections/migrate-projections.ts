import type { Kysely, Migration } from 'kysely';
import { migrateOrThrow, type MigrationRun } from '../store/sql/run-migrations.js';
import { SqlMigrationTable } from '../store/sql/sql-tables.js';
import { projectionMigrationDatabase } from './drop-index-plugin.js';

/** Name of the table Kysely's migrator records applied projection migrations in. */
export const PROJECTION_MIGRATION_TABLE = SqlMigrationTable.projections;

export interface MigrateProjectionsOptions {
  /**
   * Where applied migrations are recorded. Give each domain its own (e.g.
   * `eventsmith_projection_migration_shop`) when several domains share one database: Kysely's
   * migrator refuses a table that records migrations it was not given.
   */
  readonly migrationTableName?: string;
}

/**
 * Applies generated projection migrations (append-only, named so they sort in order) with
 * Kysely's `Migrator`. Already-applied migrations are skipped; an edited one that already ran is
 * not re-run, which is why generated migrations are never edited.
 *
 * A database migrated by a newer version of the app (migrations this code does not have, all
 * named after its newest) is left as it is: nothing is applied and the result's `ahead` names
 * them; log it. Histories that diverged throw `MigrationsDivergedError`, which says how to fix it.
 *
 * @example
 * ```ts
 * import { projectionMigrations } from './generated/bank/index.js';
 * const { ahead } = await migrateProjections(db, projectionMigrations);
 * if (ahead) console.warn(`the database has newer migrations: ${ahead.newer.join(', ')}`);
 * ```
 */
export async function migrateProjections(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  options: MigrateProjectionsOptions = {},
): Promise<MigrationRun> {
  const table = options.migrationTableName ?? PROJECTION_MIGRATION_TABLE;
  return migrateOrThrow(await projectionMigrationDatabase(db), migrations, table);
}
