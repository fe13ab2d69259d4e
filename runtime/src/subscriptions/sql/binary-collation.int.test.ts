import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { Position } from '../../store/position.js';
import { openWithDefaultCollation, SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { SqlAggregateVersionStore } from './sql-aggregate-version-store.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { SqlLeaseLock } from './sql-lease-lock.js';
import { listPendingRebuilds, markPendingRebuilds } from './pending-rebuilds.js';
import {
  migrateSubscriptionTables,
  SUBSCRIPTION_MIGRATION_TABLE,
  subscriptionMigrations,
} from './subscription-tables.js';

const p = (n: number) => Position.of('pg:test', n);

// The same ids get the same behaviour on every database: ids that differ only in case or in a
// trailing space are different ids.
function suite(target: SqlTarget) {
  let db: Kysely<any>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openWithDefaultCollation(target, 'es_coll'));
    await migrateSubscriptionTables(db);
  });
  afterAll(async () => close?.());

  it('checkpoints of tenants and subscriptions differing in case or a trailing space stay apart', async () => {
    const checkpoints = new SqlCheckpointStore(db);
    // Tenant ids cannot end with a space (the event store refuses them on every database).
    const tenants = ['acme', 'ACME'];
    for (const [i, tenant] of tenants.entries())
      expect(await checkpoints.forTenant(tenant).save('mail', p(i + 1), { expected: null })).toBe(true);
    for (const [i, tenant] of tenants.entries())
      expect((await checkpoints.forTenant(tenant).load('mail'))?.value).toBe(BigInt(i + 1));
    await checkpoints.reset('Mail', p(7));
    await checkpoints.reset('Mail ', p(8));
    expect(await checkpoints.load('mail')).toBeNull();
    expect((await checkpoints.load('Mail'))?.value).toBe(7n);
    expect((await checkpoints.load('Mail '))?.value).toBe(8n);
    expect(() => checkpoints.forTenant('acme ')).toThrow('ends with a space');
  });

  it('leases of tenants differing in case are held apart', async () => {
    // Two processes: one runs acme's subscription, the other ACME's.
    const lower = await new SqlLeaseLock(db).forTenant('acme').tryAcquire('mail');
    const upper = await new SqlLeaseLock(db).forTenant('ACME').tryAcquire('mail');
    expect(lower).toBeDefined();
    expect(upper).toBeDefined();
    await lower?.release();
    await upper?.release();
  });

  it('pending rebuilds of projections differing in case stay apart', async () => {
    const checkpoints = new SqlCheckpointStore(db);
    await checkpoints.reset('Orders', p(1));
    await checkpoints.reset('orders', p(1));
    await markPendingRebuilds(db, ['Orders'], '0002_x');
    await markPendingRebuilds(db, ['orders'], '0003_y');
    expect((await listPendingRebuilds(db)).map((r) => [r.projection, r.migration])).toEqual([
      ['Orders', '0002_x'],
      ['orders', '0003_y'],
    ]);
  });

  it('bus version marks of aggregates differing in case stay apart', async () => {
    const versions = new SqlAggregateVersionStore(db);
    await versions.migrate();
    const key = (aggregateId: string) => ({ group: 'g', tenantId: null, aggregateType: 'Order', aggregateId });
    await versions.raise(key('A1'), 5);
    await versions.raise(key('a1'), 2);
    expect(await versions.load(key('A1'))).toBe(5);
    expect(await versions.load(key('a1'))).toBe(2);
    expect(await versions.load(key('a1 '))).toBeNull();
  });
}

function upgrade(target: SqlTarget) {
  it('migration 0004 keeps the checkpoints written before it, and then keeps tenants differing in case apart', async () => {
    const { db, close } = await openWithDefaultCollation(target, 'es_coll');
    try {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => subscriptionMigrations(target.dialect) },
        migrationTableName: SUBSCRIPTION_MIGRATION_TABLE,
        migrationLockTableName: `${SUBSCRIPTION_MIGRATION_TABLE}_lock`,
      });
      expect((await migrator.migrateTo('0003-pending-rebuilds')).error).toBeUndefined();
      const checkpoints = new SqlCheckpointStore(db);
      await checkpoints.forTenant('acme').reset('mail', p(3));
      await checkpoints.reset('mail', p(4));
      const { results } = await migrateSubscriptionTables(db);
      expect(results?.map((r) => [r.migrationName, r.status])).toEqual([['0004-binary-collation', 'Success']]);
      expect((await checkpoints.forTenant('acme').load('mail'))?.value).toBe(3n);
      expect((await checkpoints.load('mail'))?.value).toBe(4n);
      expect(await checkpoints.forTenant('ACME').save('mail', p(5), { expected: null })).toBe(true);
      expect((await checkpoints.forTenant('acme').load('mail'))?.value).toBe(3n);
    } finally {
      await close();
    }
  });
}

for (const target of SQL_TARGETS) {
  const title = `binary collation of subscription tables (${target.dialect})`;
  const tests = () => {
    suite(target);
    upgrade(target);
  };
  if (target.service === undefined) describe(title, tests);
  else await describeWithService(target.service, title, tests);
}
