import { describe, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import {
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { checkCollidingAppendsNeedOneConnection } from '../../testing/pool-checks.js';
import { serverStoreFeedSuite } from '../../testing/server-store-suite.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { MysqlSnapshotStore } from './mysql-snapshot-store.js';
import { storeCloseTests } from '../../testing/store-conformance-close.js';

async function freshStore(connections = 8, groupCommit = true) {
  const { url, drop } = await freshMysqlDatabase();
  const reopen = () =>
    MysqlEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { connectionLimit: connections },
      groupCommit,
    });
  const store = await reopen();
  return {
    store,
    teardown: async () => {
      await store.close();
      await drop();
    },
    reopen,
  };
}

await describeWithService('mysql', 'MysqlEventStore', () => {
  storeConformanceSuite('MysqlEventStore', () => freshStore(), { pooled: freshStore });
  describe('MysqlEventStore without group commit', () => {
    storeCloseTests(
      () => freshStore(8, false),
      (connections) => freshStore(connections, false),
    );
  });
  snapshotStoreConformanceSuite('MysqlSnapshotStore', async () => {
    const { store, teardown } = await freshStore();
    return { store: new MysqlSnapshotStore(store.db), teardown };
  });
});

await describeWithService('mysql', 'MysqlEventStore feed and transactions', () => {
  serverStoreFeedSuite(
    () => freshStore(),
    (store) => new MysqlSnapshotStore(store.db),
  );
});

await describeWithService('mysql', 'MysqlEventStore on a pool of one connection', () => {
  it('explains colliding appends without waiting for a second connection', async () => {
    const { store, teardown } = await freshStore(1);
    try {
      await checkCollidingAppendsNeedOneConnection(store);
    } finally {
      await teardown();
    }
  });
});
