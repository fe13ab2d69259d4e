import type { Kysely } from 'kysely';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { SqlSnapshotStore } from '../sql/sql-snapshot-store.js';

/**
 * Snapshots in the `eventsmith_snapshots` table (JSONB state) of a PostgreSQL event store. A
 * repository on `store.forTenant(t)` uses its `forTenant(t)` view by itself; when the table is
 * under row-level security (`rowLevelSecurity: true`), a view sets `eventsmith.tenant_id` for each
 * operation, as the store's tenant views do.
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
