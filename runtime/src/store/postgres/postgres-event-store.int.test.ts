import { describeWithService, freshPostgresDatabase } from '../../../../test/support/services.js';
import { conformanceRegistry, snapshotStoreConformanceSuite, storeConformanceSuite } from '../../testing/index.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { PostgresSnapshotStore } from './postgres-snapshot-store.js';

async function freshStore(options: { layout?: { partitioned: { partitions?: number } } } = {}) {
  const { url, drop } = await freshPostgresDatabase();
  const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, pool: { max: 8 }, ...options });
  return {
    store,
    teardown: async () => {
      await store.close();
      await drop();
    },
  };
}

await describeWithService('postgres', 'PostgresEventStore', () => {
  storeConformanceSuite('PostgresEventStore', () => freshStore());
  storeConformanceSuite('PostgresEventStore (partitioned)', () => freshStore({ layout: { partitioned: { partitions: 4 } } }), { modelRuns: 15 });
  snapshotStoreConformanceSuite('PostgresSnapshotStore', async () => {
    const { store, teardown } = await freshStore();
    return { store: new PostgresSnapshotStore(store.db), teardown };
  });
});
