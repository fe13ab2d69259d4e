// Shared checks of store.transaction() on the SQL stores: imported by their tests only.
import type { Kysely, Transaction } from 'kysely';
import { expect } from 'vitest';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import { newStream, noted } from './store-conformance-context.js';
import type { EventStore, EventStoreTransaction } from '../store/event-store.js';

interface SqlStore extends EventStore {
  readonly db: Kysely<any>;
}

/**
 * Projection rows written through `tx.sql`, appends made through the store itself and snapshot
 * saves made inside `transaction()` all commit, or roll back, with the transaction's appends.
 */
export async function checkWritesJoinTheTransaction(store: SqlStore, snapshots: SnapshotStore): Promise<void> {
  const table = `projection_${Math.random().toString(36).slice(2, 8)}`;
  await store.db.schema
    .createTable(table)
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('n', 'integer')
    .execute();
  const project = (tx: EventStoreTransaction, id: string, n: number) =>
    (tx.sql as Transaction<any>).insertInto(table).values({ id, n }).execute();

  const a = newStream();
  const b = newStream();
  await store.transaction(async (tx) => {
    await tx.appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
    await project(tx, a.aggregateId, 2);
    await store.appendToStream(b.streamId, noted(b, 1), { expectedVersion: 'no_stream' }); // joins
    await snapshots.save({
      aggregateType: a.aggregateType,
      aggregateId: a.aggregateId,
      version: 2,
      stateVersion: 1,
      state: { n: 2 },
      createdAt: new Date(),
    });
  });
  expect(await store.getStreamVersion(a.streamId)).toBe(2);
  expect(await store.getStreamVersion(b.streamId)).toBe(1);
  expect(await store.db.selectFrom(table).selectAll().execute()).toEqual([{ id: a.aggregateId, n: 2 }]);
  expect((await snapshots.get(a.aggregateType, a.aggregateId))?.version).toBe(2);

  const c = newStream();
  const d = newStream();
  const boom = new Error('boom');
  await expect(
    store.transaction(async (tx) => {
      await tx.appendToStream(c.streamId, noted(c, 1), { expectedVersion: 'no_stream' });
      await project(tx, c.aggregateId, 1);
      await store.appendToStream(d.streamId, noted(d, 1), { expectedVersion: 'no_stream' });
      await snapshots.save({
        aggregateType: c.aggregateType,
        aggregateId: c.aggregateId,
        version: 1,
        stateVersion: 1,
        state: {},
        createdAt: new Date(),
      });
      throw boom;
    }),
  ).rejects.toBe(boom);
  expect(await store.getStreamVersion(c.streamId)).toBe(0);
  expect(await store.getStreamVersion(d.streamId)).toBe(0);
  expect((await store.db.selectFrom(table).selectAll().execute()).length).toBe(1);
  expect(await snapshots.get(c.aggregateType, c.aggregateId)).toBeUndefined();
  await store.db.schema.dropTable(table).execute();
}
