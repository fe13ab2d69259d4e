import { sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import { useRowLevelSecurityStores } from '../test-support/row-level-security-stores.js';
import { Deposited, registry } from '../test-support/subscription-fixtures.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import { OutboxRelay } from './outbox-relay.js';
import { SqlOutboxStore } from './sql-outbox-store.js';

class Account extends AggregateRoot<{ balance: number }> {
  static override readonly aggregateType = 'Account';
  protected initialState() {
    return { balance: 0 };
  }
  deposit(amount: number) {
    this.raise(new Deposited({ amount }));
  }
  protected override evolveState(event: DomainEvent) {
    return { balance: this.state.balance + (event as Deposited).data.amount };
  }
}

await describeWithService('postgres', 'outbox under PostgreSQL row-level security (opt-in)', () => {
  const stores = useRowLevelSecurityStores({
    registry,
    role: 'es_outbox',
    grants: [
      'select, insert, update on eventsmith_events, eventsmith_streams, eventsmith_snapshots, eventsmith_outbox',
      'usage on sequence eventsmith_outbox_id_seq',
    ],
    subscriptionTables: true,
  });

  it("lets a tenant view add and see only its own tenant's outbox rows; the owner's relay publishes them all", async () => {
    const { owner, app, appUrl } = stores();
    for (const tenant of ['t1', 't2']) {
      const accounts = new AggregateRepository(app.forTenant(tenant), Account, { outbox: new SqlOutboxStore(app.db) });
      await accounts.update(`${tenant}-a`, (a) => a.deposit(1), { create: true });
    }
    const client = new pg.Client({ connectionString: appUrl });
    await client.connect();
    try {
      const count = async () =>
        (await client.query('select count(*)::int as n from eventsmith_outbox')).rows[0].n as number;
      expect(await count()).toBe(0);
      await client.query('begin');
      await client.query(`select set_config('eventsmith.tenant_id', 't1', true)`);
      expect((await client.query('select tenant_id, aggregate_id from eventsmith_outbox')).rows).toEqual([
        { tenant_id: 't1', aggregate_id: 't1-a' },
      ]);
      await expect(
        client.query(
          `insert into eventsmith_outbox (event_id, event_type, aggregate_type, aggregate_id, tenant_id, record, created_at, status, next_attempt_at)
           values ('x', 'Deposited', 'Account', 'x', 't2', '{}', 0, 'pending', 0)`,
        ),
      ).rejects.toThrow(/row-level security/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
    const published: EventRecord[] = [];
    const relay = new OutboxRelay(new SqlOutboxStore(owner.db), {
      publish: async (events: readonly (DomainEvent | EventRecord)[]) =>
        void published.push(...(events as EventRecord[])),
    });
    expect(await relay.drain()).toBe(2);
    expect(published.map((r) => r.tenantId).sort()).toEqual(['t1', 't2']);
  });

  it("runs a tenant view's outbox insert as a named statement in its transaction, under the policies", async () => {
    const { app } = stores();
    const view = app.forTenant('t3');
    const accounts = new AggregateRepository(view, Account, { outbox: new SqlOutboxStore(app.db) });
    const account = await accounts.loadOrCreate('t3-a');
    account.deposit(1);
    const named = await view.transaction(async (tx) => {
      await accounts.save(account, { transaction: tx });
      const { rows } = await sql<{ name: string; tenant: string }>`select name,
        current_setting('eventsmith.tenant_id', true) as tenant from pg_prepared_statements
        where statement like 'insert into "eventsmith_outbox"%'`.execute(tx.sql);
      return rows;
    });
    expect(named).toEqual([{ name: expect.stringMatching(/^eventsmith_outbox_/), tenant: 't3' }]);
    // A row of another tenant through the same named statement is refused by the policy.
    const foreign = new Deposited({ amount: 1 }, { tenantId: 't4', aggregateType: 'Account', aggregateId: 't4-a' });
    await expect(
      view.transaction(async (tx) => {
        await tx.appendToStream('t3-c', [new Deposited({ amount: 1 })], { expectedVersion: 'any' });
        await new SqlOutboxStore(app.db).add([foreign], { transaction: tx });
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it('refuses the option on other databases', async () => {
    const { Kysely, SqliteDialect } = await import('kysely');
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    await expect(migrateSubscriptionTables(db, 'sqlite', { rowLevelSecurity: true })).rejects.toThrow(
      /PostgreSQL-only/,
    );
    await db.destroy();
  });
});
