import type { Kysely, Migration } from 'kysely';
import { EventStoreUnavailableError, InvalidArgumentError } from '../../errors.js';
import { eventStoreMigrations, rowLevelSecurityMigrations, type PostgresLayout } from './event-store-migrations.js';
import type { StoreIdentitySeed } from './migrations/0005-store-identity.js';
import {
  EVENT_STORE_MIGRATION_TABLE,
  EVENT_STORE_RLS_MIGRATION_TABLE,
  type SqlDialectName,
} from './event-store-tables.js';
import { MigrationsDivergedError, runMigrations, type MigrationRun } from './run-migrations.js';
import { EventStoreMigrationError, isMissingStoreTable, storeFailureReason } from './store-errors.js';

export interface MigrateEventStoreOptions {
  readonly dialect: SqlDialectName;
  /**
   * PostgreSQL only: `'standard'` (default) or `{ partitioned: { partitions } }`, events
   * hash-partitioned by stream id. Chosen when the store is first migrated; it cannot be switched
   * later by migrating again. See store/postgres/partitioning.md.
   */
  readonly layout?: PostgresLayout;
  /** PostgreSQL only: also apply the opt-in row-level security policies (per-tenant isolation). */
  readonly rowLevelSecurity?: boolean;
  /**
   * The store id to keep in a database that keeps none yet (migration `0005_store_identity`), as
   * the store's `storeId` option does. Default: the one id the database's checkpoints carry, if
   * they all carry the same; else the id derived from the database's name (`pg:<database>`,
   * `mysql:<database>`, `sqlite:<file name>`). A database that keeps an id is not changed.
   */
  readonly storeId?: string;
}

/**
 * Creates or upgrades the event store tables (events, streams, snapshots) with Kysely's
 * `Migrator`. Safe to call at every start-up and from several processes at once: applied
 * migrations are skipped and the migrator holds a lock while it runs. Throws
 * {@link EventStoreMigrationError} if a migration fails.
 *
 * @example
 * ```ts
 * const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
 * await migrateEventStore(db, { dialect: 'postgres' });
 * ```
 */
export async function migrateEventStore(db: Kysely<any>, options: MigrateEventStoreOptions): Promise<MigrationRun> {
  return migrateEventStoreSeeding(db, options, {});
}

/**
 * {@link migrateEventStore}, with the id a store derives from its name (the default of
 * `storeId`) given by the store, which knows it better (a `':memory:'` SQLite store's file has a
 * random name): for the stores' `open` and `migrateApp`.
 */
export async function migrateEventStoreSeeding(
  db: Kysely<any>,
  options: MigrateEventStoreOptions,
  seed: Pick<StoreIdentitySeed, 'derivedStoreId'>,
): Promise<MigrationRun> {
  if (options.dialect !== 'postgres' && (options.layout !== undefined || options.rowLevelSecurity)) {
    throw new InvalidArgumentError(
      `The "layout" and "rowLevelSecurity" options are PostgreSQL-only; ${options.dialect} has neither.`,
    );
  }
  const layout = options.layout ?? 'standard';
  if (layout !== 'standard') {
    const partitions = layout.partitioned.partitions;
    if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 2 || partitions > 1024)) {
      throw new InvalidArgumentError(
        `layout.partitioned.partitions must be an integer from 2 to 1024, got ${partitions}.`,
      );
    }
  }
  const migrations = eventStoreMigrations(options.dialect, layout, { storeId: options.storeId, ...seed });
  const result = await migrateReporting(db, migrations, EVENT_STORE_MIGRATION_TABLE);
  if (!options.rowLevelSecurity) return result;
  const rls = await migrateReporting(db, rowLevelSecurityMigrations(), EVENT_STORE_RLS_MIGRATION_TABLE);
  const ahead = result.ahead ?? rls.ahead;
  return { results: [...(result.results ?? []), ...(rls.results ?? [])], ...(ahead ? { ahead } : {}) };
}

/**
 * For a store opened with `migrate: false`: reads which event store migrations the database has
 * (one query, nothing changed) and throws {@link EventStoreUnavailableError} with reason
 * `'not-migrated'` when one this runtime needs is missing, so that the first append or read does
 * not fail with the driver's "no such table". Migrations are compared by number, so either
 * PostgreSQL layout passes, and so does a database migrated by a newer eventsmith.
 */
export async function requireEventStoreMigrated(
  db: Kysely<any>,
  dialect: SqlDialectName,
  target: string,
): Promise<void> {
  const needed = Object.keys(eventStoreMigrations(dialect));
  let applied: string[];
  try {
    const rows = await db.selectFrom(EVENT_STORE_MIGRATION_TABLE).select('name').execute();
    applied = rows.map((row: { name: string }) => row.name);
  } catch (error) {
    // An application role granted only its rights on the event tables may not read the migration
    // table: the check cannot tell, so the store opens as it did before it existed.
    if (storeFailureReason(error, true) === 'permission') return;
    if (!isMissingStoreTable(error)) throw error;
    applied = [];
  }
  const number = (name: string) => name.slice(0, name.indexOf('_'));
  const appliedNumbers = new Set(applied.map(number));
  const missing = needed.filter((name) => !appliedNumbers.has(number(name)));
  if (missing.length === 0) return;
  throw new EventStoreUnavailableError(target, {
    reason: 'not-migrated',
    detail:
      applied.length === 0
        ? 'it has no event store tables: no migration was ever applied to it'
        : `missing migration${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
  });
}

/** `runMigrations`, reporting a failure as `EventStoreMigrationError` (or the store's unavailability). */
async function migrateReporting(
  db: Kysely<any>,
  migrations: Record<string, Migration>,
  table: string,
): Promise<MigrationRun> {
  const result = await runMigrations(db, migrations, table);
  if (result.error === undefined) return result;
  if (result.error instanceof MigrationsDivergedError) {
    throw new EventStoreMigrationError(
      undefined,
      `${result.error.message} The database was migrated with another layout or by another eventsmith: ` +
        'open it with the same layout, or with the @eventsmith/runtime version that migrated it.',
      { cause: result.error },
    );
  }
  const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
  const cause = result.error;
  // Not a migration's fault (unreachable, wrong password, no such database, no rights): the store
  // reports it as EventStoreUnavailableError with its reason.
  if (storeFailureReason(cause, true) !== undefined) throw cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/previously executed migration .* is missing|corrupted migrations/i.test(message)) {
    throw new EventStoreMigrationError(
      undefined,
      `${message}. The database was migrated with another layout or by a newer eventsmith; ` +
        `open it with the same layout, or upgrade @eventsmith/runtime.`,
      { cause },
    );
  }
  throw new EventStoreMigrationError(failed, message, { cause });
}
