// A check of snapshot stores made on a SQL event store's `db`: imported by the stores' tests only.
import { expect } from 'vitest';
import { EventStoreClosedError } from '../errors.js';
import type { Snapshot, SnapshotStore } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';

const snapshot = (aggregateId: string, version: number): Snapshot => ({
  aggregateType: 'ClosingAccount',
  aggregateId,
  version,
  stateVersion: 1,
  state: { version },
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
});

/**
 * `snapshots`, made on `store.db`, closes with the store: saves started before `close()` complete
 * (it waits for them), and every operation after it fails with {@link EventStoreClosedError}, not
 * with the driver's error about a destroyed connection. Closes `store`.
 */
export async function checkSnapshotsCloseWithTheStore(store: EventStore, snapshots: SnapshotStore): Promise<void> {
  await snapshots.save(snapshot('a', 1));
  // Started in the same turn as close(): accepted first, so close() waits for them.
  const saving = Array.from({ length: 5 }, (_, i) => snapshots.save(snapshot(`b${i}`, i + 1)));
  const closing = store.close();
  await expect(Promise.all(saving)).resolves.toHaveLength(5);
  await closing;

  for (const operation of [
    () => snapshots.get('ClosingAccount', 'a'),
    () => snapshots.save(snapshot('c', 1)),
    () => snapshots.delete('ClosingAccount', 'a'),
    () => snapshots.deleteByType('ClosingAccount'),
    () => snapshots.forTenant('t1').get('ClosingAccount', 'a'),
  ]) {
    await expect(operation()).rejects.toBeInstanceOf(EventStoreClosedError);
  }
}
