import type { Kysely } from 'kysely';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { SqlSnapshotStore } from '../sql/sql-snapshot-store.js';

/**
 * Snapshots in the `eventsmith_snapshots` table (JSONB state) of a PostgreSQL event store.
 *
 * @example
 * ```ts
 * const store = await PostgresEventStore.open({ url, registry });
 * const snapshots = new PostgresSnapshotStore(store.db);
 * ```
 */
export class PostgresSnapshotStore extends SqlSnapshotStore {
  /** `db` is the store's `db` (or any Kysely instance on a migrated PostgreSQL database). */
  constructor(db: Kysely<EventStoreTables>) {
    super(db, 'postgres');
  }
}
