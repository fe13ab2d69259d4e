import type { Kysely } from 'kysely';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { SqlSnapshotStore } from '../sql/sql-snapshot-store.js';

/**
 * Snapshots in the `eventsmith_snapshots` table of a SQLite event store's database.
 *
 * @example
 * ```ts
 * const store = await SqliteEventStore.open({ filename: 'bank.db', registry });
 * const accounts = new AggregateRepository(store, BankAccount, {
 *   snapshots: { store: new SqliteSnapshotStore(store.db), policy: everyNEvents(100) },
 * });
 * ```
 */
export class SqliteSnapshotStore extends SqlSnapshotStore {
  /** `db` is the store's `db` (or any Kysely instance on a migrated SQLite database). */
  constructor(db: Kysely<EventStoreTables>) {
    super(db, 'sqlite');
  }
}
