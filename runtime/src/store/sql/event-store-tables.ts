import type { ColumnType, Generated } from 'kysely';
import { SqlMigrationTable, SqlTable } from './sql-tables.js';

export type { SqlDialectName } from './sql-dialect.js';

/** Table names of the event store schema. They are fixed: migrations and snapshots refer to them. */
export const EventStoreTable = {
  events: SqlTable.events,
  streams: SqlTable.streams,
  snapshots: SqlTable.snapshots,
  /** MariaDB/MySQL only: the single-row position allocator (see `MysqlEventStore`). */
  positions: SqlTable.positions,
  /** PostgreSQL partitioned layout only: global uniqueness of event ids. */
  eventIds: SqlTable.eventIds,
  /** The store id the database keeps (one row, migration 0005). */
  storeIdentity: SqlTable.storeIdentity,
} as const;

/** Where Kysely's `Migrator` records the applied event store migrations. */
export const EVENT_STORE_MIGRATION_TABLE = SqlMigrationTable.eventStore;
/** Where the opt-in PostgreSQL row-level security migrations are recorded. */
export const EVENT_STORE_RLS_MIGRATION_TABLE = SqlMigrationTable.eventStoreRls;

/** Drivers return 64-bit integers as strings (pg, mysql2) or numbers (better-sqlite3). */
type BigIntColumn = ColumnType<string | number | bigint, string | number | bigint, never>;
/** Timestamps are `Date`s on PostgreSQL and MariaDB and ISO-8601 text on SQLite. */
type Timestamp = ColumnType<Date | string, Date | string, Date | string>;
/** JSON columns: JSONB on PostgreSQL (parsed by pg), JSON text elsewhere. */
type Json = ColumnType<unknown, string, string>;

/**
 * One stored event. The typed columns (`event_type`, `aggregate_type`, `tenant_id`, …) are copies
 * of envelope fields for indexing and filtering; `data` and `metadata` are JSON.
 */
export interface EventsTable {
  /** Global position. PostgreSQL orders the feed by (`tx_id`, `position`), see `PostgresEventStore`. */
  position: Generated<BigIntColumn>;
  stream_id: string;
  version: number;
  event_id: string;
  event_type: string;
  event_version: number;
  aggregate_type: string;
  aggregate_id: string;
  tenant_id: string | null;
  occurred_at: Timestamp;
  actor_id: string | null;
  correlation_id: string;
  causation_id: string | null;
  metadata: Json;
  data: Json;
  stored_at: Generated<Timestamp>;
}

/** One row per stream: its current version, and its tenant while all its events share one. */
export interface StreamsTable {
  stream_id: string;
  version: number;
  /** The tenant of every event in the stream, or NULL when they have none or several. */
  tenant_id: string | null;
}

/** The latest snapshot of each aggregate, per tenant view. */
export interface SnapshotsTable {
  /** The tenant view the snapshot belongs to; `''` for the unscoped store's own snapshots. */
  tenant_id: string;
  aggregate_type: string;
  aggregate_id: string;
  version: number;
  state_version: number;
  /** The aggregate class's `snapshotFingerprint` when it was taken; NULL when it had none. */
  fingerprint: string | null;
  state: Json;
  created_at: Timestamp;
}

/**
 * The event store's tables as a Kysely database type. Combine it with your own tables when you
 * query them through a store transaction: `tx.sql.withTables<MyProjectionTables>()`.
 */
export interface EventStoreTables {
  eventsmith_events: EventsTable;
  eventsmith_streams: StreamsTable;
  eventsmith_snapshots: SnapshotsTable;
}
