import { join } from 'node:path';
import {
  AggregateRepository,
  migrateSubscriptionTables,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  toEventRecord,
  type AggregateClass,
  type Kysely,
  type StoredEvent,
} from '@eventsmith/runtime';
import type { CompiledQuery, QueryResult } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNonOwnerRole, type NonOwnerRole } from '@eventsmith/test/support/postgres-role';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from './project-code.js';
import { StoreInspector } from './store-inspector.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from './test-support/sql-store-targets.js';

// `deadLetters({ tenantId: null })` (`dlq list --unscoped`, the studio's ?unscoped=true) on a queue
// of many tenant entries and a few that the unscoped rows of `subscriptions()` count: exactly
// those, oldest first, asked for in one statement that returns only them.
const ROOT = join(import.meta.dirname, '../../..');
const TENANT_ENTRIES = 600;

/** A dead letter the seed parks: its subscription, its event's tenant, and whether an unscoped row counts it. */
type Spec = readonly [subscription: string, tenantId: string | null, unscoped: boolean];

/**
 * AccountSummary has an unscoped checkpoint and one of acme; Mailer one of acme only; Audit none.
 * acme's AccountSummary entries (the many) count in acme's row; globex's in the unscoped one.
 */
function specs(): Spec[] {
  const between: Record<number, Spec[]> = {
    0: [['AccountSummary', null, true]],
    150: [['AccountSummary', 'globex', true]],
    300: [
      ['Mailer', null, true],
      ['Mailer', 'globex', false], // no globex checkpoint, no unscoped one: a row of globex not started
    ],
    450: [
      ['Audit', 'acme', false],
      ['Audit', null, true],
    ],
    [TENANT_ENTRIES]: [
      ['AccountSummary', 'globex', true],
      ['Mailer', 'acme', false],
    ],
  };
  const all: Spec[] = [];
  for (let i = 0; i <= TENANT_ENTRIES; i++) {
    all.push(...(between[i] ?? []));
    if (i < TENANT_ENTRIES) all.push(['AccountSummary', 'acme', false]);
  }
  return all;
}

function suite(target: SqlStoreTarget): void {
  let code: ProjectCode;
  let url: string;
  let drop: () => Promise<void>;
  let role: NonOwnerRole | undefined;
  let inspector: StoreInspector;
  /** The ids of the entries unscoped rows count, oldest first, with their subscriptions. */
  let unscoped: { id: string; subscription: string }[];
  let total: number;

  beforeAll(async () => {
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    code = await loadProjectCode(config);
    const created = await target.create(code.registry);
    url = created.url;
    drop = created.drop;
    const { store } = created;
    try {
      await migrateSubscriptionTables(store.db as never);
      const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<any>;
      await new AggregateRepository(store, BankAccount).update(
        'alice',
        (a: any) => a.open({ ownerName: 'Alice', initialDeposit: '1.00' }),
        { create: true },
      );
      let event: StoredEvent | undefined;
      for await (const stored of store.readAll({ limit: 1 })) event = stored;
      const checkpoints = new SqlCheckpointStore(store.db);
      await checkpoints.save('AccountSummary', event!.position);
      await checkpoints.forTenant('acme').save('AccountSummary', event!.position);
      await checkpoints.forTenant('acme').save('Mailer', event!.position);
      const all = specs();
      total = all.length;
      const queue = new SqlDeadLetterQueue(store.db);
      const record = toEventRecord(event!.event);
      unscoped = [];
      await store.db.transaction().execute(async (trx) => {
        for (const [n, [subscription, tenantId, counted]] of all.entries()) {
          const eventId = `event-${String(n).padStart(4, '0')}`;
          const entry = await queue.add(
            {
              subscription,
              eventId,
              eventType: event!.event.eventType,
              streamId: event!.streamId,
              position: event!.position,
              storedAt: event!.storedAt,
              record: { ...record, eventId, ...(tenantId === null ? {} : { tenantId }) },
              error: `Error: ${subscription} failed`,
              attempts: 1,
            },
            { transaction: trx },
          );
          if (counted) unscoped.push({ id: entry.id, subscription });
        }
      });
    } finally {
      await store.close();
    }
    inspector = await StoreInspector.open({ url: created.url, cwd: ROOT, code });
  }, 180_000);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await inspector?.close();
    await drop?.();
    await role?.drop();
  });

  const ids = (entries: readonly { id: string }[]) => entries.map((e) => e.id);

  it('lists exactly the entries the unscoped rows count, oldest first, up to the limit', async () => {
    expect(unscoped).toHaveLength(5);
    expect(ids(await inspector.deadLetters({ tenantId: null }))).toEqual(ids(unscoped));
    expect(ids(await inspector.deadLetters({ tenantId: null, limit: 2 }))).toEqual(ids(unscoped.slice(0, 2)));
    expect(ids(await inspector.deadLetters({ tenantId: null, subscription: 'AccountSummary' }))).toEqual(
      ids(unscoped.filter((e) => e.subscription === 'AccountSummary')),
    );
    expect(ids(await inspector.deadLetters({ tenantId: null, subscription: 'Mailer' }))).toEqual(
      ids(unscoped.filter((e) => e.subscription === 'Mailer')),
    );
    await inspector.resolveDeadLetter(unscoped[1]!.id, 'test');
    expect(ids(await inspector.deadLetters({ tenantId: null, status: 'resolved' }))).toEqual([unscoped[1]!.id]);
    expect(ids(await inspector.deadLetters({ tenantId: null, status: 'pending' }))).toEqual(
      ids(unscoped.filter((_, i) => i !== 1)),
    );
  });

  it("lists for each row of subscriptions() the dead letters it counts, and every entry in one row's list", async () => {
    const listed = new Set<string>();
    for (const row of await inspector.subscriptions()) {
      const entries = await inspector.deadLetters({ subscription: row.name, tenantId: row.tenantId, limit: 10_000 });
      const counted = row.deadLetters;
      expect({ row: [row.name, row.tenantId], listed: entries.length }).toEqual({
        row: [row.name, row.tenantId],
        listed: counted.pending + counted.retrying + counted.resolved,
      });
      for (const id of ids(entries)) listed.add(id);
    }
    expect(listed.size).toBe(total);

    // A tenant's inspector sees only its own checkpoints: its rows count all its dead letters,
    // the ones the whole store's unscoped AccountSummary row counts too.
    const globex = await StoreInspector.open({ url, cwd: ROOT, code, tenantId: 'globex' });
    try {
      const rows = (await globex.subscriptions()).filter((r) => r.deadLetters.pending + r.deadLetters.resolved > 0);
      expect(rows.map((r) => [r.name, r.tenantId, r.deadLetters.pending + r.deadLetters.resolved])).toEqual([
        ['AccountSummary', 'globex', 2],
        ['Mailer', 'globex', 1],
      ]);
    } finally {
      await globex.close();
    }
  });

  it('reads only the entries it lists, in one SELECT', async () => {
    const db = (inspector.store as unknown as { db: Kysely<any> }).db;
    const executeQuery = vi.spyOn(db.getExecutor(), 'executeQuery');
    const listed = await inspector.deadLetters({ tenantId: null });
    expect(ids(listed)).toEqual(ids(unscoped));
    const statements = executeQuery.mock.calls.map(([query]) => (query as CompiledQuery).sql);
    const rows = await Promise.all(
      executeQuery.mock.results.map(async (result) => ((await result.value) as QueryResult<unknown>).rows.length),
    );
    // A read-only role (the studio may connect with one) can run it; and the database sends
    // only what is listed, not the queue's many tenant entries to be filtered here.
    expect(statements.every((s) => /^\s*select\b/i.test(s))).toBe(true);
    expect(statements.filter((s) => s.includes('eventsmith_dead_letters'))).toHaveLength(1);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(listed.length);
  });

  if (target.service === 'postgres')
    it('lists them for a role that may only read the tables, as the studio may connect', async () => {
      role = await createNonOwnerRole(url, 'es_dlqsql_ro', ['select on all tables in schema public']);
      const readOnly = await StoreInspector.open({ url: role.url, cwd: ROOT, code });
      try {
        expect(ids(await readOnly.deadLetters({ tenantId: null }))).toEqual(ids(unscoped));
      } finally {
        await readOnly.close();
      }
    });
}

for (const target of SQL_STORE_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `StoreInspector's unscoped dead letters on ${target.name}`, () =>
      suite(target),
    );
  else describe(`StoreInspector's unscoped dead letters on ${target.name}`, () => suite(target));
}
