import type { Kysely } from 'kysely';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { SqlCheckpointStore } from '../../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../../subscriptions/sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from '../../subscriptions/sql/sql-lease-lock.js';
import { migrateSubscriptionTables } from '../../subscriptions/sql/subscription-tables.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { MysqlSnapshotStore } from './mysql-snapshot-store.js';

await describeWithService('mysql', 'MariaDB tenant isolation', () => {
  tenantIsolationSuite('MysqlEventStore + MysqlSnapshotStore', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry });
    return {
      store,
      snapshots: new MysqlSnapshotStore(store.db),
      subscriptions: await subscriptionParts(store.db),
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});

/** The SQL checkpoint store, dead-letter queue and lease lock on the store's database. */
async function subscriptionParts(db: Kysely<any>) {
  await migrateSubscriptionTables(db);
  return {
    checkpoints: new SqlCheckpointStore(db),
    deadLetters: new SqlDeadLetterQueue(db),
    lock: new SqlLeaseLock(db),
  };
}
