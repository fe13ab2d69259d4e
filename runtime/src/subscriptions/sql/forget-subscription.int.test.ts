import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { SqlTable } from '../../store/sql/sql-tables.js';
import { SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { SubscriptionInUseError } from '../subscription-errors.js';
import { forgetSubscription } from './forget-subscription.js';
import { listPendingRebuilds } from './pending-rebuilds.js';
import { SqlLeaseLock } from './sql-lease-lock.js';
import { migrateSubscriptionTables } from './subscription-tables.js';

const NOW = 1_700_000_000_000;

/** Rows of the removed projection Old (three scopes) and of Kept, which stays. */
async function seed(db: Kysely<any>): Promise<void> {
  const checkpoint = (tenant_id: string, name: string) => ({ tenant_id, name, position: 'x@1', updated_at: NOW });
  await db
    .insertInto(SqlTable.checkpoints)
    .values([checkpoint('', 'Old'), checkpoint('acme', 'Old'), checkpoint('globex', 'Old'), checkpoint('', 'Kept')])
    .execute();
  const deadLetter = (subscription: string, event_id: string, tenant_id: string | null, status: string) => ({
    tenant_id,
    subscription,
    event_id,
    event_type: 'Deposited',
    stream_id: 'Account-1',
    position: 'x@1',
    stored_at: NOW,
    record: '{}',
    error: 'boom',
    stack: null,
    attempts: 1,
    status,
    first_failed_at: NOW,
    last_failed_at: NOW,
    resolved_at: null,
    resolved_by: null,
  });
  await db
    .insertInto(SqlTable.deadLetters)
    .values([
      deadLetter('Old', 'e1', null, 'pending'),
      deadLetter('Old', 'e2', 'acme', 'resolved'),
      deadLetter('Kept', 'e1', null, 'pending'),
    ])
    .execute();
  // A lease that ran out: its process died without releasing it.
  await db
    .insertInto(SqlTable.leases)
    .values({ tenant_id: '', name: 'Old', owner: 'dead', expires_at: NOW - 1, acquired_at: NOW - 15_000 })
    .execute();
  await db
    .insertInto(SqlTable.pendingRebuilds)
    .values([
      { projection: 'Old', migration: '0002_recreate_old', marked_at: NOW },
      { projection: 'Kept', migration: '0002_recreate_kept', marked_at: NOW },
    ])
    .execute();
}

async function names(db: Kysely<any>, table: string, column = 'name'): Promise<string[]> {
  const rows = (await db.selectFrom(table).select(column).orderBy(column).execute()) as Record<string, string>[];
  return rows.map((row) => row[column]!);
}

function suite(target: SqlTarget) {
  async function withDb(test: (db: Kysely<any>) => Promise<void>) {
    const { db, close } = await target.open('es_forget');
    try {
      await migrateSubscriptionTables(db);
      await seed(db);
      await test(db);
    } finally {
      await close();
    }
  }

  it('removes the checkpoints of every scope, the leases, dead letters and rebuild mark of one name; nothing of another', async () => {
    await withDb(async (db) => {
      expect(await forgetSubscription(db, 'Old', { now: NOW })).toEqual({
        name: 'Old',
        checkpoints: 3,
        leases: 1,
        deadLetters: 2,
        pendingRebuild: true,
      });
      expect(await names(db, SqlTable.checkpoints)).toEqual(['Kept']);
      expect(await names(db, SqlTable.deadLetters, 'subscription')).toEqual(['Kept']);
      expect(await names(db, SqlTable.leases)).toEqual([]);
      expect((await listPendingRebuilds(db)).map((p) => p.projection)).toEqual(['Kept']);
      // Again: nothing is left to remove.
      expect(await forgetSubscription(db, 'Old', { now: NOW })).toEqual({
        name: 'Old',
        checkpoints: 0,
        leases: 0,
        deadLetters: 0,
        pendingRebuild: false,
      });
    });
  });

  it('refuses, removing nothing, while a process holds a lease of the subscription', async () => {
    await withDb(async (db) => {
      const lease = await new SqlLeaseLock(db, { owner: 'app-1', ttlMs: 600_000 }).forTenant('acme').tryAcquire('Old');
      expect(lease).toBeDefined();
      try {
        const refused = await forgetSubscription(db, 'Old').catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(SubscriptionInUseError);
        expect(refused).toMatchObject({
          code: 'SUBSCRIPTION.IN_USE',
          subscription: 'Old',
          leases: [{ tenantId: 'acme', owner: 'app-1', expiresAt: expect.any(Date) }],
        });
        expect((refused as Error).message).toContain("app-1 holds tenant acme's lease");
        expect(await names(db, SqlTable.checkpoints)).toEqual(['Kept', 'Old', 'Old', 'Old']);
        expect(await names(db, SqlTable.deadLetters, 'subscription')).toEqual(['Kept', 'Old', 'Old']);
        expect((await listPendingRebuilds(db)).map((p) => p.projection)).toEqual(['Kept', 'Old']);
      } finally {
        await lease?.release();
      }
      expect((await forgetSubscription(db, 'Old')).checkpoints).toBe(3);
    });
  });

  it("with a tenant, removes only that tenant's scope, and the mark with the last checkpoint of the name", async () => {
    await withDb(async (db) => {
      expect(await forgetSubscription(db, 'Old', { tenantId: 'acme', now: NOW })).toEqual({
        name: 'Old',
        checkpoints: 1,
        leases: 0,
        deadLetters: 1,
        pendingRebuild: false,
      });
      expect(await names(db, SqlTable.checkpoints)).toEqual(['Kept', 'Old', 'Old']);
      expect(await names(db, SqlTable.leases)).toEqual(['Old']); // the unscoped one's
      expect((await forgetSubscription(db, 'Old', { tenantId: 'globex', now: NOW })).pendingRebuild).toBe(false);
      const last = await db
        .deleteFrom(SqlTable.checkpoints)
        .where('name', '=', 'Old')
        .where('tenant_id', '=', '')
        .executeTakeFirst();
      expect(Number(last.numDeletedRows)).toBe(1);
      // No checkpoint of Old is left in any scope: the mark goes with the tenant's forget.
      expect((await forgetSubscription(db, 'Old', { tenantId: 'globex', now: NOW })).pendingRebuild).toBe(true);
      expect((await listPendingRebuilds(db)).map((p) => p.projection)).toEqual(['Kept']);
    });
  });
}

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `forgetSubscription on ${target.dialect}`, () => suite(target));
  else describe(`forgetSubscription on ${target.dialect}`, () => suite(target));
}
