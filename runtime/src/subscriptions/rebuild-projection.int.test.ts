import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { EventStore } from '../store/event-store.js';
import { SubscriptionManager } from './subscription-manager.js';
import { SqlCheckpointStore } from './sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql/sql-dead-letter-queue.js';
import { migrateSubscriptionTables } from './sql/subscription-tables.js';
import { balanceProjection, createBalanceTables, type BalanceTables } from '../test-support/balance-projection.js';
import { appendDeposits, Deposited, feed, waitFor } from '../test-support/subscription-fixtures.js';
import { openStore } from '../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import { ProjectionRebuildError } from '../projections/projection-errors.js';
import type { Projection } from '../projections/projection.js';

async function withManager(
  target: SqlTarget,
  projection: (dialect: SqlTarget['dialect']) => Projection<Kysely<BalanceTables>>,
  fn: (store: EventStore & { db: Kysely<any> }, manager: SubscriptionManager) => Promise<void>,
) {
  const { db, url, close } = await target.open();
  await db.destroy().catch(() => undefined);
  const store = await openStore(target.dialect, url);
  await migrateSubscriptionTables(store.db);
  await createBalanceTables(store.db);
  await store.db.schema.createIndex('balances_by_balance').on('balances').column('balance').execute();
  const checkpoints = new SqlCheckpointStore(store.db);
  const manager = new SubscriptionManager({
    store,
    checkpoints,
    deadLetters: new SqlDeadLetterQueue(store.db),
    pollIntervalMs: 20,
  });
  manager.project(projection(target.dialect), { batchSize: 50 });
  try {
    await appendDeposits(store, 400, { accounts: 8, perAppend: 10 });
    await manager.start();
    await caughtUp(store, checkpoints, 400);
    await fn(store, manager);
  } finally {
    await manager.stop();
    await store.close();
    await close().catch(() => undefined);
  }
}

/**
 * Waits until the projection's checkpoint is at the last of `count` appended events. The feed is
 * read only once it shows all of them: on PostgreSQL a committed append becomes visible in the
 * feed only after every older in-flight transaction ends, so an early read could stop short.
 */
async function caughtUp(store: EventStore, checkpoints: SqlCheckpointStore, count: number) {
  let all: Awaited<ReturnType<typeof feed>> = [];
  await waitFor(
    async () => (all = await feed(store)).length >= count,
    `all ${count} appended events in the feed`,
    30_000,
  );
  expect(all).toHaveLength(count);
  const last = all.at(-1)!;
  await waitFor(
    async () => (await checkpoints.load('balances'))?.equals(last.position) === true,
    'projection caught up',
    30_000,
  );
}

async function balances(db: Kysely<any>) {
  const rows = await db.selectFrom('balances').selectAll().orderBy('account_id').execute();
  return rows.map((r) => [r.account_id, Number(r.balance), Number(r.events)]);
}

async function expected(store: EventStore) {
  const model = new Map<string, [string, number, number]>();
  for (const s of await feed(store, { eventTypes: ['Deposited'] })) {
    const e = s.event as Deposited;
    const row = model.get(e.aggregateId) ?? [e.aggregateId, 0, 0];
    model.set(e.aggregateId, [e.aggregateId, row[1] + e.data.amount, row[2] + 1]);
  }
  return [...model.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

async function indexNames(db: Kysely<any>, dialect: SqlTarget['dialect']): Promise<string[]> {
  const query =
    dialect === 'postgres'
      ? sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'balances' order by 1`
      : dialect === 'sqlite'
        ? sql<{
            name: string;
          }>`select name from sqlite_master where type = 'index' and tbl_name = 'balances' order by 1`
        : sql<{
            name: string;
          }>`select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = 'balances' order by 1`;
  return (await query.execute(db)).rows.map((r) => r.name);
}

function suite(target: SqlTarget) {
  it('rebuilds into shadow tables and swaps them in while reads and live events keep flowing', async () => {
    await withManager(
      target,
      (d) => balanceProjection(d, 'live'),
      async (store, manager) => {
        const indexesBefore = await indexNames(store.db, target.dialect);
        await store.db.updateTable('balances').set({ balance: -1 }).execute(); // a broken read model to repair
        let reads = 0;
        let emptyReads = 0;
        let reading = true;
        const reader = (async () => {
          while (reading) {
            const rows = await store.db.selectFrom('balances').select('account_id').execute();
            reads++;
            if (rows.length === 0) emptyReads++;
          }
        })();
        const writer = appendDeposits(store, 200, { accounts: 8, start: 401, perAppend: 5 });
        const report = await manager.rebuild('balances', { batchSize: 40 });
        await writer;
        reading = false;
        await reader;
        expect(report.failures).toEqual([]);
        expect(report.replayed).toBeGreaterThanOrEqual(400);
        expect(reads).toBeGreaterThan(0);
        expect(emptyReads).toBe(0);
        await caughtUp(store, new SqlCheckpointStore(store.db), 600);
        expect(await balances(store.db)).toEqual(await expected(store));
        expect(await indexNames(store.db, target.dialect)).toEqual(indexesBefore);
      },
    );
  }, 60_000);

  it('reports poison events with position, id, type and error; strict mode stops and leaves the live tables alone', async () => {
    let poisonOn = false;
    const poisoned = (d: SqlTarget['dialect']): Projection<Kysely<BalanceTables>> => {
      const inner = balanceProjection(d, 'live');
      return {
        ...inner,
        async handle(stored, context) {
          if (poisonOn && (stored.event as Deposited).data.amount === 7) throw new RangeError('bad seven');
          await inner.handle(stored, context);
        },
      };
    };
    await withManager(target, poisoned, async (store, manager) => {
      poisonOn = true;
      const before = await balances(store.db);
      const seven = (await feed(store)).find((s) => (s.event as Deposited).data.amount === 7)!;
      const strict = await manager.rebuild('balances', { strict: true }).catch((e: unknown) => e);
      expect(strict).toBeInstanceOf(ProjectionRebuildError);
      expect((strict as ProjectionRebuildError).poison).toEqual({
        position: seven.position.toString(),
        eventId: seven.event.eventId,
        eventType: 'Deposited',
        error: 'RangeError: bad seven',
      });
      expect(await balances(store.db)).toEqual(before);
      const report = await manager.rebuild('balances');
      expect(report.failures.map((f) => f.eventId)).toEqual([seven.event.eventId]);
      expect(report.replayed).toBe(399);
      const fixed = await expected(store);
      const account = fixed.find((r) => r[0] === seven.event.aggregateId)!;
      account[1] -= 7;
      account[2] -= 1;
      expect(await balances(store.db)).toEqual(fixed);
    });
  }, 60_000);
}

function tenantSuite(target: SqlTarget) {
  it("rebuilds a tenant's projection from that tenant's events only, as its subscription reads them", async () => {
    const { db, url, close } = await target.open();
    await db.destroy().catch(() => undefined);
    const store = await openStore(target.dialect, url);
    await migrateSubscriptionTables(store.db);
    await createBalanceTables(store.db);
    const checkpoints = new SqlCheckpointStore(store.db);
    const manager = new SubscriptionManager({
      store,
      checkpoints,
      deadLetters: new SqlDeadLetterQueue(store.db),
      pollIntervalMs: 20,
    });
    manager.project(balanceProjection(target.dialect, 'live'), { tenantId: 't1', batchSize: 10 });
    try {
      const deposit = (tenant: string, account: string, amount: number) =>
        store
          .forTenant(tenant)
          .appendToStream(`Account-${account}`, [new Deposited({ amount }, { aggregateId: account })], {
            expectedVersion: 'any',
          });
      // Interleaved, so the other tenant's events lie below the projection's checkpoint.
      for (let i = 0; i < 4; i++) {
        if (i > 0) await deposit('t2', `t2-acc-${i}`, 100 + i);
        await deposit('t1', `t1-acc-${i % 2}`, i + 1);
      }
      await manager.start();
      const own = () => feed(store, { tenantId: 't1' });
      await waitFor(async () => (await own()).length === 4, "t1's 4 events in the feed", 30_000);
      const last = (await own()).at(-1)!;
      await waitFor(
        async () => (await checkpoints.load('balances'))?.equals(last.position) === true,
        'projection caught up',
        30_000,
      );
      const live = await balances(store.db);
      expect(live).toEqual([
        ['t1-acc-0', 4, 2],
        ['t1-acc-1', 6, 2],
      ]);
      const report = await manager.rebuild('balances');
      expect(report.replayed).toBe(4);
      expect(await balances(store.db)).toEqual(live);
      expect((await store.db.selectFrom('handled').select('event_id').execute()).length).toBe(4);
    } finally {
      await manager.stop();
      await store.close();
      await close().catch(() => undefined);
    }
  }, 60_000);
}

for (const target of SQL_TARGETS) {
  const suites = () => {
    suite(target);
    tenantSuite(target);
  };
  if (target.service) await describeWithService(target.service, `rebuildProjection on ${target.dialect}`, suites);
  else describe(`rebuildProjection on ${target.dialect}`, suites);
}
