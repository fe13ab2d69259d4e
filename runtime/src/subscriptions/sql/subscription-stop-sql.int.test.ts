import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { StoredEvent } from '../../store/event-store.js';
import { SubscriptionManager } from '../subscription-manager.js';
import { balanceProjection, createBalanceTables, type BalanceTables } from '../../test-support/balance-projection.js';
import { appendDeposits, feed, waitFor, type Deposited } from '../../test-support/subscription-fixtures.js';
import { openStore } from '../../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { stopScenarios, type StopTarget } from '../../test-support/stop-scenarios.js';
import { PostgresAdvisoryLock } from './postgres-advisory-lock.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql-dead-letter-queue.js';
import { SqlLeaseLock } from './sql-lease-lock.js';
import { migrateSubscriptionTables } from './subscription-tables.js';

const DEADLINE = 20_000;

/** The store and the subscription tables on one fresh database; `db` is a second connection to inspect it with. */
async function open(target: SqlTarget) {
  const { db, url, close } = await target.open();
  const store = await openStore(target.dialect, url);
  await migrateSubscriptionTables(store.db);
  await createBalanceTables(store.db);
  const lock =
    target.dialect === 'postgres'
      ? new PostgresAdvisoryLock(store.db, { heartbeatMs: 200 })
      : new SqlLeaseLock(store.db, { ttlMs: 10_000 });
  return {
    store,
    db,
    checkpoints: new SqlCheckpointStore(store.db),
    inspect: new SqlCheckpointStore(db),
    deadLetters: new SqlDeadLetterQueue(store.db),
    lock,
    close: async () => {
      await store.close();
      await close();
    },
  };
}

function stopTarget(target: SqlTarget): StopTarget {
  return { name: target.dialect, serialAppends: target.dialect !== 'postgres', open: () => open(target) };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function handledCount(db: Kysely<any>): Promise<number> {
  return Number(
    (
      await db
        .selectFrom('handled')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

async function balances(db: Kysely<any>) {
  const rows = await db.selectFrom('balances').selectAll().orderBy('account_id').execute();
  return rows.map((r) => ({ account: r.account_id as string, balance: Number(r.balance), events: Number(r.events) }));
}

function expectedBalances(events: readonly StoredEvent[]) {
  const model = new Map<string, { balance: number; events: number }>();
  for (const { event } of events) {
    const e = event as Deposited;
    const row = model.get(e.aggregateId) ?? { balance: 0, events: 0 };
    model.set(e.aggregateId, { balance: row.balance + e.data.amount, events: row.events + 1 });
  }
  return [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([account, row]) => ({ account, ...row }));
}

function projectionSuite(target: SqlTarget) {
  it('a forced stop of a batched projection commits neither its rows nor its checkpoint after it returns; restarted, it applies every event once', async () => {
    const env = await open(target);
    const held = gate();
    const manager = new SubscriptionManager({ ...env, pollIntervalMs: 20, lockRetryMs: 20 });
    try {
      await appendDeposits(env.store, 10, { accounts: 3 });
      const events = await feed(env.store);
      const inner = balanceProjection(target.dialect, 'p');
      let batches = 0;
      manager.project<Kysely<BalanceTables>>(
        {
          ...inner,
          async handleBatch(batch, context) {
            batches++;
            for (const stored of batch) await inner.handle(stored, context);
            if (batches === 1) await held.opened; // its rows are written, in its open transaction
          },
        },
        { batchSize: 4 },
      );
      await manager.start();
      await waitFor(() => batches === 1, 'the first batch in its handler', DEADLINE);
      expect(await manager.stop(100)).toEqual(['balances']);
      held.open();
      expect(await manager.stop(DEADLINE)).toEqual([]);
      expect(await env.inspect.load('balances')).toBeNull();
      expect(await handledCount(env.db)).toBe(0);

      await manager.start();
      const last = events.at(-1)!.position.toString();
      await waitFor(
        async () => (await env.inspect.load('balances'))?.toString() === last,
        'the checkpoint at the end',
        DEADLINE,
      );
      expect(await handledCount(env.db)).toBe(10);
      expect(await balances(env.db)).toEqual(expectedBalances(events));
    } finally {
      held.open();
      await manager.stop(DEADLINE);
      await env.close();
    }
  });

  it('a graceful stop of a projection of single events stops at an event boundary: the rows and checkpoint of the events done commit together', async () => {
    const env = await open(target);
    const held = gate();
    const manager = new SubscriptionManager({ ...env, pollIntervalMs: 20, lockRetryMs: 20 });
    try {
      await appendDeposits(env.store, 30, { accounts: 3 });
      const events = await feed(env.store);
      const inner = balanceProjection(target.dialect, 'p');
      let calls = 0;
      manager.project<Kysely<BalanceTables>>(
        {
          ...inner,
          async handle(stored, context) {
            calls++;
            await inner.handle(stored, context);
            if (calls === 3) await held.opened;
          },
        },
        { batchSize: 100 },
      );
      await manager.start();
      await waitFor(() => calls === 3, 'the third event in its handler', DEADLINE);
      const stopping = manager.stop(DEADLINE);
      held.open();
      expect(await stopping).toEqual([]);
      expect(calls).toBe(3);
      expect((await env.inspect.load('balances'))?.toString()).toBe(events[2]!.position.toString());
      expect(await balances(env.db)).toEqual(expectedBalances(events.slice(0, 3)));
    } finally {
      held.open();
      await manager.stop(DEADLINE);
      await env.close();
    }
  });
}

for (const target of SQL_TARGETS) {
  const suite = () => {
    stopScenarios(stopTarget(target));
    projectionSuite(target);
  };
  const title = `SubscriptionManager stop and restart on ${target.dialect}`;
  if (target.service) await describeWithService(target.service, title, suite);
  else describe(title, suite);
}
