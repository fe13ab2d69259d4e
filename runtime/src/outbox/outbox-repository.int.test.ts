import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import { handles } from '../aggregates/handles.js';
import { ConcurrencyError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { withAppendHooks } from '../subscriptions/append-hooks.js';
import type { EventStore } from '../store/event-store.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import { Deposited, registry } from '../test-support/subscription-fixtures.js';
import { openStore } from '../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import { InMemoryOutboxStore } from './in-memory-outbox-store.js';
import { OutboxRelay } from './outbox-relay.js';
import type { OutboxStore } from './outbox-store.js';
import { SqlOutboxStore } from './sql-outbox-store.js';
import { collect } from '../testing/collect.js';

class Account extends AggregateRoot<{ balance: number }> {
  static override readonly aggregateType = 'Account';
  protected initialState() {
    return { balance: 0 };
  }
  deposit(amount: number) {
    this.raise(new Deposited({ amount }));
  }
  @handles(Deposited)
  onDeposited(e: Deposited) {
    return { balance: this.state.balance + e.data.amount };
  }
}

async function scenario(store: EventStore, outbox: OutboxStore) {
  const accounts = new AggregateRepository(store, Account, { outbox });
  const account = await accounts.loadOrCreate('a1');
  account.deposit(1);
  account.deposit(2);
  await accounts.save(account);
  const stale = await accounts.load('a1');
  const fresh = await accounts.load('a1');
  fresh.deposit(3);
  await accounts.save(fresh);
  stale.deposit(99);
  await expect(accounts.save(stale)).rejects.toBeInstanceOf(ConcurrencyError);
  await expect(
    store.transaction(async (tx) => {
      const again = await accounts.load('a1');
      again.deposit(50);
      await accounts.save(again, { transaction: tx });
      throw new Error('rolled back');
    }),
  ).rejects.toThrow('rolled back');
  expect((await outbox.stats()).pending).toBe(3);
  const published: EventRecord[] = [];
  const relay = new OutboxRelay(outbox, {
    publish: async (events: readonly (DomainEvent | EventRecord)[]) =>
      void published.push(...(events as EventRecord[])),
  });
  expect(await relay.drain()).toBe(3);
  expect(published.map((r) => [r.aggregateId, r.aggregateVersion, (r.data as { amount: number }).amount])).toEqual([
    ['a1', 1, 1],
    ['a1', 2, 2],
    ['a1', 3, 3],
  ]);
}

/** Saves through a tenant view: every outbox row, and every record the relay publishes, carries the view's tenant. */
async function tenantScenario(store: EventStore, outbox: OutboxStore) {
  const accounts = new AggregateRepository(store.forTenant('t1'), Account, { outbox });
  const account = await accounts.loadOrCreate('t1-a');
  account.deposit(1);
  await accounts.save(account);
  const published: EventRecord[] = [];
  const relay = new OutboxRelay(outbox, {
    publish: async (events: readonly (DomainEvent | EventRecord)[]) =>
      void published.push(...(events as EventRecord[])),
  });
  expect(await relay.drain()).toBe(1);
  expect(published.map((r) => [r.aggregateId, r.tenantId])).toEqual([['t1-a', 't1']]);
  const [stored] = await collect(store.readStream(accounts.streamId('t1-a')));
  expect(stored!.event.tenantId).toBe('t1');
}

function suite(target: SqlTarget) {
  it("stamps the tenant view's tenant on the outbox rows, as on the stored events", async () => {
    const { db, url, close } = await target.open();
    await db.destroy().catch(() => undefined);
    const store = await openStore(target.dialect, url);
    try {
      await migrateSubscriptionTables(store.db);
      const outbox = new SqlOutboxStore(store.db);
      await tenantScenario(store, outbox);
      const rows = await store.db.selectFrom('eventsmith_outbox').select('tenant_id').execute();
      expect(rows.map((r) => r.tenant_id)).toEqual(['t1']);
    } finally {
      await store.close();
      await close().catch(() => undefined);
    }
  });

  it('writes outbox rows in the append transaction: none for a rejected or rolled-back save', async () => {
    const { db, url, close } = await target.open();
    await db.destroy().catch(() => undefined);
    const store = await openStore(target.dialect, url);
    try {
      await migrateSubscriptionTables(store.db);
      await scenario(store, new SqlOutboxStore(store.db));
    } finally {
      await store.close();
      await close().catch(() => undefined);
    }
  });
}

describe('repository outbox on the in-memory store', () => {
  it("stamps the tenant view's tenant on the outbox rows", async () => {
    await tenantScenario(new InMemoryEventStore({ registry }), new InMemoryOutboxStore());
  });

  it('adds rows on commit only', async () => {
    await scenario(new InMemoryEventStore({ registry }), new InMemoryOutboxStore());
  });
});

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `repository outbox on ${target.dialect}`, () => suite(target));
  else describe(`repository outbox on ${target.dialect}`, () => suite(target));
}

await describeWithService('postgres', 'repository outbox on postgres: named insert', () => {
  for (const variant of ['standard', 'partitioned', 'app hooks'] as const) {
    it(`runs the outbox insert as a named statement on the transaction's connection (${variant})`, async () => {
      const { url, drop } = await freshPostgresDatabase();
      const store = await PostgresEventStore.open({
        url,
        registry,
        pool: { max: 1 },
        ...(variant === 'partitioned' ? { layout: { partitioned: { partitions: 4 } } } : {}),
      });
      try {
        await migrateSubscriptionTables(store.db);
        const outbox = new SqlOutboxStore(store.db);
        // createApp saves through withAppendHooks, which wraps the store's transaction handle.
        const saving = variant === 'app hooks' ? withAppendHooks(store, { afterCommit: () => undefined }) : store;
        const accounts = new AggregateRepository(saving, Account, { outbox });
        const prepared = async (tx: { sql: unknown }) =>
          (
            await sql<{ name: string }>`select name from pg_prepared_statements
              where statement like 'insert into "eventsmith_outbox"%' order by name`.execute(tx.sql as Kysely<any>)
          ).rows.map((row) => row.name);
        const account = await accounts.loadOrCreate('a1');
        account.deposit(1);
        account.deposit(2);
        const named = await saving.transaction(async (tx) => {
          await accounts.save(account, { transaction: tx });
          return prepared(tx);
        });
        expect(named).toEqual([expect.stringMatching(/^eventsmith_outbox_[0-9a-f]{32}$/)]);
        // More events than are named: unnamed, and written all the same.
        const big = await accounts.load('a1');
        for (let i = 0; i < 17; i++) big.deposit(1);
        expect(
          await saving.transaction(async (tx) => {
            await accounts.save(big, { transaction: tx });
            return prepared(tx);
          }),
        ).toEqual(named);
        expect((await outbox.stats()).pending).toBe(19);
      } finally {
        await store.close();
        await drop();
      }
    });
  }
});
