import type { Kysely } from 'kysely';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { SqlSnapshotStore } from '../sql/sql-snapshot-store.js';

/**
 * Snapshots in the `eventsmith_snapshots` table of a MariaDB/MySQL event store.
 *
 * @example
 * ```ts
 * const store = await MysqlEventStore.open({ url, registry });
 * const snapshots = new MysqlSnapshotStore(store.db);
 * ```
 */
export class MysqlSnapshotStore extends SqlSnapshotStore {
  /** `db` is the store's `db` (its pool returns DATETIMEs as strings, which this store expects). */
  constructor(db: Kysely<EventStoreTables>) {
    super(db, 'mysql');
  }
}
