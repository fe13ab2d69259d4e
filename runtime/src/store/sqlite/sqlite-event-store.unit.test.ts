import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceRegistry, snapshotStoreConformanceSuite, storeConformanceSuite } from '../../testing/index.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
import { checkWritesJoinTheTransaction } from '../sql/transaction-checks.js';
import { it } from 'vitest';

async function fileStore() {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry });
  return {
    store,
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeConformanceSuite('SqliteEventStore (file)', fileStore);

storeConformanceSuite('SqliteEventStore (:memory:)', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  return { store, teardown: () => store.close() };
});

snapshotStoreConformanceSuite('SqliteSnapshotStore', async () => {
  const { store, teardown } = await fileStore();
  return { store: new SqliteSnapshotStore(store.db), teardown };
});

it('SqliteEventStore: projection rows, store appends and snapshots inside transaction() join it', async () => {
  const { store, teardown } = await fileStore();
  try {
    await checkWritesJoinTheTransaction(store, new SqliteSnapshotStore(store.db));
  } finally {
    await teardown();
  }
});
