/**
 * Every SQL table eventsmith creates, in one place: the event store's, the subscriptions' and the
 * outbox's (`migrateSubscriptionTables`), the bus's version marks (`SqlAggregateVersionStore`),
 * and the tables where Kysely's `Migrator` records each set's applied migrations. The names are
 * fixed: shipped migrations and frozen schema snapshots refer to them.
 */
export const SqlTable = {
  events: 'eventsmith_events',
  streams: 'eventsmith_streams',
  snapshots: 'eventsmith_snapshots',
  /** MariaDB/MySQL only: the single-row position allocator (see `MysqlEventStore`). */
  positions: 'eventsmith_positions',
  /** PostgreSQL partitioned layout only: global uniqueness of event ids. */
  eventIds: 'eventsmith_event_ids',
  /** The store id the database keeps (one row, migration 0005); positions carry it. */
  storeIdentity: 'eventsmith_store_identity',
  checkpoints: 'eventsmith_checkpoints',
  deadLetters: 'eventsmith_dead_letters',
  leases: 'eventsmith_leases',
  outbox: 'eventsmith_outbox',
  /** Projections a lossy projection migration emptied or reset, until a rebuild completes (subscription migration 0003). */
  pendingRebuilds: 'eventsmith_pending_rebuilds',
  aggregateVersions: 'eventsmith_bus_aggregate_versions',
} as const;

/** Where each set of migrations is recorded (each also locks on `<name>_lock`). */
export const SqlMigrationTable = {
  eventStore: 'eventsmith_store_migration',
  /** The opt-in PostgreSQL row-level security of the event store. */
  eventStoreRls: 'eventsmith_store_rls_migration',
  /** Checkpoints, dead letters, leases and the outbox. */
  subscriptions: 'eventsmith_subscription_migration',
  /** The opt-in PostgreSQL row-level security of the outbox and dead letters. */
  subscriptionsRls: 'eventsmith_subscription_rls_migration',
  aggregateVersions: 'eventsmith_bus_aggregate_versions_migration',
  /** The default for generated projection migrations (`migrateProjections`). */
  projections: 'eventsmith_projection_migration',
} as const;
