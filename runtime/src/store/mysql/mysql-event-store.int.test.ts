import { afterEach, beforeEach, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import {
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { checkWritesJoinTheTransaction } from '../../testing/transaction-checks.js';
import { checkCollidingAppendsNeedOneConnection } from '../../testing/pool-checks.js';
import {
  checkOpenTransactionHoldsBackLaterCommits,
  checkTailingReaderSeesEveryEventOnce,
} from '../../testing/never-skip-checks.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { MysqlSnapshotStore } from './mysql-snapshot-store.js';

async function freshStore(connections = 8) {
  const { url, drop } = await freshMysqlDatabase();
  const store = await MysqlEventStore.open({
    url,
    registry: conformanceRegistry,
    pool: { connectionLimit: connections },
  });
  return {
    store,
    teardown: async () => {
      await store.close();
      await drop();
    },
  };
}

await describeWithService('mysql', 'MysqlEventStore', () => {
  storeConformanceSuite('MysqlEventStore', () => freshStore(), { pooled: freshStore });
  snapshotStoreConformanceSuite('MysqlSnapshotStore', async () => {
    const { store, teardown } = await freshStore();
    return { store: new MysqlSnapshotStore(store.db), teardown };
  });
});

await describeWithService('mysql', 'MysqlEventStore feed and transactions', () => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  beforeEach(async () => {
    fresh = await freshStore();
  });
  afterEach(async () => {
    await fresh.teardown();
  });

  it('joins projection rows, store appends and snapshots made inside transaction() to it', async () => {
    await checkWritesJoinTheTransaction(fresh.store, new MysqlSnapshotStore(fresh.store.db));
  });

  it('holds back a later commit until an earlier open transaction commits, then returns both in order', async () => {
    await checkOpenTransactionHoldsBackLaterCommits(fresh.store);
  });

  it('gives a tailing reader every event exactly once, in order, under concurrent writers with random delays', async () => {
    await checkTailingReaderSeesEveryEventOnce(fresh.store, { writers: 12, appendsPerWriter: 25 });
  }, 120_000);
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
