import type { Kysely } from 'kysely';
import pg from 'pg';
import { describeWithService, freshPostgresDatabase, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { PostgresAdvisoryLock } from '../../subscriptions/sql/postgres-advisory-lock.js';
import { SqlCheckpointStore } from '../../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../../subscriptions/sql/sql-dead-letter-queue.js';
import { migrateSubscriptionTables } from '../../subscriptions/sql/subscription-tables.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { PostgresSnapshotStore } from './postgres-snapshot-store.js';

await describeWithService('postgres', 'PostgreSQL tenant isolation', () => {
  tenantIsolationSuite('PostgresEventStore + PostgresSnapshotStore', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry });
    return {
      store,
      snapshots: new PostgresSnapshotStore(store.db),
      subscriptions: await subscriptionParts(store.db),
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });

  // Row-level security binds only roles that do not own the tables: run as such a role.
  tenantIsolationSuite(
    'PostgresEventStore + PostgresSnapshotStore (row-level security, application role)',
    async () => {
      const { url, drop } = await freshPostgresDatabase();
      const owner = await PostgresEventStore.open({ url, registry: conformanceRegistry, rowLevelSecurity: true });
      const role = uniqueName('es_tenants');
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create role ${role} login`);
      await migrateSubscriptionTables(owner.db, 'postgres', { rowLevelSecurity: true });
      await admin.query(
        `grant select, insert, update, delete on eventsmith_events, eventsmith_streams, eventsmith_snapshots to ${role}`,
      );
      await admin.query(
        `grant select, insert, update, delete on eventsmith_checkpoints, eventsmith_leases, eventsmith_dead_letters to ${role}`,
      );
      await admin.query(`grant usage on sequence eventsmith_dead_letters_id_seq to ${role}`);
      await admin.end();
      const appUrl = new URL(url);
      appUrl.username = role;
      const store = await PostgresEventStore.open({
        url: appUrl.toString(),
        registry: conformanceRegistry,
        rowLevelSecurity: true,
        migrate: false,
      });
      return {
        store,
        snapshots: new PostgresSnapshotStore(store.db),
        subscriptions: await subscriptionParts(store.db, false),
        teardown: async () => {
          await store.close();
          await owner.close();
          await drop();
          const server = new pg.Client({ connectionString: serviceUrl('postgres') });
          await server.connect();
          await server.query(`drop role if exists ${role}`);
          await server.end();
        },
      };
    },
  );
});

/** The SQL checkpoint store and dead-letter queue and the advisory lock on the store's database (migrated by its owner). */
async function subscriptionParts(db: Kysely<any>, migrate = true) {
  if (migrate) await migrateSubscriptionTables(db);
  return {
    checkpoints: new SqlCheckpointStore(db),
    deadLetters: new SqlDeadLetterQueue(db),
    lock: new PostgresAdvisoryLock(db),
  };
}
