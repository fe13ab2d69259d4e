// What the three SQL stores share and users may need without loading a driver: the schema
// migration, table names and types, and the errors the SQL stores add.
export { migrateEventStore, type MigrateEventStoreOptions } from './migrate-event-store.js';
export { DEFAULT_PARTITIONS, type PostgresLayout } from './event-store-migrations.js';
export {
  EventStoreTable,
  EVENT_STORE_MIGRATION_TABLE,
  EVENT_STORE_RLS_MIGRATION_TABLE,
  type EventStoreTables,
  type EventsTable,
  type SnapshotsTable,
  type SqlDialectName,
  type StreamsTable,
} from './event-store-tables.js';
export { describeEventStoreSchema } from './describe-schema.js';
export {
  inspectStoreId,
  setStoreId,
  storeIdProblem,
  type SetStoreIdOptions,
  type SetStoreIdResult,
  type StoreIdCount,
  type StoreIdReport,
} from './set-store-id.js';
export { affected, detectDialect, msToDate } from './sql-dialect.js';
export { tablesWithLooseCollation, type LooseCollationTable } from './binary-collation.js';
export { SqlMigrationTable, SqlTable } from './sql-tables.js';
export { MigrationsDivergedError, type MigrationRun, type MigrationsAhead } from './run-migrations.js';
export { AppendConflictError, EventStoreMigrationError, describeTarget, unavailableOr } from './store-errors.js';
export { TENANT_SETTING } from './migrations/rls-0001-tenant-policies.js';
