import type { Kysely } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { SqlCheckpointStore } from '../../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../../subscriptions/sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from '../../subscriptions/sql/sql-lease-lock.js';
import { migrateSubscriptionTables } from '../../subscriptions/sql/subscription-tables.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

tenantIsolationSuite('SqliteEventStore + SqliteSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-tenants-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry });
  return {
    store,
    snapshots: new SqliteSnapshotStore(store.db),
    subscriptions: await subscriptionParts(store.db),
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
