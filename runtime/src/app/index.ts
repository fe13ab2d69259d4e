export * from './app-definition.js';
export * from './app-errors.js';
export { DEFAULT_COMMAND_RETRY, idempotentEventId } from './command-dispatcher.js';
export * from './create-app.js';
export {
  AppMigrationError,
  describeMigrationsAhead,
  migrateApp,
  projectionMigrationTable,
  ProjectionRebuildAfterMigrationError,
  type DomainMigrations,
  type MigrateAppOptions,
  type MigrationReport,
  type MigrationStep,
  type ProjectionTableMigration,
} from './migrate-app.js';
export { ProjectionRunningError, type RunningLossyProjection } from './refuse-lossy-while-running.js';
export { dispatchOn } from './reactions.js';
export * from './reaction-not-written.js';
export type { WaitForProjectionsOptions } from './wait-for-projections.js';
export * from './custom-handlers.js';
